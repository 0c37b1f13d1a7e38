"""The dunning notice (催款通知书), print kind "dunning_notice": one page per deal, several deals in
one PDF. The context is {"notices": [one notice per deal]} — a single deal's record context is a
list of one, so the same template prints one deal or a selection."""
import datetime as dt
from decimal import Decimal as D

from flask_babel import lazy_gettext as _l

KIND = "dunning_notice"
PAY_WITHIN_DAYS = 7

PLACEHOLDERS = [
    ("notices", _l("One notice per deal, repeated for each (n: one notice)")),
    ("n.developer", _l("The developer (the project's company)")),
    ("n.project, n.room, n.contract_no, n.subscription_no", _l("The project, the room and the deal's numbers")),
    ("n.buyers", _l("The buyers' names, joined")),
    ("n.lines", _l("The overdue items: label, due_date, days, due, received, outstanding")),
    ("n.late_fees", _l("The unpaid late fees: label, outstanding")),
    ("n.overdue, n.late_fee_total, n.total", _l("The overdue amount, the late fees and their sum")),
    ("n.pay_by", _l("The date to pay by (7 days after printing)")),
    ("n.salesperson", _l("The deal's salesperson")),
]

NOTICE_HTML = """<html>
<head>
<meta charset="utf-8">
<title>催款通知书</title>
<style>
  @page { margin: 1.6cm 1.6cm 1.6cm 1.6cm; }
  body { font-size: 10.5pt; color: #222222; }
  h1 { font-size: 18pt; text-align: center; margin: 0 0 8pt 0; letter-spacing: 4pt; }
  .sub { text-align: right; color: #555555; margin-bottom: 8pt; }
  p { line-height: 170%; margin: 4pt 0; }
  table { width: 100%; }
  th, td { border: 0.5pt solid #999999; padding: 3pt 4pt 2pt 4pt; }
  th { background-color: #eeeeee; text-align: left; }
  td.num { text-align: right; }
  .sign { margin-top: 26pt; text-align: right; line-height: 190%; }
</style>
</head>
<body>
{% for n in notices %}
{% if not loop.first %}<pdf:nextpage />{% endif %}
<h1>催款通知书</h1>
<div class="sub">{{ n.project }} · {{ n.room }}{% if n.contract_no %} · 合同编号 {{ n.contract_no }}{% endif %}</div>
<p><b>尊敬的 {{ n.buyers }}：</b></p>
<p>您购买的 {{ n.project }} {{ n.room }} 房屋，截至 {{ today|date_cn }}，以下款项已逾期未付：</p>
<table>
  <tr><th>款项</th><th>应付日期</th><th>逾期天数</th><th>应付金额</th><th>已付金额</th><th>欠款金额</th></tr>
  {% for i in n.lines %}
  <tr><td>{{ i.label }}</td><td>{{ i.due_date|date }}</td><td class="num">{{ i.days }}</td>
      <td class="num">{{ i.due|money }}</td><td class="num">{{ i.received|money }}</td><td class="num">{{ i.outstanding|money }}</td></tr>
  {% endfor %}
  {% for f in n.late_fees %}
  <tr><td>{{ f.label }}</td><td></td><td></td><td></td><td></td><td class="num">{{ f.outstanding|money }}</td></tr>
  {% endfor %}
  <tr><th colspan="5">合计欠款</th><th class="num">{{ n.total|money }}</th></tr>
  <tr><th>大写</th><td colspan="5">人民币{{ n.total|amount_in_words }}</td></tr>
</table>
<p>请您于 <b>{{ n.pay_by|date_cn }}</b> 前将上述款项付清。</p>
<p>逾期款项按合同约定每日计收滞纳金，直至付清之日止。</p>
<p>如您已付款，请忽略本通知，并与我们核对。</p>
<p>如有疑问，请联系置业顾问 {{ n.salesperson }}。</p>
<div class="sign">{{ n.developer }}<br>{{ today|date_cn }}</div>
{% endfor %}
</body>
</html>
"""


def notice(deal, today=None):
    """One deal's notice."""
    from app.core import clock
    from app.finance.services import arrears
    today = today or clock.local_today()
    items = arrears.overdue_items(deal.id, today)
    late = [i for i in items if i["kind"] == "late_fee"]
    items = [i for i in items if i["kind"] != "late_fee"]
    overdue = sum((i["outstanding"] for i in items), D("0.00"))
    late_total = sum((i["outstanding"] for i in late), D("0.00"))
    project = deal.project
    return {
        "deal_id": deal.id,
        "developer": project.developer.name if project.developer is not None else project.name,
        "project": project.name, "room": deal.room.code, "contract_no": deal.contract_no or "",
        "subscription_no": deal.subscription_no or "",
        "buyers": "、".join(b.customer.name for b in deal.buyers) or (deal.customer.name if deal.customer else ""),
        "lines": items, "late_fees": late, "overdue": overdue, "late_fee_total": late_total,
        "total": overdue + late_total, "pay_by": today + dt.timedelta(days=PAY_WITHIN_DAYS),
        "salesperson": deal.employee.name if deal.employee is not None else "",
    }


def context(deal_list, today=None):
    return {"notices": [notice(d, today) for d in deal_list]}


def sample_context():
    day = dt.date(2026, 11, 27)
    return {"notices": [{
        "deal_id": 1, "developer": "示例置业有限公司", "project": "示例花园", "room": "1栋-1单元-1001",
        "contract_no": "SL-HY-HT-00001", "subscription_no": "SL-HY-RG-00001", "buyers": "王小明、李小红",
        "lines": [{"label": "首付款", "due_date": dt.date(2026, 10, 28), "days": 30, "due": D("1200000.00"),
                   "received": D("1000000.00"), "outstanding": D("200000.00")}],
        "late_fees": [{"label": "滞纳金（首付款）", "outstanding": D("3000.00")}],
        "overdue": D("200000.00"), "late_fee_total": D("3000.00"), "total": D("203000.00"),
        "pay_by": day + dt.timedelta(days=PAY_WITHIN_DAYS), "salesperson": "林晓燕"}]}


def record_context(pk):
    from app.core.errors import BusinessError
    from app.sales.services import deals
    try:
        deal = deals.get_deal(pk)
    except BusinessError:
        return None
    return context([deal])


def render(deal_list, template_id=None, printed_by=None):
    """PDF bytes of the notices of the deals, one page each."""
    from app.printing import services as printing
    template = printing.choose_template(KIND, template_id)
    full = printing.common_context(printed_by)
    full.update(context(deal_list))
    return printing.render_pdf(template, full)


def register():
    from app.printing import services as printing
    printing.register_kind(
        KIND, _l("Dunning notice"), sample_context, PLACEHOLDERS, record_context=record_context,
        permission=("can_list", "ArrearsView"),
        default_template={"name": "催款通知书", "html": NOTICE_HTML, "paper": "a4",
                          "description": "催款通知书：逾期款项、滞纳金、合计欠款（大写）、付款期限"})
