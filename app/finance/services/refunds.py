"""Refunds (退款): money paid back to the buyers of a deal. Asked for by finance (or made by a
cancellation approved in sales), approved through the platform's approvals (kind
`finance_refund`: a 销售经理 or another 财务 — never the requester), then paid by finance.

- The refund slip number is gapless per project: "<project code>-TK-000001".
- What can be refunded: the deal's valid receipts less its refunds pending, approved or paid.
  Checked when asked, and again at approval.
- Approval sets the refund "approved" with a due date (today + the project's refund_days);
  rejection (or withdrawal) sets it "rejected".
- A cancellation approved in sales (a DealRefund with something to refund) becomes a pending
  refund of kind "cancellation", asked by the cancellation's requester.
- Paying records date, method, reference and who paid; a cancellation's DealRefund becomes
  "refunded". A receipt cannot be voided when what stays received would be less than the refunds.

Concurrency: every step that counts refunds against receipts first queues on the project's
receipt counter (like the receipt steps), so a refund request, its approval and a void of the same
project are served one after the other."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, roles
from app.core.context import current_user_obj
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.models.base import utcnow
from app.core.services import approvals, numbering
from app.extensions import db
from app.finance.models import RECEIPT_METHODS, REFUND_KINDS, Receipt, Refund
from app.finance.services import common, receipts
from app.finance.services.common import ZERO, D
from app.sales.models import DealRefund
from app.sales.services import deals

SCOPE = "refund"
KIND = "finance_refund"
TARGET = "refund"
COUNTED = ("pending", "approved", "paid")
KIND_LABELS = {"cancellation": _l("Cancellation refund"), "area_settlement": _l("Area settlement refund"),
               "overpayment": _l("Overpayment refund"), "other": _l("Other refund")}
STATUS_LABELS = {"pending": _l("Pending approval"), "approved": _l("Approved, to pay"), "paid": _l("Paid"),
                 "rejected": _l("Rejected")}


class NotFound(BusinessError):
    """The refund does not exist or is not the user's to see (a 404)."""


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind or ""))


def status_label(status):
    return str(STATUS_LABELS.get(status, status or ""))


def number_of(project, seq):
    return "%s-TK-%06d" % (project.code, seq)


def _yuan(value):
    return "¥{:,.2f}".format(D(value or 0))


def _default_locale():
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh"))


# ---------------------------------------------------------------- reading

def counted_total(deal_id, except_id=None):
    """The deal's refunds pending, approved or paid (money promised or paid back)."""
    query = db.session.query(sa.func.coalesce(sa.func.sum(Refund.amount), 0)).filter(
        Refund.deal_id == deal_id, Refund.status.in_(COUNTED))
    if except_id is not None:
        query = query.filter(Refund.id != except_id)
    return D(query.scalar() or 0).quantize(common.CENT)


def paid_total(deal_id):
    value = db.session.query(sa.func.coalesce(sa.func.sum(Refund.amount), 0)).filter(
        Refund.deal_id == deal_id, Refund.status == "paid").scalar()
    return D(value or 0).quantize(common.CENT)


def refundable(deal_id, except_id=None):
    """What can still be refunded: valid receipts − refunds pending, approved or paid."""
    return receipts.received_total(deal_id) - counted_total(deal_id, except_id)


def paid_net(deal):
    """What the buyers have paid on the deal net of refunds, for sales (hooks.ask("paid")); None
    when finance has no receipt of the deal at all (sales keeps its own guess then)."""
    has_receipt = db.session.query(Receipt.id).filter(Receipt.deal_id == deal.id).first() is not None
    if not has_receipt:
        return None
    return max(receipts.received_total(deal.id) - counted_total(deal.id), ZERO)


def of_deal(deal_id):
    return db.session.query(Refund).filter(Refund.deal_id == deal_id).order_by(Refund.created_at, Refund.id).all()


def is_overdue(refund, today=None):
    return refund.status == "approved" and refund.due_date is not None and refund.due_date < (
        today or clock.local_today())


