"""The deal's printed documents, through print templates: the subscription letter (认购书, kind
"subscription_letter") and the contract summary (合同摘要, kind "contract_summary").

Both print a stored deal: record_context(pk) applies the user's scope (another salesperson's deal
is not printed) and masks the buyers' ID numbers and phones for users who may not see them in
full. The deal page's print buttons record a "print" event on the deal's timeline."""
import datetime as dt
from decimal import Decimal as D

from flask_babel import lazy_gettext as _l

LETTER = "subscription_letter"
SUMMARY = "contract_summary"
KINDS = (LETTER, SUMMARY)
# The stages a deal must have reached to print each document.
STAGES = {LETTER: ("subscribed", "signed"), SUMMARY: ("signed",)}

PLACEHOLDERS = [
    ("developer.name", _l("The developer (the project's company)")),
    ("project.name, .code, .city, .address", _l("The project")),
    ("deal.subscription_no, .subscribed_on, .contract_no, .signed_on, .filing_no, .filed_on, .filing_due, "
     ".sign_by, .list_total, .total, .unit_price, .deposit, .discount, .first_home, .stage, .salesperson, .note",
     _l("The deal")),
    ("buyers", _l("The buyers: name, share, id_type, id_number, phone, address (ID numbers and phones masked for "
                  "users who may not see them in full)")),
    ("room.code, .building, .unit, .floor, .layout, .property_type, .area_gross, .area_inner, .list_unit_price, "
     ".list_total_price", _l("The room")),
    ("plan.name, .kind", _l("The payment plan")),
    ("discounts", _l("The discounts step by step: policy, terms, before, after, amount")),
    ("payments", _l("The schedule of the price: label, amount, due_date")),
    ("fees", _l("Fees collected on behalf of others: label, amount")),
    ("price_total, fees_total", _l("The sums of the schedule")),
]

_STYLE = """<style>
  @page { margin: 1.4cm 1.4cm 1.6cm 1.4cm;
    @frame footer { -pdf-frame-content: page-footer; bottom: 0.5cm; margin-left: 1.4cm; margin-right: 1.4cm; height: 0.8cm; } }
  body { font-size: 9.5pt; color: #222222; }
  h1 { font-size: 17pt; text-align: center; margin: 0 0 4pt 0; }
  h2 { font-size: 11pt; margin: 9pt 0 3pt 0; border-bottom: 1pt solid #1e88e5; -pdf-keep-with-next: true; }
  .sub { text-align: center; color: #555555; margin-bottom: 6pt; }
  table { width: 100%; }
  th, td { border: 0.5pt solid #999999; padding: 2pt 3pt 1pt 3pt; }
  th { background-color: #eeeeee; text-align: left; }
  td.num { text-align: right; }
  .terms { font-size: 9pt; line-height: 150%; }
  .sign td { border: none; padding-top: 24pt; }
  #page-footer { font-size: 7pt; color: #777777; }
</style>"""

