"""Adjustments (款项调整): a signed change of what one receivable asks (e.g. −120.50 to waive part of
a late fee), through the platform's approvals (kind `finance_adjustment`, approved by a 销售经理 —
never the requester). On approval the receivable's `adjusted` grows by the amount and the deal's
money is rebalanced (what was received beyond the new due moves on to the deal's other open
receivables, the rest becomes an advance payment). A waived late fee is an adjustment of the
late-fee receivable (the late-fee job rewrites only `amount`, never `adjusted`).

Refused: a zero amount, an adjustment that would make the receivable ask less than nothing, a
closed receivable, and a second pending adjustment of the same receivable."""
import decimal

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles
from app.core.context import current_user_obj
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import approvals
from app.extensions import db
from app.finance.models import Adjustment, Receivable
from app.finance.services import common, receipts, receivables
from app.finance.services.common import ZERO, D
from app.sales.services import deals

KIND = "finance_adjustment"
TARGET = "receivable"
STATUS_LABELS = {"pending": _l("Pending approval"), "approved": _l("Approved"), "rejected": _l("Rejected")}


class NotFound(BusinessError):
    """The receivable or adjustment does not exist or is not the user's to see (a 404)."""


def status_label(status):
    return str(STATUS_LABELS.get(status, status or ""))


def _yuan(value):
    return "¥{:,.2f}".format(D(value or 0))


def signed_yuan(value):
    value = D(value or 0)
    return ("+" if value > 0 else "−" if value < 0 else "") + "¥{:,.2f}".format(abs(value))


def _default_locale():
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh"))


def signed_money(value):
    """A signed amount in yuan to the fen, not zero (−120.50 lowers what is asked)."""
    message = _("Enter the adjustment as a signed amount of yuan, not zero, at most two decimals (−120.50 lowers "
                "what is asked).")
    try:
        text = str(value).replace(",", "").replace("¥", "").replace("￥", "").replace("−", "-").strip()
        value = D(text)
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise BusinessError(message)
    if not value.is_finite() or value == 0 or abs(value) >= common.MAX_AMOUNT or value != value.quantize(common.CENT):
        raise BusinessError(message)
    return value.quantize(common.CENT)


def get_receivable(receivable_id):
    return common.visible(Receivable, receivable_id, NotFound(_("There is no such receivable.")))


def pending_of(receivable_id):
    return (db.session.query(Adjustment).filter(Adjustment.receivable_id == receivable_id,
                                                Adjustment.status == "pending").first())


def of_deal(deal_id):
    return (db.session.query(Adjustment).filter(Adjustment.deal_id == deal_id)
            .order_by(Adjustment.created_at, Adjustment.id).all())


def of_receivable(receivable_id):
    return (db.session.query(Adjustment).filter(Adjustment.receivable_id == receivable_id)
            .order_by(Adjustment.created_at, Adjustment.id).all())


def _check(receivable, amount, except_id=None):
    if receivable.status != "open":
        raise BusinessError(_("%(label)s is closed; only an open receivable can be adjusted.", label=receivable.label))
    if receivable.due + amount < 0:
        raise BusinessError(_("%(label)s asks %(due)s; an adjustment of %(amount)s would make it ask less than "
                              "nothing.", label=receivable.label, due=_yuan(receivable.due),
                              amount=signed_yuan(amount)))
    pending = pending_of(receivable.id)
    if pending is not None and pending.id != except_id:
        raise BusinessError(_("An adjustment of %(label)s is already waiting for approval.", label=receivable.label))


def _locked(receivable_id):
    return (db.session.query(Receivable).filter(Receivable.id == receivable_id).with_for_update(of=Receivable)
            .populate_existing().one())


def request_adjustment(receivable, amount, reason, user=None):
    """Ask to change what the receivable asks by `amount` (signed). Returns the pending adjustment."""
    user = deals._user(user)
    if not isinstance(receivable, Receivable):
        receivable = get_receivable(receivable)
    else:
        deals.check_deal_visible(receivable.deal)
    amount = signed_money(amount)
    reason = common.text(reason)
    if not reason:
        raise BusinessError(_("Say why the amount is adjusted."))
    try:
        with deals._acting(user):
            receipts._hold(receivable.project_id)  # queue with the project's receipt steps
            receivable = _locked(receivable.id)
            _check(receivable, amount)
            adjustment = Adjustment(deal_id=receivable.deal_id, receivable_id=receivable.id, amount=amount,
                                    reason=reason, status="pending", created_by_id=getattr(user, "id", None),
                                    created_at=utcnow())
            db.session.add(adjustment)
            db.session.flush()
            deal = receivable.deal
            with _default_locale():
                summary = _("Adjustment of %(label)s of room %(room)s (%(project)s): %(amount)s, %(due)s → %(new)s",
                            label=receivable.label, room=deal.room.code, project=deal.project.name,
                            amount=signed_yuan(amount), due=_yuan(receivable.due), new=_yuan(receivable.due + amount))
            payload = {"adjustment_id": adjustment.id, "receivable_id": receivable.id, "deal_id": receivable.deal_id,
                       "amount": "%.2f" % amount}
    except BusinessError:
        db.session.rollback()
        raise
    req = approvals.submit(KIND, user, TARGET, receivable.id, payload, summary, reason)
    adjustment = db.session.get(Adjustment, payload["adjustment_id"])
    with deals._acting(user):
        adjustment.request_id = req.id
        deals.event(adjustment.receivable.deal, "note", user,
                    _("Adjustment of %(label)s by %(amount)s asked for (approval #%(id)d): %(reason)s",
                      label=adjustment.receivable.label, amount=signed_yuan(amount), id=req.id, reason=reason),
                    {"adjustment_id": adjustment.id, "request_id": req.id, "amount": "%.2f" % amount})
        db.session.commit()
    return adjustment


