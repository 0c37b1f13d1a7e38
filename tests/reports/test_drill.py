"""The drill-down lists: the deals and rooms behind a figure, their totals, the filters kept, and
bad input answered without an error page."""
from decimal import Decimal as D

from app.extensions import db
from app.reports.services import drill
from tests.conftest import login
from tests.crm.helpers import as_user
from tests.reports import history


def _drill(app, args, user="admin"):
    with as_user(app, user):
        return drill.Drill(args)


def test_deals_behind_a_measure_sum_to_their_totals(app, ctx):
    s = history.build()
    db.session.commit()
    base = {"project": str(s.project.id), "period": "month", "month": "2026-10"}
    with as_user(app, "admin"):
        subscribed = drill.deals(drill.Drill(dict(base, measure="subscribed")))
        signed = drill.deals(drill.Drill(dict(base, measure="signed")))
        cancelled = drill.deals(drill.Drill(dict(base, measure="cancelled")))
        sold = drill.deals(drill.Drill(dict(base, measure="sold")))
    # October: d3, d4, d5, d6 subscribed; d2, d4 signed; d5 cancelled. Sold now: d1, d2, d3, d4, d6.
    assert subscribed["totals"] == {"count": 4, "area": D("400.00"), "amount": D("8430000.00")}
    assert sorted(r.id for r in subscribed["rows"]) == sorted(s.deals[k].id for k in ("d3", "d4", "d5", "d6"))
    assert signed["totals"]["amount"] == D("3850000.00") and signed["totals"]["count"] == 2
    assert [r.id for r in cancelled["rows"]] == [s.deals["d5"].id]
    assert sold["totals"] == {"count": 5, "area": D("500.00"), "amount": D("10310000.00")}
    assert sum(r.total for r in sold["rows"]) == sold["totals"]["amount"]


def test_salesperson_sees_only_their_deals(app, ctx):
    s = history.build()
    db.session.commit()
    with as_user(app, "sales"):
        data = drill.deals(drill.Drill({"project": str(s.project.id), "measure": "sold"}))
    assert sorted(r.id for r in data["rows"]) == sorted(s.deals[k].id for k in ("d1", "d2"))


def test_rooms_by_group_band_and_layout(app, ctx):
    s = history.build()
    db.session.commit()
    p = str(s.project.id)
    with as_user(app, "admin"):
        unreleased = drill.rooms(drill.Drill({"project": p, "group": "unreleased"}))
        sold_a = drill.rooms(drill.Drill({"project": p, "group": "sold", "layout": str(s.layouts["A"].id)}))
        band = drill.rooms(drill.Drill({"project": p, "floor_band": "11"}))
        price = drill.rooms(drill.Drill({"project": p, "price_band": "25000"}))
    assert unreleased["totals"] == {"count": 2, "area": D("200.00"), "value": D("5200000.00")}
    assert sorted(r.code for r in sold_a["rows"]) == ["1栋-101", "1栋-201", "2栋-101"]
    assert band["totals"]["count"] == 4  # floors 11 and 12 of 1栋
    assert price["totals"]["count"] == 6  # every room of 2栋


def test_pages_answer_and_keep_filters(app, client):
    with app.app_context():
        s = history.build()
        db.session.commit()
        deal_id, project_id = s.deals["d4"].id, s.project.id
    login(client, "manager")
    page = client.get("/reports/drill/deals?project=%d&period=month&month=2026-10&measure=signed" % project_id)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "/sales/deals/%d" % deal_id in html and "¥3,850,000.00" in html
    assert "month=2026-10" in html  # the export link keeps the filters
    export = client.get("/reports/drill/deals/export?project=%d&period=month&month=2026-10&measure=signed" % project_id)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    rooms = client.get("/reports/drill/rooms?project=%d&group=sold" % project_id)
    assert rooms.status_code == 200 and "1栋-202" in rooms.get_data(as_text=True)


def test_bad_filters_are_said_not_failed(app, client):
    login(client, "manager")
    for query in ("measure=nonsense", "project=abc", "period=month&month=2026-13", "period=week&week=x",
                  "floor_band=ten", "price_band=1e9", "page=-3", "period=year&year=99999", "layout=99999999999"):
        page = client.get("/reports/drill/deals?" + query)
        assert page.status_code == 200, query
        assert client.get("/reports/drill/rooms?" + query).status_code == 200, query


def test_deals_by_policy_and_channel(app, ctx):
    from app.core.models import LookupValue
    s = history.build()
    s.deals["d1"].policy_ids = [7, 9]
    s.deals["d2"].policy_ids = [9]
    s.deals["d3"].policy_ids = []
    channel = db.session.query(LookupValue).filter_by(list_code="visit_channel").first()
    history.visit(s, "d1", history.SEP(1), channel_id=channel.id)
    history.visit(s, "d1", history.SEP(3), first=False)
    history.visit(s, "d2", history.SEP(2))
    db.session.commit()
    p = str(s.project.id)
    with as_user(app, "admin"):
        nine = drill.deals(drill.Drill({"project": p, "measure": "sold", "policy": "9"}))
        seven = drill.deals(drill.Drill({"project": p, "measure": "sold", "policy": "7"}))
        by_channel = drill.deals(drill.Drill({"project": p, "measure": "sold", "channel": str(channel.id)}))
    assert sorted(r.id for r in nine["rows"]) == sorted([s.deals["d1"].id, s.deals["d2"].id])
    assert [r.id for r in seven["rows"]] == [s.deals["d1"].id]
    assert [r.id for r in by_channel["rows"]] == [s.deals["d1"].id]


def test_holds_of_a_period(app, ctx):
    s = history.build()
    db.session.commit()
    with as_user(app, "admin"):
        data = drill.deals(drill.Drill({"project": str(s.project.id), "period": "month", "month": "2026-11",
                                        "measure": "held"}))
    assert sorted(r.id for r in data["rows"]) == sorted(s.deals[k].id for k in ("d7", "d8"))
    assert data["totals"]["amount"] == D("4000000.00")
