"""The simulated payment plan (模拟付款计划表): the price trial of a room with one to three plans,
printed through a print template (kind "payment_trial") for the customer to take home.

The trial page prints it (PriceTrialView.print_plan); there is no stored record to choose, so the
kind has no record context. Admins edit the template under System settings → Print templates."""
import datetime as dt
from decimal import Decimal as D

from flask_babel import lazy_gettext as _l


KIND = "payment_trial"

PLACEHOLDERS = [
    ("project.name, .city, .address", _l("The project")),
    ("room.code, .building, .unit, .floor, .layout, .property_type, .orientation, .area_gross, .area_inner, "
     ".list_unit_price, .list_total_price", _l("The room")),
    ("customer", _l("The customer's name as typed on the trial page (may be empty)")),
    ("salesperson", _l("Who made the trial")),
    ("date, first_home", _l("The date of the trial (its policy) and whether it is the buyer's first home")),
    ("options", _l("One per plan: plan, kind, total, unit_price, deposit, down_payment, down_payment_ratio, "
                   "loan_amount, payments (label, amount, due_date, due), loans (label, amount, rate, rate_source, "
                   "months, first_payment, total_interest), repayment (method, first_payment, last_payment, "
                   "monthly_decrease, total_interest, total_payment), estimates (label, basis, amount), "
                   "estimates_total, cash_before_loan, warnings, discounts (list_total, total, discount, "
                   "discount_percent, steps: policy, terms, automatic, before, after, amount); "
                   "or error when the plan cannot be used")),
    ("price_places", _l("Decimals to print prices with: 0 when the project rounds to the yuan, else 2")),
]