def get_refund(refund_id, user=None):
    return common.visible(Refund, refund_id, NotFound(_("There is no such refund.")))


def request_of(refund):
    return db.session.get(ApprovalRequest, refund.request_id) if refund.request_id else None


# ---------------------------------------------------------------- asking

def _check_amount(deal_id, amount, except_id=None):
    left = refundable(deal_id, except_id)
    if amount > left:
        raise BusinessError(_("%(amount)s is more than the %(left)s that can be refunded (valid receipts less the "
                              "refunds pending, approved or paid).", amount=_yuan(amount), left=_yuan(max(left, ZERO))))


def _summary(refund, deal):
    with _default_locale():
        return _("Refund %(number)s of room %(room)s (%(project)s, %(payee)s): %(amount)s, %(kind)s",
                 number=refund.number, room=deal.room.code, project=deal.project.name, payee=refund.payee or "—",
                 amount=_yuan(refund.amount), kind=kind_label(refund.kind))


def _new(deal, amount, kind, reason, payee, user, deal_refund_id=None, settlement_id=None):
    receipts._hold(deal.project_id)
    seq = numbering.next_number(SCOPE, deal.project_id)
    refund = Refund(project_id=deal.project_id, deal_id=deal.id, seq=seq, number=number_of(deal.project, seq),
                    kind=kind, amount=amount, payee=common.text(payee, 100) or receipts.default_payer(deal) or None,
                    reason=common.text(reason), status="pending", deal_refund_id=deal_refund_id,
                    settlement_id=settlement_id, created_by_id=getattr(user, "id", None), created_at=utcnow())
    db.session.add(refund)
    db.session.flush()
    return refund


def _payload(refund):
    return {"refund_id": refund.id, "deal_id": refund.deal_id, "number": refund.number, "kind": refund.kind,
            "amount": "%.2f" % refund.amount, "payee": refund.payee}


def request_refund(deal, amount, kind, reason, payee=None, user=None, settlement_id=None):
    """Ask for a refund of `amount` on the deal (through approval). Returns the pending refund."""
    user = deals._user(user)
    if not hasattr(deal, "project_id"):
        deal = common.get_deal(deal, user)
    else:
        deals.check_deal_visible(deal)
    amount = common.money(amount, _("Enter the refund as a number of yuan greater than 0, at most two decimals."))
    if kind not in REFUND_KINDS:
        raise BusinessError(_("Choose the kind of refund."))
    reason = common.text(reason)
    if not reason:
        raise BusinessError(_("Say why the money is refunded."))
    deal_id = deal.id
    try:
        with deals._acting(user):
            refund = _new(deal, amount, kind, reason, payee, user, settlement_id=settlement_id)
            _check_amount(deal_id, amount, except_id=refund.id)
            summary = _summary(refund, deal)
            payload = _payload(refund)
    except BusinessError:
        db.session.rollback()
        raise
    req = approvals.submit(KIND, user, TARGET, refund.id, payload, summary, reason)
    refund = db.session.get(Refund, payload["refund_id"])
    deal = refund.deal
    with deals._acting(user):
        refund.request_id = req.id
        deals.event(deal, "note", user, _("Refund %(number)s of %(amount)s asked for (approval #%(id)d): %(reason)s",
                                          number=refund.number, amount=_yuan(refund.amount), id=req.id,
                                          reason=reason),
                    {"refund_id": refund.id, "request_id": req.id, "amount": "%.2f" % refund.amount})
        db.session.commit()
    return refund


def validate(payload, requester):
    """Inside the submit's transaction: the refund still fits in what was received."""
    refund = db.session.get(Refund, int(payload.get("refund_id") or 0))
    if refund is None or refund.status != "pending":
        raise BusinessError(_("There is no such refund."))
    receipts._hold(refund.project_id)
    _check_amount(refund.deal_id, refund.amount, except_id=refund.id)
    return payload


