"""回款分析 (collections): what fell due, what came in, the collection rate and the age of what is
overdue, by project (by building once a project is chosen) and by type — 楼款 (property price) or
代收费用 (collected for others: the receivable's `collected_for_others`) — and by receivable kind
(deposit, down payment, full payment, instalment, loan, fee, late fee, area settlement, other).

The receivables and receipts counted are those of the deals the user may see (a salesperson their
own deals, a manager their department's, finance and administrators every deal), narrowed by the
project, phase, building (the deal's room) and salesperson filters. Money follows finance's own
definitions (app/finance/models/money.py): a receivable asks `amount + adjusted` (its amount and
its approved adjustments), has received `received` (the allocations of its valid receipts), and
its outstanding is the difference.

- Receivables counted: every receivable that is not closed. A closed receivable is no longer owed
  (its deal was cancelled or a new schedule dropped it) and counts nowhere in this report. A
  receivable without a due date counts only once it has one.
- Due in the period (本期应收): amount + adjusted of the receivables whose due date is in the period.
- Received against them (本期应收已收): their `received`, i.e. what has been received for them to
  date, whenever it was paid.
- Collection rate (回款率) = received against them ÷ due in the period. Cumulative (累计回款率):
  received ÷ due for every receivable due up to the period's end (本期及以前应收).
- Receipts in the period (本期收款): the amounts of the valid receipts paid on a day of the period.
  Voided (作废) receipts and receipts replaced by a reissue (换发) are not counted; the new receipt
  of a reissue is valid and counted, so the money is counted once. A receipt is split by type and
  kind through its allocations to receivables; what no receivable took is the advance payment
  (预收款, the receipt's `unallocated`). 楼款 + 代收费用 + advance = the receipts' total.
- Aging of overdue amounts (逾期账龄), as of today: the outstanding of the receivables due before
  today (a receivable due today is not overdue yet) and, for a past period, due by the period's end,
  with something outstanding; late fees are not aged (they are charged on overdue money), as on
  the arrears list (欠款). Days overdue = today − due date; buckets 0–30, 31–90, 91–180 and over 180
  days. It is taken as of today, not as of a past period's end, because a receivable's outstanding
  is kept as of now: what was paid since is no longer owed, and the aging says how old what is
  still owed is. For this month or this year the aging is therefore exactly the arrears list's.

Every figure links to the list behind it (`receivables` and `receipts` below), built on the very
same conditions, so a list's total is the figure. The report takes three queries whatever the
number of receivables and receipts (the receivables grouped, the receipts grouped, the receipts'
allocations grouped); the lists take two (the totals and one page)."""
import datetime as dt
from decimal import Decimal as D

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import display
from app.crm.models import Customer
from app.extensions import db
from app.finance.models import RECEIVABLE_KINDS, Receipt, ReceiptAllocation, Receivable
from app.finance.models.money import MONEY
from app.finance.services import common
from app.inventory.models import Building, Project, Room
from app.org.models import Employee
from app.reports.services.filters import Filters, with_changes
from app.sales.models import Deal

ZERO = D("0.00")
CENT = D("0.01")
PAGE_SIZE = 50
EXPORT_LIMIT = 20000
# type key → Receivable.collected_for_others
TYPES = {"price": False, "fees": True}
TYPE_LABELS = {"price": _l("Property price"), "fees": _l("Collected for others"), "advance": _l("Advance payment")}
# aging buckets: key → (first day overdue, last day overdue or None)
BUCKETS = {"0_30": (1, 30), "31_90": (31, 90), "91_180": (91, 180), "over_180": (181, None)}
BUCKET_LABELS = {"0_30": _l("0–30 days"), "31_90": _l("31–90 days"), "91_180": _l("91–180 days"),
                 "over_180": _l("Over 180 days")}
# what a receivables list shows: due in the period, due up to the period's end, overdue (all or one bucket)
SCOPES = {"period": _l("Receivables due in the period"), "cumulative": _l("Receivables due up to the period's end"),
          "overdue": _l("Overdue receivables")}
MEASURES = ("due", "received", "due_cum", "received_cum") + tuple(BUCKETS)


def _money(value):
    return D(value or 0).quantize(CENT)


def rate(received, due):
    return (D(received) / D(due)) if due else None


def type_of(collected_for_others):
    return "fees" if collected_for_others else "price"


