"""Late fees (滞纳金): each overdue receivable's late fee, kept as its own receivable.

The rule (what every figure here follows):

* A receivable R is charged when it is open (status "open"), is not itself a late fee (kind
  "late_fee"; every other kind is charged, 楼款 and 代收费用 alike, the area settlement's extra
  payment included) and has a due date.
* T, the day computed through, is the office's today (`clock.local_today()`) — today-inclusive:
  the job at 01:10 already counts today as a day of delay, because a payment made today would
  have stopped it (see next point).
* The fee accrues for each day d with  due_date + grace_days < d ≤ T,  at the project's daily
  rate (FinanceSetting.late_fee_rate, e.g. 0.000500 = 0.05% a day; grace_days from the same row,
  defaults when the project has none), on the part of R still unpaid at the start of day d:
  unpaid(d) = max(0, R.amount + R.adjusted − Σ allocations to R of valid receipts with
  paid_on ≤ d). A receipt paid on day x counts from day x (day x itself is not charged for what
  it paid). Only valid receipts count (void and reissued ones do not; a reissued receipt's
  replacement counts with its own paid_on).
* fee = Σ_d rate × unpaid(d), rounded once at the end to the fen (ROUND_HALF_UP).
* The fee is a receivable of kind "late_fee": source_id = R.id, label "滞纳金（<R's label>）",
  collected_for_others = R's, due_date = T, computed_through = T, position = R's (it lists
  right after R). It is created the first time the fee is > 0; afterwards its `amount` is
  rewritten on every computation (never `adjusted`: a waiver is an approved adjustment). When R
  is paid in full the fee stops growing (frozen) and is not recomputed unless a receipt of the
  deal changes. A closed R (cancelled deal, dropped from the schedule) is not recomputed.
* Idempotent: the figure depends only on R, its receipts and T — running twice the same day, or
  once after missed days, gives the same amounts.

compute_all(today) finds, in one statement, only the receivables that can still change — open,
overdue beyond the grace days, with something unpaid — and those paid since their fee was last
computed; reads them with their allocations and fee rows in chunks of ids (3 statements a
chunk), computes in Python and writes the changed fee rows with one UPDATE per chunk and the new
ones with one executemany INSERT per chunk.
recompute_deal(deal) does the same for one deal through the ORM; it runs after every receipt,
void and reissue (receipts.AFTER_CHANGE)."""
import datetime as dt
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.core.models.base import utcnow
from app.core.services.notifications import default_language
from app.extensions import db
from app.finance.models import FinanceSetting, Receipt, ReceiptAllocation, Receivable
from app.finance.services import common, receivables as rv
from app.finance.services.common import CENT, ZERO, D

KIND = "late_fee"
DAY = dt.timedelta(days=1)
RECEIVABLE = Receivable.__table__
CHUNK = 5000


def fee_for(due, due_date, grace_days, rate, payments, through):
    """The late fee of one receivable through the day `through` (see the module's rule).
    due: amount + adjusted; payments: [(paid_on, amount)] of valid receipts' allocations."""
    if due_date is None or through is None:
        return ZERO
    first = due_date + dt.timedelta(days=int(grace_days or 0) + 1)  # first day charged
    if first > through:
        return ZERO
    due, rate = D(due), D(rate)
    pays = sorted((p, D(a)) for p, a in payments)
    paid, i, total, day = ZERO, 0, D(0), first
    while day <= through:
        while i < len(pays) and pays[i][0] <= day:
            paid += pays[i][1]
            i += 1
        unpaid = due - paid
        if unpaid <= 0 and i >= len(pays):
            break
        end = min(pays[i][0] - DAY, through) if i < len(pays) else through
        if unpaid > 0:
            total += rate * unpaid * ((end - day).days + 1)
        day = end + DAY
    return total.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def fee_label(label):
    with default_language():
        return _("Late fee (%(label)s)", label=label)[:100]


def _today(today):
    return today or clock.local_today()


# ---------------------------------------------------------------------------- one deal (ORM)

