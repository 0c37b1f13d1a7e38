"""Sales velocity (销售速度): units and value subscribed per ISO week of the period, the average a
week, the stock left and the weeks it lasts, checked on 报表花园 (RPT, history.py) by hand; each
week's figure equal to its drill-down list; a fixed number of queries; the page and bad input.

October 2026 (Thursday 1st to Saturday 31st, over by today): weeks 2026-W40 (cut to Oct 1–4) d3
¥2,000,000; W41 d4 ¥1,950,000 (signed: d2 ¥1,900,000); W42 d5 ¥1,980,000; W43 d6 ¥2,500,000
(signed: d4 ¥1,950,000); W44 (cut to Oct 26–31) nothing. 4 units, ¥8,430,000 over 31/7 weeks:
28/31 ≈ 0.90 a week, ¥1,903,548.39 a week. Stock left: 2 unreleased + 20 available + 2 reserved =
24 rooms, ¥51,000,000; weeks left 24 ÷ 28/31 = 26.57 → 26.6."""
import datetime as dt
from decimal import Decimal as D

import sqlalchemy as sa

from app.extensions import db
from app.reports.services import drill
from app.reports.services import velocity
from app.reports.services.filters import Filters
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

OCTOBER = {"period": "month", "month": "2026-10"}
TODAY = dt.date(2026, 11, 27)


def _report(app, args, user="admin"):
    with as_user(app, user):
        return velocity.report(Filters(args), today=TODAY)


def test_october_by_week(app, ctx):
    s = history.build()
    db.session.commit()
    data = _report(app, dict(OCTOBER, project=str(s.project.id)))
    weeks = [(w["label"], w["first"].day, w["last"].day, w["units"], w["amount"], w["signed"], w["signed_amount"])
             for w in data["weeks"]]
    assert weeks == [
        ("2026-W40", 1, 4, 1, D("2000000.00"), 0, D("0")),
        ("2026-W41", 5, 11, 1, D("1950000.00"), 1, D("1900000.00")),
        ("2026-W42", 12, 18, 1, D("1980000.00"), 0, D("0")),
        ("2026-W43", 19, 25, 1, D("2500000.00"), 1, D("1950000.00")),
        ("2026-W44", 26, 31, 0, D("0"), 0, D("0")),
    ]
    assert data["weeks"][1]["args"]["period"] == "week" and data["weeks"][1]["args"]["week"] == "2026-W41"
    assert data["weeks"][0]["args"] == dict(data["weeks"][0]["args"], period="range", date_from="2026-10-01",
                                            date_to="2026-10-04")
    total = data["total"]
    assert data["weeks_elapsed"] == D(31) / D(7)
    assert (total["units"], total["amount"], total["signed"], total["signed_amount"]) == \
        (4, D("8430000.00"), 2, D("3850000.00"))
    assert total["average"] == D("0.90") and total["average_amount"] == D("1903548.39")
    assert (total["stock"], total["stock_value"]) == (24, D("51000000.00"))
    assert total["weeks_left"] == D("26.6")
    assert [p["key"] for p in data["projects"]] == [s.project.id]


def test_year_so_far_projects_and_no_speed(app, ctx):
    s = history.build()
    db.session.commit()
    data = _report(app, {"period": "year", "year": "2026"})
    assert len(data["weeks"]) == 53 and data["weeks"][0]["label"] == "2026-W01"
    assert data["weeks_elapsed"] == D(331) / D(7)  # 1 January to 27 November
    rpt = next(p for p in data["projects"] if p["key"] == s.project.id)
    assert (rpt["units"], rpt["amount"], rpt["stock"]) == (6, D("12290000.00"), 24)
    assert rpt["average"] == (D(6) * 7 / 331).quantize(D("0.01"))
    assert rpt["weeks_left"] == (D(24) / (D(6) * 7 / 331)).quantize(D("0.1"))
    assert data["total"]["units"] == sum(w["units"] for w in data["weeks"])
    assert data["total"]["amount"] == sum(w["amount"] for w in data["weeks"])
    august = _report(app, {"period": "month", "month": "2026-08", "project": str(s.project.id)})
    assert august["total"]["units"] == 0 and august["total"]["weeks_left"] is None
    assert august["total"]["average"] == 0
    future = _report(app, {"period": "month", "month": "2027-01", "project": str(s.project.id)})
    assert future["total"]["average"] is None and future["total"]["weeks_left"] is None


def test_weeks_equal_the_drill_down(app, ctx):
    s = history.build()
    db.session.commit()
    for base in (dict(OCTOBER, project=str(s.project.id)), {"period": "range", "date_from": "2026-09-03",
                                                             "date_to": "2026-11-04"},
                 dict(OCTOBER, project=str(s.project.id), building=str(s.buildings["2栋"].id)),
                 dict(OCTOBER, project=str(s.project.id), phase=str(s.phases["一期"].id))):
        with as_user(app, "manager"):
            data = velocity.report(Filters(base), today=TODAY)
            for week in data["weeks"]:
                args = {k: v for k, v in dict(base, **week["args"]).items() if v is not None}
                sub = drill.deals(drill.Drill(dict(args, measure="subscribed")))["totals"]
                sign = drill.deals(drill.Drill(dict(args, measure="signed")))["totals"]
                assert (sub["count"], sub["amount"]) == (week["units"], week["amount"]), week["label"]
                assert (sign["count"], sign["amount"]) == (week["signed"], week["signed_amount"]), week["label"]
            whole = drill.deals(drill.Drill(dict(base, measure="subscribed")))["totals"]
            assert (whole["count"], whole["amount"]) == (data["total"]["units"], data["total"]["amount"])


def _count_queries(app, args):
    statements = []

    def seen(conn, cursor, statement, *rest):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with as_user(app, "manager"):
            velocity.report(Filters(args))
            statements.clear()
            velocity.report(Filters(args))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    return len(statements)


def test_fixed_number_of_queries(app, ctx):
    s = history.build()
    db.session.commit()
    year = {"period": "year", "year": "2026"}
    before = (_count_queries(app, year), _count_queries(app, OCTOBER))
    for key, day in (("d7", dt.date(2026, 11, 10)), ("d8", dt.date(2026, 3, 2))):  # more weeks with sales
        s.deals[key].stage, s.deals[key].subscribed_on = "subscribed", day
    db.session.commit()
    after = (_count_queries(app, year), _count_queries(app, OCTOBER))
    assert before == after == (6, 6), (before, after)  # weeks ×2, projects ×2, stock, names


def test_page_chart_links_export_and_bad_input(app, client):
    with app.app_context():
        s = history.build()
        db.session.commit()
        project_id = s.project.id
    login(client, "manager")
    page = client.get("/reports/velocity/?period=month&month=2026-10&project=%d" % project_id)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "loupan-vel-chart" in html and "week=2026-W41" in html and "measure=subscribed" in html
    assert "¥51,000,000.00" in html
    export = client.get("/reports/velocity/export?period=month&month=2026-10&project=%d" % project_id)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    for query in ("project=abc", "period=month&month=2026-13", "period=week&week=x", "period=year&year=99999",
                  "employee=zz", "period=range&date_from=2026-12-01&date_to=2026-01-01", "period=day&day=2026-02-30"):
        assert client.get("/reports/velocity/?" + query).status_code == 200, query
        assert client.get("/reports/velocity/export?" + query).status_code == 200, query
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/reports/velocity/").status_code != 200  # managers only