LETTER_HTML = """<html>
<head>
<meta charset="utf-8">
<title>认购书 {{ deal.subscription_no }}</title>
""" + _STYLE + """
</head>
<body>
<h1>商品房认购书</h1>
<div class="sub">编号：{{ deal.subscription_no }} · 认购日期 {{ deal.subscribed_on|date_cn }}</div>
<h2>一、当事人</h2>
<table>
  <tr><th style="width:18%">出卖人（甲方）</th><td>{{ developer.name }}（{{ project.name }}）</td></tr>
</table>
<table>
  {% for b in buyers %}
  <tr><th style="width:18%">买受人（乙方）{% if buyers|length > 1 %}{{ loop.index }}{% endif %}</th><td style="width:18%">{{ b.name }}</td>
      <th style="width:12%">证件号码</th><td style="width:30%">{{ b.id_number }}</td><th style="width:8%">份额</th><td class="num" style="width:14%">{{ b.share }}%</td></tr>
  {% endfor %}
</table>
<h2>二、认购房屋</h2>
<table>
  <tr><th>项目</th><td>{{ project.name }}</td><th>房号</th><td>{{ room.code }}</td><th>户型</th><td>{{ room.layout }}</td></tr>
  <tr><th>物业类型</th><td>{{ room.property_type }}</td><th>建筑面积</th><td class="num">{{ room.area_gross|area }}</td><th>套内面积</th><td class="num">{{ room.area_inner|area }}</td></tr>
</table>
<h2>三、价格与优惠</h2>
<table>
  <tr><th style="width:18%">表价总价</th><td class="num" style="width:32%">{{ deal.list_total|money }}</td><th style="width:18%">付款方式</th><td style="width:32%">{{ plan.name }}</td></tr>
</table>
{% if discounts %}
<table>
  <tr><th style="width:34%">优惠项目</th><th style="width:14%">折扣</th><th style="width:30%">优惠后价格</th><th style="width:22%">优惠金额</th></tr>
  {% for s in discounts %}
  <tr><td>{{ s.policy }}</td><td>{{ s.terms }}</td><td class="num">{{ s.after|money }}</td><td class="num">{{ s.amount|money }}</td></tr>
  {% endfor %}
</table>
{% endif %}
<table>
  <tr><th style="width:18%">成交总价</th><td class="num" style="width:32%"><b>{{ deal.total|money }}</b></td><th style="width:18%">成交单价</th><td class="num" style="width:32%">{{ deal.unit_price|money }}/㎡</td></tr>
  <tr><th>大写</th><td colspan="3">人民币{{ deal.total|amount_in_words }}</td></tr>
</table>
<h2>四、定金与付款计划</h2>
<table>
  <tr><th style="width:18%">定金</th><td class="num" style="width:32%">{{ deal.deposit|money }}</td><th style="width:18%">大写</th><td style="width:32%">人民币{{ deal.deposit|amount_in_words }}</td></tr>
</table>
<table style="margin-top:4pt">
  <tr><th>款项</th><th>金额</th><th>应付日期</th></tr>
  {% for p in payments %}
  <tr><td>{{ p.label }}</td><td class="num">{{ p.amount|money }}</td><td>{{ p.due_date|date if p.due_date else '' }}</td></tr>
  {% endfor %}
  <tr><th>楼款合计</th><th class="num">{{ price_total|money }}</th><th></th></tr>
</table>
{% if fees %}
<table style="margin-top:4pt">
  <tr><th>代收费用（估算）</th><th>金额</th></tr>
  {% for f in fees %}<tr><td>{{ f.label }}</td><td class="num">{{ f.amount|money }}</td></tr>{% endfor %}
</table>
{% endif %}
<h2>五、约定</h2>
<div class="terms">
1. 乙方应于 <b>{{ deal.sign_by|date_cn }}</b> 前与甲方签订《商品房买卖合同》，逾期未签约的，甲方有权另行出售该房屋。<br>
2. 乙方支付的定金 {{ deal.deposit|money }} 在签订《商品房买卖合同》后转作购房款。<br>
3. 本认购书一式两份，甲乙双方各执一份。
</div>
<table class="sign">
  <tr><td>甲方（盖章）：</td><td>乙方（签字）：</td></tr>
  <tr><td>置业顾问：{{ deal.salesperson }}</td><td>日期：</td></tr>
</table>
<div id="page-footer">{{ project.name }} · 认购书 {{ deal.subscription_no }} · 打印：{{ printed_by }} {{ now }}</div>
</body>
</html>
"""

SUMMARY_HTML = """<html>
<head>
<meta charset="utf-8">
<title>合同摘要 {{ deal.contract_no }}</title>
""" + _STYLE + """
</head>
<body>
<h1>商品房买卖合同摘要</h1>
<div class="sub">合同编号：{{ deal.contract_no }} · 签约日期 {{ deal.signed_on|date_cn }}</div>
<table>
  <tr><th>合同编号</th><td>{{ deal.contract_no }}</td><th>网签备案号</th><td>{{ deal.filing_no or '未备案（应于 ' ~ (deal.filing_due|date) ~ ' 前备案）' }}</td></tr>
  <tr><th>出卖人</th><td>{{ developer.name }}</td><th>项目</th><td>{{ project.name }}</td></tr>
  <tr><th>房号</th><td>{{ room.code }}</td><th>建筑面积</th><td class="num">{{ room.area_gross|area }}</td></tr>
</table>
<h2>买受人</h2>
<table>
  <tr><th>姓名</th><th>证件号码</th><th>联系电话</th><th>份额</th></tr>
  {% for b in buyers %}<tr><td>{{ b.name }}</td><td>{{ b.id_number }}</td><td>{{ b.phone }}</td><td class="num">{{ b.share }}%</td></tr>{% endfor %}
</table>
<h2>价格</h2>
<table>
  <tr><th style="width:14%">成交总价</th><td class="num" style="width:22%"><b>{{ deal.total|money }}</b></td><th style="width:10%">大写</th><td style="width:54%">人民币{{ deal.total|amount_in_words }}</td></tr>
  <tr><th>成交单价</th><td class="num">{{ deal.unit_price|money }}/㎡</td><th>付款方式</th><td>{{ plan.name }}</td></tr>
</table>
<h2>付款计划</h2>
<table>
  <tr><th>款项</th><th>金额</th><th>应付日期</th></tr>
  {% for p in payments %}<tr><td>{{ p.label }}</td><td class="num">{{ p.amount|money }}</td><td>{{ p.due_date|date if p.due_date else '' }}</td></tr>{% endfor %}
  <tr><th>楼款合计</th><th class="num">{{ price_total|money }}</th><th></th></tr>
</table>
<div id="page-footer">{{ project.name }} · 合同摘要 {{ deal.contract_no }} · 打印：{{ printed_by }} {{ now }}</div>
</body>
</html>
"""


