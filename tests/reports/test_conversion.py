"""客户转化: the funnel by channel and salesperson on a known history, the lists behind each figure
summing to it, the scopes, a fixed number of queries and bad input answered without an error page."""
from decimal import Decimal as D

import sqlalchemy as sa

from app.core.models import LookupValue
from app.extensions import db
from app.reports.services import conversion, drill
from app.reports.services.filters import Filters
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

SEP, OCT, NOV = history.SEP, history.OCT, history.NOV


def arrange():
    """history.build() plus visits and opportunities; returns (s, ch1, ch2).

    Visits: d1 Sep 1 first (ch1, E1003) and Sep 3 repeat (no channel, E1003); d2 Sep 2 first (ch2,
    E1006); d3 Oct 1 first *call* (ch1, E1006); d4 Oct 2 first (no channel, E1006); d6 Oct 5 first
    (ch2, E1008). d5 has no visit, its customer's source is ch2. Opportunities: d1 Sep 2 (E1003),
    d2 Sep 3 (E1006), d3 Oct 2 (E1006), d5 Oct 14 (E1003), d4 Nov 10 (E1006)."""
    s = history.build()
    ch1, ch2 = (db.session.query(LookupValue).filter_by(list_code="visit_channel")
                .order_by(LookupValue.sort_order, LookupValue.id).limit(2).all())
    history.visit(s, "d1", SEP(1), channel_id=ch1.id)
    history.visit(s, "d1", SEP(3), first=False)
    history.visit(s, "d2", SEP(2), channel_id=ch2.id, received_by="E1006")
    history.visit(s, "d3", OCT(1), kind="call", channel_id=ch1.id, received_by="E1006")
    history.visit(s, "d4", OCT(2), received_by="E1006")
    history.visit(s, "d6", OCT(5), channel_id=ch2.id, received_by="E1008")
    s.customers["d5"].source_id = ch2.id
    history.opportunity(s, "d1", SEP(2))
    history.opportunity(s, "d2", SEP(3), owner="E1006")
    history.opportunity(s, "d3", OCT(2), owner="E1006")
    history.opportunity(s, "d5", OCT(14))
    history.opportunity(s, "d4", NOV(10), owner="E1006")
    db.session.commit()
    return s, ch1.id, ch2.id


def year(s, **more):
    return dict({"project": str(s.project.id), "period": "year", "year": "2026"}, **more)


def figures(row):
    return (row["visits"], row["customers"], row["opportunities"], row["subscriptions"], row["subscribed_amount"],
            row["contracts"], row["signed_amount"])


def test_funnel_by_channel_and_salesperson(app, ctx):
    s, ch1, ch2 = arrange()
    with as_user(app, "admin"):
        data = conversion.report(Filters(year(s)))
    channels = {r["key"]: r for r in data["channels"]}
    assert figures(channels[ch1]) == (1, 2, 2, 2, D("3960000.00"), 1, D("1960000.00"))
    assert figures(channels[ch2]) == (2, 2, 2, 3, D("6380000.00"), 2, D("4400000.00"))
    assert figures(channels[None]) == (2, 1, 1, 1, D("1950000.00"), 1, D("1950000.00"))
    assert data["channels"][-1]["key"] is None  # the "no channel" row comes last
    assert all(figures(r) == (0, 0, 0, 0, 0, 0, 0) for k, r in channels.items() if k not in (ch1, ch2, None))
    total = data["total"]
    assert figures(total) == (5, 5, 5, 6, D("12290000.00"), 4, D("8310000.00"))
    assert total["opportunity_rate"] == 1 and total["subscription_rate"] == D("1.2")
    assert total["contract_rate"] == D(4) / 6 and total["overall_rate"] == D("0.8")
    assert channels[ch1]["contract_rate"] == D("0.5") and channels[ch2]["overall_rate"] == 1
    people = {r["name"]: r for r in data["salespeople"]}
    assert figures(people["林晓燕"]) == (2, 1, 2, 3, D("5840000.00"), 2, D("3860000.00"))
    assert figures(people["张伟"]) == (2, 3, 3, 2, D("3950000.00"), 1, D("1950000.00"))
    assert figures(people["李娜"]) == (1, 1, 0, 1, D("2500000.00"), 1, D("2500000.00"))
    assert [r["name"] for r in data["salespeople"]] == ["林晓燕", "李娜", "张伟"]  # by signed amount
    assert people["李娜"]["subscription_rate"] is None  # no opportunity: no rate


def test_a_month_and_a_salesperson(app, ctx):
    s, ch1, ch2 = arrange()
    with as_user(app, "admin"):
        october = conversion.report(Filters({"project": str(s.project.id), "period": "month", "month": "2026-10"}))
        zhang = conversion.report(Filters(year(s, employee=str(history.employee("E1006").id))))
    assert figures(october["total"]) == (2, 3, 2, 4, D("8430000.00"), 2, D("3850000.00"))
    assert figures(zhang["total"]) == (2, 3, 3, 2, D("3950000.00"), 1, D("1950000.00"))
    assert [r["name"] for r in zhang["salespeople"]] == ["张伟"]


