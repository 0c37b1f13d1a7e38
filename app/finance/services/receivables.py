"""Receivables (应收款) of a deal: made from the deal's payment schedule when it is subscribed and
made again, adjusted, when it is signed or moved to another room; closed when the deal is
cancelled. Money already received never disappears: when a receivable asks less than it has
received (or is dropped), the excess moves to the deal's other open receivables of the same group
(楼款 or 代收费用), oldest first, and what is left stays on its receipt as an advance payment."""
import sqlalchemy as sa

from app.core.models.base import utcnow
from app.extensions import db
from app.finance.models import Receipt, ReceiptAllocation, Receivable
from app.finance.services.common import ZERO, D

RECEIVABLE = Receivable.__table__


def schedule_key(row, seen):
    """A schedule row's key, stable between the subscription's and the contract's schedule: fees
    by name, the price's rows by kind and their order within the kind."""
    if row.get("collected_for_others"):
        return ("fee:" + row["label"])[:40]
    n = seen.get(row["kind"], 0)
    seen[row["kind"]] = n + 1
    return "%s:%d" % (row["kind"], n)


def of_deal(deal_id, include_closed=True, lock=False):
    query = db.session.query(Receivable).filter(Receivable.deal_id == deal_id)
    if not include_closed:
        query = query.filter(Receivable.status == "open")
    if lock:
        query = query.with_for_update()
    return query.order_by(Receivable.collected_for_others, Receivable.position, Receivable.id) \
        .populate_existing().all()


def sync_schedule(deal, rows):
    """Make the deal's receivables match its schedule (hooked to sales' "schedule" event)."""
    now = utcnow()
    existing = {r.schedule_key: r for r in of_deal(deal.id) if r.schedule_key and r.status == "open"}
    seen = {}
    kept = set()
    for row in rows:
        key = schedule_key(row, seen)
        amount = D(row["amount"]).quantize(D("0.01"))
        receivable = existing.get(key)
        position = row.get("position", 0) + (1000 if row.get("collected_for_others") else 0)
        if receivable is None:
            receivable = Receivable(project_id=deal.project_id, deal_id=deal.id, kind=row["kind"],
                                    label=row["label"][:100], collected_for_others=bool(row.get("collected_for_others")),
                                    position=position, schedule_key=key, amount=amount, adjusted=ZERO, received=ZERO,
                                    due_date=row.get("due_date"), status="open", created_at=now)
            db.session.add(receivable)
        else:
            kept.add(key)
            for name, value in (("label", row["label"][:100]), ("amount", amount), ("due_date", row.get("due_date")),
                                ("position", position), ("kind", row["kind"])):
                if getattr(receivable, name) != value:
                    setattr(receivable, name, value)
    for key, receivable in existing.items():
        if key not in kept:
            receivable.status = "closed"
            receivable.closed_at = now
    db.session.flush()
    rebalance(deal.id)
    apply_advances(deal.id)


def apply_advances(deal_id):
    """Advance payments (预收款) of the deal's valid receipts pay its open receivables, oldest first
    (e.g. a booking's money once the subscription's deposit is asked). Returns the amount applied."""
    advances = (db.session.query(Receipt).filter(Receipt.deal_id == deal_id, Receipt.status == "valid",
                                                 Receipt.unallocated > 0)
                .order_by(Receipt.paid_on, Receipt.seq).populate_existing().all())
    if not advances:
        return ZERO
    targets = payment_order([r for r in of_deal(deal_id, include_closed=False) if r.outstanding > 0])
    applied = ZERO
    for receipt in advances:
        for target in targets:
            if receipt.unallocated <= 0:
                break
            take = min(receipt.unallocated, target.outstanding)
            if take <= 0:
                continue
            db.session.add(ReceiptAllocation(receipt_id=receipt.id, receivable_id=target.id, amount=take))
            target.received = (target.received or ZERO) + take
            receipt.unallocated -= take
            applied += take
    db.session.flush()
    return applied


def close_all(deal, note=None):
    """The deal is cancelled: nothing more is owed (what was received stays recorded; refunds
    pay it back)."""
    now = utcnow()
    for receivable in of_deal(deal.id, include_closed=False):
        receivable.status = "closed"
        receivable.closed_at = now
        if note:
            receivable.note = note[:500]
    db.session.flush()


def _allocations_of(deal_id):
    """Valid allocations of the deal's receivables, newest first (the first to move)."""
    return (db.session.query(ReceiptAllocation).join(Receipt, Receipt.id == ReceiptAllocation.receipt_id)
            .join(Receivable, Receivable.id == ReceiptAllocation.receivable_id)
            .filter(Receivable.deal_id == deal_id, Receipt.status == "valid")
            .order_by(Receipt.paid_on.desc(), ReceiptAllocation.id.desc()).all())


def payment_order(receivables):
    """Oldest first: by due date (none last), late fees after the rest."""
    import datetime as dt
    far = dt.date(9999, 12, 31)
    return sorted(receivables, key=lambda r: (r.kind == "late_fee", r.due_date or far, r.position, r.id))


def rebalance(deal_id):
    """Move received money off receivables that ask less than they received (or are closed while
    the deal lives) onto open ones of the same group with something outstanding; the rest becomes
    its receipt's advance payment (unallocated). Receipts keep their amounts."""
    receivables = {r.id: r for r in of_deal(deal_id)}
    excess = {}
    for r in receivables.values():
        due = r.due if r.status == "open" else ZERO
        if (r.received or ZERO) > due:
            excess[r.id] = (r.received or ZERO) - due
    if not excess:
        return False
    freed = []  # (receipt_id, amount, group)
    for allocation in _allocations_of(deal_id):
        left = excess.get(allocation.receivable_id, ZERO)
        if left <= 0:
            continue
        take = min(left, allocation.amount)
        allocation.amount -= take
        excess[allocation.receivable_id] = left - take
        r = receivables[allocation.receivable_id]
        r.received = (r.received or ZERO) - take
        freed.append((allocation.receipt_id, take, r.collected_for_others))
    for receipt_id, amount, group in freed:
        targets = payment_order([r for r in receivables.values() if r.status == "open"
                                 and r.collected_for_others == group and r.outstanding > 0])
        for target in targets:
            if amount <= 0:
                break
            take = min(amount, target.outstanding)
            db.session.add(ReceiptAllocation(receipt_id=receipt_id, receivable_id=target.id, amount=take))
            target.received = (target.received or ZERO) + take
            amount -= take
        if amount > 0:
            db.session.execute(sa.update(Receipt.__table__).where(Receipt.id == receipt_id)
                               .values(unallocated=Receipt.__table__.c.unallocated + amount))
    db.session.flush()
    return True


def totals(receivables):
    """{group: {"due", "received", "outstanding"}} of open receivables, group False = 楼款, True = 代收费用."""
    out = {False: {"due": ZERO, "received": ZERO, "outstanding": ZERO},
           True: {"due": ZERO, "received": ZERO, "outstanding": ZERO}}
    for r in receivables:
        if r.status != "open":
            continue
        t = out[bool(r.collected_for_others)]
        t["due"] += r.due
        t["received"] += r.received or ZERO
        t["outstanding"] += r.outstanding
    return out