TRIAL_HTML = """<html>
<head>
<meta charset="utf-8">
<title>模拟付款计划表 {{ room.code }}</title>
<style>
  @page { margin: 1.2cm 1.2cm 1.6cm 1.2cm;
    @frame footer { -pdf-frame-content: page-footer; bottom: 0.5cm; margin-left: 1.2cm; margin-right: 1.2cm; height: 0.8cm; } }
  body { font-size: 9pt; color: #222222; }
  h1 { font-size: 16pt; text-align: center; margin: 0 0 4pt 0; }
  h2 { font-size: 11pt; margin: 8pt 0 3pt 0; border-bottom: 1pt solid #1e88e5; -pdf-keep-with-next: true; }
  .sub { text-align: center; color: #555555; margin-bottom: 6pt; }
  table { width: 100%; }
  th, td { border: 0.5pt solid #999999; padding: 2pt 3pt 1pt 3pt; }
  th { background-color: #eeeeee; text-align: left; }
  td.num { text-align: right; }
  .note { color: #777777; font-size: 8pt; }
  .error { color: #c62828; }
  #page-footer { font-size: 7pt; color: #777777; }
</style>
</head>
<body>
<h1>{{ project.name }} · 模拟付款计划表</h1>
<div class="sub">{% if customer %}客户：{{ customer }} · {% endif %}置业顾问：{{ salesperson }} · 试算日期 {{ date|date_cn }} · {{ '首套住房' if first_home else '二套住房' }}</div>
<table>
  <tr><th>房号</th><td>{{ room.code }}</td><th>户型</th><td>{{ room.layout }}</td><th>物业类型</th><td>{{ room.property_type }}</td></tr>
  <tr><th>建筑面积</th><td>{{ room.area_gross|area }}</td><th>套内面积</th><td>{{ room.area_inner|area }}</td><th>表价单价</th><td class="num">{{ room.list_unit_price|money('¥', price_places) }}/㎡</td></tr>
</table>
{% for o in options %}
<h2>方案{{ loop.index }}：{{ o.plan }}（{{ o.kind }}）</h2>
{% if o.error %}
<p class="error">{{ o.error }}</p>
{% else %}
{% if o.discounts and o.discounts.steps %}
<table class="discounts">
  <tr><th>折扣</th><th>折前总价</th><th>折后总价</th><th>优惠</th></tr>
  {% for d in o.discounts.steps %}<tr><td>{{ d.policy }}{% if d.terms %}（{{ d.terms }}）{% endif %}{% if d.automatic %}<span class="note">（自动享受）</span>{% endif %}</td><td class="num">{{ d.before|money }}</td><td class="num">{{ d.after|money }}</td><td class="num">{{ d.amount|money }}</td></tr>{% endfor %}
  <tr><th colspan="3">合计优惠：表价 {{ o.discounts.list_total|money('¥', price_places) }} → 成交总价 {{ o.total|money('¥', price_places) }}（最后按项目规则取整一次）</th><th class="num">{{ o.discounts.discount|money('¥', price_places) }}（{{ o.discounts.discount_percent }}%）</th></tr>
</table>
{% endif %}
<table style="margin-top: 4pt">
  <tr><th>总价</th><td class="num">{{ o.total|money('¥', price_places) }}</td><th>单价</th><td class="num">{{ o.unit_price|money }}/㎡</td></tr>
  <tr><th>定金</th><td class="num">{{ o.deposit|money }}</td><th>首付（{{ o.down_payment_ratio }}%）</th><td class="num">{{ o.down_payment|money }}</td></tr>
  {% if o.loan_amount %}<tr><th>贷款总额</th><td class="num">{{ o.loan_amount|money }}</td><th>还款方式</th><td>{{ o.repayment.method }}</td></tr>{% endif %}
</table>
<table style="margin-top: 4pt">
  <tr><th>付款项目</th><th>金额</th><th>应付日期</th><th>说明</th></tr>
  {% for p in o.payments %}<tr><td>{{ p.label }}</td><td class="num">{{ p.amount|money }}</td><td>{{ p.due_date|date }}</td><td>{{ p.due }}</td></tr>{% endfor %}
</table>
{% if o.loans %}
<table style="margin-top: 4pt">
  <tr><th>贷款</th><th>金额</th><th>年利率</th><th>期数</th><th>首月月供</th><th>总利息</th></tr>
  {% for l in o.loans %}<tr><td>{{ l.label }}</td><td class="num">{{ l.amount|money }}</td><td>{{ l.rate }}%<br><span class="note">{{ l.rate_source }}</span></td><td>{{ l.months }}</td><td class="num">{{ l.first_payment|money }}</td><td class="num">{{ l.total_interest|money }}</td></tr>{% endfor %}
  {% if o.loans|length > 1 %}<tr><td>合计</td><td class="num">{{ o.loan_amount|money }}</td><td></td><td></td><td class="num">{{ o.repayment.first_payment|money }}</td><td class="num">{{ o.repayment.total_interest|money }}</td></tr>{% endif %}
</table>
{% if o.repayment.monthly_decrease %}<p class="note">等额本金：此后每月约递减 {{ o.repayment.monthly_decrease|money }}，末期 {{ o.repayment.last_payment|money }}。</p>{% endif %}
{% endif %}
<table style="margin-top: 4pt">
  <tr><th>税费（估算）</th><th>计算依据</th><th>金额</th></tr>
  {% for e in o.estimates %}<tr><td>{{ e.label }}</td><td>{{ e.basis }}</td><td class="num">{{ e.amount|money }}</td></tr>{% endfor %}
  <tr><td>税费合计（估算）</td><td></td><td class="num">{{ o.estimates_total|money }}</td></tr>
  <tr><th>除贷款外需自付合计</th><td>首付 + 税费</td><td class="num">{{ o.cash_before_loan|money }}</td></tr>
</table>
{% for w in o.warnings %}<p class="note">※ {{ w }}</p>{% endfor %}
{% endif %}
{% endfor %}
<p class="note">本表为模拟测算，仅供参考：价格以签订的认购书及商品房买卖合同为准，贷款金额、利率以银行或公积金中心审批为准，税费为按现行政策的估算。</p>
<div id="page-footer">打印人：{{ printed_by }} · {{ now|date('%Y-%m-%d %H:%M') }} · 第 <pdf:pagenumber> 页 / 共 <pdf:pagecount> 页</div>
</body>
</html>
"""