def as_of(filters):
    """The day the aging is taken on: today."""
    return filters.today


# -- conditions ----------------------------------------------------------------------------------
def _due():
    return Receivable.amount + Receivable.adjusted


def _outstanding():
    return Receivable.amount + Receivable.adjusted - Receivable.received


def _base(filters):
    """Receivables counted at all (the scope and the deal's filters: `_scope`). The receivable's own
    project (always its deal's) is repeated so that its index serves one project."""
    conditions = [Receivable.status != "closed", Receivable.due_date.isnot(None)]
    if filters.project_id:
        conditions.append(Receivable.project_id == filters.project_id)
    return conditions


def _period(filters):
    return sa.and_(Receivable.due_date >= filters.start, Receivable.due_date <= filters.end)


def _cumulative(filters):
    return Receivable.due_date <= filters.end


def _overdue(filters):
    """Overdue now, due by the period's end, something outstanding, not a late fee."""
    today = as_of(filters)
    return sa.and_(Receivable.due_date < today, Receivable.due_date <= filters.end, Receivable.kind != "late_fee",
                   _outstanding() > 0)


def _bucket(filters, key):
    today = as_of(filters)
    first, last = BUCKETS[key]
    conditions = [_overdue(filters), Receivable.due_date <= today - dt.timedelta(days=first)]
    if last is not None:
        conditions.append(Receivable.due_date >= today - dt.timedelta(days=last))
    return sa.and_(*conditions)


def _total(column):
    return sa.type_coerce(sa.func.coalesce(sa.func.sum(column), 0), MONEY)


def _sum_if(condition, value):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=0)), 0)


def _scope(query, filters, table, full=False):
    """The user's scope and the deal's filters on rows of `table` (Receivable or Receipt): joins the
    deal, and its room, only when the filters, the grouping by building or the list (`full`) need them."""
    conditions = filters.deal_conditions(room=Room)
    room = full or bool(filters.project_id or filters.building_id or filters.phase_id)
    if room or conditions:
        query = query.join(Deal, Deal.id == table.deal_id)
    if room:
        query = query.join(Room, Room.id == Deal.room_id)
    return query.filter(*conditions)


def _group_id(filters, table):
    """The report's rows: buildings once a project is chosen, else projects."""
    return Room.building_id if filters.project_id else table.project_id


def _with_names(filters, inner, columns):
    """(id, name, order, *columns) of an aggregate `inner` (grouped by `gid`): the names are joined
    after grouping, so that the database groups by ids alone."""
    if filters.project_id:
        return db.session.query(inner.c.gid, Building.name, Building.sort_order, *columns) \
            .join(Building, Building.id == inner.c.gid)
    return db.session.query(inner.c.gid, Project.name, Project.name, *columns).join(Project, Project.id == inner.c.gid)


# -- the report ----------------------------------------------------------------------------------
def _blank():
    return {key: ZERO for key in MEASURES + ("receipts", "overdue")} | {"count": 0}


def _add(target, source):
    for key in MEASURES + ("receipts", "overdue"):
        target[key] += source.get(key, ZERO)
    target["count"] += source.get("count", 0)


def _finish(row):
    row["rate"] = rate(row["received"], row["due"])
    row["rate_cum"] = rate(row["received_cum"], row["due_cum"])
    return row


