"""The sales report (销售日报/周报/月报/年报): what was subscribed, signed and cancelled in a period.

Figures, for the office's days of the period (see `measures`):
- Subscriptions (认购): the deals subscribed in the period (`measures.deal_measure("subscribed")`) —
  whatever became of them afterwards; a later cancellation counts again, as a cancellation, on its
  own day. Count of deals, their rooms' gross area, the sum of the deals' totals (成交总价).
- Contracts (签约): the deals signed in the period (measure "signed"): count, area, amount.
- Cancellations (退房): the deals cancelled after subscription in the period, by the day the
  cancellation was approved (measure "cancelled"): count, area, and the amounts they had been
  sold for.
- Average unit price (成交均价) = amount ÷ gross area of the same deals, for subscriptions and for
  contracts separately (no price when no area).

Breakdowns: by project (with a project chosen, by building of the deal's room), by salesperson
(the deal's salesperson), and along the period — per day for a day, week, month or a range of up
to 62 days, per month beyond. Each figure is one SQL aggregate over the deals and their rooms,
with the report's filters and the user's deal scope (a salesperson sees their own deals, a
supervisor their department's); every figure links to the deals behind it, listed with the very
same conditions. The report takes three queries whatever the data size (plus the filters')."""
import datetime as dt
import io
from decimal import Decimal as D

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.extensions import db
from app.inventory.models import Building, Project, Room
from app.org.models import Employee
from app.reports.services import measures
from app.reports.services.filters import month_bounds
from app.sales.models import Deal

MEASURES = ("subscribed", "signed", "cancelled")
PRICED = ("subscribed", "signed")  # the measures with an average unit price
DAILY_LIMIT = 62  # days: a longer period is shown per month
CENT = D("0.01")


def unit_price(amount, area):
    if not area:
        return None
    return (D(amount) / D(area)).quantize(CENT)


def _empty():
    return {m: {"count": 0, "area": D("0"), "amount": D("0")} for m in MEASURES}


def _finish(figures):
    for m in PRICED:
        figures[m]["price"] = unit_price(figures[m]["amount"], figures[m]["area"])
    return figures


def _measure_columns(f):
    """Conditional aggregates (count, area, amount) of each measure, and the condition that any holds."""
    columns, any_of = [], []
    for m in MEASURES:
        condition = sa.and_(*measures.deal_measure(m, f.start, f.end))
        any_of.append(condition)
        columns += [sa.func.sum(sa.case((condition, 1), else_=0)).label(m + "_count"),
                    sa.func.coalesce(sa.func.sum(sa.case((condition, Room.area_gross), else_=None)), 0).label(m + "_area"),
                    sa.func.coalesce(sa.func.sum(sa.case((condition, Deal.total), else_=None)), 0).label(m + "_amount")]
    return columns, sa.or_(*any_of)


def _figures(row):
    out = _empty()
    for m in MEASURES:
        out[m] = {"count": int(getattr(row, m + "_count") or 0), "area": D(getattr(row, m + "_area") or 0),
                  "amount": D(getattr(row, m + "_amount") or 0)}
    return _finish(out)


def _grouped(f, keys, joins=()):
    columns, any_of = _measure_columns(f)
    query = db.session.query(*keys, *columns).select_from(Deal).join(Room, Room.id == Deal.room_id)
    for model, on in joins:
        query = query.join(model, on)
    return query.filter(any_of, *f.deal_conditions(room=Room)).group_by(*keys)


# -- along the period --------------------------------------------------------------------------
def buckets(f):
    """(unit, [(first day, last day)]): the days of the period, or its months when it is long."""
    start, end = f.start, f.end
    if f.period == "year" or (end - start).days + 1 > DAILY_LIMIT:
        out, day = [], start
        while day <= end:
            first, last = month_bounds(day.year, day.month)
            out.append((max(first, start), min(last, end)))
            day = last + dt.timedelta(days=1)
        return "month", out
    return "day", [(start + dt.timedelta(days=i),) * 2 for i in range((end - start).days + 1)]


def _bucket_case(column, bounds, moment):
    """A CASE giving the index of the bucket a date (or a stored moment) falls in."""
    whens = []
    for index, (_first, last) in enumerate(bounds):
        limit = last + dt.timedelta(days=1)
        whens.append((column < (clock.utc_start_of(limit) if moment else limit), index))
    return sa.case(*whens, else_=None)


def _series_query(f, bounds):
    parts = []
    for m, column, moment in (("subscribed", Deal.subscribed_on, False), ("signed", Deal.signed_on, False),
                              ("cancelled", Deal.ended_at, True)):
        bucket = _bucket_case(column, bounds, moment).label("bucket")
        parts.append(sa.select(sa.literal(m).label("measure"), bucket, sa.func.count(Deal.id).label("count"),
                               sa.func.coalesce(sa.func.sum(Room.area_gross), 0).label("area"),
                               sa.func.coalesce(sa.func.sum(Deal.total), 0).label("amount"))
                     .select_from(Deal).join(Room, Room.id == Deal.room_id)
                     .where(*measures.deal_measure(m, f.start, f.end), *f.deal_conditions(room=Room))
                     .group_by(bucket))
    return db.session.execute(sa.union_all(*parts)).all()


