"""Sell-through (去化分析): the rooms of 报表花园 (RPT) by group, by project, building, layout, floor
band and price band, the sell-through rate, the deals subscribed in the period, the totals equal to
the drill-down lists behind them, a fixed number of queries, the page, the export and bad input.

RPT by hand (history.py): 30 rooms of 100㎡; 1栋 24 rooms at ¥2,000,000, 2栋 6 rooms at ¥2,600,000.
Sold (subscribed or signed): d1 1栋-101, d2 1栋-102, d3 1栋-201, d4 1栋-202, d6 2栋-101 → 5 rooms,
¥10,600,000 at list price. Reserved: d7 1栋-302 (held), d8 1栋-401 (booked) → 2, ¥4,000,000.
Unreleased: 2栋-301, 2栋-302 → 2, ¥5,200,000. Not for sale: 1栋-1201 → 1, ¥2,000,000.
Available: the other 20 (1栋 17 incl. 1栋-301 after d5's cancellation, 2栋 3) → ¥41,800,000.
Sell-through = 5 ÷ (30 − 2 − 1) = 5/27; 1栋 4/23, 2栋 1/4.
Subscribed in 2026: d1–d6 → 6 deals, 600㎡, ¥12,290,000 (1栋 d1–d5 ¥9,790,000; 2栋 d6 ¥2,500,000);
in October 2026: d3, d4, d5, d6 → 4, ¥8,430,000."""
import io
from decimal import Decimal as D

import openpyxl
import sqlalchemy as sa

from app.extensions import db
from app.reports.services import drill
from app.reports.services import sell_through
from app.reports.services.filters import Filters
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

YEAR = {"period": "year", "year": "2026"}


def _report(app, args, user="admin"):
    with as_user(app, user):
        return sell_through.report(Filters(args))


def _counts(row):
    return {g: row["groups"][g]["count"] for g in sell_through.GROUPS}


def _by_name(tab):
    return {r["name"]: r for r in tab["rows"]}


def test_by_building_of_the_project(app, ctx):
    s = history.build()
    db.session.commit()
    data = _report(app, dict(YEAR, project=str(s.project.id)))
    main = data["main"]
    assert main["dimension"] == "building"
    rows = _by_name(main)
    assert list(rows) == ["1栋", "2栋"]
    one, two = rows["1栋"], rows["2栋"]
    assert _counts(one) == {"unreleased": 0, "available": 17, "reserved": 2, "sold": 4, "not_for_sale": 1}
    assert _counts(two) == {"unreleased": 2, "available": 3, "reserved": 0, "sold": 1, "not_for_sale": 0}
    assert one["groups"]["sold"] == {"count": 4, "area": D("400.00"), "value": D("8000000.00")}
    assert two["groups"]["unreleased"] == {"count": 2, "area": D("200.00"), "value": D("5200000.00")}
    assert one["rate"] == D(4) / D(23) and two["rate"] == D(1) / D(4)
    assert one["period"] == {"count": 5, "area": D("500.00"), "amount": D("9790000.00")}
    assert two["period"] == {"count": 1, "area": D("100.00"), "amount": D("2500000.00")}
    total = main["total"]
    assert _counts(total) == {"unreleased": 2, "available": 20, "reserved": 2, "sold": 5, "not_for_sale": 1}
    assert total["groups"]["available"]["value"] == D("41800000.00")
    assert total["groups"]["sold"]["value"] == D("10600000.00")
    assert total["groups"]["reserved"]["value"] == D("4000000.00")
    assert total["groups"]["not_for_sale"]["value"] == D("2000000.00")
    assert total["total"] == {"count": 30, "area": D("3000.00"), "value": D("63600000.00")}
    assert total["rate"] == D(5) / D(27)
    assert total["period"] == {"count": 6, "area": D("600.00"), "amount": D("12290000.00")}


def test_by_layout_floor_band_and_price_band(app, ctx):
    s = history.build()
    db.session.commit()
    data = _report(app, {"period": "month", "month": "2026-10", "project": str(s.project.id)})
    layout, floors, prices = data["more"]
    a, b = _by_name(layout)["A"], _by_name(layout)["B"]
    assert _counts(a) == {"unreleased": 1, "available": 9, "reserved": 1, "sold": 3, "not_for_sale": 1}
    assert _counts(b) == {"unreleased": 1, "available": 11, "reserved": 1, "sold": 2, "not_for_sale": 0}
    assert a["groups"]["sold"]["value"] == D("6600000.00") and b["groups"]["sold"]["value"] == D("4000000.00")
    # October: d3 (A), d5 (A), d6 (A), d4 (B).
    assert a["period"] == {"count": 3, "area": D("300.00"), "amount": D("6480000.00")}
    assert b["period"] == {"count": 1, "area": D("100.00"), "amount": D("1950000.00")}
    assert [r["key"] for r in floors["rows"]] == [1, 11]
    low, high = floors["rows"]
    assert low["name"] == "1–10" and high["name"] == "11–20"
    assert _counts(low) == {"unreleased": 2, "available": 17, "reserved": 2, "sold": 5, "not_for_sale": 0}
    assert _counts(high) == {"unreleased": 0, "available": 3, "reserved": 0, "sold": 0, "not_for_sale": 1}
    assert high["rate"] == 0 and low["period"]["count"] == 4
    assert [r["key"] for r in prices["rows"]] == [20000, 25000]
    assert prices["rows"][0]["total"]["count"] == 24 and prices["rows"][1]["total"]["count"] == 6
    assert prices["rows"][1]["groups"]["sold"]["value"] == D("2600000.00")
    assert prices["total"]["period"]["amount"] == D("8430000.00")


