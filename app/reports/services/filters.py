"""What every report is asked for: the period, the project (phase, building) and the salesperson,
read from the query string, and the user's scope.

Period: `period` is one of year, month, week, day, range; `year` (2026), `month` (2026-11),
`week` (2026-W48, ISO), `day` / `date_from`–`date_to` (YYYY-MM-DD). Default: this month. What
cannot be read is dropped and said in `errors`; a filter never makes a page fail.

Scope (the user's projects, the user's figures): who sees every deal (administrators, finance,
supervisors with the CRM's "see all") sees every project; a supervisor sees the deals of their
department, a salesperson their own (the deals' own rule, `app.sales.services.deals.visible_deals`),
and the projects they may sell in. Rooms are not confidential: a user sees the rooms of the
projects in their scope."""
import datetime as dt

import sqlalchemy as sa
from flask import has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.clock import day_filters, moment_filters  # noqa: F401 (the reports import them from here)
from app.crm.services import scope as crm_scope
from app.extensions import db
from app.inventory.models import Building, Phase, Project
from app.org.models import Employee
from app.sales.models import Deal
from app.sales.services import deals as deal_service
from app.sales.services import permissions

PERIODS = {
    "day": _l("Day"),
    "week": _l("Week"),
    "month": _l("Month"),
    "year": _l("Year"),
    "range": _l("Date range"),
}
MAX_INT = 2 ** 31


def parse_int(value):
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value < MAX_INT else None


def parse_date(value):
    try:
        return dt.date.fromisoformat(str(value).strip())
    except (TypeError, ValueError):
        return None


def month_bounds(year, month):
    start = dt.date(year, month, 1)
    end = dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)
    return start, end


def week_bounds(day):
    start = day - dt.timedelta(days=day.weekday())
    return start, start + dt.timedelta(days=6)


def with_changes(out, changes):
    """Query-string arguments `out` with `changes` applied (a value None drops the argument)."""
    for key, value in changes.items():
        if value is None:
            out.pop(key, None)
        else:
            out[key] = value
    return out


class Filters:
    """A report's filters. `args(**changes)` gives the query-string arguments back (for links that
    keep the filters: drill-down, export, paging); a value None drops that argument."""

    KEYS = ("period", "year", "month", "week", "day", "date_from", "date_to", "project", "phase", "building",
            "employee")

    def __init__(self, args=None, today=None):
        args = args or {}
        self.today = today or clock.local_today()
        self.errors = []
        self.raw = {k: (args.get(k) or "").strip() for k in self.KEYS}
        self._period()
        self.project_id = self._id("project")
        self.phase_id = self._id("phase")
        self.building_id = self._id("building")
        self.employee_id = self._id("employee")
        if any(self.raw[k] and getattr(self, k + "_id") is None for k in ("project", "phase", "building", "employee")):
            self.errors.append(_("A filter could not be read and was left out."))

    def _id(self, key):
        return parse_int(self.raw[key]) if self.raw[key] else None

    def _period(self):
        today = self.today
        kind = self.raw["period"] or "month"
        if kind not in PERIODS:
            self.errors.append(_("A filter could not be read and was left out."))
            kind = "month"
        start = end = None
        if kind == "year":
            year = parse_int(self.raw["year"]) if self.raw["year"] else today.year
            if year is None or not 1900 < year < 2200:
                self.errors.append(_("Enter the year as four digits, e.g. %(year)d.", year=today.year))
                year = today.year
            start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        elif kind == "month":
            start, end = self._month()
        elif kind == "week":
            day = None
            raw = self.raw["week"]
            if raw:
                try:
                    year, week = raw.upper().split("-W")
                    day = dt.date.fromisocalendar(int(year), int(week), 1)
                except (ValueError, TypeError):
                    self.errors.append(_("Enter the week as YYYY-Www, e.g. 2026-W48."))
            start, end = week_bounds(day or today)
        elif kind == "day":
            day = parse_date(self.raw["day"]) if self.raw["day"] else today
            if day is None:
                self.errors.append(_("Enter the dates as YYYY-MM-DD."))
                day = today
            start = end = day
        else:
            start = parse_date(self.raw["date_from"]) if self.raw["date_from"] else None
            end = parse_date(self.raw["date_to"]) if self.raw["date_to"] else None
            if (self.raw["date_from"] and start is None) or (self.raw["date_to"] and end is None):
                self.errors.append(_("Enter the dates as YYYY-MM-DD."))
            start = start or end or today.replace(day=1)
            end = end or today
            if end < start:
                self.errors.append(_("The end date is before the start date; the two were swapped."))
                start, end = end, start
        self.period, self.start, self.end = kind, start, end

    def _month(self):
        raw = self.raw["month"]
        if raw:
            try:
                year, month = (int(x) for x in raw.split("-"))
                return month_bounds(year, month)
            except (ValueError, TypeError):
                self.errors.append(_("Enter the month as YYYY-MM, e.g. 2026-11."))
        return month_bounds(self.today.year, self.today.month)

    # -- links -------------------------------------------------------------------------------
    def period_args(self):
        if self.period == "year":
            return {"period": "year", "year": str(self.start.year)}
        if self.period == "month":
            return {"period": "month", "month": self.start.strftime("%Y-%m")}
        if self.period == "week":
            year, week, _day = self.start.isocalendar()
            return {"period": "week", "week": "%d-W%02d" % (year, week)}
        if self.period == "day":
            return {"period": "day", "day": self.start.isoformat()}
        return {"period": "range", "date_from": self.start.isoformat(), "date_to": self.end.isoformat()}

    def args(self, **changes):
        out = self.period_args()
        for key in ("project", "phase", "building", "employee"):
            value = getattr(self, key + "_id")
            if value is not None:
                out[key] = value
        return with_changes(out, changes)

    def shortcuts(self):
        """(label, args) for the quick periods: today, this week, this month, last month, this year, last year."""
        today = self.today
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        year, week, _day = today.isocalendar()
        keep = {k: v for k, v in self.args().items() if k in ("project", "phase", "building", "employee")}
        return [
            (_("Today"), dict(keep, period="day", day=today.isoformat())),
            (_("This week"), dict(keep, period="week", week="%d-W%02d" % (year, week))),
            (_("This month"), dict(keep, period="month", month=today.strftime("%Y-%m"))),
            (_("Previous month"), dict(keep, period="month", month=last_month.strftime("%Y-%m"))),
            (_("This year"), dict(keep, period="year", year=str(today.year))),
            (_("Last year"), dict(keep, period="year", year=str(today.year - 1))),
        ]

    @property
    def label(self):
        if self.start == self.end:
            return self.start.isoformat()
        return "%s ~ %s" % (self.start.isoformat(), self.end.isoformat())

    # -- conditions ----------------------------------------------------------------------------
    def room_conditions(self, room):
        """Project, phase and building conditions on a room table (the Room model or an alias),
        within the user's projects."""
        conditions = []
        if self.project_id:
            conditions.append(room.project_id == self.project_id)
        if self.building_id:
            conditions.append(room.building_id == self.building_id)
        if self.phase_id:
            conditions.append(room.building_id.in_(sa.select(Building.id).where(Building.phase_id == self.phase_id)))
        allowed = visible_project_ids()
        if allowed is not None:
            conditions.append(room.project_id.in_(allowed) if allowed else sa.false())
        return conditions

    def deal_conditions(self, room=None):
        """Conditions on Deal for the project, phase, building (through the deal's room; `room` is the
        Room model or an alias already joined, else a subquery is used), the salesperson and the
        user's deal scope."""
        from app.inventory.models import Room
        conditions = []
        if self.project_id:
            conditions.append(Deal.project_id == self.project_id)
        if self.building_id or self.phase_id:
            if room is None:
                rooms = sa.select(Room.id)
                if self.building_id:
                    rooms = rooms.where(Room.building_id == self.building_id)
                if self.phase_id:
                    rooms = rooms.where(Room.building_id.in_(sa.select(Building.id).where(Building.phase_id == self.phase_id)))
                conditions.append(Deal.room_id.in_(rooms))
            else:
                if self.building_id:
                    conditions.append(room.building_id == self.building_id)
                if self.phase_id:
                    conditions.append(room.building_id.in_(sa.select(Building.id).where(Building.phase_id == self.phase_id)))
        if self.employee_id:
            conditions.append(Deal.employee_id == self.employee_id)
        conditions.extend(deal_scope_conditions())
        return conditions


