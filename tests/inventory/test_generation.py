"""批量生成: a building's rooms from one description — the service and the wizard page."""
import flask_babel
import pytest
import sqlalchemy as sa

from app.core.errors import BusinessError
from app.core.models.audit import AuditLog
from app.extensions import db
from app.inventory.models import Building, Layout, Project, PropertyType, Room, Unit
from app.inventory.services import generation as gen
from tests.conftest import form_token, login
from tests.inventory.helpers import D, homes, lookup, project, room, room_count


def new_building(name="8栋", floors_above=18, floors_below=2, units=("1单元", "2单元")):
    b = Building(project=project(), name=name, floors_above=floors_above, floors_below=floors_below,
                 units_count=len(units))
    db.session.add(b)
    db.session.add_all([Unit(building=b, name=u, sort_order=i) for i, u in enumerate(units, 1)])
    db.session.commit()
    return b


def layout(prefix="A户型"):
    return db.session.query(Layout).filter(Layout.project_id == project().id, Layout.name.startswith(prefix)).one()


def parking():
    return db.session.query(PropertyType).filter_by(project_id=project().id, code="PARK").one()


def positions(n=2, **kw):
    values = dict(property_type_id=homes().id, layout_id=layout().id, orientation_id=lookup("orientation", "南").id,
                  view_id=lookup("view", "江景").id, decoration_id=lookup("decoration", "精装").id,
                  area_gross="118.60", area_inner="95.20", unit_price="30000")
    values.update(kw)
    return [gen.Position(pos=p, **values) for p in range(1, n + 1)]


def request_for(b, **kw):
    values = dict(building_id=b.id, unit_ids=[u.id for u in units_of(b)], floor_from=1, floor_to=b.floors_above,
                  positions=positions())
    values.update(kw)
    return gen.Request(**values)


def units_of(b):
    return db.session.query(Unit).filter_by(building_id=b.id).order_by(Unit.sort_order).all()


def rooms_of(b):
    return db.session.query(Room).filter_by(building_id=b.id).order_by(Room.code).all()


def refused(req, text, **kw):
    before = room_count()
    with flask_babel.force_locale("en"):
        with pytest.raises(BusinessError) as e:
            gen.generate(req, **kw)
        assert text in str(e.value), str(e.value)
    assert room_count() == before
    return str(e.value)


# ---- the service ------------------------------------------------------------------------------

def test_a_building_is_generated_with_codes_areas_prices_and_audit(ctx):
    b = new_building()
    plan, created = gen.generate(request_for(b, skip_floors=[4, 13, 14], floor_names={12: "12A"}))
    assert created == 2 * 15 * 2 == 60
    rooms = rooms_of(b)
    codes = {r.code for r in rooms}
    assert "8栋-1单元-101" in codes and "8栋-2单元-1802" in codes and "8栋-1单元-12A01" in codes
    assert not {c for c in codes if c.endswith(("-401", "-1301", "-1402", "-1201"))}
    r = room("8栋-2单元-1502")
    assert (r.floor, r.number, r.unit.name, r.status) == (15, "1502", "2单元", "unreleased")
    assert (r.area_gross, r.area_inner, r.area_shared) == (D("118.60"), D("95.20"), D("23.40"))
    # 云璟花园 rounds to the yuan: 118.60 × 30,000 = 3,558,000.
    assert (r.list_unit_price, r.list_total_price, r.floor_price) == (D("30000.00"), D("3558000"), None)
    assert (r.layout.name, r.orientation.name, r.view.name, r.decoration.name) == (
        layout().name, "南", "江景", "精装")
    ids = {str(x.id) for x in rooms}
    entries = [e for e in db.session.query(AuditLog).filter_by(table_name="room", action="insert") if e.row_id in ids]
    assert len(entries) == 60
    entry = next(e for e in entries if e.row_id == str(r.id))
    assert entry.changes["code"] == [None, "8栋-2单元-1502"] and entry.changes["area_gross"] == [None, "118.60"]


def test_plan_lists_every_room_without_saving_anything(ctx):
    b = new_building()
    before = room_count()
    plan = gen.plan(request_for(b, unit_ids=[units_of(b)[0].id], floor_from=5, floor_to=6, positions=positions(3)))
    assert [r.code for r in plan.rooms] == ["8栋-1单元-501", "8栋-1单元-502", "8栋-1单元-503",
                                            "8栋-1单元-601", "8栋-1单元-602", "8栋-1单元-603"]
    assert room_count() == before


