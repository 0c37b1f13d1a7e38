"""The area settlement notice (面积补差通知书, print kind "area_settlement_notice"): one page per buyer
(per settled line) with the room, the contract and surveyed areas, the ratios, the rule, the amount
to pay or to be refunded and its deadline, and — when the difference is beyond the band — the
alternative of cancelling (the price paid with interest, see services/settlement.py).

A survey prints one line (record_context(pk) with pk = the line's id, which the print-template
pages use too) or all its settled lines as one PDF (render_survey)."""
import datetime as dt
from decimal import Decimal as D

from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.finance.models import AreaSettlement, AreaSurvey
from app.finance.services import settlement

KIND = "area_settlement_notice"
VIEW = "SettlementView"

PLACEHOLDERS = [
    ("developer.name", _l("The developer (the project's company)")),
    ("project.name, .code, .address", _l("The project")),
    ("survey.id, .building, .status, .approved, .decided_on", _l("The survey")),
    ("rule.band, .over, .under, .basis, .basis_label, .interest_percent, .refund_days", _l("The settlement rule")),
    ("notices", _l("One notice per buyer: room (code, building, unit, floor), buyers, contract_no, signed_on, "
                   "contract_gross, contract_inner, surveyed_gross, surveyed_inner, ratio_gross, ratio_inner (as "
                   "percent text), basis_contract, basis_surveyed, delta, band_area, unit_price, within, beyond, "
                   "amount, abs_amount, pays, deadline, may_cancel, cancel (paid, interest, total, on_date)")),
]

NOTICE_HTML = """<html>
<head>
<meta charset="utf-8">
<title>面积补差通知书</title>
<style>
  @page { margin: 1.5cm 1.6cm 1.6cm 1.6cm;
    @frame footer { -pdf-frame-content: page-footer; bottom: 0.5cm; margin-left: 1.6cm; margin-right: 1.6cm; height: 0.8cm; } }
  body { font-size: 10pt; color: #222222; -pdf-word-wrap: CJK; }
  h1 { font-size: 18pt; text-align: center; margin: 0 0 4pt 0; }
  h2 { font-size: 11pt; margin: 9pt 0 3pt 0; border-bottom: 1pt solid #1e88e5; }
  .sub { text-align: center; color: #555555; margin-bottom: 8pt; }
  table { width: 100%; }
  th, td { border: 0.5pt solid #999999; padding: 3pt 4pt 2pt 4pt; }
  th { background-color: #eeeeee; text-align: left; }
  td.num { text-align: right; }
  .big { font-size: 12pt; font-weight: bold; }
  .terms { font-size: 9.5pt; line-height: 150%; }
  .sign td { border: none; padding-top: 26pt; }
  #page-footer { font-size: 7pt; color: #777777; }
</style>
</head>
<body>
{% for n in notices %}
{% if not loop.first %}<pdf:nextpage />{% endif %}
<h1>面积补差通知书</h1>
<div class="sub">{{ project.name }} · {{ n.room.code }}{% if n.contract_no %} · 合同编号 {{ n.contract_no }}{% endif %}</div>
<p>尊敬的 <b>{{ n.buyers }}</b>：</p>
<p class="terms">您购买的 {{ project.name }} {{ n.room.code }} 房屋已完成产权登记面积实测。根据《商品房买卖合同》的约定及《商品房销售管理办法》第二十条，现将面积差异及补差款项通知如下。</p>
<h2>一、面积对比</h2>
<table>
  <tr><th style="width:22%"></th><th style="width:26%">合同约定面积</th><th style="width:26%">产权登记（实测）面积</th><th style="width:26%">误差比</th></tr>
  <tr><th>建筑面积</th><td class="num">{{ n.contract_gross|area }}</td><td class="num">{{ n.surveyed_gross|area }}</td><td class="num">{{ n.ratio_gross }}</td></tr>
  <tr><th>套内建筑面积</th><td class="num">{{ n.contract_inner|area }}</td><td class="num">{{ n.surveyed_inner|area }}</td><td class="num">{{ n.ratio_inner }}</td></tr>
</table>
<h2>二、计算</h2>
<table>
  <tr><th style="width:30%">计价面积</th><td>{{ rule.basis_label }}</td></tr>
  <tr><th>面积差（实测 − 合同）</th><td class="num">{{ n.delta }} ㎡</td></tr>
  <tr><th>合同单价</th><td class="num">{{ n.unit_price|money }}/㎡</td></tr>
  <tr><th>误差比 {{ rule.band }}% 以内部分（{% if n.pays %}补缴{% else %}退还{% endif %}）</th><td class="num">{{ n.within|money }}</td></tr>
  <tr><th>误差比超出 {{ rule.band }}% 部分（{% if n.pays %}补缴{% else %}退还{% endif %}）</th><td class="num">{{ n.beyond|money }}</td></tr>
  <tr><th>{% if n.pays %}应补缴金额{% else %}应退还金额{% endif %}</th><td class="num big">{{ n.abs_amount|money }}</td></tr>
  <tr><th>大写</th><td>人民币{{ n.abs_amount|amount_in_words }}</td></tr>
  <tr><th>{% if n.pays %}缴款期限{% else %}退款期限{% endif %}</th><td>{% if n.deadline %}{{ n.deadline|date_cn }} 前{% else %}审批通过后 {{ rule.refund_days }} 日内{% endif %}</td></tr>
</table>
<div class="terms" style="margin-top:6pt">
计算规则：面积误差比绝对值在 {{ rule.band }}% 以内（含 {{ rule.band }}%）的，据实结算房价款；
面积误差比超出 {{ rule.band }}% 时，{{ rule.band }}% 以内部分据实结算，
超出部分{% if rule.over_zero %}由出卖人承担，产权归买受人{% else %}由买受人按 {{ rule.over }} 倍补缴{% endif %}（实测面积大于合同面积时）；
实测面积小于合同面积时，超出部分由出卖人按 {{ rule.under }} 倍返还买受人。
</div>
{% if n.may_cancel %}
<h2>三、退房选择</h2>
<div class="terms">面积误差比绝对值超出 {{ rule.band }}%，您有权选择退房。选择退房的，出卖人将在约定期限内退还已付房价款并按年利率 {{ rule.interest_percent }}% 支付利息（自每笔付款之日起计至 {{ n.cancel.on_date|date_cn }}）：</div>
<table>
  <tr><th style="width:30%">已付房价款</th><td class="num">{{ n.cancel.paid|money }}</td></tr>
  <tr><th>利息</th><td class="num">{{ n.cancel.interest|money }}</td></tr>
  <tr><th>退房应退合计</th><td class="num"><b>{{ n.cancel.total|money }}</b>（人民币{{ n.cancel.total|amount_in_words }}）</td></tr>
</table>
{% endif %}
<table class="sign">
  <tr><td>出卖人：{{ developer.name }}（盖章）</td><td>买受人确认（签字）：</td></tr>
  <tr><td>日期：{{ today|date_cn }}</td><td>日期：</td></tr>
</table>
{% endfor %}
<div id="page-footer">{{ project.name }} · 面积补差通知书 · 打印：{{ printed_by }} {{ now }}</div>
</body>
</html>
"""


