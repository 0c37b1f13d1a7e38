import re

import sqlalchemy as sa

from app.core.models import CustomFieldDef
from app.extensions import db
from app.inventory.models import Building, Project, Room, RoomStatus, Unit
from tests.conftest import api_token, form_token, login
from tests.inventory.helpers import D, building, homes, lookup, project, room, room_count, unit


def room_form(**kw):
    data = {"building": str(building().id), "unit": str(unit().id), "floor": "5", "number": "588", "code": "",
            "property_type": str(homes().id), "orientation": str(lookup("orientation", "南").id),
            "area_gross": "100.00", "area_inner": "80.00", "list_unit_price": "30000.00",
            "list_total_price": "3000000.00", "floor_price": "2900000.00"}
    data.update(kw)
    return data


def room_json(**kw):
    data = {"building": building().id, "unit": unit().id, "floor": 6, "number": "688",
            "property_type": homes().id, "area_gross": "95.50", "area_inner": "76.40",
            "list_unit_price": "31000.00", "list_total_price": "2960500.00", "floor_price": "2900000.00"}
    data.update(kw)
    return data


def flashes(html):
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


# ---- pages -----------------------------------------------------------------------------------

def test_room_list_shows_status_colour_area_and_price(admin_client, app):
    html = admin_client.get("/roomview/list/?_flt_0_code=1栋-1单元-1001").get_data(as_text=True)
    assert "118.60㎡" in html and "¥34,950.00" in html and "¥4,145,070.00" in html
    assert 'class="label loupan-room-status" style="background-color:#4caf50"' in html


def test_room_list_filters_by_status(admin_client, app):
    with app.app_context():
        nfs = db.session.query(RoomStatus).filter_by(code="not_for_sale").one().id
    html = admin_client.get("/roomview/list/?_flt_0_status_info=%d" % nfs).get_data(as_text=True)
    assert "1栋-B003" in html and "1栋-B001" not in html


