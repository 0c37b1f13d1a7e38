"""The dashboard (首页驾驶舱): what a user reads first in the morning, for the projects and the
people in their scope (a salesperson their own figures, a sales manager their department's,
administrators, finance and directors every project), optionally for one project.

Periods (the office's dates): today, this week (Monday to Sunday), this month, this year. Each
figure of a period:
- visits (来访): CRM visits (kind "visit", not calls) in the period, new (the customer's first visit
  or call to the project) and repeat (the others); a salesperson or a manager counts the visits
  received by themselves or their department;
- new customers (新客户): the customers whose first visit or call to a project falls in the period
  (a customer new to two projects counts once);
- holds (预留): deals held in the period (the moment the room was held);
- subscriptions (认购) and contracts (签约): the report measures "subscribed" and "signed" — deals
  subscribed (signed) in the period, whatever became of them later — count, gross area of their
  rooms and the deals' totals;
- receipts (收款): valid receipts paid in the period, count and amount.
Now (no period):
- overdue amount (逾期金额): what is outstanding (amount + adjustments − received) on open
  receivables of active deals due before today, and how many receivables;
- subscriptions past the signing deadline (认购超期未签): active deals still subscribed whose
  signing date (sign_by) is before today;
- overdue follow-ups (逾期跟进): open follow-ups of the customers in the user's scope whose next
  date is before today;
- pending approvals (待审批): the requests waiting for this user's decision (their inbox).
Trends: the amounts of subscriptions and contracts (bars) and receipts (line) of each of the last
12 months (this one included) and of each of the last 30 days (today included).
Sell-through (去化率) by project: sold ÷ (all rooms − unreleased − not for sale), the rooms as they
are now (see measures).

Every figure is an SQL aggregate: one query per source table covers the four periods and the
trend buckets at once (conditional sums), so the dashboard takes the same small number of
queries whatever the data size."""
import datetime as dt
from decimal import Decimal

import sqlalchemy as sa

from app.core import clock
from app.crm.models import Customer, FollowUp, Visit
from app.crm.services import scope as crm_scope
from app.extensions import db
from app.finance.models import Receipt, Receivable
from app.inventory.models import Project, Room
from app.reports.services import filters as report_filters
from app.reports.services import measures
from app.reports.services.filters import month_bounds, week_bounds
from app.sales.models import Deal

ZERO = Decimal("0.00")
PERIODS = ("today", "week", "month", "year")
TREND_MONTHS = 12
TREND_DAYS = 30


def periods(today):
    """{code: (start, end)} of the four periods, both days included."""
    return {
        "today": (today, today),
        "week": week_bounds(today),
        "month": month_bounds(today.year, today.month),
        "year": (dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)),
    }


def period_args(code, today):
    """The report filters' query arguments naming a period (for drill-down links); the other
    period arguments are dropped."""
    base = {k: None for k in ("year", "month", "week", "day", "date_from", "date_to")}
    if code == "today":
        return dict(base, period="day", day=today.isoformat())
    if code == "week":
        year, week, _day = today.isocalendar()
        return dict(base, period="week", week="%d-W%02d" % (year, week))
    if code == "month":
        return dict(base, period="month", month=today.strftime("%Y-%m"))
    if code == "year":
        return dict(base, period="year", year=str(today.year))
    raise ValueError(code)


def months(today, count=TREND_MONTHS):
    """[(start, end)] of the last `count` months, oldest first, this month last."""
    out = []
    year, month = today.year, today.month
    for _i in range(count):
        out.append(month_bounds(year, month))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return out[::-1]


def days(today, count=TREND_DAYS):
    return [today - dt.timedelta(days=n) for n in range(count - 1, -1, -1)]


def _between(column, start, end):
    return sa.and_(column >= start, column <= end)


def _moment_between(column, start, end):
    return sa.and_(column >= clock.utc_start_of(start), column < clock.utc_start_of(end + dt.timedelta(days=1)))


def _sum(condition, value):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, value), else_=None)), 0)


def _count(condition):
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def _money(value):
    return Decimal(value or 0).quantize(Decimal("0.01"))