def _submit_inline(refund, requester, reason):
    """A pending finance_refund request in the running transaction (inside another approval)."""
    deal = refund.deal
    req = ApprovalRequest(kind=KIND, target_table=TARGET, target_id=str(refund.id), payload=_payload(refund),
                          summary=_summary(refund, deal)[:approvals.SUMMARY_MAX], status="pending",
                          requester_id=requester.id if requester is not None else None,
                          reason=(reason or None) and str(reason)[:approvals.TEXT_MAX], created_at=utcnow())
    db.session.add(req)
    db.session.flush()
    approvals._notify_approvers(req, lambda r: _("Approval needed: %(kind)s", kind=approvals.kind_label(r.kind)))
    refund.request_id = req.id
    return req


def on_cancelled(deal, deal_refund):
    """A cancellation was approved in sales: what it refunds becomes a pending refund, asked by the
    cancellation's requester (so finance or a manager other than them approves it)."""
    if deal_refund is None or D(deal_refund.refund or 0) <= 0:
        return None
    exists = db.session.query(Refund.id).filter(Refund.deal_refund_id == deal_refund.id).first()
    if exists is not None:
        return None
    requester = None
    if deal_refund.requested_by_id:
        requester = db.session.get(current_app.appbuilder.sm.user_model, deal_refund.requested_by_id)
    requester = requester or current_user_obj()
    with _default_locale():
        reason = _("Cancellation of the deal of room %(room)s: paid %(paid)s, refund %(refund)s, kept %(kept)s",
                   room=deal.room.code, paid=_yuan(deal_refund.paid), refund=_yuan(deal_refund.refund),
                   kept=_yuan(deal_refund.kept))
        if deal_refund.reason is not None:
            reason += "（%s）" % deal_refund.reason.name
    refund = _new(deal, D(deal_refund.refund).quantize(common.CENT), "cancellation", reason, None, requester,
                  deal_refund_id=deal_refund.id)
    _submit_inline(refund, requester, reason)  # the deal's "cancel" event is the timeline's line
    db.session.flush()
    return refund


# ---------------------------------------------------------------- the approval kind's hooks

def _refund_of(req, lock=False):
    try:
        refund_id = int(req.target_id)
    except (TypeError, ValueError):
        refund_id = 0
    query = db.session.query(Refund).filter(Refund.id == refund_id)
    if lock:
        query = query.with_for_update(of=Refund)
    return query.populate_existing().one_or_none()


def apply(req):
    refund = _refund_of(req)
    if refund is None:
        raise BusinessError(_("There is no such refund."))
    receipts._hold(refund.project_id)
    refund = _refund_of(req, lock=True)
    if refund.status != "pending":
        raise BusinessError(_("Refund %(number)s is %(status)s; only a pending refund can be approved.",
                              number=refund.number, status=status_label(refund.status)))
    _check_amount(refund.deal_id, refund.amount, except_id=refund.id)
    days = common.settings_for(refund.project_id).refund_days or 0
    refund.status = "approved"
    refund.due_date = clock.local_today() + dt.timedelta(days=int(days))
    user = current_user_obj()
    with _default_locale():
        deals.event(refund.deal, "note", user, _("Refund %(number)s of %(amount)s approved; to pay by %(date)s",
                                                 number=refund.number, amount=_yuan(refund.amount),
                                                 date=refund.due_date.isoformat()),
                    {"refund_id": refund.id, "request_id": req.id})
    db.session.flush()


def on_close(req):
    refund = _refund_of(req, lock=True)
    if refund is None or refund.status != "pending":
        return
    refund.status = "rejected"
    user = current_user_obj()
    with _default_locale():
        deals.event(refund.deal, "note", user, _("Refund %(number)s of %(amount)s not approved",
                                                 number=refund.number, amount=_yuan(refund.amount)),
                    {"refund_id": refund.id, "request_id": req.id})
    db.session.flush()