def _option(option):
    if option.trial is None:
        return {"plan": option.plan.name, "kind": _kind(option.plan.kind), "error": option.error}
    t = option.trial
    repayment = t.repayment
    return {
        "plan": t.plan.name, "kind": t.kind_label, "error": None, "total": t.total, "unit_price": t.unit_price,
        "deposit": t.deposit, "down_payment": t.down_payment, "down_payment_ratio": t.down_payment_ratio,
        "loan_amount": t.loan_amount,
        "payments": [{"label": p.label, "amount": p.amount, "due_date": p.due_date, "due": p.due_text}
                     for p in t.payments],
        "loans": [{"label": part.label, "amount": part.amount, "rate": str(part.rate.normalize()),
                   "rate_source": part.rate_source, "months": part.schedule.months,
                   "first_payment": part.schedule.first_payment, "total_interest": part.schedule.total_interest}
                  for part in t.loans],
        "repayment": {"method": t.repayment_label, "first_payment": repayment.first_payment,
                      "last_payment": repayment.last_payment, "monthly_decrease": repayment.monthly_decrease,
                      "total_interest": repayment.total_interest, "total_payment": repayment.total_payment}
        if repayment is not None else None,
        "estimates": [{"label": e.label, "basis": e.basis, "amount": e.amount} for e in t.estimates],
        "estimates_total": t.estimates_total, "cash_before_loan": t.cash_before_loan, "warnings": list(t.warnings),
        "discounts": _discounts(t.discount),
    }


def _discounts(result):
    """The discounts applied, step by step, as on the trial page; None without a discount result."""
    if result is None:
        return None
    from app.sales.services.discounts import terms
    return {"list_total": result.list_total, "total": result.total, "discount": result.discount,
            "discount_percent": result.discount_percent,
            "steps": [{"policy": s.policy.name, "terms": terms(s.policy), "automatic": s.automatic,
                       "before": s.before, "after": s.after, "amount": s.amount} for s in result.steps]}


def _kind(kind):
    from app.sales.services.plans import kind_label
    return kind_label(kind)


def context(room, options, date, first_home, customer="", salesperson=""):
    project = room.project
    return {
        "project": {"name": project.name, "city": project.city or "", "address": project.address or ""},
        "room": {"code": room.code, "building": room.building.name, "unit": room.unit.name if room.unit else "",
                 "floor": room.floor, "layout": room.layout.name if room.layout else "",
                 "property_type": room.property_type.name,
                 "orientation": room.orientation.name if room.orientation else "",
                 "area_gross": room.area_gross, "area_inner": room.area_inner,
                 "list_unit_price": room.list_unit_price, "list_total_price": room.list_total_price},
        "customer": (customer or "").strip()[:50], "salesperson": salesperson or "", "date": date,
        "first_home": bool(first_home), "options": [_option(o) for o in options],
        "price_places": 0 if project.price_rounding == "yuan" else 2,
    }


