"""The sales-control chart (销控图): its data by floor and position, the legend, who sees which
project and building, the room card within the user's rights, the refresh endpoint, and a fixed
number of queries whatever the number of rooms."""
import pytest
import sqlalchemy as sa

from app.extensions import db
from app.inventory.models import Building, Phase, Room, RoomStatus
from app.sales.models import SalesPermission
from app.sales.services import chart as charts
from app.sales.services import deals
from tests.conftest import login
from tests.sales.deal_helpers import D, as_user, customers_of, employee, project, revoke_all
from tests.sales.helpers import QueryCounter

ROOM = "1栋-1单元-1001"


class Web:
    """The test client (each request with a clean `g`) with a login that logs out first."""

    def __init__(self, client):
        self.client = client

    def get(self, url):
        return self.client.get(url)

    def login(self, username):
        self.get("/logout/")
        assert login(self.client, username).status_code == 302


@pytest.fixture
def web(client, app, ctx):
    return Web(client)


def building(name="1栋", project_code="GZ-YJ"):
    return db.session.query(Building).filter_by(project_id=project(project_code).id, name=name).one()


def room(code=ROOM):
    return db.session.query(Room).filter_by(project_id=project().id, code=code).one()


def chart_url(what="data", b=None, **extra):
    p = project()
    query = "project=%d&building=%d" % (p.id, (b or building()).id)
    for key, value in extra.items():
        query += "&%s=%s" % (key, value)
    return "/sales/chart/%s?%s" % (what, query)


def test_rooms_by_floor_and_position_top_floor_first(web, app):
    web.login("sales")
    data = web.get(chart_url()).json
    b = data["buildings"][0]
    assert b["name"] == "1栋"
    assert b["floors"] == [10, 9, 8, 7, 6, 5, 4, 3, 2, 1, -1]
    assert b["units"] == [["1单元", 2], ["2单元", 2]] and b["columns"] == ["01", "02", "01", "02"]
    at = {(r[3], r[2]): r for r in data["rooms"]}
    assert at[(10, 0)][12] == "1栋-1单元-1001" and at[(10, 3)][12] == "1栋-2单元-1002"
    assert at[(1, 1)][12] == "1栋-1单元-102"
    # The parking spaces (no unit) fill the basement row from the left.
    assert [at[(-1, c)][4] for c in range(3)] == ["B001", "B002", "B003"]
    assert len(data["rooms"]) == db.session.query(Room).filter_by(building_id=building().id).count()
    r = at[(10, 0)]
    one = room()
    assert data["layouts"][r[6]] == one.layout.name and data["orientations"][r[7]] == one.orientation.name
    assert D(r[9]) == one.area_gross and D(r[11]) == one.list_total_price and r[5] == "available"
    assert [s["code"] for s in data["statuses"]][:3] == ["unreleased", "available", "held"]


def test_legend_counts_and_areas_are_exact(web, app):
    rooms = available = db.session.query(Room).filter_by(building_id=building().id).all()
    available = [r for r in rooms if r.status == "available"]
    with as_user(app, "sales"):
        deals.hold(available[0], customers_of("E1003")[0])
    web.login("sales")
    legend = {s["code"]: s for s in web.get(chart_url()).json["legend"]}
    rows = db.session.execute(sa.select(Room.status, sa.func.count(), sa.func.sum(Room.area_gross))
                              .where(Room.building_id == building().id).group_by(Room.status)).all()
    assert len(rows) >= 4  # unreleased, available, held, not_for_sale
    for status, count, area in rows:
        assert legend[status]["count"] == count
        assert D(legend[status]["area"]) == D(area).quantize(D("0.01"))
    assert legend["held"]["count"] == 1 and legend["held"]["area"] == str(available[0].area_gross)
    signed = db.session.query(RoomStatus).filter_by(code="signed").one()
    assert legend["signed"] == {"code": "signed", "name": signed.name, "colour": signed.colour, "count": 0,
                                "area": "0.00"}