def report(filters):
    """{groups: [row], types: [row], total: row, group_kind: "project"|"building", as_of, chart}.

    A row: {key, name, due, received, rate, due_cum, received_cum, rate_cum, receipts, count (receipts),
    0_30, 31_90, 91_180, over_180, overdue}; a group row has `types` ({price, fees}: rows) for the
    aging by project and type; `types` rows (price, fees, advance) have `kinds`: rows by kind."""
    gid = _group_id(filters, Receivable)
    money_columns = [
        _sum_if(_period(filters), _due()), _sum_if(_period(filters), Receivable.received),
        _sum_if(_cumulative(filters), _due()), _sum_if(_cumulative(filters), Receivable.received),
        *[_sum_if(_bucket(filters, key), _outstanding()) for key in BUCKETS]]
    query = db.session.query(gid.label("gid"), Receivable.collected_for_others.label("cfo"),
                             Receivable.kind.label("kind"),
                             *[sa.type_coerce(c, MONEY).label("m%d" % i) for i, c in enumerate(money_columns)]) \
        .select_from(Receivable)
    inner = _scope(query, filters, Receivable).filter(*_base(filters), _cumulative(filters)) \
        .group_by(gid, Receivable.collected_for_others, Receivable.kind).subquery()
    receivable_rows = _with_names(filters, inner, [inner.c.cfo, inner.c.kind] + list(inner.c)[3:]).all()

    # receipts of the period by group: amount, count, unallocated
    gid = _group_id(filters, Receipt)
    rq = (db.session.query(gid.label("gid"), _total(Receipt.amount).label("amount"),
                           sa.func.count(Receipt.id).label("count"), _total(Receipt.unallocated).label("unallocated"))
          .select_from(Receipt))
    inner = _scope(rq, filters, Receipt).filter(*_receipt_conditions(filters)).group_by(gid).subquery()
    receipt_rows = _with_names(filters, inner, [inner.c.amount, inner.c.count, inner.c.unallocated]).all()

    # the receipts' allocations by group, type and kind
    aq = (db.session.query(gid, Receivable.collected_for_others, Receivable.kind,
                           sa.type_coerce(sa.func.coalesce(sa.func.sum(ReceiptAllocation.amount), 0), MONEY))
          .select_from(ReceiptAllocation).join(Receipt, Receipt.id == ReceiptAllocation.receipt_id)
          .join(Receivable, Receivable.id == ReceiptAllocation.receivable_id))
    allocation_rows = _scope(aq, filters, Receipt).filter(*_receipt_conditions(filters)) \
        .group_by(gid, Receivable.collected_for_others, Receivable.kind).all()

    groups, order = {}, {}
    types = {key: _blank() | {"key": key, "name": str(TYPE_LABELS[key]), "kinds": {}}
             for key in ("price", "fees", "advance")}
    total = _blank() | {"key": None, "name": _("Total")}

    def group(key, name, sort):
        if key not in groups:
            types_of = {t: _blank() | {"key": t, "name": str(TYPE_LABELS[t])} for t in TYPES}
            groups[key] = _blank() | {"key": key, "name": name, "types": types_of}
            order[key] = (sort if sort is not None else "", name or "", key)
        return groups[key]

    def kind_row(type_key, kind):
        kinds = types[type_key]["kinds"]
        if kind not in kinds:
            kinds[kind] = _blank() | {"key": kind, "name": common.kind_label(kind)}
        return kinds[kind]

    for key, name, sort, cfo, kind, *values in receivable_rows:
        figures = dict(zip(MEASURES, (_money(v) for v in values)))
        figures["overdue"] = sum((figures[b] for b in BUCKETS), ZERO)
        row = group(key, name, sort)
        t = type_of(cfo)
        for target in (row, row["types"][t], types[t], kind_row(t, kind), total):
            _add(target, figures)
    for key, name, sort, amount, count, unallocated in receipt_rows:
        figures = {"receipts": _money(amount), "count": int(count)}
        _add(group(key, name, sort), figures)
        _add(total, figures)
        _add(types["advance"], {"receipts": _money(unallocated)})
    for key, cfo, kind, amount in allocation_rows:
        t = type_of(cfo)
        figures = {"receipts": _money(amount)}
        if key in groups:
            _add(groups[key]["types"][t], figures)
        _add(types[t], figures)
        _add(kind_row(t, kind), figures)

    rank = {k: i for i, k in enumerate(RECEIVABLE_KINDS)}
    group_list = [_finish(groups[k]) for k in sorted(groups, key=lambda k: order[k])]
    for row in group_list:
        for t in row["types"].values():
            _finish(t)
    type_list = []
    for key in ("price", "fees", "advance"):
        row = _finish(types[key])
        row["kinds"] = [_finish(row["kinds"][k]) for k in sorted(row["kinds"], key=lambda k: rank.get(k, 99))]
        if key != "advance" or row["receipts"]:
            type_list.append(row)
    return {"groups": group_list, "types": type_list, "total": _finish(total),
            "group_kind": "building" if filters.project_id else "project", "as_of": as_of(filters),
            "aged_to": min(as_of(filters) - dt.timedelta(days=1), filters.end)}


