"""销售员业绩: the ranking on a known history (deals, receipts, visits), each figure equal to the
list behind it, sorting, scopes, a fixed number of queries and bad input answered without an error."""
import datetime as dt
from decimal import Decimal as D

import sqlalchemy as sa

from app.extensions import db
from app.reports.services import conversion, drill, performance
from app.reports.services.filters import Filters
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history
from tests.reports.test_conversion import arrange as arrange_visits

SEP, OCT, NOV = history.SEP, history.OCT, history.NOV


def arrange():
    """The conversion history (visits, opportunities) plus receipts: d1 ¥300,000.00 on Sep 6 and
    ¥200,000.00 on Oct 1 (and ¥10,000.00 on 2025-12-30, another year); d4 ¥100,000.00 on Oct 12
    (and a void ¥50,000.00 on Oct 13); d6 ¥200,000.00 on Nov 3."""
    s, ch1, ch2 = arrange_visits()
    history.receivable(s, "r1", "d1", D("510000.00"), SEP(5))
    history.receivable(s, "r2", "d4", D("150000.00"), OCT(10))
    history.receivable(s, "r3", "d6", D("200000.00"), NOV(1))
    history.receipt(s, "p0", "d1", [("r1", D("10000.00"))], dt.date(2025, 12, 30))
    history.receipt(s, "p1", "d1", [("r1", D("300000.00"))], SEP(6))
    history.receipt(s, "p2", "d1", [("r1", D("200000.00"))], OCT(1))
    history.receipt(s, "p3", "d4", [("r2", D("100000.00"))], OCT(12))
    history.receipt(s, "p4", "d4", [("r2", D("50000.00"))], OCT(13), status="void")
    history.receipt(s, "p5", "d6", [("r3", D("200000.00"))], NOV(3))
    db.session.commit()
    return s


def year(s, **more):
    return dict({"project": str(s.project.id), "period": "year", "year": "2026"}, **more)


def figures(r):
    return (r["contracts"], r["signed_amount"], r["subscriptions"], r["subscribed_amount"], r["collections"],
            r["visits"], r["customers"], r["conversion"], r["cancellations"], r["cancelled_amount"])


def test_ranking_of_the_year(app, ctx):
    s = arrange()
    with as_user(app, "admin"):
        data = performance.report(Filters(year(s)))
    rows = {r["name"]: r for r in data["rows"]}
    assert [(r["rank"], r["name"]) for r in data["rows"]] == [(1, "林晓燕"), (2, "李娜"), (3, "张伟")]
    assert figures(rows["林晓燕"]) == (2, D("3860000.00"), 3, D("5840000.00"), D("500000.00"), 2, 1, D(2), 1,
                                     D("1980000.00"))
    assert figures(rows["张伟"]) == (1, D("1950000.00"), 2, D("3950000.00"), D("100000.00"), 2, 3, D(1) / 3, 0,
                                    D("0"))
    assert figures(rows["李娜"]) == (1, D("2500000.00"), 1, D("2500000.00"), D("200000.00"), 1, 1, D(1), 0, D("0"))
    assert figures(data["total"]) == (4, D("8310000.00"), 6, D("12290000.00"), D("800000.00"), 5, 5, D("0.8"), 1,
                                      D("1980000.00"))


def test_sorting_and_a_month(app, ctx):
    s = arrange()
    with as_user(app, "admin"):
        def order(sort, args=None):
            return [r["name"] for r in performance.report(Filters(args or year(s)), sort)["rows"]]
        assert order("collections") == ["林晓燕", "李娜", "张伟"]
        assert order("visits") == ["林晓燕", "张伟", "李娜"]  # a tie: the larger contract amount first
        assert order("conversion") == ["林晓燕", "李娜", "张伟"]
        assert order("subscriptions") == ["林晓燕", "张伟", "李娜"]
        assert order("cancellations")[0] == "林晓燕"
        october = performance.report(Filters({"project": str(s.project.id), "period": "month", "month": "2026-10"}))
    rows = {r["name"]: r for r in october["rows"]}
    assert rows["林晓燕"]["collections"] == D("200000.00") and rows["张伟"]["collections"] == D("100000.00")
    assert rows["林晓燕"]["contracts"] == 1 and rows["张伟"]["signed_amount"] == D("1950000.00")
    assert rows["李娜"]["subscribed_amount"] == D("2500000.00") and rows["李娜"]["contracts"] == 0
    assert performance.read_sort("bogus")[0] == "contract_amount" and performance.read_sort("bogus")[1]