def validate(payload, requester):
    adjustment = db.session.get(Adjustment, int(payload.get("adjustment_id") or 0))
    if adjustment is None or adjustment.status != "pending":
        raise BusinessError(_("There is no such adjustment."))
    _check(adjustment.receivable, adjustment.amount, except_id=adjustment.id)
    return payload


def _adjustment_of(req, lock=False):
    try:
        adjustment_id = int((req.payload or {}).get("adjustment_id") or 0)
    except (TypeError, ValueError):
        adjustment_id = 0
    query = db.session.query(Adjustment).filter(Adjustment.id == adjustment_id)
    if lock:
        query = query.with_for_update(of=Adjustment)
    return query.populate_existing().one_or_none()


def apply(req):
    adjustment = _adjustment_of(req)
    if adjustment is None:
        raise BusinessError(_("There is no such adjustment."))
    receivable = db.session.get(Receivable, adjustment.receivable_id)
    receipts._hold(receivable.project_id)
    adjustment = _adjustment_of(req, lock=True)
    receivable = _locked(adjustment.receivable_id)
    if adjustment.status != "pending":
        raise BusinessError(_("This adjustment was decided already."))
    _check(receivable, adjustment.amount, except_id=adjustment.id)
    before = receivable.due
    receivable.adjusted = (receivable.adjusted or ZERO) + adjustment.amount
    adjustment.status = "approved"
    adjustment.decided_at = utcnow()
    db.session.flush()
    receivables.rebalance(receivable.deal_id)
    user = current_user_obj()
    deal = receivable.deal
    with _default_locale():
        deals.event(deal, "note", user, _("Adjustment of %(label)s by %(amount)s approved: %(due)s → %(new)s",
                                          label=receivable.label, amount=signed_yuan(adjustment.amount),
                                          due=_yuan(before), new=_yuan(before + adjustment.amount)),
                    {"adjustment_id": adjustment.id, "request_id": req.id})
    db.session.flush()


def on_close(req):
    adjustment = _adjustment_of(req, lock=True)
    if adjustment is None or adjustment.status != "pending":
        return
    adjustment.status = "rejected"
    adjustment.decided_at = utcnow()
    with _default_locale():
        deals.event(adjustment.receivable.deal, "note", current_user_obj(),
                    _("Adjustment of %(label)s by %(amount)s not approved", label=adjustment.receivable.label,
                      amount=signed_yuan(adjustment.amount)),
                    {"adjustment_id": adjustment.id, "request_id": req.id})
    db.session.flush()


def describe(req):
    adjustment = _adjustment_of(req)
    p = req.payload or {}
    if adjustment is None:
        return [(_("Amount"), signed_yuan(p.get("amount")))]
    r = adjustment.receivable
    deal = r.deal
    return [(_("Project"), deal.project.name), (_("Room"), deal.room.code),
            (_("Deal"), deal.contract_no or deal.subscription_no or "#%d" % deal.id),
            (_("Receivable"), r.label), (_("Scheduled"), _yuan(r.amount)),
            (_("Adjusted so far"), signed_yuan(r.adjusted)), (_("Received"), _yuan(r.received)),
            (_("Adjustment"), signed_yuan(adjustment.amount)),
            (_("Asks after the adjustment"), _yuan(r.due + adjustment.amount)),
            (_("Reason"), adjustment.reason), (_("Asked by"), approvals.display_name(req.requester))]


def link(req):
    adjustment = _adjustment_of(req)
    if adjustment is None:
        return []
    return [(_("Open the payment page"), "/finance/deals/%d" % adjustment.deal_id)]


def register():
    approvals.register_kind(KIND, _l("Adjustment of a receivable"), apply=apply, approver_roles=(roles.MANAGER,),
                            describe=describe, validate=validate, on_close=on_close, link=link)