def _receipt_conditions(filters):
    """Valid receipts paid in the period (the scope and the deal's filters: `_scope`)."""
    conditions = [Receipt.status == "valid", Receipt.paid_on >= filters.start, Receipt.paid_on <= filters.end]
    if filters.project_id:  # the receipt's project is its deal's: lets ix_receipt_project_day serve one project
        conditions.append(Receipt.project_id == filters.project_id)
    return conditions


# -- drill-down: receivables --------------------------------------------------------------------
class ReceivableDrill:
    """The receivables behind a figure: the report's filters plus `bucket` (period, cumulative,
    overdue or an aging bucket), `type` (price, fees) and `kind`."""

    def __init__(self, args):
        args = args or {}
        self.filters = Filters(args)
        self.errors = list(self.filters.errors)
        self.bucket = self._choice(args, "bucket", tuple(SCOPES) + tuple(BUCKETS)) or "period"
        self.type = self._choice(args, "type", tuple(TYPES))
        self.kind = self._choice(args, "kind", RECEIVABLE_KINDS)
        raw_page = (args.get("page") or "").strip()
        self.page = max(0, int(raw_page)) if raw_page.isdigit() and len(raw_page) < 7 else 0

    def _choice(self, args, key, allowed):
        raw = (args.get(key) or "").strip()
        if raw and raw not in allowed:
            self.errors.append(_("A filter could not be read and was left out."))
            return None
        return raw or None

    def args(self, **changes):
        out = self.filters.args(bucket=self.bucket, type=self.type, kind=self.kind, page=self.page or None)
        return with_changes(out, changes)

    @property
    def overdue(self):
        return self.bucket == "overdue" or self.bucket in BUCKETS

    @property
    def title(self):
        if self.bucket in BUCKETS:
            title = "%s · %s" % (SCOPES["overdue"], BUCKET_LABELS[self.bucket])
        else:
            title = str(SCOPES[self.bucket])
        parts = [title]
        if self.type:
            parts.append(str(TYPE_LABELS[self.type]))
        if self.kind:
            parts.append(common.kind_label(self.kind))
        return " · ".join(parts)

    def conditions(self):
        f = self.filters
        conditions = _base(f)
        if self.bucket == "period":
            conditions.append(_period(f))
        elif self.bucket == "cumulative":
            conditions.append(_cumulative(f))
        elif self.bucket == "overdue":
            conditions.append(_overdue(f))
        else:
            conditions.append(_bucket(f, self.bucket))
        if self.type:
            conditions.append(Receivable.collected_for_others.is_(TYPES[self.type]))
        if self.kind:
            conditions.append(Receivable.kind == self.kind)
        return conditions


def _receivable_query(drill, columns, full=False):
    query = db.session.query(*columns).select_from(Receivable)
    return _scope(query, drill.filters, Receivable, full).filter(*drill.conditions())


def receivable_totals(drill):
    count, due, received = _receivable_query(drill, [
        sa.func.count(Receivable.id), sa.type_coerce(sa.func.coalesce(sa.func.sum(_due()), 0), MONEY),
        sa.type_coerce(sa.func.coalesce(sa.func.sum(Receivable.received), 0), MONEY)]).one()
    due, received = _money(due), _money(received)
    return {"count": int(count), "due": due, "received": received, "outstanding": due - received,
            "rate": rate(received, due)}


RECEIVABLE_COLUMNS = (Receivable.id, Receivable.deal_id, Receivable.kind, Receivable.label,
                      Receivable.collected_for_others, Receivable.due_date, Receivable.amount, Receivable.adjusted,
                      Receivable.received, Project.name.label("project"), Building.name.label("building"),
                      Room.code.label("room"), Customer.name.label("customer"), Employee.name.label("salesperson"),
                      Deal.state)


def _receivable_rows(drill, offset, limit):
    query = (_receivable_query(drill, RECEIVABLE_COLUMNS, full=True)
             .join(Project, Project.id == Deal.project_id).join(Building, Building.id == Room.building_id)
             .join(Customer, Customer.id == Deal.customer_id).join(Employee, Employee.id == Deal.employee_id))
    today = as_of(drill.filters)
    rows = []
    for r in query.order_by(Receivable.due_date, Receivable.id).offset(offset).limit(limit):
        due = _money(r.amount + r.adjusted)
        received = _money(r.received)
        rows.append({"id": r.id, "deal_id": r.deal_id, "kind": common.kind_label(r.kind), "label": r.label,
                     "type": str(TYPE_LABELS[type_of(r.collected_for_others)]), "due_date": r.due_date,
                     "due": due, "received": received, "outstanding": due - received,
                     "days": (today - r.due_date).days if r.due_date < today and due > received else None,
                     "project": r.project, "building": r.building, "room": r.room, "customer": r.customer,
                     "salesperson": r.salesperson, "state": r.state})
    return rows