def test_numbering_rules(ctx):
    b = new_building()
    first = units_of(b)[1]
    by_unit = gen.plan(request_for(b, unit_ids=[first.id], floor_from=9, floor_to=9, numbering="floor_unit_pos"))
    assert [r.number for r in by_unit.rooms] == ["9201", "9202"]
    pattern = gen.plan(request_for(b, unit_ids=[first.id], floor_from=9, floor_to=10, numbering="pattern",
                                   pattern="F{floor}-{pos}", floor_names={10: "10A"}))
    assert [r.code for r in pattern.rooms] == ["8栋-2单元-F9-1", "8栋-2单元-F9-2", "8栋-2单元-F10A-1",
                                               "8栋-2单元-F10A-2"]


def test_basement_parking_without_a_unit(ctx):
    b = new_building()
    plan, created = gen.generate(request_for(
        b, unit_ids=[None], floor_from=-2, floor_to=-1, numbering="pattern", pattern="{floor}{pos:03}",
        positions=positions(3, property_type_id=parking().id, layout_id=None, area_gross="12.50", area_inner="12.50",
                            unit_price=None, orientation_id=None, view_id=None, decoration_id=None)))
    assert created == 6
    assert [r.code for r in rooms_of(b)] == ["8栋-B1001", "8栋-B1002", "8栋-B1003", "8栋-B2001", "8栋-B2002",
                                             "8栋-B2003"]
    r = rooms_of(b)[0]
    assert (r.unit, r.floor, r.property_type.code, r.list_total_price) == (None, -1, "PARK", None)


def test_a_building_without_units(ctx):
    b = new_building(name="商业A", floors_above=2, floors_below=0, units=())
    _plan, created = gen.generate(request_for(b, unit_ids=[], positions=positions(4)))
    assert created == 8 and rooms_of(b)[0].code == "商业A-101"


def test_rerun_refuses_duplicates_by_name_and_changes_nothing(ctx):
    # 1栋 of the demo has 1单元 floors 1-10, positions 01-02.
    b = db.session.query(Building).filter_by(project_id=project().id, name="1栋").one()
    req = request_for(b, unit_ids=[units_of(b)[0].id], floor_from=9, floor_to=10, positions=positions(3))
    audits = db.session.query(AuditLog).count()
    message = refused(req, "4 of these rooms already exist")
    assert "1栋-1单元-901" in message and "1栋-1单元-1002" in message and "1栋-1单元-903" not in message
    assert db.session.query(AuditLog).count() == audits
    plan = gen.plan(req)
    assert [r.code for r in plan.existing] == ["1栋-1单元-901", "1栋-1单元-902", "1栋-1单元-1001", "1栋-1单元-1002"]


def test_skip_existing_creates_only_the_missing_rooms(ctx):
    b = db.session.query(Building).filter_by(project_id=project().id, name="1栋").one()
    before = room_count()
    old = room("1栋-1单元-901")
    old_price = old.list_unit_price
    req = request_for(b, unit_ids=[units_of(b)[0].id], floor_from=9, floor_to=10, positions=positions(3))
    plan, created = gen.generate(req, skip_existing=True)
    assert created == 2 and room_count() == before + 2
    assert {r.code for r in plan.new} == {"1栋-1单元-903", "1栋-1单元-1003"}
    db.session.expire_all()
    assert room("1栋-1单元-901").list_unit_price == old_price
    refused(req, "All 6 rooms already exist", skip_existing=True)


@pytest.mark.parametrize("changes, text", [
    (dict(floor_from=1, floor_to=19), "Floor 19 is outside “8栋”"),
    (dict(floor_from=-3, floor_to=1), "Floor -3 is outside “8栋”"),
    (dict(floor_from=5, floor_to=3), "The first floor (5) is above the last floor (3)"),
    (dict(floor_from=4, floor_to=4, skip_floors=[4]), "Every floor of the range is skipped"),
    (dict(skip_floors=[30]), "Floor 30 to skip or rename is not within floors 1 to 18"),
    (dict(unit_ids=[]), "Choose the units"),
    (dict(positions=[]), "Enter at least one room per floor"),
    (dict(numbering="pattern", pattern="{floor}"), "must contain the position"),
    (dict(numbering="pattern", pattern="{floor}{room}{pos}"), "unknown token"),
    (dict(numbering="pattern", pattern="{pos}"), "gives the room code “8栋-1单元-1” twice"),
])
def test_bad_descriptions_are_refused(ctx, changes, text):
    b = new_building()
    refused(request_for(b, **changes), text)


