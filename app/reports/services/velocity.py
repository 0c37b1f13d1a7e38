"""Sales velocity (销售速度): how many units sell a week, and how many weeks the stock lasts at that speed.

- Weeks are ISO weeks (Monday to Sunday) of the period; the first and last week are cut to the
  period when it starts or ends inside them, so the weeks add up to the period.
- Units subscribed (认购) in a week: the deals subscribed in it (measure subscribed, whatever became
  of them later) and their value (the deals' total); contracts (签约): the deals signed in it.
- Average per week = units subscribed in the period ÷ the weeks of the period elapsed so far (its
  days up to today, or to its end when it is over, ÷ 7); the same for the value.
- Stock left (as of now): the rooms unreleased, available or reserved (未推盘、可售、锁定/小订) —
  their number and value at list price.
- Weeks left = stock left ÷ average units a week; empty when nothing sold in the period.

By project when no project is chosen. Rooms are those of the user's projects, deals those the user
may see. Every figure is an SQL aggregate; a page takes a fixed number of queries."""
import datetime as dt
from decimal import ROUND_HALF_UP
from decimal import Decimal as D

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.extensions import db
from app.inventory.models import Project, Room
from app.reports.services import measures
from app.sales.models import Deal

STOCK_GROUPS = ("unreleased", "available", "reserved")
ZERO = D("0")
CENT = D("0.01")
TENTH = D("0.1")


def weeks_of(start, end):
    """[(monday, first day, last day)] of the ISO weeks of the period, cut to the period."""
    monday = start - dt.timedelta(days=start.weekday())
    out = []
    while monday <= end:
        sunday = monday + dt.timedelta(days=6)
        out.append((monday, max(monday, start), min(sunday, end)))
        monday += dt.timedelta(days=7)
    return out


def week_args(first, last):
    """The filters of a week's drill-down: the ISO week when whole, else the days of it in the period."""
    cleared = {"year": None, "month": None, "week": None, "day": None, "date_from": None, "date_to": None}
    if (last - first).days == 6:
        year, week, _day = first.isocalendar()
        return dict(cleared, period="week", week="%d-W%02d" % (year, week))
    return dict(cleared, period="range", date_from=first.isoformat(), date_to=last.isoformat())


def _week_index(column, monday):
    """The number of whole weeks from `monday` to the date in `column` (SQL)."""
    if db.session.get_bind().dialect.name == "postgresql":
        days = column - sa.literal(monday, sa.Date)
    else:
        days = sa.cast(sa.func.julianday(column) - sa.func.julianday(monday.isoformat()), sa.Integer)
    return days // 7


def _deals_by(filters, measure, key):
    """{key: (count, amount)} of the deals of a measure in the period, grouped by `key` (one query)."""
    date_column = Deal.subscribed_on if measure == "subscribed" else Deal.signed_on
    # Every deal has its room: no join needed (a building or phase filter reads the room in a subquery).
    conditions = measures.deal_measure(measure, filters.start, filters.end) + filters.deal_conditions()
    if key == "week":
        key_column = _week_index(date_column, filters.start - dt.timedelta(days=filters.start.weekday()))
    else:
        key_column = Deal.project_id
    inner = (sa.select(key_column.label("key"), Deal.id.label("deal_id"), Deal.total.label("amount"))
             .select_from(Deal).where(*conditions).subquery("deals"))
    query = sa.select(inner.c.key, sa.func.count(inner.c.deal_id), sa.func.coalesce(sa.func.sum(inner.c.amount), 0)) \
        .group_by(inner.c.key)
    return {int(k) if k is not None else None: (int(n), D(amount)) for k, n, amount in db.session.execute(query)}


def _stock_by_project(filters):
    """{project id: (count, value)} of the rooms not yet sold and not withheld from sale (one query)."""
    statuses = [s for g in STOCK_GROUPS for s in measures.room_group(g)]
    query = (sa.select(Room.project_id, sa.func.count(Room.id), sa.func.coalesce(sa.func.sum(Room.list_total_price), 0))
             .where(Room.status.in_(statuses), *filters.room_conditions(Room)).group_by(Room.project_id))
    return {k: (int(n), D(value)) for k, n, value in db.session.execute(query)}


