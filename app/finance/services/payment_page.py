"""What the payment page (房款页) of a deal, the receipt page and the receipts and receivables lists
show, read with a fixed number of queries whatever the number of rows (no query per row). Read
only: receiving, voiding and reissuing are app/finance/services/receipts.py."""
import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app.core import clock
from app.extensions import db
from app.finance.models import (RECEIPT_METHODS, RECEIPT_STATUSES, RECEIVABLE_KINDS, Adjustment, DunningAction,
                                MortgageCase, Receipt, ReceiptAllocation, Receivable, Refund)
from app.finance.services import receivables as rv
from app.finance.services.common import ZERO
from app.sales.models import Deal, DealBuyer
from app.sales.services import deals

PAGE_SIZE = 50
MAX_PAGE = 10000


def _receipts_query():
    return (db.session.query(Receipt)
            .options(joinedload(Receipt.cashier), joinedload(Receipt.voided_by),
                     selectinload(Receipt.allocations)))


def page(deal):
    """Everything the payment page shows of a deal."""
    today = clock.local_today()
    buyers = (db.session.query(DealBuyer).options(joinedload(DealBuyer.customer))
              .filter(DealBuyer.deal_id == deal.id).order_by(DealBuyer.position).all())
    rows = rv.of_deal(deal.id)
    receipts = (_receipts_query().filter(Receipt.deal_id == deal.id)
                .order_by(Receipt.paid_on, Receipt.seq).all())
    by_id = {r.id: r for r in receipts}
    replaced_by = {r.reissue_of_id: r for r in receipts if r.reissue_of_id}
    groups = []
    for flag in (False, True):
        items = [r for r in rows if bool(r.collected_for_others) == flag]
        groups.append({"fees": flag, "rows": items, "totals": _totals(items)})
    refunds = (db.session.query(Refund).filter(Refund.deal_id == deal.id).order_by(Refund.created_at, Refund.id).all())
    adjustments = (db.session.query(Adjustment).options(joinedload(Adjustment.receivable),
                                                         joinedload(Adjustment.created_by))
                   .filter(Adjustment.deal_id == deal.id).order_by(Adjustment.created_at, Adjustment.id).all())
    dunning = (db.session.query(DunningAction).options(joinedload(DunningAction.user))
               .filter(DunningAction.deal_id == deal.id).order_by(DunningAction.at.desc(), DunningAction.id.desc())
               .limit(20).all())
    mortgage = (db.session.query(MortgageCase).options(joinedload(MortgageCase.bank))
                .filter(MortgageCase.deal_id == deal.id).one_or_none())
    valid = [r for r in receipts if r.status == "valid"]
    return {
        "deal": deal, "buyers": buyers, "groups": groups, "receipts": receipts, "receipt_by_id": by_id,
        "replaced_by": replaced_by, "refunds": refunds, "adjustments": adjustments, "dunning": dunning,
        "mortgage": mortgage, "today": today,
        "overdue": {r.id for r in rows if is_overdue(r, today)},
        "received": sum((r.amount for r in valid), ZERO),
        "advance": sum((r.unallocated or ZERO for r in valid), ZERO),
    }


def _totals(items):
    out = {"amount": ZERO, "adjusted": ZERO, "due": ZERO, "received": ZERO, "outstanding": ZERO}
    for r in items:
        if r.status != "open":
            continue
        out["amount"] += r.amount or ZERO
        out["adjusted"] += r.adjusted or ZERO
        out["due"] += r.due
        out["received"] += r.received or ZERO
        out["outstanding"] += r.outstanding
    return out


def is_overdue(receivable, today=None):
    today = today or clock.local_today()
    return (receivable.status == "open" and receivable.outstanding > 0 and receivable.due_date is not None
            and receivable.due_date < today)


def receipt_detail(receipt):
    """The receipt's allocations (with their receivables) and the receipts it replaces / that replace it."""
    allocations = (db.session.query(ReceiptAllocation).options(joinedload(ReceiptAllocation.receivable))
                   .filter(ReceiptAllocation.receipt_id == receipt.id).order_by(ReceiptAllocation.id).all())
    replacement = db.session.query(Receipt).filter(Receipt.reissue_of_id == receipt.id).first()
    return {"allocations": allocations, "replacement": replacement, "replaces": receipt.reissue_of}


# ---------------------------------------------------------------- lists


def _int(value):
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2 ** 31 else None


def _day(value):
    try:
        return dt.date.fromisoformat((value or "").strip())
    except ValueError:
        return None