def test_totals_are_the_sums_of_the_lists_behind_them(app, ctx):
    s, ch1, ch2 = arrange()
    with as_user(app, "admin"):
        f = Filters(year(s))
        data = conversion.report(f)
        rows = [("channel", r) for r in data["channels"]] + [("employee", r) for r in data["salespeople"] if r["key"]]
        for kind, row in rows:
            key = row["key"] if kind == "employee" else (row["key"] or "none")
            args = {k: str(v) for k, v in f.args(**{kind: key}).items()}  # as a link carries them
            for measure, count, amount in (("subscribed", "subscriptions", "subscribed_amount"),
                                           ("signed", "contracts", "signed_amount")):
                totals = drill.deals(drill.Drill(dict(args, measure=measure)))["totals"]
                assert (totals["count"], totals["amount"]) == (row[count], row[amount]), (kind, row["name"], measure)
            for measure in ("visits", "customers"):
                listed = conversion.visits(conversion.ListArgs(dict(args, measure=measure), "visits"))
                assert listed["count"] == row[measure] == len(listed["rows"]), (kind, row["name"], measure)
            listed = conversion.opportunities(conversion.ListArgs(args, "opportunities"))
            assert listed["count"] == row["opportunities"] == len(listed["rows"]), (kind, row["name"])
        everything = conversion.visits(conversion.ListArgs(dict(year(s), measure="visits"), "visits"))
    assert everything["count"] == data["total"]["visits"] == 5
    assert {r.customer_id for r in everything["rows"]} == {s.customers[k].id for k in ("d1", "d2", "d4", "d6")}


def test_scopes(app, ctx):
    s, ch1, ch2 = arrange()
    with as_user(app, "manager"):
        manager = conversion.report(Filters(year(s)))
    with as_user(app, "sales"):
        sales = conversion.report(Filters(year(s)))
    # The manager's department: 林晓燕 and 张伟, not 李娜 (d6, her visit).
    assert figures(manager["total"]) == (4, 4, 5, 5, D("9790000.00"), 3, D("5810000.00"))
    assert {r["name"] for r in manager["salespeople"]} == {"林晓燕", "张伟"}
    assert figures(sales["total"]) == (2, 1, 2, 3, D("5840000.00"), 2, D("3860000.00"))
    assert [r["name"] for r in sales["salespeople"]] == ["林晓燕"]


def test_fixed_number_of_queries(app, ctx):
    s, ch1, ch2 = arrange()
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    def count():
        with as_user(app, "manager"):
            conversion.report(Filters(year(s)))  # the user's scope, read once
            statements.clear()
            conversion.report(Filters(year(s)))
            return len(statements)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        small = count()
        for day in range(1, 20):
            history.visit(s, "d3", SEP(day), first=False, channel_id=ch2 if day % 2 else None,
                          received_by="E1003" if day % 3 else "E1006")
        history.opportunity(s, "d6", OCT(20), owner="E1003")
        db.session.commit()
        large = count()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert small == large == 5


def test_pages(app, client):
    with app.app_context():
        s, ch1, ch2 = arrange()
        project, customer = s.project.id, s.customers["d1"].id
    login(client, "manager")
    page = client.get("/reports/conversion/?project=%d&period=year&year=2026" % project)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "loupan-conversion-funnel" in html and "¥9,790,000.00" in html
    assert "/reports/drill/deals?" in html and "channel=none" in html and "measure=signed" in html
    assert "/reports/conversion/visits?" in html and "/reports/conversion/opportunities?" in html
    visits = client.get("/reports/conversion/visits?project=%d&period=year&year=2026&channel=%d" % (project, ch1))
    assert visits.status_code == 200 and "/crm/customer360/%d" % customer in visits.get_data(as_text=True)
    opportunities = client.get("/reports/conversion/opportunities?project=%d&period=year&year=2026&channel=none"
                               % project)
    assert opportunities.status_code == 200 and "客户d4" in opportunities.get_data(as_text=True)
    export = client.get("/reports/conversion/export?project=%d&period=year&year=2026" % project)
    assert export.status_code == 200 and export.data[:2] == b"PK"


def test_bad_input_is_said_not_failed(app, client):
    login(client, "manager")
    for query in ("period=month&month=2026-13", "project=abc", "employee=x", "period=year&year=99999",
                  "channel=abc", "measure=nonsense", "page=-2", "channel=99999999999", "period=week&week=x"):
        for path in ("/reports/conversion/", "/reports/conversion/visits", "/reports/conversion/opportunities"):
            page = client.get(path + "?" + query)
            assert page.status_code == 200, (path, query)
    page = client.get("/reports/conversion/visits?channel=abc")
    assert "loupan-report-error" in page.get_data(as_text=True)


def test_sales_sees_the_report_finance_does_not(app, client):
    login(client, "sales")
    assert client.get("/reports/conversion/").status_code == 200
    client.get("/logout/")
    login(client, "finance")
    assert client.get("/reports/conversion/").status_code in (302, 403)