def test_figures_are_the_sums_of_the_lists_behind_them(app, ctx):
    s = arrange()
    with as_user(app, "admin"):
        f = Filters(year(s))
        data = performance.report(f)
        for row in data["rows"] + [dict(data["total"], key=None)]:
            args = {k: str(v) for k, v in f.args(employee=row["key"]).items()}
            for measure, count, amount in (("signed", "contracts", "signed_amount"),
                                           ("subscribed", "subscriptions", "subscribed_amount"),
                                           ("cancelled", "cancellations", "cancelled_amount")):
                totals = drill.deals(drill.Drill(dict(args, measure=measure)))["totals"]
                assert (totals["count"], totals["amount"]) == (row[count], row[amount]), (row.get("name"), measure)
            for measure in ("visits", "customers"):
                listed = conversion.visits(conversion.ListArgs(dict(args, measure=measure), "visits"))
                assert listed["count"] == row[measure], (row.get("name"), measure)


def test_scopes(app, ctx):
    s = arrange()
    with as_user(app, "manager"):
        manager = performance.report(Filters(year(s)))
    with as_user(app, "sales"):
        sales = performance.report(Filters(year(s)))
    assert [r["name"] for r in manager["rows"]] == ["林晓燕", "张伟"]
    assert manager["total"]["collections"] == D("600000.00") and manager["total"]["visits"] == 4
    assert [r["name"] for r in sales["rows"]] == ["林晓燕"]
    assert figures(sales["total"])[:5] == (2, D("3860000.00"), 3, D("5840000.00"), D("500000.00"))


def test_fixed_number_of_queries(app, ctx):
    s = arrange()
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    def count():
        with as_user(app, "manager"):
            performance.report(Filters(year(s)))
            statements.clear()
            performance.report(Filters(year(s)), "visits")
            return len(statements)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        small = count()
        for day in range(1, 15):
            history.visit(s, "d4", OCT(day), first=False, received_by="E1003" if day % 2 else "E1006")
            history.receipt(s, "x%d" % day, "d4", [("r2", D("10.00"))], OCT(day))
        db.session.commit()
        large = count()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert small == large == 4


def test_page_links_and_bad_input(app, client):
    with app.app_context():
        s = arrange()
        project = s.project.id
        lin = history.employee("E1003").id
    login(client, "manager")
    page = client.get("/reports/performance/?project=%d&period=year&year=2026" % project)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "loupan-performance-chart" in html
    assert "¥3,860,000.00" in html and "¥600,000.00" in html
    assert "employee=%d" % lin in html and "measure=signed" in html and "measure=cancelled" in html
    assert "/reports/collections/?" in html and "/reports/conversion/visits?" in html
    sorted_page = client.get("/reports/performance/?project=%d&period=year&year=2026&sort=visits" % project)
    assert sorted_page.status_code == 200 and "loupan-sort-active" in sorted_page.get_data(as_text=True)
    export = client.get("/reports/performance/export?project=%d&period=year&year=2026" % project)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    for query in ("sort=nonsense", "period=month&month=x", "project=abc", "employee=-1", "period=day&day=2026-02-30",
                  "period=range&date_from=2026-12-01&date_to=2026-01-01"):
        page = client.get("/reports/performance/?" + query)
        assert page.status_code == 200, query
        assert "loupan-report-error" in page.get_data(as_text=True), query
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/reports/performance/").status_code == 200