# -- the user's blocks --------------------------------------------------------------------------
def blocks(has_access):
    """Which blocks the user sees, from their permissions: `has_access(permission, view)`."""
    sells = has_access("can_act", "DealView")
    money = (has_access("can_list", "PaymentView") or has_access("can_list", "ArrearsView"))
    return {
        "sales": sells,
        "visits": sells and has_access("can_list", "VisitView"),
        "money": money,
        "sell_through": sells or has_access("can_list", "SellThroughReportView"),
        "follow_ups": has_access("can_list", "FollowUpView"),
        "approvals": has_access("can_inbox", "ApprovalView"),
    }


# -- the figures --------------------------------------------------------------------------------
def _window(spans, trend_months=None, trend_days=None):
    starts = [s for s, _e in spans.values()] + ([trend_months[0][0], trend_days[0]] if trend_months else [])
    ends = [e for _s, e in spans.values()] + ([trend_months[-1][1], trend_days[-1]] if trend_months else [])
    return min(starts), max(ends)


def _by_day(day_column, sums, conditions, name):
    """A subquery: one row per day of `day_column` with the row count (n) and the sums of `sums`
    ({label: column}) — the periods and trend buckets are then summed over a few hundred days
    instead of every row."""
    return (sa.select(day_column.label("day"), sa.func.count().label("n"),
                      *[sa.func.coalesce(sa.func.sum(column), 0).label(label) for label, column in sums.items()])
            .where(*conditions).group_by(day_column).subquery(name))


def _bucket_columns(sub, prefix, spans, trend_months, trend_days, sums, trend_value):
    """Conditional sums over a by-day subquery: count and sums per period, `trend_value` per
    month and per day of the trends."""
    columns = []
    for code, (start, end) in spans.items():
        within = _between(sub.c.day, start, end)
        columns.append(_sum(within, sub.c.n).label("%scount_%s" % (prefix, code)))
        for label in sums:
            columns.append(_sum(within, sub.c[label]).label("%s%s_%s" % (prefix, label, code)))
    for i, (start, end) in enumerate(trend_months):
        columns.append(_sum(_between(sub.c.day, start, end), sub.c[trend_value]).label("%sm%d" % (prefix, i)))
    for i, day in enumerate(trend_days):
        columns.append(_sum(sub.c.day == day, sub.c[trend_value]).label("%sd%d" % (prefix, i)))
    return columns


def deal_figures(f, spans, trend_months, trend_days):
    """Holds, subscriptions and contracts of the periods, and the trend amounts: one query. The
    deals subscribed or signed in the window are joined to their rooms once (a common table
    expression), then summed by subscription day and by signing day; the holds are counted per
    period."""
    low, high = _window(spans, trend_months, trend_days)
    sums = {"area": Room.area_gross, "amount": Deal.total}
    subscribed_in = measures.deal_measure("subscribed", low, high)
    signed_in = measures.deal_measure("signed", low, high)
    base = (sa.select(Deal.subscribed_on, Deal.signed_on, Room.area_gross.label("area"), Deal.total.label("amount"))
            .select_from(Deal).join(Room, Room.id == Deal.room_id)
            .where(sa.or_(sa.and_(*subscribed_in), sa.and_(*signed_in)), *f.deal_conditions(room=Room))
            .cte("dashboard_deals"))
    columns = []
    for measure, day in (("subscribed", base.c.subscribed_on), ("signed", base.c.signed_on)):
        sub = (sa.select(day.label("day"), sa.func.count().label("n"),
                         sa.func.coalesce(sa.func.sum(base.c.area), 0).label("area"),
                         sa.func.coalesce(sa.func.sum(base.c.amount), 0).label("amount"))
               .where(day >= low, day <= high).group_by(day).subquery(measure))
        columns.append(sa.select(*_bucket_columns(sub, measure + "_", spans, trend_months, trend_days, sums, "amount"))
                       .subquery(measure + "_buckets"))
    held_low, held_high = _window(spans)
    held = (sa.select(*[_count(_moment_between(Deal.held_at, start, end)).label("held_%s" % code)
                        for code, (start, end) in spans.items()])
            .where(Deal.held_at.isnot(None), _moment_between(Deal.held_at, held_low, held_high),
                   *f.deal_conditions())
            .subquery("held"))
    subscribed, signed = columns  # three one-row aggregates side by side
    query = (sa.select(*subscribed.c, *signed.c, *held.c)
             .select_from(subscribed.join(signed, sa.true()).join(held, sa.true())))
    return db.session.execute(query).one()._mapping