def describe(req):
    refund = _refund_of(req)
    p = req.payload or {}
    if refund is None:
        return [(_("Refund"), p.get("number")), (_("Amount"), _yuan(p.get("amount")))]
    deal = refund.deal
    rows = [(_("Refund"), refund.number), (_("Project"), deal.project.name), (_("Room"), deal.room.code),
            (_("Deal"), deal.contract_no or deal.subscription_no or "#%d" % deal.id),
            (_("Kind"), kind_label(refund.kind)), (_("Amount"), _yuan(refund.amount)),
            (_("Payee"), refund.payee or ""),
            (_("Received (valid receipts)"), _yuan(receipts.received_total(deal.id))),
            (_("Other refunds pending, approved or paid"), _yuan(counted_total(deal.id, except_id=refund.id))),
            (_("Reason"), refund.reason or ""), (_("Asked by"), approvals.display_name(req.requester))]
    return rows


def link(req):
    refund = _refund_of(req)
    if refund is None:
        return []
    return [(_("Open the refund"), "/finance/refunds/%d" % refund.id),
            (_("Open the payment page"), "/finance/deals/%d" % refund.deal_id)]


# ---------------------------------------------------------------- paying

def pay(refund, paid_on, method, reference=None, user=None):
    """Record that the approved refund was paid."""
    user = deals._user(user)
    if method not in RECEIPT_METHODS:
        raise BusinessError(_("Choose how the money was paid back."))
    paid_on = common.past_date(paid_on, _("refund date"))
    reference = common.text(reference, 60)
    with deals._acting(user):
        receipts._hold(refund.project_id)
        refund = (db.session.query(Refund).filter(Refund.id == refund.id).with_for_update(of=Refund)
                  .populate_existing().one())
        if refund.status == "paid":
            raise BusinessError(_("Refund %(number)s was paid already.", number=refund.number))
        if refund.status != "approved":
            raise BusinessError(_("Refund %(number)s is %(status)s; only an approved refund is paid.",
                                  number=refund.number, status=status_label(refund.status)))
        refund.status = "paid"
        refund.paid_on = paid_on
        refund.method = method
        refund.reference = reference
        refund.paid_by_id = getattr(user, "id", None)
        refund.paid_at = utcnow()
        if refund.deal_refund_id:
            row = db.session.get(DealRefund, refund.deal_refund_id)
            if row is not None:
                row.status = "refunded"
                row.refunded_at = refund.paid_at
        deals.event(refund.deal, "note", user, _("Refund %(number)s of %(amount)s paid (%(method)s)",
                                                 number=refund.number, amount=_yuan(refund.amount),
                                                 method=common.method_label(method)),
                    {"refund_id": refund.id, "amount": "%.2f" % refund.amount})
        db.session.commit()
    return refund


# ---------------------------------------------------------------- voiding a receipt

def check_void(receipt):
    """A receipt may stop counting only if what stays received still covers the refunds."""
    if receipt.status != "valid":
        return
    remaining = receipts.received_total(receipt.deal_id) - D(receipt.amount)
    promised = counted_total(receipt.deal_id)
    if remaining < promised:
        raise BusinessError(_("Receipt %(number)s cannot be voided: the %(left)s left received would be less than the "
                              "%(refunds)s of refunds pending, approved or paid on the deal.", number=receipt.number,
                              left=_yuan(remaining), refunds=_yuan(promised)))


def register():
    approvals.register_kind(KIND, _l("Refund"), apply=apply, approver_roles=(roles.MANAGER, roles.FINANCE),
                            describe=describe, validate=validate, on_close=on_close, link=link)
    from app.finance.services import events
    from app.sales.services import hooks
    if on_cancelled not in events.ON_CANCELLED:
        events.ON_CANCELLED.append(on_cancelled)
    if check_void not in receipts.VOID_CHECKS:
        receipts.VOID_CHECKS.append(check_void)
    hooks.provide("paid", paid_net)