def _id_number(value):
    from app.core.personal_data import shown
    return shown(value)


def context(deal):
    """The printed data of a stored deal (the buyers' personal data as the user may see it)."""
    from app.sales.services import deals
    project, room = deal.project, deal.room
    buyers = []
    for b in deal.buyers:
        c = b.customer
        buyers.append({"name": c.name, "share": b.share, "id_type": getattr(c, "id_type", "") or "",
                       "id_number": _id_number(c.id_number), "phone": _id_number(c.phone),
                       "address": getattr(c, "address", "") or ""})
    steps = []
    if deal.plan is not None and deal.subscribed_on is not None:
        try:
            trial = deals.price(room, deal.plan, deals._policies(deal.policy_ids), deal.customer, deal.subscribed_on,
                                deal.first_home, deal.sign_by)
            if trial.discount is not None and trial.total == deal.total:
                from app.sales.services.discounts import terms
                steps = [{"policy": s.policy.name, "terms": terms(s.policy), "before": s.before, "after": s.after,
                          "amount": s.amount} for s in trial.discount.steps]
        except Exception:  # a policy or plan changed since: the stored figures still print
            steps = []
    payments = [{"label": p.label, "amount": p.amount, "due_date": p.due_date, "kind": p.kind}
                for p in deal.payments if not p.collected_for_others]
    fees = [{"label": p.label, "amount": p.amount} for p in deal.payments if p.collected_for_others]
    return {
        "developer": {"name": project.developer.name if project.developer is not None else project.name},
        "project": {"name": project.name, "code": project.code, "city": project.city or "",
                    "address": project.address or ""},
        "deal": {"id": deal.id, "subscription_no": deal.subscription_no or "", "subscribed_on": deal.subscribed_on,
                 "contract_no": deal.contract_no or "", "signed_on": deal.signed_on, "filing_no": deal.filing_no or "",
                 "filed_on": deal.filed_on, "filing_due": deal.filing_due, "sign_by": deal.sign_by,
                 "list_total": deal.list_total, "total": deal.total, "unit_price": deal.unit_price,
                 "deposit": deal.deposit or D("0.00"),
                 "discount": (deal.list_total - deal.total) if deal.list_total is not None and deal.total is not None
                 else D("0.00"), "first_home": bool(deal.first_home), "stage": deals.stage_label(deal.stage),
                 "salesperson": deal.employee.name if deal.employee is not None else "", "note": deal.note or ""},
        "buyers": buyers,
        "room": {"code": room.code, "building": room.building.name, "unit": room.unit.name if room.unit else "",
                 "floor": room.floor, "layout": room.layout.name if room.layout else "",
                 "property_type": room.property_type.name, "area_gross": room.area_gross,
                 "area_inner": room.area_inner, "list_unit_price": room.list_unit_price,
                 "list_total_price": room.list_total_price},
        "plan": {"name": deal.plan.name if deal.plan is not None else "",
                 "kind": _kind(deal.plan.kind) if deal.plan is not None else ""},
        "discounts": steps, "payments": payments, "fees": fees,
        "price_total": sum((p["amount"] for p in payments), D("0.00")),
        "fees_total": sum((f["amount"] for f in fees), D("0.00")),
    }