def test_bad_room_is_refused_on_the_add_page_and_nothing_is_saved(admin_client, app):
    admin_client.get("/lang/en")  # the messages are asserted in English
    with app.app_context():
        before, data = room_count(), room_form(area_inner="120.00")
    data["csrf_token"] = form_token(admin_client, "/roomview/add")
    html = admin_client.post("/roomview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "cannot be larger than the gross area" in html
    with app.app_context():
        assert room_count() == before


def test_floor_outside_the_building_is_refused_on_the_page(admin_client, app):
    admin_client.get("/lang/en")  # the messages are asserted in English
    with app.app_context():
        before, data = room_count(), room_form(floor="0")
    data["csrf_token"] = form_token(admin_client, "/roomview/add")
    html = admin_client.post("/roomview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "no floor 0" in html
    with app.app_context():
        assert room_count() == before


def test_a_room_added_on_the_page_gets_its_code(admin_client, app):
    with app.app_context():
        data = room_form()
    data["csrf_token"] = form_token(admin_client, "/roomview/add")
    assert admin_client.post("/roomview/add", data=data).status_code == 302
    with app.app_context():
        added = room("1栋-1单元-588")
        assert added.status == "unreleased" and added.area_shared == D("20.00")


def test_status_cannot_be_set_through_the_edit_form(admin_client, app):
    with app.app_context():
        pk = room("2栋-1单元-101").id
        data = room_form(number="101", floor="1", unit=str(unit("2栋", "1单元").id), building=str(building("2栋").id),
                         status="signed", status_info="6")
    url = "/roomview/edit/%d" % pk
    assert 'name="status' not in admin_client.get(url).get_data(as_text=True)
    data["csrf_token"] = form_token(admin_client, url)
    assert admin_client.post(url, data=data).status_code == 302
    with app.app_context():
        edited = db.session.get(Room, pk)
        assert edited.status == "unreleased" and edited.area_gross == D("100.00")


def test_a_released_room_cannot_be_deleted_on_the_page(admin_client, app):
    admin_client.get("/lang/en")  # the messages are asserted in English
    with app.app_context():
        pk = room("1栋-1单元-101").id
    token = form_token(admin_client, "/roomview/list/")
    html = admin_client.post("/roomview/delete/%d" % pk, data={"csrf_token": token},
                             follow_redirects=True).get_data(as_text=True)
    assert "no longer unreleased" in html
    with app.app_context():
        assert db.session.get(Room, pk) is not None


def test_a_project_with_buildings_cannot_be_deleted_on_the_page(admin_client, app):
    admin_client.get("/lang/en")  # the messages are asserted in English
    with app.app_context():
        pk = project().id
    token = form_token(admin_client, "/projectview/list/")
    html = admin_client.post("/projectview/delete/%d" % pk, data={"csrf_token": token},
                             follow_redirects=True).get_data(as_text=True)
    assert "still has buildings" in html
    with app.app_context():
        assert db.session.get(Project, pk) is not None


def test_manager_marks_rooms_not_for_sale_and_back_from_the_list(client, app):
    assert login(client, "manager").status_code == 302
    with app.app_context():
        pks = [str(room("1栋-1单元-101").id), str(room("2栋-1单元-101").id)]
    token = form_token(client, "/roomview/list/")
    response = client.post("/roomview/action_post", data={"csrf_token": token, "action": "mark_not_for_sale",
                                                           "rowid": pks})
    assert response.status_code == 302
    with app.app_context():
        assert {room("1栋-1单元-101").status, room("2栋-1单元-101").status} == {"not_for_sale"}
    client.post("/roomview/action_post", data={"csrf_token": token, "action": "mark_for_sale", "rowid": pks})
    with app.app_context():
        assert room("1栋-1单元-101").status == "available"
        assert room("2栋-1单元-101").status == "unreleased"


def test_marking_a_held_room_is_refused_with_the_reason(client, app):
    from app.inventory import services
    with app.app_context():
        services.load_status(room("1栋-1单元-201"), "held")
        db.session.commit()
        pks = [str(room("1栋-1单元-101").id), str(room("1栋-1单元-201").id)]
    login(client, "manager")
    client.get("/lang/en")
    token = form_token(client, "/roomview/list/")
    html = client.post("/roomview/action_post", data={"csrf_token": token, "action": "mark_not_for_sale",
                                                      "rowid": pks}, follow_redirects=True).get_data(as_text=True)
    assert "1栋-1单元-201" in html and "cannot be changed here" in html
    with app.app_context():
        assert room("1栋-1单元-101").status == "available"


def test_sales_can_list_rooms_but_not_edit_or_mark_them(client, app):
    login(client, "sales")
    html = client.get("/roomview/list/").get_data(as_text=True)
    assert "1栋-1单元-101" in html
    assert "mark_not_for_sale" not in html
    assert client.get("/projectview/list/").status_code == 200
    with app.app_context():
        pk = room("2栋-1单元-101").id
        data = room_form(area_gross="50.00")
    token = form_token(client, "/roomview/list/")
    data["csrf_token"] = token
    assert client.get("/roomview/edit/%d" % pk).status_code in (302, 403)
    client.post("/roomview/edit/%d" % pk, data=data)
    client.post("/roomview/action_post", data={"csrf_token": token, "action": "mark_not_for_sale",
                                               "rowid": [str(pk)]})
    client.post("/roomview/delete/%d" % pk, data={"csrf_token": token})
    with app.app_context():
        unchanged = db.session.get(Room, pk)
        assert unchanged.area_gross == D("118.60") and unchanged.status == "unreleased"


def test_room_status_page_edits_name_and_colour_only(admin_client, app):
    admin_client.get("/lang/en")  # the messages are asserted in English
    with app.app_context():
        pk = db.session.query(RoomStatus).filter_by(code="available").one().id
    url = "/roomstatusview/edit/%d" % pk
    token = form_token(admin_client, url)
    html = admin_client.post(url, data={"csrf_token": token, "name": "在售", "colour": "green", "sort_order": "10",
                                        "code": "sold"}, follow_redirects=True).get_data(as_text=True)
    assert "hexadecimal" in html
    assert admin_client.post(url, data={"csrf_token": token, "name": "在售", "colour": "#00AA00",
                                        "sort_order": "10", "code": "sold"}).status_code == 302
    with app.app_context():
        status = db.session.get(RoomStatus, pk)
        assert (status.code, status.name, status.colour) == ("available", "在售", "#00aa00")


def _count_statements(app, client, url):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
        assert response.status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def _project_with_rooms(count):
    p = project()
    b = Building(project=p, name="9栋", floors_above=60, floors_below=0, units_count=1)
    u = Unit(building=b, name="1单元")
    db.session.add_all([b, u])
    for i in range(count):
        db.session.add(Room(project=p, building=b, unit=u, floor=i + 1, number="%d01" % (i + 1),
                            code="9栋-1单元-%d01" % (i + 1), property_type=homes(), area_gross=D("90"),
                            area_inner=D("70"), orientation=lookup("orientation", "南"),
                            view=lookup("view", "江景"), decoration=lookup("decoration", "精装"),
                            custom={"corner": True}))
    db.session.commit()
    return b.id


def test_list_pages_run_the_same_queries_for_5_or_50_rooms(admin_client, app):
    with app.app_context():
        db.session.add(CustomFieldDef(entity="room", name="corner", label="边户", field_type="boolean",
                                      show_in_list=True, active=True, sort_order=1))
        db.session.commit()
        building_id = _project_with_rooms(5)
    url = "/roomview/list/?_flt_0_building=%d&psize_RoomView=100" % building_id
    few = _count_statements(app, admin_client, url)
    with app.app_context():
        b = db.session.get(Building, building_id)
        u = db.session.query(Unit).filter_by(building_id=building_id).one()
        for i in range(5, 50):
            db.session.add(Room(project=b.project, building=b, unit=u, floor=i + 1, number="%d01" % (i + 1),
                                code="9栋-1单元-%d01" % (i + 1), property_type=homes(), area_gross=D("90"),
                                area_inner=D("70"), layout=None, orientation=lookup("orientation", "北")))
        db.session.commit()
    many = _count_statements(app, admin_client, url)
    html = admin_client.get(url).get_data(as_text=True)
    assert html.count("9栋-1单元-") >= 50
    assert few == many
    assert _count_statements(app, admin_client, "/buildingview/list/") == \
        _count_statements(app, admin_client, "/buildingview/list/?psize_BuildingView=100")


# ---- API -------------------------------------------------------------------------------------

def test_api_adds_a_room_with_custom_fields_and_status_unreleased(client, app):
    headers = api_token(client, "admin")
    with app.app_context():
        db.session.add(CustomFieldDef(entity="room", name="corner", label="边户", field_type="boolean",
                                      active=True, sort_order=1))
        db.session.commit()
        payload = room_json(custom={"corner": True})
    response = client.post("/api/v1/rooms/", json=payload, headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    shown = client.get("/api/v1/rooms/%d" % response.json["id"], headers=headers).json["result"]
    assert shown["code"] == "1栋-1单元-688" and shown["status"] == "unreleased"
    assert shown["custom"] == {"corner": True}


def test_api_refuses_bad_rooms_with_422_and_changes_nothing(client, app):
    headers = api_token(client, "admin")
    with app.app_context():
        before = room_count()
        cases = [room_json(area_inner="120.00"), room_json(floor=11), room_json(list_unit_price="-1"),
                 room_json(number="101", floor=1), room_json(unit=unit("2栋", "1单元").id),
                 room_json(custom={"nonsense": 1})]
    for payload in cases:
        response = client.post("/api/v1/rooms/", json=payload, headers=headers)
        assert response.status_code == 422, (payload, response.get_data(as_text=True))
        assert response.json["message"]
    with app.app_context():
        assert room_count() == before


def test_status_cannot_be_set_over_the_api(client, app):
    headers = api_token(client, "admin")
    with app.app_context():
        pk = room("2栋-1单元-101").id
        before = room_count()
        payload = room_json(status="signed")
    response = client.put("/api/v1/rooms/%d" % pk, json={"status": "signed"}, headers=headers)
    assert response.status_code in (400, 422)
    response = client.post("/api/v1/rooms/", json=payload, headers=headers)
    assert response.status_code in (400, 422)
    with app.app_context():
        assert room("2栋-1单元-101").status == "unreleased"
        assert room_count() == before


def test_api_refuses_to_delete_a_released_room_or_a_project_with_buildings(client, app):
    headers = api_token(client, "admin")
    with app.app_context():
        room_pk, project_pk = room("1栋-1单元-101").id, project().id
    assert client.delete("/api/v1/rooms/%d" % room_pk, headers=headers).status_code == 422
    assert client.delete("/api/v1/projects/%d" % project_pk, headers=headers).status_code == 422
    with app.app_context():
        assert db.session.get(Room, room_pk) is not None and db.session.get(Project, project_pk) is not None


def test_api_refuses_a_department_as_developer(client, app):
    headers = api_token(client, "admin")
    from app.org.models import Department
    with app.app_context():
        team = db.session.query(Department).filter_by(code="GZ-TH").one().id
        company = db.session.query(Department).filter_by(code="HD").one().id
    payload = {"name": "滨江府", "code": "SH-BJF", "city": "上海", "developer": team, "price_rounding": "fen",
               "hold_hours": 24, "booking_days": 7, "active": True}
    response = client.post("/api/v1/projects/", json=payload, headers=headers)
    assert response.status_code == 422 and "开发商必须是公司或集团" in response.json["message"]
    payload["developer"] = company
    assert client.post("/api/v1/projects/", json=payload, headers=headers).status_code == 201


def test_sales_reads_rooms_over_the_api_but_cannot_write(client, app):
    headers = api_token(client, "sales")
    with app.app_context():
        pk = room("2栋-1单元-101").id
        payload = room_json()
    with app.app_context():
        project_id = project().id
    listing = client.get("/api/v1/rooms/?q=(filters:!((col:project,opr:rel_o_m,value:%d)))" % project_id,
                         headers=headers)
    assert listing.status_code == 200 and listing.json["count"] == 86
    assert client.post("/api/v1/rooms/", json=payload, headers=headers).status_code in (401, 403)
    assert client.put("/api/v1/rooms/%d" % pk, json={"floor": 2}, headers=headers).status_code in (401, 403)
    assert client.get("/api/v1/buildings/", headers=headers).status_code in (401, 403)


def _post_statements(app, client, url, data):
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        response = client.post(url, data=data)
        assert response.status_code in (200, 302)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return statements


def test_a_list_action_loads_the_selected_rooms_in_one_query(admin_client, app):
    with app.app_context():
        few = [str(room("2栋-1单元-%d01" % f).id) for f in (1, 2)]
        many = [str(r.id) for r in db.session.query(Room).filter_by(project_id=project().id, status="unreleased")]
    token = form_token(admin_client, "/roomview/list/")
    counts = []
    for ids in (few, many):
        statements = _post_statements(app, admin_client, "/roomview/action_post",
                                      {"action": "mark_not_for_sale", "rowid": ids, "csrf_token": token})
        counts.append(len([s for s in statements if s.lstrip().upper().startswith("SELECT")
                           and "FROM room" in s and "FOR UPDATE" not in s.upper()]))
    assert len(many) > 30 and counts[0] == counts[1]
    with app.app_context():
        assert room("2栋-1单元-101").status == "not_for_sale"


def test_a_list_action_ignores_ids_outside_the_list_and_nonsense(admin_client, app):
    token = form_token(admin_client, "/roomview/list/")
    with app.app_context():
        target = room("2栋-1单元-101").id
    response = admin_client.post("/roomview/action_post", data={
        "action": "mark_not_for_sale", "rowid": [str(target), "abc", "99999999"], "csrf_token": token})
    assert response.status_code == 302
    with app.app_context():
        assert room("2栋-1单元-101").status == "not_for_sale"
    assert admin_client.post("/roomview/action_post", data={"action": "no_such_action", "rowid": [str(target)],
                                                             "csrf_token": token}).status_code == 404