def load_demo():
    """Demo: the sales history cancels a deal before finance keeps its receipts; its deposit is
    recorded as received at subscription (closed deposit receivable), so that its refund can be
    approved and paid in the demo."""
    from app.finance.models import ReceiptAllocation, Receivable
    user = current_app.appbuilder.sm.find_user(username="finance")
    rows = (db.session.query(Refund).filter(Refund.kind == "cancellation", Refund.status == "pending")
            .order_by(Refund.id).all())
    for refund in rows:
        deal = refund.deal
        if db.session.query(Receipt.id).filter(Receipt.deal_id == deal.id).first() is not None:
            continue
        amount = D(deal.deposit or deal.booking_amount or 0)
        if amount < refund.amount:
            continue
        deposit = (db.session.query(Receivable).filter(Receivable.deal_id == deal.id, Receivable.kind == "deposit")
                   .order_by(Receivable.id).first())
        seq = receipts._lock(deal.project_id)
        receipt = Receipt(project_id=deal.project_id, deal_id=deal.id, seq=seq, number=receipts.number_of(deal.project, seq),
                          amount=amount, unallocated=ZERO if deposit is not None else amount, method="transfer",
                          payer=receipts.default_payer(deal), paid_on=deal.subscribed_on or clock.local_today(),
                          source="desk", status="valid", cashier_id=getattr(user, "id", None), created_at=utcnow())
        db.session.add(receipt)
        db.session.flush()
        if deposit is not None:
            db.session.add(ReceiptAllocation(receipt_id=receipt.id, receivable_id=deposit.id, amount=amount))
            deposit.received = (deposit.received or ZERO) + amount
    db.session.commit()
    # The demo's refund went all the way: approved by the sales manager, paid back by finance.
    from app.core.context import acting_as
    sm = current_app.appbuilder.sm
    for refund in rows:
        db.session.refresh(refund)
        if refund.status != "pending" or refund.request_id is None or user is None:
            continue
        requester_id = db.session.get(ApprovalRequest, refund.request_id).requester_id
        manager = next((u for u in (sm.find_user(username="manager"), sm.find_user(username="admin"))
                        if u is not None and u.id != requester_id), None)
        if manager is None:
            continue
        with acting_as(manager):
            approvals.approve(refund.request_id, manager, "按退房约定退款")
        with acting_as(user):
            pay(db.session.get(Refund, refund.id), clock.local_today(), "transfer", reference="退款转账", user=user)


# ---------------------------------------------------------------- the refund slip (退款单)

PRINT_KIND = "refund_slip"
PRINT_PLACEHOLDERS = [
    ("project.name, .code", _l("The project")),
    ("refund.number, .kind, .amount, .payee, .reason, .status, .due_date, .paid_on, .method, .reference, "
     ".requested_by, .approved_by, .paid_by", _l("The refund")),
    ("deal.number, .room, .buyers", _l("The deal")),
    ("received, refunded", _l("What the deal received (valid receipts) and its refunds pending, approved or paid")),
]
SLIP_HTML = """<html>
<head>
<meta charset="utf-8">
<title>退款单 {{ refund.number }}</title>
<style>
  @page { margin: 1.2cm; }
  body { font-size: 10pt; color: #222222; }
  h1 { font-size: 16pt; text-align: center; margin: 0 0 4pt 0; }
  .sub { text-align: center; color: #555555; margin-bottom: 8pt; }
  table { width: 100%; border-collapse: collapse; }
  th, td { border: 0.5pt solid #888888; padding: 4pt 5pt; text-align: left; }
  th { background: #f2f2f2; width: 16%; }
  .num { text-align: right; }
  .sign td { border: none; padding-top: 18pt; }
</style>
</head>
<body>
<h1>退 款 单</h1>
<div class="sub">{{ project.name }} · 单号 {{ refund.number }}</div>
<table>
  <tr><th>房号</th><td>{{ deal.room }}</td><th>交易编号</th><td>{{ deal.number }}</td></tr>
  <tr><th>买受人</th><td>{{ deal.buyers }}</td><th>收款方</th><td>{{ refund.payee }}</td></tr>
  <tr><th>退款类型</th><td>{{ refund.kind }}</td><th>状态</th><td>{{ refund.status }}</td></tr>
  <tr><th>退款金额</th><td class="num"><b>{{ refund.amount|money }}</b></td><th>大写</th><td>人民币{{ refund.amount|amount_in_words }}</td></tr>
  <tr><th>已收合计</th><td class="num">{{ received|money }}</td><th>退款合计</th><td class="num">{{ refunded|money }}</td></tr>
  <tr><th>退款原因</th><td colspan="3">{{ refund.reason }}</td></tr>
  <tr><th>支付日期</th><td>{{ refund.paid_on|date if refund.paid_on else '' }}</td><th>支付方式</th><td>{{ refund.method }} {{ refund.reference }}</td></tr>
  <tr><th>申请人</th><td>{{ refund.requested_by }}</td><th>审批人</th><td>{{ refund.approved_by }}</td></tr>
</table>
<table class="sign"><tr><td>经办（财务）：{{ refund.paid_by }}</td><td>收款人签字：</td><td>日期：</td></tr></table>
<div id="page-footer">打印：{{ printed_by }} {{ now }}</div>
</body>
</html>
"""