def recompute_deal(deal, today=None):
    """Compute the late fees of one deal's receivables (same transaction, flushed, not committed)."""
    today = _today(today)
    rows = rv.of_deal(deal.id)
    settings = common.settings_for(deal.project_id)
    fees = {r.source_id: r for r in rows if r.kind == KIND and r.source_id}
    sources = [r for r in rows if r.status == "open" and r.kind != KIND and r.due_date is not None]
    payments = _payments_of([r.id for r in sources])
    changed = False
    for r in sources:
        fee = fee_for(r.due, r.due_date, settings.grace_days, settings.late_fee_rate, payments.get(r.id, ()), today)
        row = fees.get(r.id)
        if row is None:
            if fee > 0:
                db.session.add(_new_fee(r, fee, today, utcnow()))
                changed = True
            continue
        if row.status != "open":
            continue
        if row.amount != fee or row.computed_through != today or row.due_date != today:
            row.amount = fee
            row.computed_through = today
            row.due_date = today
            changed = True
    if changed:
        db.session.flush()
        if any((f.received or ZERO) > f.due for f in fees.values() if f.status == "open"):
            rv.rebalance(deal.id)
    return changed


def _new_fee(r, fee, today, now):
    return Receivable(project_id=r.project_id, deal_id=r.deal_id, kind=KIND, label=fee_label(r.label),
                      collected_for_others=bool(r.collected_for_others), position=r.position, amount=fee,
                      adjusted=ZERO, received=ZERO, due_date=today, status="open", source_id=r.id,
                      computed_through=today, created_at=now)


def _payments_of(receivable_ids):
    """{receivable_id: [(paid_on, amount)]} of valid receipts (one query)."""
    out = {}
    if not receivable_ids:
        return out
    rows = db.session.execute(
        sa.select(ReceiptAllocation.receivable_id, Receipt.paid_on, ReceiptAllocation.amount)
        .join(Receipt, Receipt.id == ReceiptAllocation.receipt_id)
        .where(ReceiptAllocation.receivable_id.in_(receivable_ids), Receipt.status == "valid"))
    for rid, paid_on, amount in rows:
        out.setdefault(rid, []).append((paid_on, amount))
    return out


def after_receipt_change(deal):
    """receipts.AFTER_CHANGE: a receipt was added, voided or reissued — the deal's fees follow."""
    recompute_deal(deal)


# ---------------------------------------------------------------------------- every deal (bulk)

def _plus_days(date_col, days_col):
    """date + n days, in SQL (PostgreSQL: date + integer; SQLite: dates are ISO text)."""
    if db.engine.dialect.name == "postgresql":
        return date_col + days_col
    return sa.func.date(date_col, sa.literal("+") + sa.cast(days_col, sa.String) + sa.literal(" days"),
                        type_=sa.Date)


def _candidates(today):
    """The ids of the receivables whose fee can still change on `today`: open, overdue beyond the
    grace days, and either unpaid or paid since their fee was last computed (the last valid
    payment of each receivable comes from one grouped subquery, not a lookup per receivable)."""
    r = RECEIVABLE.alias("r")
    f = RECEIVABLE.alias("f")
    s = FinanceSetting.__table__.alias("s")
    a = ReceiptAllocation.__table__.alias("a")
    p = Receipt.__table__.alias("p")
    last = (sa.select(a.c.receivable_id.label("rid"), sa.func.max(p.c.paid_on).label("last_paid"))
            .select_from(a.join(p, p.c.id == a.c.receipt_id)).where(p.c.status == "valid")
            .group_by(a.c.receivable_id).subquery("lp"))
    grace = sa.func.coalesce(s.c.grace_days, 0)
    fee_open = sa.or_(f.c.id.is_(None), f.c.status == "open")
    paid_since = last.c.last_paid > sa.func.coalesce(f.c.computed_through, _plus_days(r.c.due_date, grace))
    query = (sa.select(r.c.id)
             .select_from(r.outerjoin(s, s.c.project_id == r.c.project_id)
                          .outerjoin(f, sa.and_(f.c.source_id == r.c.id, f.c.kind == KIND))
                          .outerjoin(last, last.c.rid == r.c.id))
             .where(r.c.status == "open", r.c.kind != KIND, r.c.due_date.isnot(None),
                    _plus_days(r.c.due_date, grace) < today, fee_open,
                    sa.or_(r.c.amount + r.c.adjusted - r.c.received > 0, paid_since)))
    return [rid for (rid,) in db.session.execute(query)]


