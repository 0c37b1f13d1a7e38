"""The daily cash report (收款日报): the receipts of a day or a period, summed by payment method, by
project (楼款 / 代收费用 / advance payment) and by cashier, with the list of the receipts; voided and
reissued receipts are listed, marked, and counted apart. Every sum is an SQL aggregate and the
report takes a fixed number of queries whatever the number of receipts.

check_integrity() says whether the stored figures reconcile: each receivable's `received` against
the allocations of valid receipts, each receipt's amount against its allocations + unallocated."""
import datetime as dt
import io

import sqlalchemy as sa
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _

from app.core import clock, display
from app.crm.services import scope
from app.extensions import db
from app.finance.models import RECEIPT_METHODS, Receipt, ReceiptAllocation, Receivable
from app.finance.services import common
from app.finance.services.common import ZERO, D
from app.inventory.models import Project, Room
from app.sales.models import Deal
from app.sales.services import deals

PAGE_SIZE = 100
EXPORT_LIMIT = 20000
MAX_DAYS = 366
EXCLUDED_STATUSES = ("void", "reissued")


def _money(value):
    return D(value or 0).quantize(common.CENT)


def _int(value):
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2 ** 31 else None


def _date(value):
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


class Filters:
    """The report's filters from a mapping (the query string): dates from/to (default today),
    project, cashier, method, page. What cannot be read is dropped and said in `errors`."""

    def __init__(self, args=None):
        args = args or {}
        today = clock.local_today()
        self.errors = []
        raw_from, raw_to = (args.get("date_from") or "").strip(), (args.get("date_to") or "").strip()
        date_from, date_to = _date(raw_from) if raw_from else None, _date(raw_to) if raw_to else None
        if (raw_from and date_from is None) or (raw_to and date_to is None):
            self.errors.append(_("Enter the dates as YYYY-MM-DD."))
        date_from = date_from or date_to or today
        date_to = date_to or (date_from if raw_from and not raw_to and date_from else today)
        if date_to < date_from:
            self.errors.append(_("The end date is before the start date; the two were swapped."))
            date_from, date_to = date_to, date_from
        if (date_to - date_from).days >= MAX_DAYS:
            self.errors.append(_("A report covers at most %(days)d days; the start date was moved.", days=MAX_DAYS))
            date_from = date_to - dt.timedelta(days=MAX_DAYS - 1)
        self.date_from, self.date_to = date_from, date_to
        self.project_id = _int(args.get("project")) if args.get("project") else None
        self.cashier_id = _int(args.get("cashier")) if args.get("cashier") else None
        method = (args.get("method") or "").strip()
        self.method = method if method in RECEIPT_METHODS else None
        if (args.get("project") and self.project_id is None) or (args.get("cashier") and self.cashier_id is None) \
                or (method and self.method is None):
            self.errors.append(_("A filter could not be read and was left out."))
        self.page = max(0, _int(args.get("page")) or 0) if args.get("page") not in (None, "", "0") else 0

    @property
    def one_day(self):
        return self.date_from == self.date_to

    def args(self, **override):
        out = {"date_from": self.date_from.isoformat(), "date_to": self.date_to.isoformat(),
               "project": self.project_id, "cashier": self.cashier_id, "method": self.method,
               "page": self.page or None}
        out.update(override)
        return {k: v for k, v in out.items() if v not in (None, "")}


def _scoped(query, filters, statuses=("valid",)):
    """Receipts of the period and filters the user may see; statuses None: every status."""
    query = query.filter(Receipt.paid_on >= filters.date_from, Receipt.paid_on <= filters.date_to)
    if statuses is not None:
        query = query.filter(Receipt.status.in_(statuses))
    if filters.project_id:
        query = query.filter(Receipt.project_id == filters.project_id)
    if filters.cashier_id:
        query = query.filter(Receipt.cashier_id == filters.cashier_id)
    if filters.method:
        query = query.filter(Receipt.method == filters.method)
    if not deals.sees_all_deals():
        condition = scope.owner_condition(Deal.employee_id)
        if condition is not None:
            query = query.filter(Receipt.deal_id.in_(sa.select(Deal.id).where(condition)))
    return query