class Filters:
    """The filters of a list from the query string; anything unusable is ignored."""
    KEYS = ("project", "start", "end", "method", "cashier", "status", "q", "kind", "group", "overdue")

    def __init__(self, args):
        self.project = _int(args.get("project"))
        self.start = _day(args.get("start"))
        self.end = _day(args.get("end"))
        self.method = args.get("method") if args.get("method") in RECEIPT_METHODS else None
        self.cashier = _int(args.get("cashier"))
        self.status = args.get("status") if args.get("status") in RECEIPT_STATUSES else None
        self.q = (args.get("q") or "").strip()[:50]
        self.kind = args.get("kind") if args.get("kind") in RECEIVABLE_KINDS else None
        self.group = args.get("group") if args.get("group") in ("price", "fees") else None
        self.overdue = args.get("overdue") == "1"
        self.page = min(max(_int(args.get("page")) or 0, 0), MAX_PAGE)

    def args(self, **changes):
        values = {"project": self.project, "start": self.start.isoformat() if self.start else None,
                  "end": self.end.isoformat() if self.end else None, "method": self.method, "cashier": self.cashier,
                  "status": self.status, "q": self.q or None, "kind": self.kind, "group": self.group,
                  "overdue": "1" if self.overdue else None, "page": self.page or None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _scoped(query):
    """Only the deals the user may see (finance and managers see them all)."""
    return deals.visible_deals(query)


def _paged(query, filters, size=PAGE_SIZE):
    total = query.order_by(None).with_entities(sa.func.count()).scalar() or 0
    pages = max(1, -(-total // size))
    rows = query.limit(size).offset(min(filters.page, pages - 1) * size).all()
    return rows, total, pages


def receipts_query(filters):
    from app.inventory.models import Room
    query = (db.session.query(Receipt).join(Deal, Deal.id == Receipt.deal_id).join(Room, Room.id == Deal.room_id)
             .options(joinedload(Receipt.cashier), joinedload(Receipt.deal).joinedload(Deal.room)))
    query = _scoped(query)
    if filters.project:
        query = query.filter(Receipt.project_id == filters.project)
    if filters.start:
        query = query.filter(Receipt.paid_on >= filters.start)
    if filters.end:
        query = query.filter(Receipt.paid_on <= filters.end)
    if filters.method:
        query = query.filter(Receipt.method == filters.method)
    if filters.cashier:
        query = query.filter(Receipt.cashier_id == filters.cashier)
    if filters.status:
        query = query.filter(Receipt.status == filters.status)
    if filters.q:
        like = "%" + filters.q.replace("%", "").replace("_", "") + "%"
        conditions = [Room.code.like(like), Receipt.number.like(like), Receipt.payer.like(like),
                      Deal.contract_no.like(like), Deal.subscription_no.like(like)]
        if _int(filters.q):
            conditions.append(Receipt.deal_id == _int(filters.q))
        query = query.filter(sa.or_(*conditions))
    return query.order_by(Receipt.paid_on.desc(), Receipt.id.desc())


def receipts_page(filters):
    return _paged(receipts_query(filters), filters)


def receivables_query(filters):
    from app.inventory.models import Room
    query = (db.session.query(Receivable).join(Deal, Deal.id == Receivable.deal_id)
             .join(Room, Room.id == Deal.room_id)
             .options(joinedload(Receivable.deal).joinedload(Deal.room))
             .filter(Receivable.status == "open", Deal.state == "active"))
    query = _scoped(query)
    if filters.project:
        query = query.filter(Receivable.project_id == filters.project)
    if filters.kind:
        query = query.filter(Receivable.kind == filters.kind)
    if filters.group:
        query = query.filter(Receivable.collected_for_others.is_(filters.group == "fees"))
    if filters.overdue:
        query = query.filter(Receivable.due_date < clock.local_today(),
                             Receivable.amount + Receivable.adjusted > Receivable.received)
    if filters.q:
        like = "%" + filters.q.replace("%", "").replace("_", "") + "%"
        query = query.filter(sa.or_(Room.code.like(like), Receivable.label.like(like)))
    return query.order_by(Receivable.due_date.is_(None), Receivable.due_date, Receivable.id)


def receivables_page(filters):
    return _paged(receivables_query(filters), filters)


def cashiers():
    """Users who took money: [(id, name)] for the list's filter."""
    from flask_appbuilder.security.sqla.models import User
    ids = db.session.query(Receipt.cashier_id).filter(Receipt.cashier_id.isnot(None)).distinct()
    return [(u.id, user_name(u)) for u in db.session.query(User).filter(User.id.in_(ids)).order_by(User.id)]


def user_name(user):
    if user is None:
        return ""
    name = "%s%s" % (user.last_name or "", user.first_name or "")
    return name or user.username


def export(filters, limit=20000):
    """The receipts of the filters as an Excel workbook (bytes)."""
    import io

    from openpyxl import Workbook
    from flask_babel import gettext as _

    from app.finance.services import common
    from app.finance.services.receipts import status_label
    wb = Workbook()
    ws = wb.active
    ws.title = _("Receipts")[:31]
    ws.append([_("Receipt no."), _("Date"), _("Project"), _("Room"), _("Payer"), _("Amount"), _("Method"),
               _("Reference"), _("Cashier"), _("Status")])
    for r in receipts_query(filters).limit(limit):
        ws.append([r.number, r.paid_on, r.project.name, r.deal.room.code, r.payer, r.amount,
                   common.method_label(r.method), r.reference or "", user_name(r.cashier), status_label(r.status)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