def elapsed_weeks(filters, today=None):
    """The weeks of the period elapsed so far (days ÷ 7, as a Decimal); 0 for a period to come."""
    today = today or clock.local_today()
    last = min(filters.end, today)
    days = (last - filters.start).days + 1
    return (D(days) / D(7)) if days > 0 else ZERO


def speed(units, amount, weeks, stock):
    """(average units a week, average value a week, weeks left)."""
    if not weeks:
        return None, None, None
    average = D(units) / weeks
    value = (amount / weeks).quantize(CENT, ROUND_HALF_UP)
    left = (D(stock) / average).quantize(TENTH, ROUND_HALF_UP) if average else None
    return average.quantize(CENT, ROUND_HALF_UP), value, left


def report(filters, today=None):
    weeks_elapsed = elapsed_weeks(filters, today)
    weekly_sub = _deals_by(filters, "subscribed", "week")
    weekly_sign = _deals_by(filters, "signed", "week")
    weeks = []
    for index, (monday, first, last) in enumerate(weeks_of(filters.start, filters.end)):
        sub = weekly_sub.get(index, (0, ZERO))
        sign = weekly_sign.get(index, (0, ZERO))
        year, week, _day = monday.isocalendar()
        weeks.append({"index": index, "label": "%d-W%02d" % (year, week), "monday": monday, "first": first,
                      "last": last, "args": week_args(first, last), "units": sub[0], "amount": sub[1],
                      "signed": sign[0], "signed_amount": sign[1]})

    by_sub = _deals_by(filters, "subscribed", "project")
    by_sign = _deals_by(filters, "signed", "project")
    stock = _stock_by_project(filters)
    ids = set(by_sub) | set(by_sign) | set(stock)
    names = dict(db.session.query(Project.id, Project.name).filter(Project.id.in_(ids)).all()) if ids else {}
    projects = []
    for pid in sorted(ids, key=lambda k: (names.get(k) or "", k)):
        projects.append(_row(pid, names.get(pid) or "#%s" % pid, by_sub.get(pid, (0, ZERO)),
                             by_sign.get(pid, (0, ZERO)), stock.get(pid, (0, ZERO)), weeks_elapsed))
    total = _row(None, _("Total"),
                 (sum(p["units"] for p in projects), sum((p["amount"] for p in projects), ZERO)),
                 (sum(p["signed"] for p in projects), sum((p["signed_amount"] for p in projects), ZERO)),
                 (sum(p["stock"] for p in projects), sum((p["stock_value"] for p in projects), ZERO)), weeks_elapsed)
    return {"weeks": weeks, "projects": projects, "total": total, "weeks_elapsed": weeks_elapsed,
            "as_of": clock.local_now()}


def _row(key, name, sub, sign, stock, weeks_elapsed):
    average, average_amount, left = speed(sub[0], sub[1], weeks_elapsed, stock[0])
    return {"key": key, "name": name, "units": sub[0], "amount": sub[1], "signed": sign[0], "signed_amount": sign[1],
            "average": average, "average_amount": average_amount, "stock": stock[0], "stock_value": stock[1],
            "weeks_left": left}


def export(data):
    """(headers, rows): the weeks, then the projects."""
    headers = [_("Week"), _("From"), _("To"), _("Units subscribed"), _("Subscribed amount"), _("Contracts"),
               _("Contract amount")]
    rows = [[w["label"], w["first"], w["last"], w["units"], w["amount"], w["signed"], w["signed_amount"]]
            for w in data["weeks"]]
    rows.append([_("Total"), None, None, data["total"]["units"], data["total"]["amount"], data["total"]["signed"],
                 data["total"]["signed_amount"]])
    rows.append([])
    rows.append([_("Project"), _("Units subscribed"), _("Subscribed amount"), _("Average units a week"),
                 _("Average amount a week"), _("Stock left"), _("Stock value at list price"), _("Weeks left")])
    for p in data["projects"] + [data["total"]]:
        rows.append([p["name"], p["units"], p["amount"], p["average"], p["average_amount"], p["stock"],
                     p["stock_value"], p["weeks_left"]])
    return headers, rows
