"""Arrears (欠款): the deals whose buyers owe overdue money, one row per deal.

Overdue: an open receivable that is not a late fee, due before today (a receivable due today is
not overdue yet), with something outstanding (amount + adjusted − received > 0). 楼款 and 代收费用
are summed apart; late fees (their outstanding) are a column of their own and count towards the
total owed, but a deal appears only when it has overdue 楼款 or 代收费用. Days overdue = today −
the oldest overdue due date.

The list is one aggregate over the open receivables (grouped by deal, with the filters in HAVING)
joined to the deal, its project, room and salesperson — a count and one page of rows — then the
page's buyers and last dunning actions: four queries whatever the number of deals."""
import dataclasses
import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.finance.models import DunningAction, Receivable
from app.finance.services.common import ZERO, D
from app.inventory.models import Project, Room
from app.org.models import Employee
from app.sales.models import Deal, DealBuyer
from app.sales.services import deals

PAGE_SIZE = 50
MAX_EXPORT = 20000
TYPES = {"price": _l("Property price"), "fees": _l("Collected for others")}
SORTS = {
    "total": _l("Overdue amount"), "days": _l("Days overdue"), "late_fee": _l("Late fees"),
    "room": _l("Room"), "promised": _l("Promised date"),
}
R = Receivable.__table__


@dataclasses.dataclass
class Filters:
    project_id: int = None
    min_days: int = None
    min_amount: D = None
    type: str = None          # None (both), "price" (楼款) or "fees" (代收费用)
    sort: str = "total"
    descending: bool = True
    page: int = 0


def _whole(value, what, low=0, high=100000):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BusinessError(_("Enter the %(what)s as a whole number.", what=what))
    if number < low or number > high:
        raise BusinessError(_("Enter the %(what)s as a whole number.", what=what))
    return number


def parse_filters(values):
    """Filters from request values (a dict-like); BusinessError on bad input."""
    f = Filters()
    f.project_id = _whole(values.get("project"), _("project"), 1, 2 ** 31 - 1)
    f.min_days = _whole(values.get("days"), _("minimum days overdue"))
    amount = values.get("amount")
    if amount not in (None, ""):
        from app.finance.services.common import money
        f.min_amount = money(amount, _("Enter the minimum amount as a number of yuan."), allow_zero=True)
    kind = values.get("type") or None
    if kind is not None and kind not in TYPES:
        raise BusinessError(_("Choose the type: property price or collected for others."))
    f.type = kind
    sort = values.get("sort") or "total"
    f.sort = sort if sort in SORTS else "total"
    f.descending = (values.get("dir") or ("asc" if f.sort in ("room", "promised") else "desc")) != "asc"
    f.page = _whole(values.get("page"), _("page"), 0, 10 ** 6) or 0
    return f


def _outstanding():
    return R.c.amount + R.c.adjusted - R.c.received


def _sum_if(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, _outstanding()), else_=0)), 0)


def aggregate(today, project_id=None, deal_ids=None):
    """Per deal: overdue 楼款, overdue 代收费用, late fees and the oldest overdue due date (of each group)."""
    overdue = sa.and_(R.c.kind != "late_fee", R.c.due_date < today)
    query = (sa.select(R.c.deal_id.label("deal_id"),
                       _sum_if(sa.and_(overdue, R.c.collected_for_others.is_(False))).label("overdue_price"),
                       _sum_if(sa.and_(overdue, R.c.collected_for_others.is_(True))).label("overdue_fees"),
                       _sum_if(R.c.kind == "late_fee").label("late_fees"),
                       sa.func.min(sa.case((sa.and_(overdue, R.c.collected_for_others.is_(False)), R.c.due_date)))
                       .label("oldest_price"),
                       sa.func.min(sa.case((sa.and_(overdue, R.c.collected_for_others.is_(True)), R.c.due_date)))
                       .label("oldest_fees"))
             .where(R.c.status == "open", _outstanding() > 0,
                    sa.or_(R.c.kind == "late_fee", R.c.due_date < today))
             .group_by(R.c.deal_id))
    if project_id is not None:
        query = query.where(R.c.project_id == project_id)
    if deal_ids is not None:
        query = query.where(R.c.deal_id.in_(list(deal_ids) or [0]))
    return query