# -- the user's scope ------------------------------------------------------------------------
def _user():
    return crm_scope.acting_user() if has_request_context() else None


def sees_every_deal():
    return deal_service.sees_all_deals() or crm_scope.visible_owner_ids() is None


def deal_scope_conditions():
    """The deals the user may see (none added for those who see every deal)."""
    if deal_service.sees_all_deals():
        return []
    condition = crm_scope.owner_condition(Deal.employee_id)
    return [] if condition is None else [condition]


def visible_project_ids():
    """None: every project; else the ids of the projects the user may sell in or supervises."""
    if not has_request_context() or sees_every_deal():
        return None
    from flask import g
    if "_loupan_report_projects" not in g:
        user = _user()
        grants = permissions.grants_for(user)
        if grants.everywhere:
            g._loupan_report_projects = None
        else:
            ids = set(grants.projects) | {p for p, _b in grants.buildings}
            owners = crm_scope.visible_owner_ids() or []
            if owners:  # a supervisor: the projects their people sell in
                from app.sales.models import SalesPermission
                ids |= {p for (p,) in db.session.query(SalesPermission.project_id)
                        .filter(SalesPermission.employee_id.in_(owners)).distinct()}
            g._loupan_report_projects = sorted(ids)
    return g._loupan_report_projects


def projects():
    """The projects the user may report on, by name."""
    query = db.session.query(Project.id, Project.name).order_by(Project.name, Project.id)
    allowed = visible_project_ids()
    if allowed is not None:
        query = query.filter(Project.id.in_(allowed) if allowed else sa.false())
    return query.all()


def phases(project_id):
    if not project_id:
        return []
    return db.session.query(Phase.id, Phase.name).filter(Phase.project_id == project_id) \
        .order_by(Phase.sort_order, Phase.id).all()


def buildings(project_id):
    if not project_id:
        return []
    return db.session.query(Building.id, Building.name).filter(Building.project_id == project_id) \
        .order_by(Building.sort_order, Building.id).all()


def employees():
    """The salespeople the user may filter by: those whose deals they see."""
    query = db.session.query(Employee.id, Employee.name).order_by(Employee.name, Employee.id)
    owners = None if deal_service.sees_all_deals() else crm_scope.visible_owner_ids()
    if owners is not None:
        query = query.filter(Employee.id.in_(owners) if owners else sa.false())
    return query.all()


def choices(filters):
    """What the filter bar offers, in 4 queries."""
    return {"projects": projects(), "phases": phases(filters.project_id), "buildings": buildings(filters.project_id),
            "employees": employees(), "periods": PERIODS}
