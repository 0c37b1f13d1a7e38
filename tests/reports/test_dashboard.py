"""The dashboard (首页驾驶舱): every figure of today / this week / this month / this year, the
alerts and sell-through, for an administrator, a manager (their department) and a salesperson
(their own), from the known history plus rows dated around TODAY; the drill-down behind the
figures; a fixed number of queries; bad input; the home page.

TODAY is Wednesday 2026-11-25 (week 2026-11-23 ~ 11-29), after every deal of the history. The
service is given TODAY; the pages use the real date."""
import datetime as dt
from decimal import Decimal as D

import sqlalchemy as sa
from flask import current_app

from app.core import clock
from app.crm.models import FollowUp
from app.extensions import db
from app.reports.services import dashboard as service
from app.reports.services import drill
from app.reports.services.filters import Filters
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

TODAY = dt.date(2026, 11, 25)


def _days(n):
    return TODAY - dt.timedelta(days=n)


def arrange():
    """The history, with receipts, receivables, visits and follow-ups around TODAY."""
    s = history.build()
    # Receivables: d1 overdue (400,000 outstanding), d6 overdue (300,000), d4 due today (not overdue),
    # d2 overdue but paid, d5 overdue on a cancelled deal (not counted).
    history.receivable(s, "r1", "d1", D("500000.00"), _days(10), received=D("100000.00"))
    history.receivable(s, "r6", "d6", D("300000.00"), _days(5))
    history.receivable(s, "r4", "d4", D("200000.00"), TODAY)
    history.receivable(s, "r2", "d2", D("50000.00"), _days(20), received=D("50000.00"))
    history.receivable(s, "r5", "d5", D("50000.00"), _days(30))
    # Receipts: today d1 100,000 (and a void one), Monday d4 200,000, 3 Nov d6 300,000,
    # 25 Sep d2 50,000, 30 Dec 2025 d1 7,000 (last year, in the 12 months).
    history.receipt(s, "p1", "d1", [("r1", D("100000.00"))], TODAY)
    history.receipt(s, "void", "d1", [("r1", D("999.00"))], TODAY, status="void")
    history.receipt(s, "p4", "d4", [("r4", D("200000.00"))], dt.date(2026, 11, 23))
    history.receipt(s, "p6", "d6", [("r6", D("300000.00"))], dt.date(2026, 11, 3))
    history.receipt(s, "p2", "d2", [("r2", D("50000.00"))], dt.date(2026, 9, 25))
    history.receipt(s, "old", "d1", [("r1", D("7000.00"))], dt.date(2025, 12, 30))
    # Visits: today a first visit (E1003) and a repeat (E1003); yesterday a first call (E1006);
    # 3 Nov a first visit received by E1008; 10 Feb a first visit (E1006); last year one.
    history.visit(s, "d1", TODAY, first=True)
    history.visit(s, "d2", TODAY, first=False)
    history.visit(s, "d3", _days(1), first=True, kind="call", received_by="E1006")
    history.visit(s, "d6", dt.date(2026, 11, 3), first=True, received_by="E1008")
    history.visit(s, "d4", dt.date(2026, 2, 10), first=True, received_by="E1006")
    history.visit(s, "d5", dt.date(2025, 12, 1), first=True)
    return s


def follow_ups(s, today):
    """Overdue: d1's customer (E1003), d3's (E1006), d6's (E1008); due today: d2's; closed: d4's."""
    for key, days, still_open in (("d1", 3, True), ("d3", 1, True), ("d6", 2, True), ("d2", 0, True),
                                  ("d4", 5, False)):
        customer = s.customers[key]
        db.session.add(FollowUp(customer_id=customer.id, content="回访", contact_type="call",
                                next_date=today - dt.timedelta(days=days), open=still_open,
                                followed_at=clock.utc_start_of(today) - dt.timedelta(days=10),
                                employee_id=customer.owner_id))
    db.session.flush()


def _show():
    sm = current_app.appbuilder.sm
    return service.blocks(sm.has_access)


def figures(app, user, args, today=TODAY):
    with as_user(app, user) as who:
        f = Filters(args)
        show = _show()
        return service.dashboard(f, show, user=who, today=today)