def _measures(agg, kind):
    """(overdue amount, oldest due date) of the chosen type."""
    if kind == "price":
        return agg.c.overdue_price, agg.c.oldest_price
    if kind == "fees":
        return agg.c.overdue_fees, agg.c.oldest_fees
    oldest = sa.case((agg.c.oldest_price.is_(None), agg.c.oldest_fees),
                     (agg.c.oldest_fees.is_(None), agg.c.oldest_price),
                     (agg.c.oldest_price < agg.c.oldest_fees, agg.c.oldest_price), else_=agg.c.oldest_fees)
    return agg.c.overdue_price + agg.c.overdue_fees, oldest


def _last_action_subquery():
    d = DunningAction.__table__
    latest = (sa.select(d.c.deal_id, sa.func.max(d.c.id).label("last_id")).group_by(d.c.deal_id).subquery("ld"))
    return latest


def query(filters, today=None):
    """The ORM query of the rows (not paged, not ordered)."""
    today = today or clock.local_today()
    agg = aggregate(today, filters.project_id).subquery("agg")
    amount, oldest = _measures(agg, filters.type)
    d = DunningAction.__table__
    latest = _last_action_subquery()
    q = (db.session.query(Deal.id.label("deal_id"), Deal.project_id, Project.name.label("project"),
                          Room.code.label("room"), Employee.name.label("salesperson"),
                          agg.c.overdue_price, agg.c.overdue_fees, agg.c.late_fees, amount.label("overdue"),
                          oldest.label("oldest"), d.c.method.label("last_method"), d.c.at.label("last_at"),
                          d.c.promised_on.label("promised_on"))
         .select_from(Deal)
         .join(agg, agg.c.deal_id == Deal.id)
         .join(Project, Project.id == Deal.project_id)
         .join(Room, Room.id == Deal.room_id)
         .outerjoin(Employee, Employee.id == Deal.employee_id)
         .outerjoin(latest, latest.c.deal_id == Deal.id)
         .outerjoin(d, d.c.id == latest.c.last_id)
         .filter(Deal.state == "active", amount > 0))
    if filters.min_days:
        q = q.filter(oldest <= today - dt.timedelta(days=filters.min_days))
    if filters.min_amount is not None:
        q = q.filter(amount >= filters.min_amount)
    return deals.visible_deals(q), {"amount": amount, "oldest": oldest, "late": agg.c.late_fees,
                                    "promised": d.c.promised_on}


def _order(q, filters, cols):
    amount, oldest = cols["amount"], cols["oldest"]
    direction = (lambda c: c.desc()) if filters.descending else (lambda c: c.asc())
    if filters.sort == "days":
        # days overdue grows as the oldest date gets older: descending days = ascending date
        keys = [oldest.asc() if filters.descending else oldest.desc()]
    elif filters.sort == "late_fee":
        keys = [direction(cols["late"])]
    elif filters.sort == "room":
        keys = [direction(Project.name), direction(Room.code)]
    elif filters.sort == "promised":
        keys = [direction(cols["promised"])]
    else:
        keys = [direction(amount)]
    return q.order_by(*keys, Deal.id)


@dataclasses.dataclass
class Row:
    deal_id: int
    project_id: int
    project: str
    room: str
    salesperson: str
    overdue_price: D
    overdue_fees: D
    late_fees: D
    overdue: D
    oldest: dt.date
    days: int
    last_method: str
    last_at: dt.datetime
    promised_on: dt.date
    buyers: list = dataclasses.field(default_factory=list)  # [(name, phone as the user may see it)]

    @property
    def total(self):
        return self.overdue + self.late_fees


def _rows(records, today):
    out = []
    for r in records:
        out.append(Row(deal_id=r.deal_id, project_id=r.project_id, project=r.project, room=r.room,
                       salesperson=r.salesperson or "", overdue_price=_money(r.overdue_price),
                       overdue_fees=_money(r.overdue_fees), late_fees=_money(r.late_fees), overdue=_money(r.overdue),
                       oldest=_date(r.oldest), days=(today - _date(r.oldest)).days if r.oldest else 0,
                       last_method=r.last_method, last_at=r.last_at, promised_on=r.promised_on))
    _add_buyers(out)
    return out


def _money(value):
    return D(value or 0).quantize(D("0.01"))


def _date(value):
    if isinstance(value, str):  # SQLite answers a CASE over dates as text
        return dt.date.fromisoformat(value[:10])
    return value


