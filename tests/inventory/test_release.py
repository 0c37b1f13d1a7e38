"""Release (推盘/加推): unreleased rooms go on sale as a named batch, all or none; the batches are
listed with their rooms; the same over the REST API, with the pages' permissions."""
import datetime as dt
import re

import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import PresalePermit, ReleaseBatch, Room
from app.inventory.services import release as release_service
from app.inventory import services
from tests.conftest import api_token, form_token, login
from tests.inventory.helpers import D, project, room

UNRELEASED = ["2栋-1单元-101", "2栋-1单元-102", "2栋-1单元-201"]


def refused(fn, *args, **kwargs):
    with force_locale("en"), pytest.raises(BusinessError) as err:
        fn(*args, **kwargs)
    db.session.rollback()
    return str(err.value)


def statuses(codes):
    db.session.expire_all()
    return {c: (room(c).status, room(c).release_batch.name if room(c).release_batch else None) for c in codes}


def flashes(html):
    return " ".join(re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


# ---- the service -----------------------------------------------------------------------------

def test_release_makes_unreleased_rooms_available_as_a_named_batch(ctx):
    batch = release_service.release([room(c) for c in UNRELEASED], " 加推一 ", dt.date(2026, 12, 5), note="2栋首批")
    assert (batch.name, batch.release_date, batch.note) == ("加推一", dt.date(2026, 12, 5), "2栋首批")
    assert batch.project_id == project().id
    assert statuses(UNRELEASED) == {c: ("available", "加推一") for c in UNRELEASED}
    assert (batch.rooms_count, batch.available_count) == (3, 3)
    assert batch.rooms_area == D("118.60") + D("89.50") + D("118.60")
    # The rest of 2栋 stays unreleased.
    assert room("2栋-1单元-202").status == "unreleased"


def test_a_later_batch_is_a_new_batch(ctx):
    release_service.release([room("2栋-1单元-101")], "加推一", dt.date(2026, 12, 5))
    release_service.release([room("2栋-1单元-102")], "加推二", dt.date(2027, 1, 10))
    names = [b.name for b in db.session.query(ReleaseBatch).filter_by(project_id=project().id)
             .order_by(ReleaseBatch.release_date)]
    assert names == ["首开", "加推一", "加推二"]


def test_a_batch_name_already_used_in_the_project_is_refused(ctx):
    message = refused(release_service.release, [room("2栋-1单元-101")], "首开", dt.date(2026, 12, 5))
    assert "“首开” already exists in this project" in message
    assert room("2栋-1单元-101").status == "unreleased"
    assert db.session.query(ReleaseBatch).filter_by(project_id=project().id).count() == 1


def test_the_same_name_in_another_project_is_fine(ctx):
    # 首开 exists in 滨江锦园 too; in 云璟花园 加推一 is new.
    other = project("HZ-JY")
    assert db.session.query(ReleaseBatch).filter_by(project_id=other.id, name="加推一").count() == 1
    batch = release_service.release([room("2栋-1单元-101")], "加推一", dt.date(2026, 12, 5))
    assert batch.project_id == project().id


def test_releasing_a_room_that_is_not_unreleased_refuses_all_and_names_it(ctx):
    services.load_status(room("2栋-1单元-201"), "held")
    db.session.commit()
    rooms = [room("2栋-1单元-101"), room("1栋-1单元-101"), room("2栋-1单元-201"), room("1栋-B003")]
    message = refused(release_service.release, rooms, "加推一", dt.date(2026, 12, 5))
    assert "Only unreleased rooms can be released" in message
    assert "1栋-1单元-101" in message and "2栋-1单元-201" in message and "1栋-B003" in message
    assert "2栋-1单元-101" not in message.split(":")[-1]
    assert "待售、非售、预留" in message  # the statuses by their (admin-editable) names
    assert statuses(["2栋-1单元-101"]) == {"2栋-1单元-101": ("unreleased", None)}
    assert db.session.query(ReleaseBatch).filter_by(name="加推一", project_id=project().id).count() == 0


def test_release_refuses_empty_selection_blank_name_no_date_and_mixed_projects(ctx):
    assert "Select at least one room" in refused(release_service.release, [], "加推一", dt.date(2026, 12, 5))
    assert "Enter the name of the batch" in refused(release_service.release, [room("2栋-1单元-101")], "  ",
                                                     dt.date(2026, 12, 5))
    assert "Enter the release date" in refused(release_service.release, [room("2栋-1单元-101")], "加推一", None)
    assert "at most 50" in refused(release_service.release, [room("2栋-1单元-101")], "加" * 51,
                                   dt.date(2026, 12, 5))
    other = db.session.query(Room).filter_by(project_id=project("HZ-JY").id, status="unreleased").first()
    assert "one project at a time" in refused(release_service.release, [room("2栋-1单元-101"), other], "加推一",
                                              dt.date(2026, 12, 5))
    assert room("2栋-1单元-101").status == "unreleased" and other.status == "unreleased"


def test_a_released_room_marked_not_for_sale_comes_back_available(ctx):
    release_service.release([room("2栋-1单元-101")], "加推一", dt.date(2026, 12, 5))
    services.mark_not_for_sale([room("2栋-1单元-101")])
    assert room("2栋-1单元-101").status == "not_for_sale"
    services.mark_for_sale([room("2栋-1单元-101")])
    assert statuses(["2栋-1单元-101"]) == {"2栋-1单元-101": ("available", "加推一")}


def test_rooms_of_a_building_without_a_valid_presale_permit_are_not_released(ctx):
    permit = db.session.query(PresalePermit).filter_by(project_id=project().id).one()
    permit.buildings = [b for b in permit.buildings if b.name != "2栋"]
    db.session.commit()
    with force_locale("en"), pytest.raises(BusinessError) as refused:
        release_service.release([room("2栋-1单元-101")], "加推一", dt.date(2026, 12, 5))
    assert "No presale permit valid on 2026-12-05 covers 2栋" in str(refused.value)
    assert room("2栋-1单元-101").status == "unreleased"
    assert not db.session.query(ReleaseBatch).filter_by(project_id=project().id, name="加推一").count()


def test_a_permit_that_has_expired_or_is_not_yet_issued_does_not_cover_the_release(ctx):
    # The demo permit runs from 2026-03-18 to 2028-03-17.
    for day in (dt.date(2026, 3, 17), dt.date(2028, 3, 18)):
        with pytest.raises(BusinessError):
            release_service.release([room("2栋-1单元-101")], "加推一", day)
    assert room("2栋-1单元-101").status == "unreleased"
    batch = release_service.release([room("2栋-1单元-101")], "加推一", dt.date(2028, 3, 17))
    assert batch.id and room("2栋-1单元-101").status == "available"


def test_release_is_recorded_in_the_audit_log(ctx):
    from app.core.models.audit import AuditLog
    target = room("2栋-1单元-101")
    release_service.release([target], "加推一", dt.date(2026, 12, 5))
    entry = db.session.query(AuditLog).filter_by(table_name="room", row_id=str(target.id), action="update").one()
    assert entry.changes["status"] == ["unreleased", "available"]


# ---- pages -----------------------------------------------------------------------------------

def _release_from_the_list(client, app, codes, **form):
    with app.app_context():
        pks = [str(room(c).id) for c in codes]
    token = form_token(client, "/roomview/list/")
    response = client.post("/roomview/action_post", data={"csrf_token": token, "action": "release", "rowid": pks})
    assert response.status_code == 302 and "/release/" in response.headers["Location"]
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    data = {"csrf_token": form_token(client, response.headers["Location"]), "room": pks, "name": "加推一",
            "release_date": "2026-12-05", "note": ""}
    data.update(form)
    return page, client.post("/release/", data=data)


def test_manager_releases_rooms_from_the_room_list_and_sees_the_batch(client, app):
    login(client, "manager")
    client.get("/lang/en")
    page, response = _release_from_the_list(client, app, UNRELEASED)
    assert "3 rooms selected, 3 of them unreleased" in page
    assert "2栋-1单元-201" in page and "首开 (2026-04-18)" in page
    assert response.status_code == 302
    show = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "3 rooms released as “加推一”." in flashes(show)
    assert "2栋-1单元-101" in show and "2栋-1单元-201" in show and "326.70㎡" in show
    with app.app_context():
        assert statuses(UNRELEASED) == {c: ("available", "加推一") for c in UNRELEASED}
    listing = client.get("/releasebatchview/list/").get_data(as_text=True)
    assert "加推一" in listing and "2026-12-05" in listing


def test_a_refused_release_on_the_page_says_why_and_changes_nothing(client, app):
    login(client, "manager")
    client.get("/lang/en")
    _page, response = _release_from_the_list(client, app, ["2栋-1单元-101", "1栋-1单元-101"])
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "Only unreleased rooms can be released" in html
    _page, response = _release_from_the_list(client, app, ["2栋-1单元-101"], release_date="05/12/2026")
    assert "Enter the release date as 2026-11-26" in response.get_data(as_text=True)
    with app.app_context():
        assert room("2栋-1单元-101").status == "unreleased"
        assert db.session.query(ReleaseBatch).filter_by(project_id=project().id).count() == 1


def test_the_release_form_survives_bad_ids(client, app):
    login(client, "manager")
    for query in ("?room=abc", "?room=999999", ""):
        response = client.get("/release/" + query)
        assert response.status_code == 302
    token = form_token(client, "/roomview/list/")
    response = client.post("/release/", data={"csrf_token": token, "room": ["x", "-1"], "name": "加推一",
                                              "release_date": "2026-12-05"})
    assert response.status_code == 302


def test_sales_cannot_release(client, app):
    login(client, "sales")
    html = client.get("/roomview/list/").get_data(as_text=True)
    assert 'release_menu_item' not in html
    with app.app_context():
        pk = str(room("2栋-1单元-101").id)
    token = form_token(client, "/roomview/list/")
    client.post("/roomview/action_post", data={"csrf_token": token, "action": "release", "rowid": [pk]})
    client.post("/release/", data={"csrf_token": token, "room": [pk], "name": "加推一", "release_date": "2026-12-05"})
    assert client.get("/release/?room=%s" % pk).status_code in (302, 403)
    with app.app_context():
        assert room("2栋-1单元-101").status == "unreleased"
    # …but sees the batches.
    assert "首开" in client.get("/releasebatchview/list/").get_data(as_text=True)


def test_batch_list_shows_counts_and_area_in_a_fixed_number_of_queries(admin_client, app):
    from tests.inventory.test_pages_and_api import _count_statements
    url = "/releasebatchview/list/?psize_ReleaseBatchView=100"
    html = admin_client.get(url).get_data(as_text=True)
    # 云璟花园 首开: 40 rooms, 4,162.00㎡.
    assert "4,162.00㎡" in html or "4162.00㎡" in html
    before = _count_statements(app, admin_client, url)
    with app.app_context():
        for i in range(1, 6):
            release_service.release([room("2栋-2单元-%d01" % i)], "加推%d" % i, dt.date(2026, 12, i))
    assert _count_statements(app, admin_client, url) == before


def test_batch_name_edit_refuses_a_duplicate(admin_client, app):
    admin_client.get("/lang/en")
    with app.app_context():
        batch = release_service.release([room("2栋-1单元-101")], "加推一", dt.date(2026, 12, 5))
        pk = batch.id
    url = "/releasebatchview/edit/%d" % pk
    html = admin_client.post(url, data={"csrf_token": form_token(admin_client, url), "name": "首开",
                                        "release_date": "2026-12-05", "note": ""},
                             follow_redirects=True).get_data(as_text=True)
    assert "already exists in this project" in html
    with app.app_context():
        assert db.session.get(ReleaseBatch, pk).name == "加推一"


# ---- API -------------------------------------------------------------------------------------

def test_api_releases_rooms_and_lists_the_batch(client, app):
    headers = api_token(client, "manager")
    with app.app_context():
        pks = [room(c).id for c in UNRELEASED]
    response = client.post("/api/v1/rooms/release", json={"rooms": pks, "name": "加推一",
                                                           "release_date": "2026-12-05", "note": "API"},
                           headers=headers)
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.json["rooms"] == 3 and response.json["name"] == "加推一"
    shown = client.get("/api/v1/release_batches/%d" % response.json["id"], headers=headers).json["result"]
    assert shown["rooms_count"] == 3 and shown["release_date"] == "2026-12-05" and shown["note"] == "API"
    assert D(shown["rooms_area"]) == D("326.70")
    with app.app_context():
        assert statuses(UNRELEASED) == {c: ("available", "加推一") for c in UNRELEASED}
        shown_room = client.get("/api/v1/rooms/%d" % pks[0], headers=headers).json["result"]
    assert shown_room["status"] == "available" and shown_room["release_batch_id"] == response.json["id"]


@pytest.mark.parametrize("payload", [
    {}, {"rooms": []}, {"rooms": "1,2"}, {"rooms": ["a"]}, {"rooms": [999999], "name": "加推一",
                                                             "release_date": "2026-12-05"},
    {"rooms": None, "name": "加推一"}, {"name": "加推一", "release_date": "2026-12-05", "rooms": [True]},
])
def test_api_refuses_bad_release_payloads_with_422(client, app, payload):
    headers = api_token(client, "manager")
    response = client.post("/api/v1/rooms/release", json=payload, headers=headers)
    assert response.status_code == 422 and response.json["message"]


def test_api_refuses_a_bad_release_and_changes_nothing(client, app):
    headers = api_token(client, "manager")
    with app.app_context():
        pks = [room("2栋-1单元-101").id, room("1栋-1单元-101").id]
    for payload in ({"rooms": pks, "name": "加推一", "release_date": "2026-12-05"},
                    {"rooms": pks[:1], "name": "首开", "release_date": "2026-12-05"},
                    {"rooms": pks[:1], "name": "加推一", "release_date": "tomorrow"},
                    {"rooms": pks[:1], "name": 12, "release_date": "2026-12-05"}):
        response = client.post("/api/v1/rooms/release", json=payload, headers=headers)
        assert response.status_code == 422, payload
    assert client.post("/api/v1/rooms/release", data="not json", headers=headers).status_code == 422
    with app.app_context():
        assert room("2栋-1单元-101").status == "unreleased"
        assert db.session.query(ReleaseBatch).filter_by(project_id=project().id).count() == 1


def test_api_marks_rooms_not_for_sale_and_back(client, app):
    headers = api_token(client, "manager")
    with app.app_context():
        pks = [room("1栋-1单元-101").id, room("2栋-1单元-101").id]
    response = client.post("/api/v1/rooms/mark_not_for_sale", json={"rooms": pks}, headers=headers)
    assert response.status_code == 200 and set(response.json["rooms"].values()) == {"not_for_sale"}
    response = client.post("/api/v1/rooms/mark_for_sale", json={"rooms": pks}, headers=headers)
    assert response.json["rooms"] == {str(pks[0]): "available", str(pks[1]): "unreleased"}
    with app.app_context():
        services.load_status(room("1栋-1单元-201"), "held")
        db.session.commit()
        held = room("1栋-1单元-201").id
    response = client.post("/api/v1/rooms/mark_not_for_sale", json={"rooms": [held]}, headers=headers)
    assert response.status_code == 422 and "1栋-1单元-201" in response.json["message"]


def test_sales_cannot_release_or_mark_over_the_api_but_reads_batches(client, app):
    headers = api_token(client, "sales")
    with app.app_context():
        pk = room("2栋-1单元-101").id
    for action in ("release", "mark_not_for_sale", "mark_for_sale"):
        response = client.post("/api/v1/rooms/" + action, json={"rooms": [pk], "name": "加推一",
                                                                 "release_date": "2026-12-05"}, headers=headers)
        assert response.status_code in (401, 403), action
    with app.app_context():
        assert room("2栋-1单元-101").status == "unreleased"
    listing = client.get("/api/v1/release_batches/", headers=headers)
    assert listing.status_code == 200 and listing.json["count"] == 8
    assert client.put("/api/v1/release_batches/%d" % listing.json["ids"][0], json={"name": "x"},
                      headers=headers).status_code in (401, 403)


def test_phases_permits_and_statuses_are_readable_over_the_api(client, app):
    headers = api_token(client, "manager")
    with app.app_context():
        project_id = project().id
        permit = db.session.query(PresalePermit).filter_by(project_id=project_id).one()
    phases = client.get("/api/v1/phases/?q=(filters:!((col:project,opr:rel_o_m,value:%d)))" % project_id,
                        headers=headers)
    assert phases.status_code == 200 and [p["name"] for p in phases.json["result"]] == ["一期"]
    shown = client.get("/api/v1/presale_permits/%d" % permit.id, headers=headers).json["result"]
    assert shown["number"] == "穗房预字第20260088号" and shown["issue_date"] == "2026-03-18"
    assert [b["name"] for b in shown["buildings"]] == ["1栋", "2栋"]
    statuses_ = client.get("/api/v1/room_statuses/", headers=headers).json["result"]
    assert {s["code"]: s["colour"] for s in statuses_}["available"] == "#4caf50"
    # The manager reads them; writing a status stays the admin's (as on the page).
    assert client.put("/api/v1/room_statuses/%d" % statuses_[0]["id"], json={"name": "x"},
                      headers=headers).status_code in (401, 403)


def test_admin_edits_a_status_colour_over_the_api_with_the_pages_rule(client, app):
    headers = api_token(client, "admin")
    statuses_ = client.get("/api/v1/room_statuses/", headers=headers).json["result"]
    pk = {s["code"]: s["id"] for s in statuses_}["available"]
    assert client.put("/api/v1/room_statuses/%d" % pk, json={"colour": "green"}, headers=headers).status_code == 422
    assert client.put("/api/v1/room_statuses/%d" % pk, json={"colour": "#00AA00"}, headers=headers).status_code == 200
    shown = client.get("/api/v1/room_statuses/%d" % pk, headers=headers).json["result"]
    assert shown["colour"] == "#00aa00"


def test_sales_cannot_read_phases_or_permits_over_the_api(client, app):
    headers = api_token(client, "sales")
    assert client.get("/api/v1/phases/", headers=headers).status_code in (401, 403)
    assert client.get("/api/v1/presale_permits/", headers=headers).status_code in (401, 403)