def test_periods():
    spans = service.periods(TODAY)
    assert spans["today"] == (TODAY, TODAY)
    assert spans["week"] == (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
    assert spans["month"] == (dt.date(2026, 11, 1), dt.date(2026, 11, 30))
    assert spans["year"] == (dt.date(2026, 1, 1), dt.date(2026, 12, 31))
    months = service.months(TODAY)
    assert len(months) == 12 and months[0][0] == dt.date(2025, 12, 1) and months[-1][1] == dt.date(2026, 11, 30)
    days = service.days(TODAY)
    assert len(days) == 30 and days[-1] == TODAY and days[0] == dt.date(2026, 10, 27)


def test_admin_figures(app, ctx):
    s = arrange()
    db.session.commit()
    data = figures(app, "admin", {"project": str(s.project.id)})
    p = data["periods"]
    assert all(data["show"].values())
    # Deals: nothing subscribed or signed this week; November: d6 signed; the year: all of them.
    zero = {"count": 0, "area": D("0.00"), "amount": D("0.00")}
    assert p["today"]["subscribed"] == zero and p["today"]["signed"] == zero and p["today"]["held"] == 0
    assert p["week"]["signed"] == zero and p["week"]["held"] == 0
    assert p["month"]["subscribed"] == zero
    assert p["month"]["signed"] == {"count": 1, "area": D("100.00"), "amount": D("2500000.00")}
    assert p["month"]["held"] == 2  # d7 and d8, held on 20 November
    assert p["year"]["subscribed"] == {"count": 6, "area": D("600.00"), "amount": D("12290000.00")}
    assert p["year"]["signed"] == {"count": 4, "area": D("400.00"), "amount": D("8310000.00")}
    assert p["year"]["held"] == 8
    # Visits and new customers.
    assert p["today"]["visits"] == {"new": 1, "repeat": 1, "total": 2} and p["today"]["new_customers"] == 1
    assert p["week"]["visits"] == {"new": 1, "repeat": 1, "total": 2} and p["week"]["new_customers"] == 2
    assert p["month"]["visits"] == {"new": 2, "repeat": 1, "total": 3} and p["month"]["new_customers"] == 3
    assert p["year"]["visits"] == {"new": 3, "repeat": 1, "total": 4} and p["year"]["new_customers"] == 4
    # Receipts (the void one is not counted).
    assert p["today"]["receipts"] == {"count": 1, "amount": D("100000.00")}
    assert p["week"]["receipts"] == {"count": 2, "amount": D("300000.00")}
    assert p["month"]["receipts"] == {"count": 3, "amount": D("600000.00")}
    assert p["year"]["receipts"] == {"count": 4, "amount": D("650000.00")}
    # Now: overdue receivables (d1 400,000 + d6 300,000), subscriptions past their signing date (d3).
    assert data["overdue"] == {"count": 2, "amount": D("700000.00")}
    assert data["sign_overdue"] == 1
    # Trends: December 2025 … November 2026.
    months = data["trend"]
    assert months["subscribed"]["months"][-3:] == [D("3860000.00"), D("8430000.00"), D("0.00")]  # Sep, Oct, Nov
    assert months["signed"]["months"][-3:] == [D("1960000.00"), D("3850000.00"), D("2500000.00")]
    assert months["receipts"]["months"][0] == D("7000.00")  # December 2025
    assert months["receipts"]["months"][-1] == D("600000.00") and months["receipts"]["months"][-3] == D("50000.00")
    assert sum(months["receipts"]["days"]) == D("600000.00")  # 27 Oct … 25 Nov
    assert months["receipts"]["days"][-1] == D("100000.00") and months["signed"]["days"][-24] == D("2500000.00")
    assert months["signed"]["days"][0] == D("0.00")  # 27 Oct
    # Sell-through: 5 sold of 27 on sale (30 rooms − 2 unreleased − 1 not for sale).
    [row] = data["sell_through"]
    assert (row["project_id"], row["sold"], row["on_sale"], row["unreleased"], row["not_for_sale"], row["total"]) \
        == (s.project.id, 5, 27, 2, 1, 30)
    assert row["rate"] == D(5) / D(27)


def test_figures_equal_their_drill_down(app, ctx):
    s = arrange()
    db.session.commit()
    args = {"project": str(s.project.id)}
    data = figures(app, "manager", args)
    with as_user(app, "manager"):
        for code in service.PERIODS:
            for measure in ("subscribed", "signed"):
                link = {k: str(v) for k, v in Filters(args, today=TODAY).args(**service.period_args(code, TODAY)).items()}
                link["measure"] = measure
                totals = drill.deal_totals(drill.Drill(link))
                assert totals == data["periods"][code][measure], (code, measure)
        sold = drill.rooms(drill.Drill({"project": str(s.project.id), "group": "sold"}))
    assert sold["totals"]["count"] == data["sell_through"][0]["sold"]


def test_manager_sees_their_department(app, ctx):
    s = arrange()
    db.session.commit()
    data = figures(app, "manager", {"project": str(s.project.id)})
    p = data["periods"]
    assert data["show"]["sales"] and data["show"]["money"] and data["show"]["visits"]
    # Without E1008's d6.
    assert p["month"]["signed"]["count"] == 0 and p["month"]["held"] == 2
    assert p["year"]["subscribed"] == {"count": 5, "area": D("500.00"), "amount": D("9790000.00")}
    assert p["year"]["signed"] == {"count": 3, "area": D("300.00"), "amount": D("5810000.00")}
    assert p["year"]["held"] == 7
    assert p["month"]["visits"] == {"new": 1, "repeat": 1, "total": 2} and p["month"]["new_customers"] == 2
    assert p["year"]["visits"] == {"new": 2, "repeat": 1, "total": 3} and p["year"]["new_customers"] == 3
    assert p["week"]["receipts"] == {"count": 2, "amount": D("300000.00")}
    assert p["month"]["receipts"] == {"count": 2, "amount": D("300000.00")}
    assert p["year"]["receipts"] == {"count": 3, "amount": D("350000.00")}
    assert data["overdue"] == {"count": 1, "amount": D("400000.00")}
    assert data["sign_overdue"] == 1  # d3 is 张伟's


def test_salesperson_sees_their_own(app, ctx):
    s = arrange()
    db.session.commit()
    data = figures(app, "sales", {"project": str(s.project.id)})
    p = data["periods"]
    assert data["show"]["sales"] and not data["show"]["money"]
    assert "receipts" not in p["year"] and "overdue" not in data
    # 林晓燕: d1, d2, d5, d7.
    assert p["year"]["subscribed"] == {"count": 3, "area": D("300.00"), "amount": D("5840000.00")}
    assert p["year"]["signed"] == {"count": 2, "area": D("200.00"), "amount": D("3860000.00")}
    assert p["month"]["held"] == 1 and p["year"]["held"] == 4
    assert p["today"]["visits"] == {"new": 1, "repeat": 1, "total": 2}
    assert p["year"]["visits"] == {"new": 1, "repeat": 1, "total": 2} and p["year"]["new_customers"] == 1
    assert data["sign_overdue"] == 0
    assert [r["sold"] for r in data["sell_through"]] == [5]  # rooms are not confidential


def test_finance_sees_money_not_sales(app, ctx):
    s = arrange()
    db.session.commit()
    data = figures(app, "finance", {"project": str(s.project.id)})
    assert data["show"]["money"] and not data["show"]["sales"] and not data["show"]["visits"]
    assert data["periods"]["year"]["receipts"] == {"count": 4, "amount": D("650000.00")}
    assert data["overdue"] == {"count": 2, "amount": D("700000.00")}


def test_overdue_follow_ups_by_scope(app, ctx):
    s = history.build()
    db.session.commit()
    before = {u: figures(app, u, {})["follow_ups_overdue"] for u in ("admin", "manager", "sales")}
    follow_ups(s, TODAY)
    db.session.commit()
    after = {u: figures(app, u, {})["follow_ups_overdue"] for u in ("admin", "manager", "sales")}
    assert {u: after[u] - before[u] for u in after} == {"admin": 3, "manager": 2, "sales": 1}


def test_pending_approvals_count(app, ctx):
    from app.core.models import ApprovalRequest
    from app.core.services import approvals
    from app.org.approvals import KIND
    before = figures(app, "admin", {})["approvals"]
    with as_user(app, "manager") as manager:
        requester_id = manager.id
    db.session.add(ApprovalRequest(kind=KIND, requester_id=requester_id, target_table="employee", target_id=1,
                                   payload={}, summary="调动", status="pending"))
    db.session.commit()
    data = figures(app, "admin", {})
    assert data["approvals"] == before + 1
    with as_user(app, "admin") as admin:
        assert data["approvals"] == len(approvals.pending_for(admin))


def _count_statements(app, user, args):
    statements = []

    def seen(conn, cursor, statement, *a):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with as_user(app, user) as who:
            f = Filters(args)
            show = _show()
            service.dashboard(f, show, user=who, today=TODAY)  # permissions and scope, read once
            statements.clear()
            service.dashboard(f, show, user=who, today=TODAY)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    return statements


def test_fixed_number_of_queries(app, ctx):
    one = {u: _count_statements(app, u, {}) for u in ("admin", "manager", "sales")}
    s = arrange()
    follow_ups(s, TODAY)
    for n in range(5):  # more of everything
        history.receipt(s, "more%d" % n, "d2", [("r2", D("1.00"))], _days(n))
        history.visit(s, "d7", _days(n), first=False)
    db.session.commit()
    more = {u: _count_statements(app, u, {}) for u in ("admin", "manager", "sales")}
    assert {u: len(v) for u, v in more.items()} == {u: len(v) for u, v in one.items()}
    # deals, sign deadline, visits, receipts, overdue, sell-through, follow-ups, approvals
    assert len(more["admin"]) == 8, more["admin"]
    assert len(more["manager"]) <= 9, more["manager"]
    print("dashboard queries:", {u: len(v) for u, v in more.items()})


def test_page_for_each_role(app, client):
    with app.app_context():
        s = arrange()
        db.session.commit()
        project_id, deal_id = s.project.id, s.deals["d6"].id
    login(client, "manager")
    page = client.get("/reports/dashboard/?project=%d" % project_id)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "loupan-dash-figures" in html and "loupan-dash-months" in html and "loupan-dash-sell" in html
    assert "/reports/sell-through/?project=%d" % project_id in html
    assert "/reports/drill/rooms?" in html and "group=sold" in html
    assert "measure=subscribed" in html and "period=year" in html
    assert "/finance/arrears/" in html  # the manager's overdue list
    # The lists behind the figures open.
    import html as html_lib
    import re
    for pattern in (r'href="(/visitview/list/\?[^"]+)"', r'href="(/sales/deals/\?[^"]*overdue=1[^"]*)"',
                    r'href="(/reports/drill/deals\?[^"]*measure=held[^"]*)"', r'href="(/finance/arrears/[^"]*)"',
                    r'href="(/reports/drill/deals\?[^"]+)"'):
        found = re.search(pattern, html)
        assert found, pattern
        assert client.get(html_lib.unescape(found.group(1))).status_code == 200, found.group(1)
    export = client.get("/reports/dashboard/export?project=%d" % project_id)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    client.get("/logout/")
    login(client, "sales")
    html = client.get("/reports/dashboard/?project=%d" % project_id).get_data(as_text=True)
    assert "loupan-dash-figures" in html and "loupan-dash-receipts-year" not in html
    client.get("/logout/")
    login(client, "finance")
    html = client.get("/reports/dashboard/?project=%d" % project_id).get_data(as_text=True)
    assert "loupan-dash-receipts-year" in html and "loupan-dash-subscribed-year" not in html
    assert "/finance/receivables/?" in html and "overdue=1" in html


def test_bad_input_is_said_not_failed(app, client):
    login(client, "manager")
    for query in ("project=abc", "project=99999999999", "project=-1", "employee=x", "period=nonsense",
                  "project=999999"):
        page = client.get("/reports/dashboard/?" + query)
        assert page.status_code == 200, query
    assert "loupan-report-error" in client.get("/reports/dashboard/?project=abc").get_data(as_text=True)


def test_home_page_shows_the_dashboard(app, client):
    login(client, "manager")
    html = client.get("/").get_data(as_text=True)
    assert "loupan-home-dashboard" in html and "loupan-dash-figures" in html
    assert "echarts.min.js" in html and "reports/reports.js" in html
    assert "panel-heading" in html  # the panels stay below
    client.get("/logout/")
    login(client, "admin")
    assert "loupan-home-dashboard" in client.get("/").get_data(as_text=True)


def test_home_page_without_the_permission(app, client):
    from app.core import home
    assert len([p for p in home._dashboards if p.__name__ == "home_dashboard"]) == 1  # once per process
    login(client, "service")  # 客服: no dashboard, the panels as before
    page = client.get("/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "loupan-home-dashboard" not in html and "echarts.min.js" not in html
    assert client.get("/reports/dashboard/").status_code in (302, 403)