@pytest.mark.parametrize("position, text", [
    (dict(area_gross="0"), "areas must be greater than zero"),
    (dict(area_gross="-5"), "areas must be greater than zero"),
    (dict(area_gross="abc"), "enter the gross area as a number"),
    (dict(area_gross="NaN"), "enter the gross area as a number"),
    (dict(area_gross=""), "enter the gross area"),
    (dict(area_inner="120.00"), "the inner area (120.00㎡) cannot be larger than the gross area (118.60㎡)"),
    (dict(unit_price="-1"), "the unit price must be greater than zero"),
    (dict(property_type_id=None), "choose the property type"),
    (dict(property_type_id=999999), "the property type is not one of “云璟花园”"),
    (dict(layout_id=999999), "the layout is not one of “云璟花园”"),
    (dict(orientation_id="view"), "choose the orientation from its list"),
])
def test_bad_positions_are_refused(ctx, position, text):
    b = new_building()
    if position.get("orientation_id") == "view":
        position["orientation_id"] = lookup("view", "江景").id
    refused(request_for(b, positions=positions(2, **position)), "Position 01: " + text)


def test_layouts_of_another_project_are_refused(ctx):
    b = new_building()
    other = Project(name="别的项目", code="OTHER", developer=project().developer, price_rounding="fen")
    foreign = Layout(project=other, name="外来户型")
    db.session.add_all([other, foreign])
    db.session.commit()
    refused(request_for(b, positions=positions(1, layout_id=foreign.id)), "the layout is not one of")


def test_too_many_rooms_are_refused(ctx):
    b = new_building(floors_above=150)
    refused(request_for(b, floor_from=1, floor_to=150, positions=positions(50), unit_ids=[u.id for u in units_of(b)]
                        + [None]), "This would make 22500 rooms; at most 20000 can be generated at once.")


def test_floor_list_and_names_are_parsed(ctx):
    assert gen.parse_floor_list("4, 13，14、 15") == [4, 13, 14, 15]
    assert gen.parse_floor_names("13=12A， 14＝12B") == {13: "12A", 14: "12B"}
    with flask_babel.force_locale("en"), pytest.raises(BusinessError, match="floor=name"):
        gen.parse_floor_names("13:12A")
    with flask_babel.force_locale("en"), pytest.raises(BusinessError, match="whole number"):
        gen.parse_floor_list("4, x")


def test_a_code_taken_between_preview_and_commit_is_refused_cleanly(ctx, monkeypatch):
    b = new_building()
    req = request_for(b, unit_ids=[units_of(b)[0].id], floor_from=1, floor_to=1)
    real_plan = gen.plan

    def stale_plan(r):
        result = real_plan(r)
        # Someone else adds 8栋-1单元-101 after the check.
        db.session.execute(sa.insert(Room.__table__), [dict(
            project_id=b.project_id, building_id=b.id, floor=1, number="101", code="8栋-1单元-101",
            property_type_id=homes().id, area_gross=D("90"), status="unreleased")])
        db.session.commit()
        return result
    monkeypatch.setattr(gen, "plan", stale_plan)
    before = room_count()
    with flask_babel.force_locale("en"), pytest.raises(BusinessError, match="created by someone else"):
        gen.generate(req)
    assert room_count() == before + 1  # only the other user's room


# ---- the page ---------------------------------------------------------------------------------

def page_form(b, **kw):
    data = {"building": str(b.id), "unit": [str(u.id) for u in units_of(b)], "floor_from": "1", "floor_to": "3",
            "skip_floors": "2", "floor_names": "", "rooms_per_floor": "2", "numbering": "floor_pos", "pattern": ""}
    for pos in (1, 2):
        data.update({"pos-%d-property_type" % pos: str(homes().id), "pos-%d-layout" % pos: str(layout().id),
                     "pos-%d-orientation" % pos: str(lookup("orientation", "南").id),
                     "pos-%d-area_gross" % pos: "89.50", "pos-%d-area_inner" % pos: "71.80",
                     "pos-%d-unit_price" % pos: ""})
    data.update(kw)
    return data