def compute_all(today=None):
    """Compute every late fee that can change on `today` (default: the office's today); commit.
    The candidates are found once, then read in chunks (3 queries per chunk of ids).
    Returns {"checked", "updated", "created"}."""
    today = _today(today)
    candidates = _candidates(today)
    r = RECEIVABLE
    a, p = ReceiptAllocation.__table__, Receipt.__table__
    now = utcnow()
    updates, inserts, rebalance, labels = [], [], set(), {}
    settings = {}
    checked = 0
    for start in range(0, len(candidates), CHUNK):
        ids = candidates[start:start + CHUNK]
        sources = db.session.execute(
            sa.select(r.c.id, r.c.project_id, r.c.deal_id, r.c.label, r.c.collected_for_others, r.c.position,
                      r.c.amount, r.c.adjusted, r.c.due_date).where(r.c.id.in_(ids))).all()
        payments = {}
        for rid, paid_on, amount in db.session.execute(
                sa.select(a.c.receivable_id, p.c.paid_on, a.c.amount).select_from(a.join(p, p.c.id == a.c.receipt_id))
                .where(a.c.receivable_id.in_(ids), p.c.status == "valid")):
            payments.setdefault(rid, []).append((paid_on, amount))
        fees = {row.source_id: row for row in db.session.execute(
            sa.select(r.c.id, r.c.source_id, r.c.amount, r.c.adjusted, r.c.received, r.c.computed_through,
                      r.c.deal_id).where(r.c.kind == KIND, r.c.source_id.in_(ids)))}
        missing = {s.project_id for s in sources} - set(settings)
        if missing:
            settings.update(common.settings_by_project(missing))
        checked += len(sources)
        for s in sources:
            setting = settings[s.project_id]
            fee = fee_for((s.amount or ZERO) + (s.adjusted or ZERO), s.due_date, setting.grace_days,
                          setting.late_fee_rate, payments.get(s.id, ()), today)
            row = fees.get(s.id)
            if row is None:
                if fee > 0:
                    inserts.append({"project_id": s.project_id, "deal_id": s.deal_id, "kind": KIND,
                                    "label": labels.get(s.label) or labels.setdefault(s.label, fee_label(s.label)),
                                    "collected_for_others": bool(s.collected_for_others),
                                    "position": s.position, "schedule_key": None, "amount": fee, "adjusted": ZERO,
                                    "received": ZERO, "due_date": today, "status": "open", "source_id": s.id,
                                    "computed_through": today, "note": None, "created_at": now, "closed_at": None})
                continue
            if row.amount != fee or row.computed_through != today:
                updates.append({"_id": row.id, "_amount": fee, "_day": today})
                if (row.received or ZERO) > fee + (row.adjusted or ZERO):
                    rebalance.add(row.deal_id)
    _write(updates, inserts)
    for deal_id in sorted(rebalance):  # a fee now below what it received (a back-dated receipt): rare
        rv.rebalance(deal_id)
    db.session.commit()
    return {"checked": checked, "updated": len(updates), "created": len(inserts)}


def _write(updates, inserts):
    """The changed fees (one UPDATE … FROM (VALUES …) per chunk on PostgreSQL, executemany
    elsewhere) and the new ones (multi-row INSERTs)."""
    r = RECEIVABLE
    if db.engine.dialect.name == "postgresql":
        for start in range(0, len(updates), CHUNK):
            chunk = updates[start:start + CHUNK]
            v = sa.values(sa.column("vid", sa.Integer), sa.column("vamount", sa.Numeric(14, 2)),
                          sa.column("vday", sa.Date), name="v").data(
                [(u["_id"], u["_amount"], u["_day"]) for u in chunk])
            db.session.execute(r.update().where(r.c.id == v.c.vid)
                               .values(amount=v.c.vamount, due_date=v.c.vday, computed_through=v.c.vday))
    else:
        for start in range(0, len(updates), CHUNK):
            db.session.execute(r.update().where(r.c.id == sa.bindparam("_id"))
                               .values(amount=sa.bindparam("_amount"), due_date=sa.bindparam("_day"),
                                       computed_through=sa.bindparam("_day")),
                               updates[start:start + CHUNK])
    for start in range(0, len(inserts), CHUNK):
        db.session.execute(r.insert(), inserts[start:start + CHUNK])


def job():
    """The daily job finance_late_fees."""
    result = compute_all()
    return "%(checked)d receivables checked, %(updated)d late fees updated, %(created)d created" % result


def register(first):
    from flask_babel import lazy_gettext as _l
    from app.finance.services import receipts
    from app.jobs.services import register_job

    if after_receipt_change not in receipts.AFTER_CHANGE:
        receipts.AFTER_CHANGE.append(after_receipt_change)
    register_job("finance_late_fees", job, cron="10 1 * * *", label=_l("Compute late fees"))
