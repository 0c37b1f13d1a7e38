"""批量修改: set fields on many rooms at once — the service, the room list's action and filter link,
the page, and who may use them."""
import flask_babel
import pytest

from app.core.errors import BusinessError
from app.core.models.audit import AuditLog
from app.extensions import db
from app.inventory import services
from app.inventory.models import Building, Layout, Room
from app.inventory.services import batch_edit
from tests.conftest import form_token, login
from tests.inventory.helpers import D, lookup, project, room

CODES = ["2栋-1单元-101", "2栋-1单元-102", "2栋-2单元-501"]


def ids(*codes):
    return [room(c).id for c in codes]


def snapshot():
    rows = db.session.query(Room).filter(Room.project_id == project().id).order_by(Room.id)
    return [(r.code, r.layout_id, r.property_type_id, r.orientation_id, r.view_id, r.decoration_id, r.area_gross,
             r.area_inner, r.list_total_price) for r in rows]


def layout(prefix):
    return db.session.query(Layout).filter(Layout.project_id == project().id, Layout.name.startswith(prefix)).one()


def refused(room_ids, changes, text):
    before, audits = snapshot(), db.session.query(AuditLog).count()
    with flask_babel.force_locale("en"):
        with pytest.raises(BusinessError) as e:
            batch_edit.apply(room_ids, changes)
    assert text in str(e.value), str(e.value)
    db.session.expire_all()
    assert snapshot() == before and db.session.query(AuditLog).count() == audits
    return str(e.value)


def hold(code):
    services.load_status(room(code), "held")
    db.session.commit()


# ---- the service ------------------------------------------------------------------------------

def test_only_the_filled_fields_change_and_each_room_is_audited(ctx):
    north, fine = lookup("orientation", "北"), lookup("decoration", "精装")
    before = {c: (room(c).view_id, room(c).area_gross, room(c).layout_id) for c in CODES}
    changed = batch_edit.apply(ids(*CODES), {"orientation_id": str(north.id), "view_id": "", "area_gross": None})
    assert changed == 3
    db.session.expire_all()
    for c in CODES:
        r = room(c)
        assert r.orientation_id == north.id and r.decoration_id == fine.id
        assert (r.view_id, r.area_gross, r.layout_id) == before[c]
        entries = db.session.query(AuditLog).filter_by(table_name="room", row_id=str(r.id), action="update").all()
        assert len(entries) == 1 and list(entries[0].changes) == ["orientation_id"]
        assert entries[0].changes["orientation_id"][1] == north.id


def test_area_change_recomputes_the_total_by_the_projects_rounding(ctx):
    # 2栋-1单元-101: 118.60㎡ at ¥33,600/㎡; 云璟花园 rounds to the yuan.
    r = room("2栋-1单元-101")
    assert (r.area_gross, r.list_unit_price, r.list_total_price) == (D("118.60"), D("33600.00"), D("3984960"))
    batch_edit.apply([r.id], {"area_gross": "120.555", "area_inner": "96.10"})
    db.session.expire_all()
    r = room("2栋-1单元-101")
    # 120.56 × 33,600 = 4,050,816.00
    assert (r.area_gross, r.area_inner, r.area_shared, r.list_total_price) == (
        D("120.56"), D("96.10"), D("24.46"), D("4050816"))
    assert r.list_unit_price == D("33600.00")


def test_a_room_without_a_price_keeps_no_price(ctx):
    r = room("2栋-1单元-101")
    r.list_unit_price, r.list_total_price = None, None
    db.session.commit()
    batch_edit.apply([r.id], {"area_gross": "100"})
    db.session.expire_all()
    assert room("2栋-1单元-101").list_total_price is None


def test_layout_and_property_type_change(ctx):
    c_layout = layout("C户型")
    batch_edit.apply(ids(*CODES), {"layout_id": c_layout.id})
    db.session.expire_all()
    assert {room(c).layout.name for c in CODES} == {c_layout.name}


def test_rooms_with_an_active_deal_keep_their_areas_and_layout(ctx):
    hold("2栋-1单元-102")
    services.load_status(room("2栋-2单元-501"), "signed")
    db.session.commit()
    message = refused(ids(*CODES), {"area_gross": "100"}, "These rooms have an active deal")
    assert "2栋-1单元-102" in message and "2栋-2单元-501" in message and "2栋-1单元-101" not in message
    refused(ids(*CODES), {"layout_id": layout("C户型").id}, "2栋-1单元-102")
    refused(ids(*CODES), {"decoration_id": lookup("decoration", "毛坯").id}, "2栋-1单元-102")
    # Their orientation and view can still be corrected.
    assert batch_edit.apply(ids(*CODES), {"view_id": lookup("view", "江景").id}) >= 1


def test_inner_larger_than_gross_is_refused_naming_the_rooms(ctx):
    # 101 is 118.60㎡ (inner 95.20), 102 is 89.50㎡ (inner 71.80).
    message = refused(ids(*CODES), {"area_inner": "100"}, "The inner area would be larger than the gross area")
    assert "2栋-1单元-102" in message and "2栋-1单元-101" not in message
    refused(ids("2栋-1单元-101"), {"area_gross": "90"}, "2栋-1单元-101")


@pytest.mark.parametrize("changes, text", [
    ({}, "Fill at least one field"),
    ({"area_gross": "", "layout_id": None}, "Fill at least one field"),
    ({"area_gross": "abc"}, "Enter the gross area as a number (not “abc”)"),
    ({"area_gross": "Infinity"}, "Enter the gross area as a number"),
    ({"area_inner": "0"}, "The inner area must be greater than zero"),
    ({"area_gross": "-1"}, "The gross area must be greater than zero"),
    ({"orientation_id": "view"}, "Choose an orientation from its list"),
    ({"decoration_id": 999999}, "Choose a decoration standard from its list"),
    ({"layout_id": "x"}, "Choose the values from their lists"),
    ({"layout_id": 999999}, "no longer exists"),
    ({"status": "signed"}, "cannot be changed in a batch"),
    ({"list_unit_price": "1"}, "cannot be changed in a batch"),
])
def test_bad_changes_are_refused_and_change_nothing(ctx, changes, text):
    if changes.get("orientation_id") == "view":
        changes["orientation_id"] = lookup("view", "江景").id
    refused(ids(*CODES), changes, text)