def _receipt_scope(f):
    """Valid receipts of the project, of the deals the user may see."""
    conditions = [Receipt.status == "valid"]
    if f.project_id:
        conditions.append(Receipt.project_id == f.project_id)
    deal_scope = list(report_filters.deal_scope_conditions())
    if f.employee_id:
        deal_scope.append(Deal.employee_id == f.employee_id)
    if deal_scope:
        conditions.append(Receipt.deal_id.in_(sa.select(Deal.id).where(*deal_scope)))
    return conditions


def receipt_figures(f, spans, trend_months, trend_days):
    """Receipts of the periods and the trend amounts: one query (summed by day first)."""
    low, high = _window(spans, trend_months, trend_days)
    sub = _by_day(Receipt.paid_on, {"amount": Receipt.amount},
                  [_between(Receipt.paid_on, low, high), *_receipt_scope(f)], "receipts_by_day")
    query = sa.select(*_bucket_columns(sub, "", spans, trend_months, trend_days, {"amount": None}, "amount"))
    return db.session.execute(query).one()._mapping


def visit_conditions(f):
    """The visits in the user's scope: received by them (their department), in their projects."""
    conditions = []
    if f.project_id:
        conditions.append(Visit.project_id == f.project_id)
    if not report_filters.sees_every_deal():
        condition = crm_scope.owner_condition(Visit.received_by_id)
        if condition is not None:
            conditions.append(condition)
    if f.employee_id:
        conditions.append(Visit.received_by_id == f.employee_id)
    return conditions


def visit_figures(f, spans):
    """Visits (new, repeat) and new customers of the periods: one query."""
    columns = []
    for code, (start, end) in spans.items():
        within = _moment_between(Visit.visited_at, start, end)
        visit = sa.and_(within, Visit.kind == "visit")
        columns += [_count(sa.and_(visit, Visit.is_first.is_(True))).label("new_%s" % code),
                    _count(sa.and_(visit, Visit.is_first.is_(False))).label("repeat_%s" % code),
                    sa.func.count(sa.distinct(sa.case((sa.and_(within, Visit.is_first.is_(True)), Visit.customer_id),
                                                      else_=None))).label("customers_%s" % code)]
    low = min(s for s, _e in spans.values())
    high = max(e for _s, e in spans.values())
    query = (sa.select(*columns).select_from(Visit)
             .where(_moment_between(Visit.visited_at, low, high), *visit_conditions(f)))
    return db.session.execute(query).one()._mapping


def overdue_receivables(f, today):
    """(count, amount) of the open receivables of active deals due before today with something
    outstanding: one query."""
    outstanding = Receivable.amount + Receivable.adjusted - Receivable.received
    query = (sa.select(sa.func.count(Receivable.id), sa.func.coalesce(sa.func.sum(outstanding), 0))
             .select_from(Receivable).join(Deal, Deal.id == Receivable.deal_id)
             .where(Receivable.status == "open", Receivable.due_date < today, outstanding > 0,
                    Deal.state == "active", *f.deal_conditions()))
    count, amount = db.session.execute(query).one()
    return int(count or 0), _money(amount)


def sign_overdue(f, today):
    """Active subscribed deals whose signing date has passed: one query."""
    query = (sa.select(sa.func.count(Deal.id))
             .where(Deal.state == "active", Deal.stage == "subscribed", Deal.sign_by < today, *f.deal_conditions()))
    return int(db.session.execute(query).scalar() or 0)


def follow_ups_overdue(f, today):
    """Open follow-ups of the customers in the user's scope due before today: one query."""
    query = (sa.select(sa.func.count(FollowUp.id)).select_from(FollowUp)
             .join(Customer, Customer.id == FollowUp.customer_id)
             .where(FollowUp.open.is_(True), FollowUp.next_date < today))
    condition = crm_scope.owner_condition(Customer.owner_id)
    if condition is not None:
        query = query.where(condition)
    if f.employee_id:
        query = query.where(Customer.owner_id == f.employee_id)
    return int(db.session.execute(query).scalar() or 0)