def test_the_wizard_previews_then_generates(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        b = new_building()
        data, pk = page_form(b), b.id
    choose = client.get("/roomgeneration/").get_data(as_text=True)
    assert "云璟花园 (GZ-YJ) · 8栋" in choose
    page = client.get("/roomgeneration/?building=%d" % pk).get_data(as_text=True)
    assert "1单元" in page and 'name="pos-2-area_gross"' in page
    data["csrf_token"] = form_token(client, "/roomgeneration/?building=%d" % pk)
    before = room_count_in(app)
    preview = client.post("/roomgeneration/", data=dict(data, action="preview")).get_data(as_text=True)
    assert "8 rooms to make: 8 new, 0 already exist." in preview
    assert "8栋-1单元-101" in preview and "8栋-2单元-302" in preview and "8栋-1单元-201" not in preview
    assert "89.50㎡" in preview and "17.70㎡" in preview
    assert room_count_in(app) == before
    done = client.post("/roomgeneration/", data=dict(data, action="generate"))
    assert done.status_code == 302 and "_flt_0_building=%d" % pk in done.headers["Location"]
    assert room_count_in(app) == before + 8
    listing = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "8 rooms generated in “8栋”." in listing and "8栋-2单元-302" in listing
    # The same again: the duplicates are named, nothing is made twice.
    again = client.post("/roomgeneration/", data=dict(data, action="preview")).get_data(as_text=True)
    assert "8 rooms to make: 0 new, 8 already exist." in again and "Already exists" in again
    refusal = client.post("/roomgeneration/", data=dict(data, action="generate")).get_data(as_text=True)
    assert "8 of these rooms already exist" in refusal
    assert room_count_in(app) == before + 8


def test_the_wizard_skips_existing_rooms_when_asked(client, app):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        b = new_building()
        data = page_form(b, floor_to="1", skip_floors="")
    data["csrf_token"] = form_token(client, "/roomgeneration/?building=" + data["building"])
    before = room_count_in(app)
    client.post("/roomgeneration/", data=dict(data, action="generate"))
    assert room_count_in(app) == before + 4
    before += 4
    data.update(floor_to="3")
    response = client.post("/roomgeneration/", data=dict(data, action="generate", skip_existing="1"),
                           follow_redirects=True).get_data(as_text=True)
    assert "8 rooms generated in “8栋”. 4 rooms that already existed were skipped." in response
    assert room_count_in(app) == before + 8


@pytest.mark.parametrize("changes, text", [
    ({"floor_from": "abc"}, "Enter the first floor as a whole number (not “abc”)."),
    ({"floor_to": "99"}, "Floor 99 is outside “8栋”"),
    ({"pos-1-area_gross": "-3"}, "Position 01: areas must be greater than zero."),
    ({"pos-1-area_inner": "200"}, "cannot be larger than the gross area"),
    ({"pos-1-layout": "999999"}, "Position 01: the layout is not one of"),
    ({"rooms_per_floor": "x"}, "Enter rooms per floor as a whole number"),
    ({"unit": []}, "Choose the units"),
    ({"floor_names": "13"}, "floor=name"),
])
def test_bad_input_on_the_page_is_refused_and_changes_nothing(client, app, changes, text):
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        b = new_building()
        data = page_form(b, **changes)
    data["csrf_token"] = form_token(client, "/roomgeneration/?building=" + data["building"])
    before = room_count_in(app)
    for action in ("preview", "generate"):
        response = client.post("/roomgeneration/", data=dict(data, action=action))
        assert response.status_code == 200
        assert text in response.get_data(as_text=True)
    assert room_count_in(app) == before


def test_unknown_building_falls_back_to_the_choice(admin_client, app):
    assert admin_client.get("/roomgeneration/?building=999999").status_code == 200
    assert admin_client.get("/roomgeneration/?building=abc").status_code == 200
    assert admin_client.get("/roomgeneration/?building=99999999999999999999").status_code == 200


@pytest.mark.parametrize("user", ["sales", "finance", "service"])
def test_other_roles_cannot_generate(client, app, user):
    login(client, user)
    with app.app_context():
        b = new_building()
        data = page_form(b)
        before = room_count()
    assert client.get("/roomgeneration/").status_code in (302, 403)
    data["csrf_token"] = form_token(client, "/roomview/list/")
    client.post("/roomgeneration/", data=dict(data, action="generate"))
    assert room_count_in(app) == before
    assert "/roomgeneration/" not in client.get("/").get_data(as_text=True)


def test_the_menu_entry_is_shown_to_the_manager(client, app):
    login(client, "manager")
    assert "/roomgeneration/" in client.get("/").get_data(as_text=True)


def room_count_in(app):
    with app.app_context():
        return room_count()
