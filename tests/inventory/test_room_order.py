"""Rooms read in natural order (1单元-101 before 1单元-1001), and the room form's unit choice
follows its building."""
import re

from app.extensions import db
from app.inventory.models import Unit
from tests.conftest import form_token
from tests.inventory.helpers import building, project, room, room_count, unit
from tests.inventory.test_pages_and_api import room_form


def listed_codes(html):
    return re.findall(r"<td>\s*(\d栋-(?:\d单元-)?B?\d{3,4})\s*</td>", html)


def test_room_list_orders_rooms_by_building_unit_floor_and_number(admin_client, app):
    with app.app_context():
        b1 = building("1栋").id
    html = admin_client.get("/roomview/list/?_flt_0_building=%d&psize_RoomView=100" % b1).get_data(as_text=True)
    codes = listed_codes(html)
    expected = (["1栋-B001", "1栋-B002", "1栋-B003"] +
                ["1栋-%s-%d%02d" % (u, f, p) for u in ("1单元", "2单元") for f in range(1, 11) for p in (1, 2)])
    assert codes == expected
    # Sorting by code on the page, descending: the same order reversed.
    html = admin_client.get("/roomview/list/?_flt_0_building=%d&psize_RoomView=100&_oc_RoomView=code&_od_RoomView=desc"
                            % b1).get_data(as_text=True)
    assert listed_codes(html) == expected[::-1]


def test_room_form_shows_the_project_of_each_building_and_the_building_of_each_unit(admin_client, app):
    html = admin_client.get("/roomview/add").get_data(as_text=True)
    assert "云璟花园 · 1栋" in html and "滨江锦园 · 8栋" in html
    with app.app_context():
        u = unit("2栋", "1单元")
        assert 'value="%d" data-building="%d"' % (u.id, u.building_id) in html or \
            'data-building="%d" value="%d"' % (u.building_id, u.id) in html


def test_a_unit_of_another_building_is_still_refused_by_the_server(admin_client, app):
    admin_client.get("/lang/en")
    with app.app_context():
        before = room_count()
        data = room_form(unit=str(unit("2栋", "1单元").id))
    data["csrf_token"] = form_token(admin_client, "/roomview/add")
    html = admin_client.post("/roomview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "is not in “1栋”" in html
    with app.app_context():
        assert room_count() == before
        other = db.session.query(Unit).filter(Unit.building_id != building("1栋").id).first()
        assert other is not None and project().id
        assert room("1栋-1单元-101").unit.name == "1单元"