def _percent(value):
    if value is None:
        return ""
    return "{:+.2f}%".format(D(value) * 100)


def _plain_number(value):
    value = D(value)
    return ("+" if value > 0 else "") + "{:,.2f}".format(value)


def notice(line):
    """The printed data of one settled line."""
    survey, room, deal = line.survey, line.room, line.deal
    basis = (survey.rule or {}).get("basis", "gross")
    contract = line.contract_gross if basis == "gross" else line.contract_inner
    surveyed = line.surveyed_gross if basis == "gross" else line.surveyed_inner
    band = D((survey.rule or {}).get("band", "3"))
    buyers = "、".join(b.customer.name for b in deal.buyers) or deal.customer.name
    return {
        "id": line.id,
        "room": {"code": room.code, "building": room.building.name, "unit": room.unit.name if room.unit else "",
                 "floor": room.floor},
        "buyers": buyers, "contract_no": deal.contract_no or "", "signed_on": deal.signed_on,
        "contract_gross": line.contract_gross, "contract_inner": line.contract_inner,
        "surveyed_gross": line.surveyed_gross, "surveyed_inner": line.surveyed_inner,
        "ratio_gross": _percent(line.ratio_gross), "ratio_inner": _percent(line.ratio_inner),
        "basis_contract": contract, "basis_surveyed": surveyed,
        "delta": _plain_number(D(surveyed) - D(contract)),
        "band_area": (band / 100 * D(contract)).quantize(D("0.0001")),
        "unit_price": line.unit_price, "within": abs(line.within_amount), "beyond": abs(line.beyond_amount),
        "amount": line.amount, "abs_amount": abs(line.amount), "pays": line.amount > 0,
        "deadline": settlement.deadline(line), "may_cancel": bool(line.may_cancel),
        "cancel": settlement.cancel_alternative(line) if line.may_cancel else None,
    }