def _user_name(first_name, last_name, username):
    return display.person_name(first_name, last_name) or username or ""


def report(filters, page=True):
    """The report of the filters: {"by_method", "by_project", "by_cashier", "excluded", "total",
    "receipts", "count", "pages"}; page=False lists every receipt (the export, capped)."""
    count_, amount_ = sa.func.count(Receipt.id), sa.func.coalesce(sa.func.sum(Receipt.amount), 0)
    # 1. by method
    by_method = [{"method": m, "label": common.method_label(m), "count": n, "amount": _money(a)}
                 for m, n, a in _scoped(db.session.query(Receipt.method, count_, amount_), filters)
                 .group_by(Receipt.method).order_by(Receipt.method)]
    order = {m: i for i, m in enumerate(RECEIPT_METHODS)}
    by_method.sort(key=lambda r: order.get(r["method"], 99))
    # 2. by project: receipts, and 3. their allocations split 楼款 / 代收费用
    projects = {}
    for pid, code, name, n, a, adv in (
            _scoped(db.session.query(Receipt.project_id, Project.code, Project.name, count_, amount_,
                                     sa.func.coalesce(sa.func.sum(Receipt.unallocated), 0)), filters)
            .join(Project, Project.id == Receipt.project_id)
            .group_by(Receipt.project_id, Project.code, Project.name).order_by(Project.code)):
        projects[pid] = {"project_id": pid, "code": code, "name": name, "count": n, "amount": _money(a),
                         "price": ZERO, "fees": ZERO, "advance": _money(adv)}
    for pid, others, a in (
            _scoped(db.session.query(Receipt.project_id, Receivable.collected_for_others,
                                     sa.func.coalesce(sa.func.sum(ReceiptAllocation.amount), 0)), filters)
            .join(ReceiptAllocation, ReceiptAllocation.receipt_id == Receipt.id)
            .join(Receivable, Receivable.id == ReceiptAllocation.receivable_id)
            .group_by(Receipt.project_id, Receivable.collected_for_others)):
        if pid in projects:
            projects[pid]["fees" if others else "price"] += _money(a)
    by_project = list(projects.values())
    # 4. by cashier
    by_cashier = [{"cashier_id": cid, "name": _user_name(first, last, username), "count": n, "amount": _money(a)}
                  for cid, first, last, username, n, a in
                  _scoped(db.session.query(Receipt.cashier_id, User.first_name, User.last_name, User.username,
                                           count_, amount_), filters)
                  .outerjoin(User, User.id == Receipt.cashier_id)
                  .group_by(Receipt.cashier_id, User.first_name, User.last_name, User.username)
                  .order_by(User.username)]
    # 5. void and reissued receipts of the period, apart
    excluded = [{"status": s, "label": _status_label(s), "count": n, "amount": _money(a)}
                for s, n, a in _scoped(db.session.query(Receipt.status, count_, amount_), filters,
                                       statuses=EXCLUDED_STATUSES).group_by(Receipt.status).order_by(Receipt.status)]
    total = {"count": sum(r["count"] for r in by_method), "amount": sum((r["amount"] for r in by_method), ZERO),
             "price": sum((r["price"] for r in by_project), ZERO), "fees": sum((r["fees"] for r in by_project), ZERO),
             "advance": sum((r["advance"] for r in by_project), ZERO)}
    # 6. (7.) the receipts: every status, the void and reissued marked
    listed = sum(r["count"] for r in excluded) + total["count"]
    query = _scoped(db.session.query(Receipt.id, Receipt.number, Receipt.deal_id, Receipt.paid_on, Receipt.payer,
                                     Receipt.amount, Receipt.unallocated, Receipt.method, Receipt.status,
                                     Receipt.source, Receipt.reference, Project.name, Room.code, User.first_name,
                                     User.last_name, User.username), filters, statuses=None) \
        .join(Project, Project.id == Receipt.project_id).join(Deal, Deal.id == Receipt.deal_id) \
        .join(Room, Room.id == Deal.room_id).outerjoin(User, User.id == Receipt.cashier_id) \
        .order_by(Receipt.paid_on, Project.code, Receipt.seq)
    pages = max(1, -(-listed // PAGE_SIZE))
    if page:
        filters.page = min(filters.page, pages - 1)
        query = query.offset(filters.page * PAGE_SIZE).limit(PAGE_SIZE)
    else:
        query = query.limit(EXPORT_LIMIT)
    receipts = [{"id": r[0], "number": r[1], "deal_id": r[2], "paid_on": r[3], "payer": r[4], "amount": _money(r[5]),
                 "advance": _money(r[6]), "method": r[7], "method_label": common.method_label(r[7]), "status": r[8],
                 "status_label": _status_label(r[8]), "source": r[9], "reference": r[10], "project": r[11],
                 "room": r[12], "cashier": _user_name(r[13], r[14], r[15]), "valid": r[8] == "valid"}
                for r in query]
    return {"by_method": by_method, "by_project": by_project, "by_cashier": by_cashier, "excluded": excluded,
            "total": total, "receipts": receipts, "count": listed, "pages": pages}


def _status_label(status):
    return str(common.RECEIPT_STATUS_LABELS.get(status, status))


def projects():
    return db.session.query(Project.id, Project.code, Project.name).order_by(Project.code).all()


def cashiers():
    """Who has received money (for the filter)."""
    rows = (db.session.query(User.id, User.first_name, User.last_name, User.username)
            .filter(User.id.in_(sa.select(Receipt.cashier_id).where(Receipt.cashier_id.isnot(None)).distinct()))
            .order_by(User.username).all())
    return [(uid, _user_name(first, last, username)) for uid, first, last, username in rows]


# ---------------------------------------------------------------- integrity

def check_integrity(project_id=None):
    """What does not reconcile: [{"kind": "receivable"|"receipt", "id", "deal_id", "name", "recorded",
    "computed"}] — receivables whose `received` is not the sum of the allocations of valid receipts,
    receipts whose amount is not their allocations + unallocated. Empty: all reconcile."""
    valid = (sa.select(ReceiptAllocation.receivable_id.label("rid"),
                       sa.func.sum(ReceiptAllocation.amount).label("total"))
             .join(Receipt, Receipt.id == ReceiptAllocation.receipt_id)
             .where(Receipt.status == "valid").group_by(ReceiptAllocation.receivable_id).subquery())
    allocated = sa.func.coalesce(valid.c.total, 0)
    query = (db.session.query(Receivable.id, Receivable.deal_id, Receivable.label, Receivable.received, allocated)
             .outerjoin(valid, valid.c.rid == Receivable.id)
             .filter(sa.func.coalesce(Receivable.received, 0) != allocated))
    if project_id:
        query = query.filter(Receivable.project_id == project_id)
    out = [{"kind": "receivable", "id": rid, "deal_id": deal_id, "name": label, "recorded": _money(received),
            "computed": _money(total)} for rid, deal_id, label, received, total in query.order_by(Receivable.id)]
    parts = (sa.select(ReceiptAllocation.receipt_id.label("rid"), sa.func.sum(ReceiptAllocation.amount).label("total"))
             .group_by(ReceiptAllocation.receipt_id).subquery())
    computed = sa.func.coalesce(parts.c.total, 0) + Receipt.unallocated
    query = (db.session.query(Receipt.id, Receipt.deal_id, Receipt.number, Receipt.amount, computed)
             .outerjoin(parts, parts.c.rid == Receipt.id).filter(Receipt.amount != computed))
    if project_id:
        query = query.filter(Receipt.project_id == project_id)
    out += [{"kind": "receipt", "id": rid, "deal_id": deal_id, "name": number, "recorded": _money(amount),
             "computed": _money(total)} for rid, deal_id, number, amount, total in query.order_by(Receipt.id)]
    return out


# ---------------------------------------------------------------- Excel

def export(filters):
    """The report as an Excel workbook (bytes): a summary sheet with one section per table, and
    the list of receipts."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    data = report(filters, page=False)
    book = Workbook()
    sheet = book.active
    sheet.title = _("Summary")[:31]
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    money_format = "#,##0.00"

    def title(text):
        sheet.append([text])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)

    def table(heads, rows, money_cols, total=None):
        sheet.append(heads)
        for cell in sheet[sheet.max_row]:
            cell.font, cell.fill = bold, head_fill
        for row in rows + ([total] if total else []):
            sheet.append(row)
            for index in money_cols:
                sheet.cell(row=sheet.max_row, column=index + 1).number_format = money_format
        if total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        sheet.append([])

    title(_("Daily cash report"))
    period = filters.date_from.isoformat() if filters.one_day else "%s ~ %s" % (filters.date_from.isoformat(),
                                                                                filters.date_to.isoformat())
    sheet.append([_("Period"), period])
    sheet.append([_("Printed on"), clock.local_today().isoformat()])
    sheet.append([])
    t = data["total"]
    total_label = _("Total")
    title(_("By project"))
    table([_("Project"), _("Receipts"), _("Property price"), _("Collected for others"), _("Advance payment"),
           _("Amount")],
          [[r["name"], r["count"], r["price"], r["fees"], r["advance"], r["amount"]] for r in data["by_project"]],
          (2, 3, 4, 5), [total_label, t["count"], t["price"], t["fees"], t["advance"], t["amount"]])
    title(_("By payment method"))
    table([_("Payment method"), _("Receipts"), _("Amount")],
          [[r["label"], r["count"], r["amount"]] for r in data["by_method"]], (2,),
          [total_label, t["count"], t["amount"]])
    title(_("By cashier"))
    table([_("Cashier"), _("Receipts"), _("Amount")],
          [[r["name"], r["count"], r["amount"]] for r in data["by_cashier"]], (2,),
          [total_label, t["count"], t["amount"]])
    if data["excluded"]:
        title(_("Void and reissued receipts (not counted)"))
        table([_("Status"), _("Receipts"), _("Amount")],
              [[r["label"], r["count"], r["amount"]] for r in data["excluded"]], (2,))
    for index, width in enumerate((24, 12, 18, 18, 18, 18), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width

    detail = book.create_sheet(_("Receipts")[:31])
    heads = [_("Receipt no."), _("Paid on"), _("Project"), _("Room"), _("Payer"), _("Amount"), _("Advance payment"),
             _("Payment method"), _("Cashier"), _("Status"), _("Reference")]
    detail.append(heads)
    for cell in detail[1]:
        cell.font, cell.fill = bold, head_fill
    for r in data["receipts"]:
        detail.append([r["number"], r["paid_on"], r["project"], r["room"], r["payer"], r["amount"], r["advance"],
                       r["method_label"], r["cashier"], r["status_label"], r["reference"] or ""])
        row = detail.max_row
        detail.cell(row=row, column=2).number_format = "yyyy-mm-dd"
        for col in (6, 7):
            detail.cell(row=row, column=col).number_format = money_format
    detail.append([_("Total (valid receipts)"), None, None, None, None, t["amount"]])
    detail.cell(row=detail.max_row, column=6).number_format = money_format
    for cell in detail[detail.max_row]:
        cell.font = bold
    for index, width in enumerate((22, 12, 14, 12, 16, 16, 14, 12, 12, 10, 18), start=1):
        detail.column_dimensions[get_column_letter(index)].width = width
    detail.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def export_name(filters):
    if filters.one_day:
        return "cash-%s.xlsx" % filters.date_from.isoformat()
    return "cash-%s-%s.xlsx" % (filters.date_from.isoformat(), filters.date_to.isoformat())
