"""The sales report (销售日报/周报/月报/年报): the figures of the known history, exactly, for the
administrator, a supervisor and a salesperson; the totals equal the deals behind them; the
period along days or months; a fixed number of queries; the page, the export and bad input."""
import io
from decimal import Decimal as D

import openpyxl
import sqlalchemy as sa

from app.extensions import db
from app.reports.services import drill
from app.reports.services import sales_period as service
from app.reports.services.filters import Filters
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

OCT = {"period": "month", "month": "2026-10"}


def _report(app, args, user="admin"):
    with as_user(app, user):
        f = Filters(args)
        return f, service.report(f)


def _fig(row, m):
    return (row[m]["count"], row[m]["area"], row[m]["amount"])


def _drill_totals(app, f, user, measure, keys):
    with as_user(app, user):
        data = drill.deals(drill.Drill({k: str(v) for k, v in f.args(measure=measure, **keys).items()}))
    return (data["totals"]["count"], data["totals"]["area"], data["totals"]["amount"])


def test_october_figures_for_the_administrator(app, ctx):
    s = history.build()
    db.session.commit()
    f, data = _report(app, dict(OCT, project=str(s.project.id)))
    t = data["total"]
    # Subscribed in October: d3, d4, d5, d6; signed: d2, d4; cancelled: d5 (approved 28 October).
    assert _fig(t, "subscribed") == (4, D("400.00"), D("8430000.00"))
    assert t["subscribed"]["price"] == D("21075.00")
    assert _fig(t, "signed") == (2, D("200.00"), D("3850000.00"))
    assert t["signed"]["price"] == D("19250.00")
    assert _fig(t, "cancelled") == (1, D("100.00"), D("1980000.00"))
    assert data["place_kind"] == "building"
    places = {r["name"]: r for r in data["places"]}
    assert _fig(places["1栋"], "subscribed") == (3, D("300.00"), D("5930000.00"))
    assert _fig(places["1栋"], "signed") == (2, D("200.00"), D("3850000.00"))
    assert _fig(places["2栋"], "subscribed") == (1, D("100.00"), D("2500000.00"))
    assert places["2栋"]["signed"]["count"] == 0 and places["2栋"]["signed"]["price"] is None
    people = {r["number"]: r for r in data["salespeople"]}
    assert _fig(people["E1003"], "subscribed") == (1, D("100.00"), D("1980000.00"))
    assert _fig(people["E1003"], "signed") == (1, D("100.00"), D("1900000.00"))
    assert people["E1003"]["cancelled"]["count"] == 1
    assert _fig(people["E1006"], "subscribed") == (2, D("200.00"), D("3950000.00"))
    assert _fig(people["E1008"], "subscribed") == (1, D("100.00"), D("2500000.00"))
    assert data["unit"] == "day" and len(data["series"]) == 31
    days = {r["label"]: r for r in data["series"]}
    assert days["2026-10-03"]["subscribed"]["amount"] == D("2000000.00")
    assert days["2026-10-08"]["signed"]["amount"] == D("1900000.00")
    assert days["2026-10-28"]["cancelled"]["count"] == 1
    assert days["2026-10-28"]["keys"]["period"] == "day" and days["2026-10-28"]["keys"]["day"] == "2026-10-28"
    assert sum(r["subscribed"]["amount"] for r in data["series"]) == t["subscribed"]["amount"]
    assert sum(r["signed"]["count"] for r in data["series"]) == 2


def test_scopes_of_supervisor_and_salesperson(app, ctx):
    s = history.build()
    db.session.commit()
    args = dict(OCT, project=str(s.project.id))
    _f, manager = _report(app, args, "manager")  # his department: 林晓燕 and 张伟, not 李娜 (d6)
    assert _fig(manager["total"], "subscribed") == (3, D("300.00"), D("5930000.00"))
    assert _fig(manager["total"], "signed") == (2, D("200.00"), D("3850000.00"))
    assert [r["name"] for r in manager["places"]] == ["1栋"]
    assert {r["number"] for r in manager["salespeople"]} == {"E1003", "E1006"}
    _f, sales = _report(app, args, "sales")  # 林晓燕: d5 subscribed and cancelled, d2 signed
    assert _fig(sales["total"], "subscribed") == (1, D("100.00"), D("1980000.00"))
    assert _fig(sales["total"], "signed") == (1, D("100.00"), D("1900000.00"))
    assert _fig(sales["total"], "cancelled") == (1, D("100.00"), D("1980000.00"))
    assert [r["number"] for r in sales["salespeople"]] == ["E1003"]