def slip_sample_context():
    return {"project": {"name": "示例花园", "code": "SL-HY"},
            "deal": {"number": "SL-HY-RG-00001", "room": "1栋-1单元-1201", "buyers": "张三"},
            "refund": {"number": "SL-HY-TK-000001", "kind": "退房退款", "amount": D("45000.00"), "payee": "张三",
                       "reason": "贷款未获批，客户申请退房", "status": "已支付", "due_date": dt.date(2026, 12, 27),
                       "paid_on": dt.date(2026, 11, 27), "method": "银行转账", "reference": "工商银行 0091",
                       "requested_by": "林晓燕", "approved_by": "陈志明", "paid_by": "黄丽萍"},
            "received": D("50000.00"), "refunded": D("45000.00")}


def slip_context(refund):
    deal = refund.deal
    req = request_of(refund)
    return {"project": {"name": refund.project.name, "code": refund.project.code},
            "deal": {"number": deal.contract_no or deal.subscription_no or "#%d" % deal.id, "room": deal.room.code,
                     "buyers": receipts.default_payer(deal)},
            "refund": {"number": refund.number, "kind": kind_label(refund.kind), "amount": refund.amount,
                       "payee": refund.payee or "", "reason": refund.reason or "", "status": status_label(refund.status),
                       "due_date": refund.due_date, "paid_on": refund.paid_on,
                       "method": common.method_label(refund.method) if refund.method else "",
                       "reference": refund.reference or "",
                       "requested_by": approvals.display_name(req.requester) if req is not None else "",
                       "approved_by": approvals.display_name(req.decider) if req is not None and req.decider else "",
                       "paid_by": approvals.display_name(refund.paid_by) if refund.paid_by else ""},
            "received": receipts.received_total(deal.id), "refunded": counted_total(deal.id)}


def slip_record_context(pk):
    try:
        return slip_context(get_refund(pk))
    except BusinessError:
        return None


def render_slip(refund, template_id=None, printed_by=None):
    from app.printing import services as printing
    template = printing.choose_template(PRINT_KIND, template_id)
    full = printing.common_context(printed_by)
    full.update(slip_context(refund))
    return printing.render_pdf(template, full)


def register_print():
    from app.printing import services as printing
    printing.register_kind(PRINT_KIND, _l("Refund slip"), slip_sample_context, PRINT_PLACEHOLDERS,
                           record_context=slip_record_context, permission=("can_show", "RefundView"),
                           default_template={"name": "退款单", "html": SLIP_HTML, "paper": "a5_landscape",
                                             "description": "退款单：房号、买受人、退款金额（大写）、原因、审批与支付"})