def test_the_page_draws_the_chosen_building_with_pickers(web, app):
    web.login("sales")
    html = web.get(chart_url("")).get_data(as_text=True)
    assert 'id="lc-config"' in html and "云璟花园" in html
    assert 'value="building=%d" selected' % building().id in html
    phase = db.session.query(Phase).filter_by(project_id=project().id).first()
    html = web.get("/sales/chart/?project=%d&phase=%d" % (project().id, phase.id)).get_data(as_text=True)
    assert 'value="phase=%d" selected' % phase.id in html
    data = web.get("/sales/chart/data?project=%d&phase=%d" % (project().id, phase.id)).json
    assert [b["name"] for b in data["buildings"]] == ["1栋", "2栋"]


def test_salesperson_without_grants_sees_no_project(web, app):
    revoke_all("E1003")
    web.login("sales")
    html = web.get("/sales/chart/").get_data(as_text=True)
    assert "lc-none" in html and 'id="lc-config"' not in html
    assert web.get(chart_url("")).status_code == 404
    assert web.get(chart_url()).status_code == 404
    assert web.get("/sales/chart/room/%d" % room().id).status_code == 404


def test_a_single_building_grant_shows_only_that_building(web, app):
    revoke_all("E1003")
    db.session.add(SalesPermission(employee_id=employee("E1003").id, project_id=project().id,
                                   building_id=building("2栋").id))
    db.session.commit()
    web.login("sales")
    html = web.get("/sales/chart/").get_data(as_text=True)
    assert 'value="building=%d"' % building("2栋").id in html
    assert 'value="building=%d"' % building().id not in html
    assert web.get(chart_url()).status_code == 404
    assert web.get(chart_url(b=building("2栋"))).status_code == 200
    assert web.get("/sales/chart/room/%d" % room().id).status_code == 404


def test_finance_sees_every_project_read_only(web, app):
    web.login("finance")
    html = web.get("/sales/chart/").get_data(as_text=True)
    for name in ("云璟花园", "滨江锦园", "海悦中心"):
        assert name in html
    card = web.get("/sales/chart/room/%d" % room().id).json
    assert card["code"] == ROOM and card["actions"] == [] and card["floor_price"] is None


def test_card_masks_another_salespersons_customer(web, app):
    one = room()
    customer = customers_of("E1006")[0]
    with as_user(app, "sales2"):
        deals.hold(one, customer)
    web.login("sales")
    card = web.get("/sales/chart/room/%d" % one.id).json
    deal = card["deal"]
    assert deal["stage"] == "held" and deal["salesperson"] == employee("E1006").name
    assert deal["customer"] != customer.name and deal["customer"].startswith(customer.name[0])
    assert "*" in deal["customer"] and deal["phone"] is None and deal["url"] is None
    assert card["actions"] == [] and card["floor_price"] is None
    assert [h["action"] for h in card["history"]] == [deals.action_label("hold")]
    web.login("sales2")
    card = web.get("/sales/chart/room/%d" % one.id).json
    assert card["deal"]["customer"] == customer.name and "****" in card["deal"]["phone"]
    assert {a["code"] for a in card["actions"]} == {"book", "subscribe", "release"}
    assert card["deal"]["url"] == "/sales/deals/%d" % card["deal"]["id"]


def test_actions_per_status_and_the_queue_pick(web, app):
    one = room()
    web.login("sales")
    card = web.get("/sales/chart/room/%d" % one.id).json
    assert [(a["code"], a["url"]) for a in card["actions"]] == [
        ("hold", "/sales/deals/new/hold?room=%d" % one.id), ("book", "/sales/deals/new/book?room=%d" % one.id),
        ("subscribe", "/sales/deals/new/subscribe?room=%d" % one.id)]
    card = web.get("/sales/chart/room/%d?ticket=12" % one.id).json
    assert card["actions"][-1]["url"] == "/sales/queue/tickets/12/pick?room=%d" % one.id
    unreleased = db.session.query(Room).filter_by(building_id=building().id, status="unreleased").first()
    card = web.get("/sales/chart/room/%d?ticket=12" % unreleased.id).json
    assert card["actions"] == []
    with as_user(app, "sales"):
        deals.hold(one, customers_of("E1003")[0])
    card = web.get("/sales/chart/room/%d" % one.id).json
    deal_id = card["deal"]["id"]
    assert [a["code"] for a in card["actions"]] == ["book", "subscribe", "release"]
    assert card["actions"][-1]["url"] == "/sales/deals/%d/release" % deal_id
    assert card["deal"]["hold_until"] is not None