def test_empty_selection_and_vanished_rooms_are_refused(ctx):
    refused([], {"area_gross": "100"}, "Select at least one room")
    refused(ids(*CODES) + [999999], {"area_gross": "100"}, "no longer exist")


def test_a_layout_of_another_project_is_refused(ctx):
    other = db.session.query(Room).filter(Room.project_id != project().id).first()
    if other is None:  # the demo has one project only
        pytest.skip("no second demo project")
    message = refused(ids(*CODES) + [other.id], {"layout_id": layout("A户型").id}, "belongs to another project")
    assert other.code in message


# ---- the pages --------------------------------------------------------------------------------

def test_manager_picks_rooms_in_the_list_and_edits_them(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        pks = [str(i) for i in ids(*CODES)]
        south_east = lookup("orientation", "东南").id
    token = form_token(client, "/roomview/list/")
    response = client.post("/roomview/action_post", data={"csrf_token": token, "action": "batch_edit", "rowid": pks})
    assert response.status_code == 302 and "/roombatchedit/?ids=" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 rooms selected:" in page and all(c in page for c in CODES)
    token = form_token(client, response.headers["Location"])
    done = client.post("/roombatchedit/", data={"csrf_token": token, "ids": ",".join(pks),
                                                "orientation_id": str(south_east), "area_gross": ""},
                       follow_redirects=True).get_data(as_text=True)
    assert "2 of 3 rooms changed." in done  # 2栋-1单元-102 faced south-east already
    with app.app_context():
        assert {room(c).orientation_id for c in CODES} == {south_east}
        assert room("2栋-1单元-101").area_gross == D("118.60")


def test_manager_edits_all_rooms_matching_the_list_filter(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        b2 = db.session.query(Building).filter_by(project_id=project().id, name="2栋").one().id
        count = db.session.query(Room).filter_by(building_id=b2).count()
        others = {r.id: r.view_id for r in db.session.query(Room).filter(Room.building_id != b2)}
        lake = lookup("view", "江景").id
    assert count == 43
    listing = client.get("/roomview/list/?_flt_0_building=%d" % b2).get_data(as_text=True)
    assert "Batch edit all rooms matching this filter" in listing
    assert "Batch edit all rooms matching this filter" not in client.get("/roomview/list/").get_data(as_text=True)
    url = "/roombatchedit/?scope=filter&_flt_0_building=%d" % b2
    page = client.get(url).get_data(as_text=True)
    assert "43 rooms selected, all those matching" in page and "2栋-B001" in page
    token = form_token(client, url)
    assert 'action="/roombatchedit/?scope=filter&amp;_flt_0_building=%d"' % b2 in page
    done = client.post(url, data={"csrf_token": token, "view_id": str(lake)})
    assert done.status_code == 302 and "_flt_0_building=%d" % b2 in done.headers["Location"]
    with app.app_context():
        assert {r.view_id for r in db.session.query(Room).filter_by(building_id=b2)} == {lake}
        assert {r.id: r.view_id for r in db.session.query(Room).filter(Room.building_id != b2)} == others


def test_a_refusal_on_the_page_names_the_rooms_and_changes_nothing(client, app):
    with app.app_context():
        hold("2栋-1单元-102")
        pks = ",".join(str(i) for i in ids(*CODES))
        before = snapshot()
    login(client, "manager")
    client.get("/lang/en")
    token = form_token(client, "/roombatchedit/?ids=" + pks)
    html = client.post("/roombatchedit/", data={"csrf_token": token, "ids": pks, "area_gross": "99"}).get_data(
        as_text=True)
    assert "These rooms have an active deal" in html and "2栋-1单元-102" in html
    html = client.post("/roombatchedit/", data={"csrf_token": token, "ids": pks, "area_gross": "abc"}).get_data(
        as_text=True)
    assert "Enter the gross area as a number" in html
    with app.app_context():
        assert snapshot() == before


@pytest.mark.parametrize("url", ["/roombatchedit/", "/roombatchedit/?ids=abc,,", "/roombatchedit/?ids=999999",
                                 "/roombatchedit/?scope=filter&_flt_0_building=abc",
                                 "/roombatchedit/?ids=99999999999999999999", "/roombatchedit/?scope=filter"])
def test_odd_urls_do_not_fail(admin_client, url):
    assert admin_client.get(url).status_code == 200


@pytest.mark.parametrize("user", ["sales", "finance", "service"])
def test_other_roles_cannot_batch_edit(client, app, user):
    login(client, user)
    with app.app_context():
        pks = [str(i) for i in ids(*CODES)]
        before = snapshot()
        north = lookup("orientation", "北").id
    assert client.get("/roombatchedit/?ids=" + ",".join(pks)).status_code in (302, 403)
    token = form_token(client, "/roomview/list/")
    client.post("/roombatchedit/", data={"csrf_token": token, "ids": ",".join(pks), "orientation_id": str(north)})
    client.post("/roomview/action_post", data={"csrf_token": token, "action": "batch_edit", "rowid": pks})
    listing = client.get("/roomview/list/?_flt_0_code=2栋").get_data(as_text=True)
    assert "batch_edit" not in listing and "/roombatchedit/" not in listing
    with app.app_context():
        assert snapshot() == before
