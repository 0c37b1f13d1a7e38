"""Receiving money (收款): a receipt with a gapless number per project, allocated to the deal's
receivables (oldest first, or by hand); voiding (作废, the number stays) and reissuing (换发, a new
receipt referencing the old). Receipts are never deleted.

Concurrency: every receipt step first takes the project's receipt counter (numbering's UPDATE …
RETURNING), which holds that row's lock (PostgreSQL) or the write lock (SQLite) to the end of the
transaction; the deal's receivables are read after it, so two cashiers receiving on the same
deal at the same instant are served one after the other, each with its own number and the
balances the other left. Void and reissue lock the receipt's project counter the same way."""
import decimal

from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import numbering
from app.extensions import db
from app.finance.models import RECEIPT_METHODS, RECEIPT_SOURCES, Receipt, ReceiptAllocation, Receivable
from app.finance.services import common, receivables as rv
from app.finance.services.common import ZERO, D
from app.sales.services import deals

SCOPE = "receipt"
RECEIVING_STAGES = ("booked", "subscribed", "signed")


class NotFound(BusinessError):
    """The receipt does not exist or is not the user's to see (a 404)."""


def number_of(project, seq):
    return "%s-SK-%06d" % (project.code, seq)


def _lock(project_id):
    """Take the project's receipt counter: the lock every receipt step of the project queues on."""
    return numbering.next_number(SCOPE, project_id)


def _hold(project_id):
    """Queue with the project's other receipt steps without taking a number."""
    numbering.hold(SCOPE, project_id)


def get_receipt(receipt_id, user=None):
    return common.visible(Receipt, receipt_id, NotFound(_("There is no such receipt.")))


def default_payer(deal):
    return "、".join(b.customer.name for b in deal.buyers) or (deal.customer.name if deal.customer else "")


def _parse_allocations(deal, allocations, open_rows):
    """{receivable_id: amount} typed by hand → [(receivable, amount)]; refuses other deals' rows."""
    by_id = {r.id: r for r in open_rows}
    out = []
    for key, value in (allocations or {}).items():
        if value in (None, "", 0, "0"):
            continue
        try:
            rid = int(key)
        except (TypeError, ValueError):
            raise BusinessError(_("Choose the receivables to pay from this deal's list."))
        receivable = by_id.get(rid)
        if receivable is None:
            other = db.session.get(Receivable, rid) if 0 < rid < 2 ** 31 else None
            if other is not None and other.deal_id != deal.id:
                raise BusinessError(_("Receivable #%(id)d belongs to another deal; a receipt pays only its own "
                                      "deal's receivables.", id=rid))
            raise BusinessError(_("Receivable #%(id)d is not open on this deal.", id=rid))
        amount = common.money(value, _("Enter each allocated amount as a number of yuan greater than 0."))
        if amount > receivable.outstanding:
            raise BusinessError(_("%(label)s has %(left)s outstanding; %(amount)s cannot be allocated to it.",
                                  label=receivable.label, left=_yuan(receivable.outstanding), amount=_yuan(amount)))
        out.append((receivable, amount))
    return out


def _yuan(value):
    return "¥{:,.2f}".format(D(value))


def plan_allocation(open_rows, amount, group=None):
    """Oldest first: [(receivable, amount)] and the rest not allocated. group: None (all), False
    (楼款 only) or True (代收费用 only)."""
    out = []
    left = amount
    for r in rv.payment_order([r for r in open_rows if r.outstanding > 0
                               and (group is None or r.collected_for_others == group)]):
        if left <= 0:
            break
        take = min(left, r.outstanding)
        out.append((r, take))
        left -= take
    return out, left


def receive(deal, amount, method, paid_on=None, payer=None, reference=None, allocations=None, group=None,
            advance=False, note=None, user=None, source="desk", commit=True):
    """Record money received on the deal. allocations: {receivable_id: amount} by hand, else oldest
    first (within `group` if given). What is not allocated needs advance=True (kept as an advance
    payment on the receipt). Returns the receipt."""
    user = deals._user(user)
    if deal.state != "active" or deal.stage not in RECEIVING_STAGES:
        raise BusinessError(_("Money is received only on a booked, subscribed or signed deal in progress."))
    amount = common.money(amount)
    if method not in RECEIPT_METHODS:
        raise BusinessError(_("Choose how the money was paid."))
    if source not in RECEIPT_SOURCES:
        raise BusinessError(_("Unknown receipt source."))
    paid_on = common.past_date(paid_on, _("payment date"), default=common.clock.local_today())
    payer = common.text(payer, 100) or default_payer(deal)
    with deals._acting(user):
        seq = _lock(deal.project_id)
        open_rows = rv.of_deal(deal.id, include_closed=False)
        if allocations:
            planned = _parse_allocations(deal, allocations, open_rows)
            left = amount - sum((a for _r, a in planned), ZERO)
            if left < 0:
                raise BusinessError(_("The allocations add up to %(sum)s, more than the %(amount)s received.",
                                      sum=_yuan(amount - left), amount=_yuan(amount)))
        else:
            planned, left = plan_allocation(open_rows, amount, group)
        if left > 0 and not advance:
            owed = sum((r.outstanding for r in open_rows if r.outstanding > 0
                        and (group is None or allocations or r.collected_for_others == group)), ZERO)
            raise BusinessError(_("%(amount)s is more than the %(owed)s outstanding: say that the %(left)s surplus "
                                  "is an advance payment, or receive less.", amount=_yuan(amount), owed=_yuan(owed),
                                  left=_yuan(left)))
        receipt = Receipt(project_id=deal.project_id, deal_id=deal.id, seq=seq, number=number_of(deal.project, seq),
                          amount=amount, unallocated=left, method=method, payer=payer,
                          paid_on=paid_on, reference=common.text(reference, 60), note=common.text(note),
                          source=source, status="valid", cashier_id=getattr(user, "id", None), created_at=utcnow())
        db.session.add(receipt)
        db.session.flush()
        for receivable, part in planned:
            db.session.add(ReceiptAllocation(receipt_id=receipt.id, receivable_id=receivable.id, amount=part))
            receivable.received = (receivable.received or ZERO) + part
        deals.event(deal, "note", user, _("Receipt %(number)s: %(amount)s received (%(method)s)",
                                          number=receipt.number, amount=_yuan(amount),
                                          method=common.method_label(method)),
                    {"receipt_id": receipt.id, "amount": "%.2f" % amount})
        db.session.flush()
        _after_change(deal)
        deals._finish(commit)
    return receipt