def _add_buyers(rows):
    """The buyers' names and phones (masked unless the user may see personal data in full)."""
    from app.core.personal_data import shown
    from app.crm.models import Customer
    if not rows:
        return
    by_deal = {r.deal_id: r for r in rows}
    for deal_id, name, phone in (db.session.query(DealBuyer.deal_id, Customer.name, Customer.phone)
                                 .join(Customer, Customer.id == DealBuyer.customer_id)
                                 .filter(DealBuyer.deal_id.in_(list(by_deal)))
                                 .order_by(DealBuyer.deal_id, DealBuyer.position, DealBuyer.id)):
        by_deal[deal_id].buyers.append((name, shown(phone)))


def page(filters, today=None, page_size=PAGE_SIZE):
    """(rows of the page, total count, page count)."""
    today = today or clock.local_today()
    q, cols = query(filters, today)
    # The count comes with the page (a window over the same aggregate), not from a second pass;
    # only a page past the end asks again.
    counted = _order(q.add_columns(sa.func.count().over().label("total_count")), filters, cols)
    records = counted.offset(filters.page * page_size).limit(page_size).all()
    if records:
        count = records[0].total_count
    elif filters.page:
        count = q.order_by(None).count()
    else:
        count = 0
    pages = max(1, -(-count // page_size))
    number = min(filters.page, pages - 1)
    if number != filters.page:
        filters.page = number
        records = counted.offset(number * page_size).limit(page_size).all()
    return _rows(records, today), count, pages


def all_rows(filters, today=None, limit=MAX_EXPORT):
    today = today or clock.local_today()
    q, cols = query(filters, today)
    return _rows(_order(q, filters, cols).limit(limit).all(), today)


def rows_of(deal_ids, today=None):
    """The arrears rows of the given deals (those with something overdue, in the user's scope)."""
    today = today or clock.local_today()
    q, cols = query(Filters(), today)
    q = q.filter(Deal.id.in_(list(deal_ids) or [0]))
    return _rows(_order(q, Filters(), cols).all(), today)


def overdue_of(deal_id, today=None):
    """{"price", "fees", "late_fees", "total"} overdue on one deal now."""
    today = today or clock.local_today()
    row = db.session.execute(aggregate(today, deal_ids=[deal_id])).first()
    if row is None:
        return {"price": ZERO, "fees": ZERO, "late_fees": ZERO, "total": ZERO}
    price, fees, late = _money(row.overdue_price), _money(row.overdue_fees), _money(row.late_fees)
    return {"price": price, "fees": fees, "late_fees": late, "total": price + fees + late}


def overdue_items(deal_id, today=None):
    """The deal's overdue receivables and unpaid late fees (for the notice and the deal's page)."""
    today = today or clock.local_today()
    rows = (db.session.query(Receivable).filter(Receivable.deal_id == deal_id, Receivable.status == "open")
            .order_by(Receivable.collected_for_others, Receivable.position, Receivable.id).all())
    out = []
    for r in rows:
        if r.outstanding <= 0:
            continue
        if r.kind == "late_fee" or (r.due_date is not None and r.due_date < today):
            out.append({"id": r.id, "label": r.label, "kind": r.kind, "due_date": r.due_date,
                        "collected_for_others": bool(r.collected_for_others), "due": r.due,
                        "received": r.received, "outstanding": r.outstanding,
                        "days": (today - r.due_date).days if r.kind != "late_fee" and r.due_date else None})
    return out


def export_rows(rows):
    """Header and rows for Excel."""
    from app.finance.services.dunning import method_label
    headers = [_("Project"), _("Room"), _("Buyers"), _("Phone"), _("Salesperson"), _("Overdue property price"),
               _("Overdue fees collected for others"), _("Late fees"), _("Total owed"), _("Oldest due date"),
               _("Days overdue"), _("Last dunning"), _("Promised date")]
    data = []
    for r in rows:
        data.append([r.project, r.room, "、".join(n for n, _p in r.buyers), "、".join(p for _n, p in r.buyers if p),
                     r.salesperson, r.overdue_price, r.overdue_fees, r.late_fees, r.total, r.oldest, r.days,
                     ("%s %s" % (method_label(r.last_method), clock.local_date(r.last_at))) if r.last_method else "",
                     r.promised_on])
    return [str(h) for h in headers], data


def projects():
    """The projects to filter by (those the user may see deals of: all projects, few rows)."""
    return db.session.query(Project.id, Project.name).order_by(Project.name).all()
