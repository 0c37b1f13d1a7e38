"""The deals list (交易列表): the user's deals (their own, their department's, or all) filtered by
project, stage, state, salesperson, the date the deal was made and "overdue only"; loaded with a
fixed number of queries (a count and one page with its room, salesperson and customer joined).

Overdue: subscriptions past their signing date (认购未签约超期) and signed contracts not filed
online by their filing due date."""
import datetime as dt
import io

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from app.core import clock
from app.crm.models import Customer
from app.crm.services import scope
from app.extensions import db
from app.inventory.models import Room
from app.org.models import Employee
from app.sales.models import Deal
from app.sales.models.deal import STAGES, STATES
from app.sales.services import deals

PAGE_SIZE = 25
MAX_ID = 2 ** 31 - 1
EXPORT_LIMIT = 10000


def _id(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() and 0 < int(value) <= MAX_ID else None


def _day(value, errors):
    value = (value or "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(_("Enter dates as 2026-11-26, not “%(value)s”.", value=value[:30]))
        return None


class Filters:
    """The list's filters as asked (GET arguments); unreadable values are dropped with a message."""

    def __init__(self, args):
        self.errors = []
        self.project = _id(args.get("project"))
        self.stage = args.get("stage") if args.get("stage") in STAGES else None
        self.state = args.get("state") if args.get("state") in STATES else None
        if args.get("state") is None:
            self.state = "active"
        self.salesperson = _id(args.get("salesperson"))
        self.date_from = _day(args.get("from"), self.errors)
        self.date_to = _day(args.get("to"), self.errors)
        self.overdue = args.get("overdue") == "1"
        self.q = (args.get("q") or "").strip()[:60]
        try:
            self.page = max(0, min(int(args.get("page") or 0), 100000))
        except ValueError:
            self.page = 0

    def args(self, **changes):
        values = {"project": self.project, "stage": self.stage, "state": self.state or "",
                  "salesperson": self.salesperson, "from": self.date_from.isoformat() if self.date_from else None,
                  "to": self.date_to.isoformat() if self.date_to else None, "overdue": "1" if self.overdue else None,
                  "q": self.q or None, "page": self.page or None}
        values.update(changes)
        return {k: v for k, v in values.items() if v is not None}


def overdue_condition(today=None):
    today = today or clock.local_today()
    return sa.and_(Deal.state == "active", sa.or_(
        sa.and_(Deal.stage == "subscribed", Deal.sign_by < today),
        sa.and_(Deal.stage == "signed", Deal.filing_no.is_(None), Deal.filing_due < today)))


def query(filters):
    q = deals.visible_deals(db.session.query(Deal).join(Room, Room.id == Deal.room_id)
                            .join(Employee, Employee.id == Deal.employee_id)
                            .join(Customer, Customer.id == Deal.customer_id))
    if filters.project:
        q = q.filter(Deal.project_id == filters.project)
    if filters.stage:
        q = q.filter(Deal.stage == filters.stage)
    if filters.state:
        q = q.filter(Deal.state == filters.state)
    if filters.salesperson:
        q = q.filter(Deal.employee_id == filters.salesperson)
    if filters.date_from:
        q = q.filter(Deal.created_at >= clock.utc_start_of(filters.date_from))
    if filters.date_to:
        q = q.filter(Deal.created_at < clock.utc_start_of(filters.date_to + dt.timedelta(days=1)))
    if filters.overdue:
        q = q.filter(overdue_condition())
    if filters.q:
        like = "%" + filters.q.replace("%", "").replace("_", "") + "%"
        q = q.filter(sa.or_(Room.code.like(like), Customer.name.like(like), Deal.contract_no.like(like),
                            Deal.subscription_no.like(like)))
    return q


def page(filters, size=PAGE_SIZE):
    """(rows, total, pages): two queries whatever the page size."""
    q = query(filters)
    total = q.order_by(None).with_entities(sa.func.count(Deal.id)).scalar()
    pages = max(1, (total + size - 1) // size)
    filters.page = min(filters.page, pages - 1)
    rows = (q.options(contains_eager(Deal.room), contains_eager(Deal.employee), contains_eager(Deal.customer))
            .order_by(Deal.created_at.desc(), Deal.id.desc()).offset(filters.page * size).limit(size).all())
    return rows, total, pages


def is_overdue(deal, today=None):
    return deals.sign_overdue(deal, today) or deals.filing_overdue(deal, today)


def salespeople():
    """The salespeople whose deals the user may see (for the filter)."""
    q = db.session.query(Employee).filter(Employee.status == "active")
    condition = scope.owner_condition(Employee.id)
    if condition is not None:
        q = q.filter(condition)
    return q.order_by(Employee.number).all()


def export(filters):
    """The filtered deals as an Excel workbook (bytes)."""
    from openpyxl import Workbook
    from openpyxl.styles import Font
    rows = (query(filters).options(contains_eager(Deal.room), contains_eager(Deal.employee),
                                   contains_eager(Deal.customer), joinedload(Deal.plan))
            .order_by(Deal.created_at.desc(), Deal.id.desc()).limit(EXPORT_LIMIT).all())
    book = Workbook()
    sheet = book.active
    sheet.title = _("Deals")[:31]
    heads = [_("Project"), _("Room"), _("Customer"), _("Salesperson"), _("Stage"), _("State"), _("Subscription no."),
             _("Subscribed on"), _("List total price"), _("Final price"), _("Deposit"), _("Sign by"),
             _("Contract no."), _("Signed on"), _("Online filing no."), _("Filing due"), _("Overdue")]
    sheet.append(heads)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    today = clock.local_today()
    for d in rows:
        sheet.append([d.project.name, d.room.code, d.customer.name, d.employee.name, deals.stage_label(d.stage),
                      deals.state_label(d.state), d.subscription_no, d.subscribed_on, d.list_total, d.total,
                      d.deposit, d.sign_by, d.contract_no, d.signed_on, d.filing_no, d.filing_due,
                      _("Yes") if is_overdue(d, today) else ""])
    for row in sheet.iter_rows(min_row=2):
        for cell in row[8:11]:
            cell.number_format = "#,##0.00"
        for index in (7, 11, 13, 15):
            row[index].number_format = "yyyy-mm-dd"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
