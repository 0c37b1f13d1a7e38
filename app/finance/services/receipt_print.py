"""The printed receipt (收款收据, print kind "receipt"): project, number, date, payer, room, the
amount in figures and in Chinese capitals, method, reference, what it pays and the cashier. A void
receipt prints with a large 作废 mark; a reissued one names the receipt it replaces.

record_context(pk) applies the user's scope (a receipt of a deal the user may not see is not
printed)."""
import datetime as dt
from decimal import Decimal as D

from flask_babel import lazy_gettext as _l

KIND = "receipt"

PLACEHOLDERS = [
    ("developer.name", _l("The developer (the project's company)")),
    ("project.name, .code, .address", _l("The project")),
    ("receipt.number, .paid_on, .amount, .unallocated, .method, .payer, .reference, .note, .cashier, .status, "
     ".status_label, .void, .void_reason, .replaces, .replaced_by", _l("The receipt")),
    ("deal.contract_no, .subscription_no, .buyers", _l("The deal")),
    ("room.code, .building, .area_gross", _l("The room")),
    ("items", _l("What the receipt pays: label, kind, group, amount")),
]

RECEIPT_HTML = """<html>
<head>
<meta charset="utf-8">
<title>收款收据 {{ receipt.number }}</title>
<style>
  @page { margin: 0.8cm 1.2cm 0.6cm 1.2cm; }
  body { font-size: 10pt; color: #222222; }
  h1 { font-size: 18pt; text-align: center; margin: 0 0 2pt 0; letter-spacing: 4pt; }
  .sub { text-align: center; color: #555555; margin-bottom: 6pt; }
  table { width: 100%; }
  th, td { border: 0.5pt solid #999999; padding: 3pt 4pt 2pt 4pt; }
  th { background-color: #eeeeee; text-align: left; }
  td.num { text-align: right; }
  .big { font-size: 13pt; font-weight: bold; }
  .void { color: #d32f2f; font-size: 36pt; line-height: 110%; font-weight: bold; text-align: center; border: 3pt solid #d32f2f; padding: 0; margin: 2pt 0 2pt 0; }
  .note { color: #d32f2f; font-size: 10pt; margin: 4pt 0 4pt 0; }
  .sign td { border: none; padding-top: 10pt; }
</style>
</head>
<body>
<h1>收款收据</h1>
<div class="sub">{{ project.name }} · 收据编号：<b>{{ receipt.number }}</b> · 收款日期：{{ receipt.paid_on|date_cn }}</div>
{% if receipt.void %}<div class="void">作废</div>
<div class="note">本收据已于 {{ receipt.voided_on|date }} 作废，原因：{{ receipt.void_reason }}{% if receipt.replaced_by %}（已换发为 {{ receipt.replaced_by }}）{% endif %}</div>{% endif %}
{% if receipt.replaces %}<div class="note">本收据系换发，替代原收据 {{ receipt.replaces }}。</div>{% endif %}
<table>
  <tr><th style="width:16%">交款人</th><td style="width:34%">{{ receipt.payer }}</td><th style="width:16%">房号</th><td style="width:34%">{{ room.code }}</td></tr>
  <tr><th>合同编号</th><td>{{ deal.contract_no or deal.subscription_no }}</td><th>购房人</th><td>{{ deal.buyers }}</td></tr>
  <tr><th>金额（小写）</th><td class="big">{{ receipt.amount|money }}</td><th>付款方式</th><td>{{ receipt.method }}</td></tr>
  <tr><th>金额（大写）</th><td colspan="3" class="big">人民币{{ receipt.amount|amount_in_words }}</td></tr>
  <tr><th>银行流水号</th><td>{{ receipt.reference }}</td><th>备注</th><td>{{ receipt.note }}</td></tr>
</table>
<table style="margin-top:6pt">
  <tr><th style="width:50%">收款项目</th><th style="width:25%">类别</th><th style="width:25%">金额</th></tr>
  {% for i in items %}<tr><td>{{ i.label }}</td><td>{{ i.group }}</td><td class="num">{{ i.amount|money }}</td></tr>{% endfor %}
  {% if receipt.unallocated %}<tr><td>预收款</td><td></td><td class="num">{{ receipt.unallocated|money }}</td></tr>{% endif %}
  <tr><th colspan="2">合计</th><th class="num">{{ receipt.amount|money }}</th></tr>
</table>
<table class="sign">
  <tr><td>收款单位（盖章）：{{ developer.name }}</td><td>收款人：{{ receipt.cashier }}</td><td>交款人签字：</td></tr>
</table>
<div style="font-size:7pt;color:#777777;margin-top:2pt">{{ project.name }} · 收据 {{ receipt.number }} · 打印：{{ printed_by }} {{ now }}</div>
</body>
</html>
"""