def _rule(survey):
    rule = survey.rule or settlement.rule_of(survey.project_id)
    num = settlement.number_text
    return {"band": num(rule.get("band")), "over": num(rule.get("over")), "under": num(rule.get("under")),
            "over_zero": D(rule.get("over") or 0) == 0, "basis": rule.get("basis"),
            "basis_label": "建筑面积" if rule.get("basis") == "gross" else "套内建筑面积",
            "interest_percent": "{:.2f}".format(D(rule.get("interest") or 0) * 100),
            "refund_days": rule.get("refund_days")}


def context(survey, lines):
    project = survey.project
    return {
        "developer": {"name": project.developer.name if project.developer is not None else project.name},
        "project": {"name": project.name, "code": project.code, "address": project.address or ""},
        "survey": {"id": survey.id, "building": survey.building.name, "status": settlement.status_label(survey.status),
                   "approved": survey.status == "approved",
                   "decided_on": settlement.settlement_date(survey) if survey.status == "approved" else None},
        "rule": _rule(survey),
        "notices": [notice(l) for l in lines if l.deal_id is not None and l.amount is not None],
    }


def printable_lines(survey):
    return [l for l in survey.lines if l.deal_id is not None and l.amount is not None]


def record_context(pk):
    """One line's notice (pk = the line's id), or None."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    line = db.session.get(AreaSettlement, pk) if 0 < pk < 2 ** 31 else None
    if line is None or line.deal_id is None or line.amount is None:
        return None
    return context(line.survey, [line])


def record_choices():
    rows = db.session.query(AreaSettlement).join(AreaSurvey, AreaSurvey.id == AreaSettlement.survey_id) \
        .filter(AreaSettlement.deal_id.isnot(None)).order_by(AreaSettlement.id.desc()).limit(200).all()
    return [(l.id, "#%d %s" % (l.survey_id, l.room.code)) for l in rows]


def sample_context():
    line = {"room": {"code": "1栋-1单元-1001", "building": "1栋", "unit": "1单元", "floor": 10}, "buyers": "王小明、李小红",
            "contract_no": "SL-HY-HT-00001", "signed_on": dt.date(2026, 12, 3),
            "contract_gross": D("100.00"), "contract_inner": D("82.00"), "surveyed_gross": D("95.00"),
            "surveyed_inner": D("78.10"), "ratio_gross": "-5.00%", "ratio_inner": "-4.76%",
            "basis_contract": D("100.00"), "basis_surveyed": D("95.00"), "delta": "-5.00", "band_area": D("3.0000"),
            "unit_price": D("20000.00"), "within": D("60000.00"), "beyond": D("80000.00"),
            "amount": D("-140000.00"), "abs_amount": D("140000.00"), "pays": False,
            "deadline": dt.date(2027, 1, 30), "may_cancel": True,
            "cancel": {"paid": D("2000000.00"), "interest": D("43500.00"), "total": D("2043500.00"),
                       "on_date": dt.date(2026, 12, 31)}}
    return {
        "developer": {"name": "示例置业有限公司"},
        "project": {"name": "示例花园", "code": "SL-HY", "address": "广州市示例路 1 号"},
        "survey": {"id": 1, "building": "1栋", "status": "已审批", "approved": True, "decided_on": dt.date(2026, 12, 31)},
        "rule": {"band": "3", "over": "0", "under": "2", "over_zero": True, "basis": "gross",
                 "basis_label": "建筑面积", "interest_percent": "4.35", "refund_days": 30},
        "notices": [line],
    }


def render(survey, lines, template_id=None, printed_by=None):
    """PDF bytes of the notices of these lines (one page each) with the default (or chosen) template."""
    from flask_babel import gettext as _
    from app.core.errors import BusinessError
    from app.printing import services as printing
    data = context(survey, lines)
    if not data["notices"]:
        raise BusinessError(_("No room of this survey has a signed deal: there is nothing to settle."))
    template = printing.choose_template(KIND, template_id)
    full = printing.common_context(printed_by)
    full.update(data)
    return printing.render_pdf(template, full)


def register():
    from app.printing import services as printing
    printing.register_kind(
        KIND, _l("Area settlement notice"), sample_context, PLACEHOLDERS, record_context=record_context,
        record_choices=record_choices, record_label=_l("Area settlement"), permission=("can_show", VIEW),
        default_template={"name": "面积补差通知书", "html": NOTICE_HTML, "paper": "a4",
                          "description": "面积补差通知书：面积对比、误差比、补差或退款金额与期限、退房选择"})
