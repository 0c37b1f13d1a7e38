"""Price analysis (价格分析): list against deal price of the deals subscribed in a period, by
building, layout, salesperson and discount policy — exact figures of the known history for three
scopes, totals equal to the deals behind them, a fixed number of queries, the page and bad input."""
import datetime as dt
import io
from decimal import Decimal as D

import openpyxl
import sqlalchemy as sa

from app.extensions import db
from app.reports.services import drill
from app.reports.services import pricing as service
from app.reports.services.filters import Filters
from app.sales.models.discount import DiscountPolicy
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history

OCT = {"period": "month", "month": "2026-10"}


def _build():
    """The history, with two policies: 开盘九八折 given to d3, 老带新 to d3 and d4."""
    s = history.build()
    s.policies = {}
    for name, value in (("开盘九八折", D("98")), ("老带新", D("99"))):
        policy = DiscountPolicy(project_id=s.project.id, name=name, category="ordinary", method="percent", value=value,
                                sequence=10, stackable=True, valid_from=dt.date(2026, 1, 1), active=True)
        db.session.add(policy)
        s.policies[name] = policy
    db.session.flush()
    s.deals["d3"].policy_ids = [s.policies["开盘九八折"].id, s.policies["老带新"].id]
    s.deals["d4"].policy_ids = [s.policies["老带新"].id]
    s.deals["d5"].policy_ids = []
    db.session.commit()
    return s


def _report(app, args, user="admin"):
    with as_user(app, user):
        f = Filters(args)
        return f, service.report(f)


def _fig(r):
    return (r["count"], r["area"], r["list_total"], r["amount"], r["discount"], r["rate"])


def test_october_figures(app, ctx):
    s = _build()
    _f, data = _report(app, dict(OCT, project=str(s.project.id)))
    t = data["total"]
    # Subscribed in October: d3 (list 2,000,000 → 2,000,000), d4 (2,000,000 → 1,950,000),
    # d5 (2,000,000 → 1,980,000), d6 (2,600,000 → 2,500,000).
    assert _fig(t) == (4, D("400.00"), D("8600000.00"), D("8430000.00"), D("170000.00"), D("0.0198"))
    assert t["list_price"] == D("21500.00") and t["deal_price"] == D("21075.00")
    places = {r["name"]: r for r in data["places"]}
    assert _fig(places["1栋"]) == (3, D("300.00"), D("6000000.00"), D("5930000.00"), D("70000.00"), D("0.0117"))
    assert _fig(places["2栋"]) == (1, D("100.00"), D("2600000.00"), D("2500000.00"), D("100000.00"), D("0.0385"))
    layouts = {r["name"]: r for r in data["layouts"]}
    assert _fig(layouts["A"])[:5] == (3, D("300.00"), D("6600000.00"), D("6480000.00"), D("120000.00"))
    assert _fig(layouts["B"])[:5] == (1, D("100.00"), D("2000000.00"), D("1950000.00"), D("50000.00"))
    people = {r["number"]: r for r in data["salespeople"]}
    assert _fig(people["E1003"]) == (1, D("100.00"), D("2000000.00"), D("1980000.00"), D("20000.00"), D("0.0100"))
    assert _fig(people["E1006"]) == (2, D("200.00"), D("4000000.00"), D("3950000.00"), D("50000.00"), D("0.0125"))
    assert people["E1006"]["deal_price"] == D("19750.00") and people["E1006"]["list_price"] == D("20000.00")
    policies = {r["name"]: r for r in data["policies"]}
    assert len(data["policies"]) == 3  # the two policies and the deals given none
    assert _fig(policies["开盘九八折"])[:4] == (1, D("100.00"), D("2000000.00"), D("2000000.00"))
    assert _fig(policies["老带新"])[:5] == (2, D("200.00"), D("4000000.00"), D("3950000.00"), D("50000.00"))
    none = next(r for r in data["policies"] if r["keys"]["policy"] == "none")
    assert _fig(none)[:5] == (2, D("200.00"), D("4600000.00"), D("4480000.00"), D("120000.00"))
    assert data["policies"][-1] is none


def test_scopes(app, ctx):
    s = _build()
    args = dict(OCT, project=str(s.project.id))
    _f, manager = _report(app, args, "manager")  # without 李娜's d6
    assert _fig(manager["total"]) == (3, D("300.00"), D("6000000.00"), D("5930000.00"), D("70000.00"), D("0.0117"))
    _f, sales = _report(app, args, "sales")  # 林晓燕: d5
    assert _fig(sales["total"]) == (1, D("100.00"), D("2000000.00"), D("1980000.00"), D("20000.00"), D("0.0100"))
    assert [r["keys"]["policy"] for r in sales["policies"]] == ["none"]


def test_totals_equal_the_deals_behind_them(app, ctx):
    s = _build()
    for user in ("admin", "manager", "sales"):
        for args in (dict(OCT, project=str(s.project.id)), {"period": "year", "year": "2026", "project": str(s.project.id)},
                     OCT):
            with as_user(app, user):
                f = Filters(args)
                data = service.report(f)

                def behind(keys):
                    got = drill.deals(drill.Drill({k: str(v) for k, v in f.args(measure="subscribed", **keys).items()}))
                    return got["totals"]["count"], got["totals"]["area"], got["totals"]["amount"]

                assert behind({}) == (data["total"]["count"], data["total"]["area"], data["total"]["amount"])
                for table in ("places", "layouts", "salespeople", "policies"):
                    for r in data[table]:
                        assert behind(r["keys"]) == (r["count"], r["area"], r["amount"]), (user, table, r["keys"])


def test_fixed_number_of_queries(app, ctx):
    s = _build()
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    def count(args):
        with as_user(app, "manager"):
            f = Filters(args)
            service.report(f)
            statements.clear()
            service.report(f)
            return len(statements)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        counts = {count(OCT), count({"period": "year", "year": "2026"}), count(dict(OCT, project=str(s.project.id)))}
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert counts == {4}


def test_page_export_and_bad_input(app, client):
    with app.app_context():
        s = _build()
        project_id = s.project.id
        policy_id = s.policies["老带新"].id
        layout_id = s.layouts["B"].id
    login(client, "manager")
    html = client.get("/reports/pricing/?period=month&month=2026-10&project=%d" % project_id).get_data(as_text=True)
    assert "¥70,000.00" in html and "1.2%" in html and "老带新" in html
    assert "policy=%d" % policy_id in html and "policy=none" in html and "layout=%d" % layout_id in html
    assert "measure=subscribed" in html and "data-chart=" in html
    export = client.get("/reports/pricing/export?period=month&month=2026-10&project=%d" % project_id)
    assert export.status_code == 200
    book = openpyxl.load_workbook(io.BytesIO(export.data))
    assert len(book.worksheets) == 4
    for query in ("period=nonsense", "project=abc", "period=month&month=2026-13", "employee=99999999999",
                  "period=range&date_from=2026-12-01&date_to=2026-01-01", "period=year&year=1"):
        assert client.get("/reports/pricing/?" + query).status_code == 200, query
        assert client.get("/reports/pricing/export?" + query).status_code == 200, query
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/reports/pricing/").status_code in (302, 403)