def test_totals_equal_the_deals_behind_them(app, ctx):
    s = history.build()
    db.session.commit()
    for user in ("admin", "manager", "sales"):
        for args in (dict(OCT, project=str(s.project.id)), {"period": "year", "year": "2026", "project": str(s.project.id)}):
            f, data = _report(app, args, user)
            for m in service.MEASURES:
                assert _drill_totals(app, f, user, m, {}) == _fig(data["total"], m), (user, m)
                for row in data["places"] + data["salespeople"] + [r for r in data["series"] if r[m]["count"]]:
                    assert _drill_totals(app, f, user, m, row["keys"]) == _fig(row, m), (user, m, row["keys"])
    # Without a project: the rows are projects, each drilling with project=.
    f, data = _report(app, OCT, "admin")
    assert data["place_kind"] == "project"
    rpt = next(r for r in data["places"] if r["id"] == s.project.id)
    assert _fig(rpt, "subscribed") == (4, D("400.00"), D("8430000.00"))
    assert _drill_totals(app, f, "admin", "subscribed", rpt["keys"]) == _fig(rpt, "subscribed")


def test_a_year_is_shown_per_month(app, ctx):
    s = history.build()
    db.session.commit()
    _f, data = _report(app, {"period": "year", "year": "2026", "project": str(s.project.id)})
    assert data["unit"] == "month" and [r["label"] for r in data["series"]][:2] == ["2026-01", "2026-02"]
    months = {r["label"]: r for r in data["series"]}
    assert _fig(months["2026-09"], "subscribed") == (2, D("200.00"), D("3860000.00"))
    assert _fig(months["2026-09"], "signed") == (1, D("100.00"), D("1960000.00"))
    assert _fig(months["2026-11"], "signed") == (1, D("100.00"), D("2500000.00"))
    assert months["2026-10"]["keys"]["month"] == "2026-10" and months["2026-10"]["keys"]["period"] == "month"
    assert _fig(data["total"], "subscribed") == (6, D("600.00"), D("12290000.00"))
    # A long range: per month, the partial first month as a range.
    _f, ranged = _report(app, {"period": "range", "date_from": "2026-09-10", "date_to": "2026-11-30",
                               "project": str(s.project.id)})
    assert ranged["unit"] == "month" and ranged["series"][0]["keys"]["date_from"] == "2026-09-10"
    assert ranged["series"][0]["subscribed"]["count"] == 1  # d2 (d1 was on 5 September)
    # A week and a day.
    _f, week = _report(app, {"period": "week", "week": "2026-W42", "project": str(s.project.id)})
    assert len(week["series"]) == 7 and week["total"]["subscribed"]["count"] == 1  # d5, 15 October


def test_fixed_number_of_queries(app, ctx):
    s = history.build()
    db.session.commit()
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    def count(args):
        with as_user(app, "manager"):
            f = Filters(args)
            service.report(f)  # the user's scope, read once
            statements.clear()
            service.report(f)
            return len(statements)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        small = count(OCT)
        year = count({"period": "year", "year": "2026"})
        one = count(dict(OCT, project=str(s.project.id)))
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert small == year == one == 3


def test_page_links_export_and_titles(app, client):
    with app.app_context():
        s = history.build()
        db.session.commit()
        project_id, building_id = s.project.id, s.buildings["1栋"].id
        employee_id = history.employee("E1006").id
    login(client, "manager")
    page = client.get("/reports/sales/?period=month&month=2026-10&project=%d" % project_id)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "¥5,930,000.00" in html and "¥3,850,000.00" in html
    assert "building=%d" % building_id in html and "employee=%d" % employee_id in html
    assert "measure=subscribed" in html and "period=day" in html and "day=2026-10-03" in html
    assert "data-chart=" in html
    year = client.get("/reports/sales/?period=year&year=2026&project=%d" % project_id).get_data(as_text=True)
    assert "month=2026-09" in year
    export = client.get("/reports/sales/export?period=month&month=2026-10&project=%d" % project_id)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    assert len(book.worksheets) == 4
    values = [c.value for ws in book.worksheets for row in ws.iter_rows() for c in row]
    assert 8430000 not in values and 5930000 in [v for v in values if isinstance(v, (int, float))]
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/reports/sales/?period=month&month=2026-10").status_code == 200
    client.get("/logout/")
    login(client, "finance")
    assert client.get("/reports/sales/?period=day").status_code == 200


def test_bad_input_is_said_not_failed(app, client):
    login(client, "manager")
    for query in ("period=nonsense", "project=abc", "period=month&month=2026-13", "period=week&week=x",
                  "period=year&year=99999", "employee=99999999999", "building=-1", "period=range&date_from=x",
                  "period=range&date_from=2020-01-01&date_to=2026-12-31", "period=day&day=2026-02-30"):
        page = client.get("/reports/sales/?" + query)
        assert page.status_code == 200, query
        assert client.get("/reports/sales/export?" + query).status_code == 200, query
    html = client.get("/reports/sales/?project=abc").get_data(as_text=True)
    assert "loupan-report-error" in html