def test_by_project_and_scope(app, ctx):
    s = history.build()
    db.session.commit()
    data = _report(app, YEAR)
    assert data["main"]["dimension"] == "project" and data["more"] == []
    rpt = next(r for r in data["main"]["rows"] if r["key"] == s.project.id)
    assert rpt["name"] == "报表花园"
    assert _counts(rpt) == {"unreleased": 2, "available": 20, "reserved": 2, "sold": 5, "not_for_sale": 1}
    assert rpt["rate"] == D(5) / D(27) and rpt["period"]["amount"] == D("12290000.00")
    assert len(data["main"]["rows"]) >= 2  # the demo projects too
    # A salesperson sees every room of their projects but only their own deals (d1, d2, d5).
    mine = _report(app, dict(YEAR, project=str(s.project.id)), user="sales")
    assert _counts(mine["main"]["total"]) == _counts(rpt)
    assert mine["main"]["total"]["period"] == {"count": 3, "area": D("300.00"), "amount": D("5840000.00")}


def _drill_args(f_args, tab, row, **extra):
    args = dict(f_args, **extra)
    if row is not tab["total"]:
        args[tab["dimension"]] = str(sell_through.link_key(row["key"]))
    return args


def test_totals_equal_the_drill_down(app, ctx):
    s = history.build()
    db.session.commit()
    for base in (dict(YEAR, project=str(s.project.id)), {"period": "month", "month": "2026-10"},
                 dict(YEAR, project=str(s.project.id), building=str(s.buildings["2栋"].id)),
                 dict(YEAR, project=str(s.project.id), phase=str(s.phases["一期"].id))):
        with as_user(app, "manager"):
            data = sell_through.report(Filters(base))
            for tab in [data["main"]] + data["more"]:
                for row in tab["rows"] + [tab["total"]]:
                    for group in sell_through.GROUPS:
                        listed = drill.rooms(drill.Drill(_drill_args(base, tab, row, group=group)))["totals"]
                        assert listed == row["groups"][group], (tab["dimension"], row["name"], group)
                    listed = drill.deals(drill.Drill(_drill_args(base, tab, row, measure="subscribed")))["totals"]
                    assert listed == row["period"], (tab["dimension"], row["name"])
                    every = drill.rooms(drill.Drill(_drill_args(base, tab, row)))["totals"]
                    assert every == row["total"]


def _count_queries(app, args):
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with as_user(app, "manager"):
            sell_through.report(Filters(args))  # the user's scope, read once
            statements.clear()
            sell_through.report(Filters(args))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    return len(statements)


def test_fixed_number_of_queries(app, ctx):
    s = history.build()
    db.session.commit()
    project = dict(YEAR, project=str(s.project.id))
    before = (_count_queries(app, YEAR), _count_queries(app, project))
    s.rooms["1栋-501"].status = "not_for_sale"
    s.rooms["1栋-601"].layout_id = None
    s.rooms["1栋-701"].list_unit_price = None
    db.session.commit()
    after = (_count_queries(app, YEAR), _count_queries(app, project))
    assert before == after == (3, 10), (before, after)  # rooms, deals, names per table; bands need no names


def test_page_links_chart_and_export(app, client):
    with app.app_context():
        s = history.build()
        db.session.commit()
        project_id, building_id = s.project.id, s.buildings["1栋"].id
    login(client, "manager")
    page = client.get("/reports/sell-through/?period=year&year=2026")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "报表花园" in html and "loupan-st-chart" in html
    assert "project=%d" % project_id in html
    page = client.get("/reports/sell-through/?period=year&year=2026&project=%d" % project_id)
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "building=%d" % building_id in html and "group=sold" in html and "floor_band=11" in html
    assert "price_band=25000" in html and "measure=subscribed" in html
    assert "18.5%" in html  # 5/27
    rooms = client.get("/reports/drill/rooms?period=year&year=2026&project=%d&building=%d&group=sold"
                       % (project_id, building_id))
    assert rooms.status_code == 200 and "/sales/deals/" in rooms.get_data(as_text=True)
    export = client.get("/reports/sell-through/export?period=year&year=2026&project=%d" % project_id)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    sheet = openpyxl.load_workbook(io.BytesIO(export.data)).active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    total = next(v for v in values if v and v[0] in ("Total", "合计") and v[1] == 2)
    assert total[16:19] == [30, 3000, 63600000]


def test_grants_and_bad_input(app, client):
    login(client, "sales")
    assert client.get("/reports/sell-through/").status_code == 200
    client.get("/logout/")
    login(client, "finance")
    assert client.get("/reports/sell-through/").status_code == 200
    client.get("/logout/")
    login(client, "manager")
    for query in ("project=abc", "period=month&month=2026-13", "period=week&week=x", "period=year&year=99999",
                  "project=99999999", "building=-1", "period=nonsense", "project=2147483647"):
        page = client.get("/reports/sell-through/?" + query)
        assert page.status_code == 200, query
        assert client.get("/reports/sell-through/export?" + query).status_code == 200, query
    assert "loupan-report-error" in client.get("/reports/sell-through/?project=abc").get_data(as_text=True)