def period_keys(unit, first, last):
    """The filter arguments of one bucket (for its drill-down link)."""
    clear = dict.fromkeys(("year", "month", "week", "day", "date_from", "date_to"))
    if first == last:
        return dict(clear, period="day", day=first.isoformat())
    if unit == "month" and (first, last) == month_bounds(first.year, first.month):
        return dict(clear, period="month", month=first.strftime("%Y-%m"))
    return dict(clear, period="range", date_from=first.isoformat(), date_to=last.isoformat())


def _series(f):
    unit, bounds = buckets(f)
    rows = [{"first": first, "last": last, "label": first.isoformat() if unit == "day" else first.strftime("%Y-%m"),
             "keys": period_keys(unit, first, last), **_empty()} for first, last in bounds]
    for row in _series_query(f, bounds):
        if row.bucket is None:
            continue
        rows[int(row.bucket)][row.measure] = {"count": int(row.count), "area": D(row.area), "amount": D(row.amount)}
    for row in rows:
        _finish(row)
    return unit, rows


# -- the report --------------------------------------------------------------------------------
def report(f):
    """{places, place_kind, salespeople, series, unit, total}: three queries."""
    if f.project_id:
        keys = (Building.id, Building.name, Building.sort_order)
        places = _grouped(f, keys, [(Building, Building.id == Room.building_id)]) \
            .order_by(Building.sort_order, Building.id).all()
        place_rows = [{"id": r.id, "name": r.name, "keys": {"building": r.id}, **_figures(r)} for r in places]
        place_kind = "building"
    else:
        keys = (Project.id, Project.name)
        places = _grouped(f, keys, [(Project, Project.id == Deal.project_id)]).order_by(Project.name, Project.id).all()
        place_rows = [{"id": r.id, "name": r.name, "keys": {"project": r.id}, **_figures(r)} for r in places]
        place_kind = "project"
    keys = (Employee.id, Employee.name, Employee.number)
    people = _grouped(f, keys, [(Employee, Employee.id == Deal.employee_id)]).order_by(Employee.number, Employee.id).all()
    people_rows = [{"id": r.id, "name": r.name, "number": r.number, "keys": {"employee": r.id}, **_figures(r)}
                   for r in people]
    unit, series = _series(f)
    total = _empty()
    for row in place_rows:
        for m in MEASURES:
            for k in ("count", "area", "amount"):
                total[m][k] += row[m][k]
    return {"places": place_rows, "place_kind": place_kind, "salespeople": people_rows, "series": series,
            "unit": unit, "total": _finish(total)}


# -- Excel -------------------------------------------------------------------------------------
def headers():
    out = []
    for label in (_("Subscriptions"), _("Contracts"), _("Cancellations")):
        out += [label, label + " " + _("Area"), label + " " + _("Amount")]
        if label != _("Cancellations"):
            out.append(label + " " + _("Average unit price"))
    return out


def figures_row(row):
    out = []
    for m in MEASURES:
        out += [row[m]["count"], row[m]["area"], row[m]["amount"]]
        if m in PRICED:
            out.append(row[m]["price"])
    return out


def sheets_bytes(sheets):
    """An Excel workbook of several sheets [(title, headers, rows)], bold headers, values as typed."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    from app.core.excel import _cell
    wb = Workbook()
    wb.remove(wb.active)
    for title, head, rows in sheets:
        ws = wb.create_sheet(str(title)[:31])
        ws.append([str(h) for h in head])
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for row in rows:
            ws.append([_cell(v) for v in row])
        for index, header in enumerate(head, start=1):
            ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = max(10, len(str(header)) * 2 + 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export(f, data, title):
    head = headers()
    place = _("Building") if data["place_kind"] == "building" else _("Project")
    places = [[r["name"], *figures_row(r)] for r in data["places"]] + [[_("Total"), *figures_row(data["total"])]]
    people = [[r["name"], *figures_row(r)] for r in data["salespeople"]]
    when = _("Day") if data["unit"] == "day" else _("Calendar month")
    series = [[r["label"], *figures_row(r)] for r in data["series"]]
    summary = [[_("Reporting period"), f.label]] + [[h, v] for h, v in zip(head, figures_row(data["total"]))]
    body = sheets_bytes([(_("Summary"), [_("Figure"), _("Period total")], summary), (place, [place, *head], places),
                         (_("Salesperson"), [_("Salesperson"), *head], people), (when, [when, *head], series)])
    return "sales-%s-%s.xlsx" % (f.period, f.start.isoformat()), body