def test_floor_price_only_for_managers_and_admins(web, app):
    one = room()
    web.login("manager")
    assert D(web.get("/sales/chart/room/%d" % one.id).json["floor_price"]) == one.floor_price
    web.login("admin")
    assert web.get("/sales/chart/room/%d" % one.id).json["floor_price"] is not None


def test_refresh_reports_a_hold_and_is_empty_otherwise(web, app):
    web.login("sales")
    version = web.get(chart_url()).json["version"]
    unchanged = web.get(chart_url("state", v=version))
    assert unchanged.status_code == 204 and unchanged.data == b""
    assert unchanged.headers["ETag"] == '"%s"' % version
    one = room()
    with as_user(app, "sales2"):
        deals.hold(one, customers_of("E1006")[0])
    changed = web.get(chart_url("state", v=version))
    assert changed.status_code == 200 and changed.json["version"] != version
    assert [one.id, "held", str(one.list_unit_price), str(one.list_total_price)] in changed.json["rooms"]
    assert web.get(chart_url("state", v=changed.json["version"])).status_code == 204
    assert web.get(chart_url()).json["version"] == changed.json["version"]
    assert web.get(chart_url("state", v="garbage")).status_code == 200


def test_refresh_of_a_phase_sends_the_changed_building_only(web, app):
    web.login("sales")
    phase = db.session.query(Phase).filter_by(project_id=project().id).first()
    query = "project=%d&phase=%d" % (project().id, phase.id)
    version = web.get("/sales/chart/data?" + query).json["version"]
    one = db.session.query(Room).filter_by(building_id=building("2栋").id).first()
    db.session.execute(sa.update(Room).where(Room.id == one.id).values(list_total_price=one.list_total_price + 1))
    db.session.commit()
    changed = web.get("/sales/chart/state?%s&v=%s" % (query, version)).json
    ids = {i for (i,) in db.session.query(Room.id).filter_by(building_id=building("2栋").id)}
    assert {r[0] for r in changed["rooms"]} == ids


def _selects(app, building_ids, project_code="GZ-YJ"):
    with as_user(app, "sales"):
        p = project(project_code)
        with QueryCounter(db.engine) as counter:
            data = charts.chart(p, building_ids)
    return counter.count, len(data["rooms"])


def test_the_chart_takes_a_fixed_number_of_queries(app, ctx):
    small, n_small = _selects(app, [building().id])
    both, n_both = _selects(app, [building().id, building("2栋").id])
    big_project = project("HZ-JY")
    ids = [b for (b,) in db.session.query(Building.id).filter_by(project_id=big_project.id)]
    big, n_big = _selects(app, ids, "HZ-JY")
    assert n_small < n_both < n_big
    assert small == both == big <= 3


def test_bad_ids_answer_404(web, app):
    web.login("sales")
    p = project().id
    for url in ("/sales/chart/room/abc", "/sales/chart/room/0", "/sales/chart/room/99999999",
                "/sales/chart/room/99999999999999999999", "/sales/chart/?project=abc", "/sales/chart/?project=99999",
                "/sales/chart/?project=%d&building=x" % p, "/sales/chart/?project=%d&building=99999" % p,
                "/sales/chart/?project=%d&phase=x" % p, "/sales/chart/data?project=%d&phase=99999" % p,
                "/sales/chart/state?project=99999999999999999999", "/sales/chart/data?project=%d&building=%d" % (
                    p, building("1栋", "HZ-JY").id if db.session.query(Building).filter_by(
                        project_id=project("HZ-JY").id, name="1栋").count() else 99999)):
        assert web.get(url).status_code == 404, url
    assert web.get("/sales/chart/room/%d?ticket=abc" % room().id).status_code == 200


def test_anonymous_users_get_no_chart(web, app):
    assert web.get(chart_url()).status_code in (401, 403)
    assert web.get(chart_url("")).status_code == 302