def _after_change(deal):
    """Late fees follow what was paid when (finance.services.late_fees registers itself)."""
    for fn in AFTER_CHANGE:
        fn(deal)


# Functions called with the deal after a receipt is added, voided or reissued (same transaction).
AFTER_CHANGE = []


def void(receipt, reason, user=None, commit=True):
    """作废: the receipt stops counting (its number stays, marked void); what it paid is owed again."""
    user = deals._user(user)
    reason = common.text(reason)
    if not reason:
        raise BusinessError(_("Say why the receipt is voided."))
    with deals._acting(user):
        _hold(receipt.project_id)
        db.session.refresh(receipt)
        if receipt.status != "valid":
            raise BusinessError(_("Receipt %(number)s is %(status)s already; only a valid receipt can be voided.",
                                  number=receipt.number, status=status_label(receipt.status)))
        _check_refunds_allow(receipt)
        _take_back(receipt)
        receipt.status = "void"
        receipt.void_reason = reason
        receipt.voided_by_id = getattr(user, "id", None)
        receipt.voided_at = utcnow()
        deals.event(receipt.deal, "note", user, _("Receipt %(number)s voided: %(reason)s", number=receipt.number,
                                                  reason=reason), {"receipt_id": receipt.id})
        db.session.flush()
        _after_change(receipt.deal)
        deals._finish(commit)
    return receipt


def _take_back(receipt):
    for allocation in receipt.allocations:
        r = db.session.query(Receivable).filter(Receivable.id == allocation.receivable_id).populate_existing().one()
        r.received = (r.received or ZERO) - allocation.amount


# Checks that a receipt may stop counting (refunds register one: not below what was refunded).
VOID_CHECKS = []


def _check_refunds_allow(receipt):
    for fn in VOID_CHECKS:
        fn(receipt)


def reissue(receipt, reason, payer=None, method=None, paid_on=None, reference=None, user=None, commit=True):
    """换发: a new receipt (new number) replaces the old one, with the same amount and allocations and
    the corrected payer, method, date or reference; the old one is marked reissued."""
    user = deals._user(user)
    reason = common.text(reason)
    if not reason:
        raise BusinessError(_("Say why the receipt is reissued."))
    if method not in (None, "") and method not in RECEIPT_METHODS:
        raise BusinessError(_("Choose how the money was paid."))
    paid_on = common.past_date(paid_on, _("payment date"), default=receipt.paid_on)
    with deals._acting(user):
        seq = _lock(receipt.project_id)
        db.session.refresh(receipt)
        if receipt.status != "valid":
            raise BusinessError(_("Receipt %(number)s is %(status)s; only a valid receipt can be reissued.",
                                  number=receipt.number, status=status_label(receipt.status)))
        new = Receipt(project_id=receipt.project_id, deal_id=receipt.deal_id, seq=seq,
                      number=number_of(receipt.project, seq), amount=receipt.amount, unallocated=receipt.unallocated,
                      method=method or receipt.method, payer=common.text(payer, 100) or receipt.payer,
                      paid_on=paid_on, reference=common.text(reference, 60) or receipt.reference,
                      note=reason, source=receipt.source, status="valid", cashier_id=getattr(user, "id", None),
                      created_at=utcnow(), reissue_of_id=receipt.id)
        db.session.add(new)
        db.session.flush()
        for allocation in receipt.allocations:
            if allocation.amount:
                db.session.add(ReceiptAllocation(receipt_id=new.id, receivable_id=allocation.receivable_id,
                                                 amount=allocation.amount))
        receipt.status = "reissued"
        receipt.void_reason = reason
        receipt.voided_by_id = getattr(user, "id", None)
        receipt.voided_at = utcnow()
        deals.event(receipt.deal, "note", user, _("Receipt %(old)s reissued as %(new)s: %(reason)s", old=receipt.number,
                                                  new=new.number, reason=reason),
                    {"receipt_id": new.id, "reissue_of": receipt.id})
        db.session.flush()
        if new.paid_on != receipt.paid_on:
            _after_change(receipt.deal)
        deals._finish(commit)
    return new


def status_label(status):
    return str(common.RECEIPT_STATUS_LABELS.get(status, status))


def of_deal(deal_id):
    return (db.session.query(Receipt).filter(Receipt.deal_id == deal_id)
            .order_by(Receipt.paid_on, Receipt.seq).all())


def received_total(deal_id):
    """What valid receipts of the deal brought in (楼款, 代收费用 and advance payments together)."""
    import sqlalchemy as sa
    value = db.session.query(sa.func.coalesce(sa.func.sum(Receipt.amount), 0)).filter(
        Receipt.deal_id == deal_id, Receipt.status == "valid").scalar()
    return D(value or 0).quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP)