def receivables(drill):
    """{rows, totals, page, pages}: one page of the receivables behind a figure (two queries)."""
    totals = receivable_totals(drill)
    return {"rows": _receivable_rows(drill, drill.page * PAGE_SIZE, PAGE_SIZE), "totals": totals,
            "page": drill.page, "pages": -(-totals["count"] // PAGE_SIZE)}


def export_receivables(drill):
    from app.core.excel import workbook_bytes
    headers = [_("Deal"), _("Project"), _("Building"), _("Room"), _("Customer"), _("Salesperson"), _("Money type"),
               _("Receivable kind"), _("Item"), _("Due on"), _("Amount due"), _("Received"), _("Outstanding"),
               _("Days overdue")]
    rows = [(r["deal_id"], r["project"], r["building"], r["room"], r["customer"], r["salesperson"], r["type"],
             r["kind"], r["label"], r["due_date"], r["due"], r["received"], r["outstanding"], r["days"])
            for r in _receivable_rows(drill, 0, EXPORT_LIMIT)]
    return workbook_bytes(drill.title[:31], headers, rows)


# -- drill-down: receipts -----------------------------------------------------------------------
class ReceiptDrill:
    """The valid receipts of the period behind a figure: the report's filters plus `type` (price,
    fees: the part allocated to receivables of that type; advance: the unallocated part) and `kind`."""

    def __init__(self, args):
        args = args or {}
        self.filters = Filters(args)
        self.errors = list(self.filters.errors)
        self.type = ReceivableDrill._choice(self, args, "type", tuple(TYPE_LABELS))
        self.kind = ReceivableDrill._choice(self, args, "kind", RECEIVABLE_KINDS)
        if self.type == "advance":
            self.kind = None
        raw_page = (args.get("page") or "").strip()
        self.page = max(0, int(raw_page)) if raw_page.isdigit() and len(raw_page) < 7 else 0

    def args(self, **changes):
        out = self.filters.args(type=self.type, kind=self.kind, page=self.page or None)
        return with_changes(out, changes)

    @property
    def title(self):
        parts = [_("Receipts in the period")]
        if self.type:
            parts.append(str(TYPE_LABELS[self.type]))
        if self.kind:
            parts.append(common.kind_label(self.kind))
        return " · ".join(parts)

    @property
    def split(self):
        """Whether only a part of each receipt is counted (its allocations of a type or kind)."""
        return bool(self.type in TYPES or self.kind)


def _split_conditions(drill):
    conditions = []
    if drill.type in TYPES:
        conditions.append(Receivable.collected_for_others.is_(TYPES[drill.type]))
    if drill.kind:
        conditions.append(Receivable.kind == drill.kind)
    return conditions


def _receipt_query(drill, columns, full=False):
    """The receipts of the list, one row each: `columns(counted)` with counted the amount counted of
    each (the receipt's amount, its unallocated part, or the sum of its allocations of the type/kind)."""
    query = _scope(db.session.query().select_from(Receipt), drill.filters, Receipt, full)
    conditions = _receipt_conditions(drill.filters)
    if drill.split:
        query = query.join(ReceiptAllocation, ReceiptAllocation.receipt_id == Receipt.id) \
            .join(Receivable, Receivable.id == ReceiptAllocation.receivable_id)
        conditions += _split_conditions(drill)
        counted = sa.func.sum(ReceiptAllocation.amount)
    elif drill.type == "advance":
        counted = Receipt.unallocated
        conditions.append(Receipt.unallocated > 0)
    else:
        counted = Receipt.amount
    query = query.add_columns(*columns(counted)).filter(*conditions)
    return query


def receipt_totals(drill):
    grouped = _receipt_query(drill, lambda counted: [
        Receipt.id, Receipt.amount.label("amount"), sa.type_coerce(counted, MONEY).label("counted")])
    if drill.split:
        grouped = grouped.group_by(Receipt.id, Receipt.amount)
    rows = grouped.subquery()
    count, counted, amount = db.session.query(
        sa.func.count(rows.c.id), sa.type_coerce(sa.func.coalesce(sa.func.sum(rows.c.counted), 0), MONEY),
        sa.type_coerce(sa.func.coalesce(sa.func.sum(rows.c.amount), 0), MONEY)).one()
    return {"count": int(count), "counted": _money(counted), "amount": _money(amount)}


def _receipt_rows(drill, offset, limit):
    keys = (Receipt.id, Receipt.number, Receipt.deal_id, Receipt.paid_on, Receipt.method, Receipt.payer, Receipt.amount,
            Project.name, Building.name, Room.code, Employee.name)
    query = (_receipt_query(drill, lambda counted: [
        Receipt.id, Receipt.number, Receipt.deal_id, Receipt.paid_on, Receipt.method, Receipt.payer, Receipt.amount,
        sa.type_coerce(counted, MONEY).label("counted"), Project.name.label("project"),
        Building.name.label("building"), Room.code.label("room"), Employee.name.label("salesperson")], full=True)
        .join(Project, Project.id == Deal.project_id).join(Building, Building.id == Room.building_id)
        .join(Employee, Employee.id == Deal.employee_id))
    if drill.split:
        query = query.group_by(*keys)
    return [{"id": r.id, "number": r.number, "deal_id": r.deal_id, "paid_on": r.paid_on,
             "method": common.method_label(r.method), "payer": r.payer, "amount": _money(r.amount),
             "counted": _money(r.counted), "project": r.project, "building": r.building, "room": r.room,
             "salesperson": r.salesperson}
            for r in query.order_by(Receipt.paid_on, Receipt.id).offset(offset).limit(limit)]


def receipts(drill):
    """{rows, totals, page, pages}: one page of the receipts behind a figure (two queries)."""
    totals = receipt_totals(drill)
    return {"rows": _receipt_rows(drill, drill.page * PAGE_SIZE, PAGE_SIZE), "totals": totals,
            "page": drill.page, "pages": -(-totals["count"] // PAGE_SIZE)}


def export_receipts(drill):
    from app.core.excel import workbook_bytes
    headers = [_("Receipt"), _("Paid on"), _("Project"), _("Building"), _("Room"), _("Payer"), _("Salesperson"),
               _("Method"), _("Receipt amount"), _("Counted")]
    rows = [(r["number"], r["paid_on"], r["project"], r["building"], r["room"], r["payer"], r["salesperson"],
             r["method"], r["amount"], r["counted"]) for r in _receipt_rows(drill, 0, EXPORT_LIMIT)]
    return workbook_bytes(drill.title[:31], headers, rows)


# -- the report's Excel -------------------------------------------------------------------------
def export(filters, data):
    from app.core.excel import workbook_bytes
    headers = [_("Project") if data["group_kind"] == "project" else _("Building"), _("Money type"),
               _("Receivable kind"),
               _("Due in the period"), _("Received against them"), _("Collection rate"),
               _("Due up to the period's end"), _("Received against them"), _("Cumulative collection rate"),
               _("Receipts in the period")] + [str(BUCKET_LABELS[b]) for b in BUCKETS] + [_("Overdue total")]

    def line(first, second, third, row):
        return [first, second, third, row["due"], row["received"], _ratio(row["rate"]), row["due_cum"],
                row["received_cum"], _ratio(row["rate_cum"]), row["receipts"]] + [row[b] for b in BUCKETS] + \
            [row["overdue"]]

    rows = []
    for g in data["groups"]:
        rows.append(line(g["name"], "", "", g))
        for t in g["types"].values():
            rows.append(line(g["name"], t["name"], "", t))
    rows.append(line(_("Total"), "", "", data["total"]))
    rows.append([])
    for t in data["types"]:
        rows.append(line("", t["name"], "", t))
        for k in t["kinds"]:
            rows.append(line("", t["name"], k["name"], k))
    name = "collections-%s-%s.xlsx" % (filters.start.isoformat(), filters.end.isoformat())
    return name, workbook_bytes(_("Collections analysis"), headers, rows)


def _ratio(value):
    return None if value is None else float(value.quantize(D("0.0001")))


def money(value):
    return display.money(value)