def sell_through(f):
    """Per project of the user's: rooms by group and the sell-through ratio: one query (rooms
    counted by project and status first)."""
    by_status = (sa.select(Room.project_id.label("project_id"), Room.status.label("status"),
                           sa.func.count().label("n"))
                 .where(*f.room_conditions(Room)).group_by(Room.project_id, Room.status).subquery("rooms_by_status"))
    groups = [_sum(by_status.c.status.in_(statuses), by_status.c.n).label(code)
              for code, (_label, statuses) in measures.ROOM_GROUPS.items()]
    query = (sa.select(Project.id, Project.name, sa.func.sum(by_status.c.n).label("total"), *groups)
             .select_from(by_status).join(Project, Project.id == by_status.c.project_id)
             .group_by(Project.id, Project.name).order_by(Project.name, Project.id))
    rows = []
    for row in db.session.execute(query):
        m = row._mapping
        total = int(m["total"])
        # A status outside the groups counts as available (measures.group_of_status).
        other = total - sum(int(m[code]) for code in measures.ROOM_GROUPS)
        on_sale = total - int(m["unreleased"]) - int(m["not_for_sale"])
        sold = int(m["sold"])
        rows.append({"project_id": m["id"], "name": m["name"], "total": total, "on_sale": on_sale,
                     "sold": sold, "available": int(m["available"]) + other, "reserved": int(m["reserved"]),
                     "unreleased": int(m["unreleased"]), "not_for_sale": int(m["not_for_sale"]),
                     "rate": (Decimal(sold) / Decimal(on_sale)) if on_sale else None})
    return rows


def pending_approvals(user):
    """The requests waiting for this user's decision (the approval inbox's own rule)."""
    from app.core.services import approvals
    return len(approvals.pending_for(user))


# -- everything ---------------------------------------------------------------------------------
def dashboard(f, show, user=None, today=None):
    """The dashboard's figures for the filters `f` (only the project is used) and the blocks
    `show` (see `blocks`)."""
    today = today or clock.local_today()
    spans = periods(today)
    trend_months = months(today)
    trend_days = days(today)
    data = {"today": today, "spans": spans, "show": show, "periods": {code: {} for code in PERIODS},
            "trend_months": trend_months, "trend_days": trend_days}
    if show["sales"]:
        d = deal_figures(f, spans, trend_months, trend_days)
        for code in PERIODS:
            p = data["periods"][code]
            p["held"] = int(d["held_%s" % code])
            for measure in ("subscribed", "signed"):
                p[measure] = {"count": int(d["%s_count_%s" % (measure, code)]),
                              "area": _money(d["%s_area_%s" % (measure, code)]),
                              "amount": _money(d["%s_amount_%s" % (measure, code)])}
        data["trend"] = {measure: {"months": [_money(d["%s_m%d" % (measure, i)]) for i in range(len(trend_months))],
                                   "days": [_money(d["%s_d%d" % (measure, i)]) for i in range(len(trend_days))]}
                         for measure in ("subscribed", "signed")}
        data["sign_overdue"] = sign_overdue(f, today)
    if show["visits"]:
        v = visit_figures(f, spans)
        for code in PERIODS:
            data["periods"][code]["visits"] = {"new": int(v["new_%s" % code]), "repeat": int(v["repeat_%s" % code]),
                                               "total": int(v["new_%s" % code]) + int(v["repeat_%s" % code])}
            data["periods"][code]["new_customers"] = int(v["customers_%s" % code])
    if show["money"]:
        r = receipt_figures(f, spans, trend_months, trend_days)
        for code in PERIODS:
            data["periods"][code]["receipts"] = {"count": int(r["count_%s" % code]),
                                                 "amount": _money(r["amount_%s" % code])}
        data.setdefault("trend", {})["receipts"] = {
            "months": [_money(r["m%d" % i]) for i in range(len(trend_months))],
            "days": [_money(r["d%d" % i]) for i in range(len(trend_days))]}
        count, amount = overdue_receivables(f, today)
        data["overdue"] = {"count": count, "amount": amount}
    if show["sell_through"]:
        data["sell_through"] = sell_through(f)
    if show["follow_ups"]:
        data["follow_ups_overdue"] = follow_ups_overdue(f, today)
    if show["approvals"]:
        data["approvals"] = pending_approvals(user)
    return data