def context(receipt):
    """The printed data of a stored receipt."""
    from app.finance.services import common
    from app.finance.services.payment_page import receipt_detail, user_name
    from app.finance.services.receipts import default_payer, status_label
    deal, project, room = receipt.deal, receipt.project, receipt.deal.room
    detail = receipt_detail(receipt)
    replaced_by = detail["replacement"]
    items = [{"label": a.receivable.label, "kind": common.kind_label(a.receivable.kind),
              "group": common.group_label(a.receivable.collected_for_others), "amount": a.amount}
             for a in detail["allocations"] if a.amount]
    return {
        "developer": {"name": project.developer.name if project.developer is not None else project.name},
        "project": {"name": project.name, "code": project.code, "address": project.address or ""},
        "receipt": {"id": receipt.id, "number": receipt.number, "paid_on": receipt.paid_on, "amount": receipt.amount,
                    "unallocated": receipt.unallocated or D("0.00"), "method": common.method_label(receipt.method),
                    "payer": receipt.payer, "reference": receipt.reference or "", "note": receipt.note or "",
                    "cashier": user_name(receipt.cashier), "status": receipt.status,
                    "status_label": status_label(receipt.status), "void": receipt.status != "valid",
                    "void_reason": receipt.void_reason or "",
                    "voided_on": receipt.voided_at.date() if receipt.voided_at else None,
                    "replaces": receipt.reissue_of.number if receipt.reissue_of is not None else "",
                    "replaced_by": replaced_by.number if replaced_by is not None else ""},
        "deal": {"id": deal.id, "contract_no": deal.contract_no or "", "subscription_no": deal.subscription_no or "",
                 "buyers": default_payer(deal)},
        "room": {"code": room.code, "building": room.building.name, "area_gross": room.area_gross},
        "items": items,
    }


def sample_context():
    return {
        "developer": {"name": "示例置业有限公司"},
        "project": {"name": "示例花园", "code": "SL-HY", "address": "广州市示例路 1 号"},
        "receipt": {"id": 1, "number": "SL-HY-SK-000001", "paid_on": dt.date(2026, 11, 26),
                    "amount": D("123456.78"), "unallocated": D("0.00"), "method": "银行转账", "payer": "王小明、李小红",
                    "reference": "TX20261126001", "note": "", "cashier": "黄丽萍", "status": "valid",
                    "status_label": "有效", "void": False, "void_reason": "", "voided_on": None, "replaces": "",
                    "replaced_by": ""},
        "deal": {"id": 1, "contract_no": "SL-HY-HT-00001", "subscription_no": "SL-HY-RG-00001",
                 "buyers": "王小明、李小红"},
        "room": {"code": "1栋-1单元-1001", "building": "1栋", "area_gross": D("118.60")},
        "items": [{"label": "定金", "kind": "定金", "group": "楼款", "amount": D("50000.00")},
                  {"label": "首付余款", "kind": "首付款", "group": "楼款", "amount": D("73376.78")},
                  {"label": "产权登记费", "kind": "代收费用", "group": "代收费用", "amount": D("80.00")}],
    }


def record_context(pk):
    from app.core.errors import BusinessError
    from app.finance.services import receipts
    try:
        receipt = receipts.get_receipt(pk)
    except BusinessError:
        return None
    return context(receipt)


def render(receipt, template_id=None, printed_by=None):
    """PDF bytes of the receipt with the kind's default (or the chosen) template."""
    from app.printing import services as printing
    template = printing.choose_template(KIND, template_id)
    full = printing.common_context(printed_by)
    full.update(context(receipt))
    return printing.render_pdf(template, full)


def register():
    from app.printing import services as printing
    printing.register_kind(
        KIND, _l("Receipt"), sample_context, PLACEHOLDERS, record_context=record_context,
        permission=("can_show", "PaymentView"),
        default_template={"name": "收款收据", "html": RECEIPT_HTML, "paper": "a5_landscape",
                          "description": "收款收据：收据编号、交款人、房号、金额大小写、付款方式、收款项目、收款人"})