def sample_context():
    payments = [{"label": "定金", "amount": D("50000.00"), "due_date": dt.date(2026, 11, 26), "due": "认购时"},
                {"label": "首付余款", "amount": D("1194521.00"), "due_date": dt.date(2026, 12, 3), "due": "签约时"},
                {"label": "贷款（银行放款）", "amount": D("2901000.00"), "due_date": None, "due": "签约后银行放款"}]
    option = {
        "plan": "商业按揭 首付30%", "kind": "商业按揭", "error": None, "total": D("4145521"),
        "unit_price": D("34954.98"), "deposit": D("50000.00"), "down_payment": D("1244521.00"),
        "down_payment_ratio": D("30.02"), "loan_amount": D("2901000.00"), "payments": payments,
        "loans": [{"label": "商业贷款", "amount": D("2901000.00"), "rate": "3.5", "rate_source": "5年期LPR",
                   "months": 360, "first_payment": D("13026.79"), "total_interest": D("1788640.71")}],
        "repayment": {"method": "等额本息", "first_payment": D("13026.79"), "last_payment": D("13024.49"),
                      "monthly_decrease": None, "total_interest": D("1788640.71"), "total_payment": D("4689640.71")},
        "estimates": [{"label": "契税（估算）", "basis": "价格的 1%（首套，118.60㎡）", "amount": D("41455.21")},
                      {"label": "维修基金（估算）", "basis": "¥100.00/㎡ × 118.60㎡", "amount": D("11860.00")}],
        "estimates_total": D("53315.21"), "cash_before_loan": D("1297836.21"), "warnings": [],
        "discounts": {"list_total": D("4274764"), "total": D("4145521"), "discount": D("129243"),
                      "discount_percent": D("3.02"),
                      "steps": [{"policy": "开盘优惠", "terms": "97%", "automatic": False, "before": D("4274764"),
                                 "after": D("4146521.08"), "amount": D("128242.92")},
                                {"policy": "老带新", "terms": "−¥1,000.00", "automatic": True,
                                 "before": D("4146521.08"), "after": D("4145521.08"), "amount": D("1000.00")}]},
    }
    return {
        "project": {"name": "示例花园", "city": "广州", "address": "广州市示例路 1 号"},
        "room": {"code": "1栋-1单元-1001", "building": "1栋", "unit": "1单元", "floor": 10, "layout": "A户型",
                 "property_type": "住宅", "orientation": "南", "area_gross": D("118.60"), "area_inner": D("95.20"),
                 "list_unit_price": D("34954.98"), "list_total_price": D("4145521")},
        "customer": "王先生", "salesperson": "林晓燕", "date": dt.date(2026, 11, 26), "first_home": True,
        "options": [option, {"plan": "公积金贷款", "kind": "公积金贷款", "error": "贷款超过公积金上限。"}],
        "price_places": 0,
    }


def render(data, template_id=None, printed_by=None):
    """PDF bytes of the simulated payment plan with the kind's default (or the chosen) template."""
    from app.printing import services as printing
    template = printing.choose_template(KIND, template_id)
    full = printing.common_context(printed_by)
    full.update(data)
    return printing.render_pdf(template, full)


# The shipped template's earlier versions (sha256 of their HTML). An installation whose default
# template is still one of them, unedited, gets the current one (seeding creates a kind's template
# only when the kind has none, so this is how a shipped template changes).
PREVIOUS_HTML_SHA256 = {
    "605e010d465917f68712df46a1d39b06ef04fda0f5b948f81458608b8eeb7b1b",  # before the discount steps
}


def upgrade_template():
    """Replace the seeded template's HTML by the current one where an admin has not edited it."""
    import hashlib
    from app.extensions import db
    from app.printing.models import PrintTemplate
    upgraded = []
    for template in db.session.query(PrintTemplate).filter(PrintTemplate.kind == KIND).all():
        if hashlib.sha256((template.html or "").encode("utf-8")).hexdigest() in PREVIOUS_HTML_SHA256:
            template.html = TRIAL_HTML
            upgraded.append(template)
    db.session.commit()
    return upgraded


def register():
    from app.printing import services as printing
    printing.register_kind(
        KIND, _l("Simulated payment plan"), sample_context, PLACEHOLDERS, permission=("can_trial", "PriceTrialView"),
        default_template={"name": "模拟付款计划表", "html": TRIAL_HTML, "paper": "a4",
                          "description": "价格试算结果：最多三种付款方式对比，含首付、贷款月供、税费估算"},
    )