def _kind(kind):
    from app.sales.services.plans import kind_label
    return kind_label(kind)


def sample_context():
    payments = [{"label": "定金", "amount": D("50000.00"), "due_date": dt.date(2026, 11, 26), "kind": "deposit"},
                {"label": "首付余款", "amount": D("1194521.00"), "due_date": dt.date(2026, 12, 3),
                 "kind": "down_payment"},
                {"label": "商业贷款", "amount": D("2901000.00"), "due_date": None, "kind": "loan"}]
    return {
        "developer": {"name": "示例置业有限公司"},
        "project": {"name": "示例花园", "code": "SL-HY", "city": "广州", "address": "广州市示例路 1 号"},
        "deal": {"id": 1, "subscription_no": "SL-HY-RG-00001", "subscribed_on": dt.date(2026, 11, 26),
                 "contract_no": "SL-HY-HT-00001", "signed_on": dt.date(2026, 12, 3), "filing_no": "440101-2026-000123",
                 "filed_on": dt.date(2026, 12, 5), "filing_due": dt.date(2027, 1, 2), "sign_by": dt.date(2026, 12, 3),
                 "list_total": D("4274764.00"), "total": D("4145521.00"), "unit_price": D("34954.98"),
                 "deposit": D("50000.00"), "discount": D("129243.00"), "first_home": True, "stage": "签约",
                 "salesperson": "林晓燕", "note": ""},
        "buyers": [{"name": "王小明", "share": D("60.00"), "id_type": "身份证", "id_number": "4401**********1234",
                    "phone": "138****1234", "address": ""},
                   {"name": "李小红", "share": D("40.00"), "id_type": "身份证", "id_number": "4401**********5678",
                    "phone": "139****5678", "address": ""}],
        "room": {"code": "1栋-1单元-1001", "building": "1栋", "unit": "1单元", "floor": 10, "layout": "A户型",
                 "property_type": "住宅", "area_gross": D("118.60"), "area_inner": D("95.20"),
                 "list_unit_price": D("36043.54"), "list_total_price": D("4274764.00")},
        "plan": {"name": "商业按揭 首付30%", "kind": "商业按揭"},
        "discounts": [{"policy": "开盘优惠", "terms": "97%", "before": D("4274764.00"), "after": D("4146521.08"),
                       "amount": D("128242.92")}],
        "payments": payments, "fees": [{"label": "契税（估算）", "amount": D("41455.21")}],
        "price_total": D("4145521.00"), "fees_total": D("41455.21"),
    }


def record_context(pk):
    """The context of deal pk for the user who prints, or None (missing, foreign, not yet at the stage)."""
    from app.core.errors import BusinessError
    from app.sales.services import deals
    try:
        deal = deals.get_deal(pk)
    except BusinessError:
        return None
    return context(deal)


def check_printable(kind, deal):
    from flask_babel import gettext as _
    from app.core.errors import BusinessError
    if kind not in KINDS:
        raise LookupError(kind)
    if deal.stage not in STAGES[kind] or deal.state == "released":
        if kind == LETTER:
            raise BusinessError(_("The subscription letter is printed once the room is subscribed."))
        raise BusinessError(_("The contract summary is printed once the contract is signed."))


def render(kind, deal, template_id=None, printed_by=None):
    """PDF bytes of the deal's document with the kind's default (or the chosen) template."""
    from app.printing import services as printing
    check_printable(kind, deal)
    template = printing.choose_template(kind, template_id)
    full = printing.common_context(printed_by)
    full.update(context(deal))
    return printing.render_pdf(template, full)


def register():
    from app.printing import services as printing
    printing.register_kind(
        LETTER, _l("Subscription letter"), sample_context, PLACEHOLDERS, record_context=record_context,
        permission=("can_show", "DealView"),
        default_template={"name": "认购书", "html": LETTER_HTML, "paper": "a4",
                          "description": "认购书：当事人、房屋、价格与优惠、定金与付款计划、签约期限"})
    printing.register_kind(
        SUMMARY, _l("Contract summary"), sample_context, PLACEHOLDERS, record_context=record_context,
        permission=("can_show", "DealView"),
        default_template={"name": "合同摘要", "html": SUMMARY_HTML, "paper": "a4",
                          "description": "合同摘要：合同编号、网签备案号、买受人、房屋、价格、付款计划"})
