"""Rough edges of the inventory module, smoothed: the approval page of a price adjustment links
to it; the pricing factor's rooms are chosen by code within its project; the room form's layout
and property type follow the building; old import files are removed by a scheduled job."""
import re

import pytest

from app.core.errors import BusinessError

from app.extensions import db
from app.inventory.models.pricing import PriceAdjustment
from app.inventory.services import price_adjustment
from tests.conftest import login
from app.inventory.models import Project
from tests.inventory.helpers import building, project
from tests.inventory.pricing_helpers import ids, user


# ---------------------------------------------------------------- approval page → adjustment

def test_adjustment_approval_page_links_to_the_adjustment_and_its_lines(app):
    with app.app_context():
        adjustment = price_adjustment.create(project().id, ids("1栋-1单元-101", "1栋-1单元-102"), "percent", "2",
                                             "加推调价", user("manager"))
        adjustment_id, request_id = adjustment.id, adjustment.approval_request_id
    client = app.test_client()
    login(client, "admin")
    html = client.get("/approvals/show/%d" % request_id).get_data(as_text=True)
    assert 'href="/priceadjustmentview/show/%d"' % adjustment_id in html and "查看调价单" in html
    lines_url = re.search(r'href="(/priceadjustmentlineview/list/\?[^"]+)"', html).group(1).replace("&amp;", "&")
    assert "调价房源明细" in html
    # The links lead somewhere: the adjustment, and a list of exactly its two rooms.
    assert "加推调价" in client.get("/priceadjustmentview/show/%d" % adjustment_id).get_data(as_text=True)
    lines = client.get(lines_url).get_data(as_text=True)
    assert "1栋-1单元-101" in lines and "1栋-1单元-102" in lines
    with app.app_context():
        demo = db.session.query(PriceAdjustment).filter(PriceAdjustment.id != adjustment_id).first()
    assert demo is not None and "1栋-2单元-1002" not in lines
    # The requester (a manager) sees the same links on the page of their own request.
    manager = app.test_client()
    login(manager, "manager")
    html = manager.get("/approvals/show/%d" % request_id).get_data(as_text=True)
    assert 'href="/priceadjustmentview/show/%d"' % adjustment_id in html


# ---------------------------------------------------------------- room form: layout and property type

def _other_project_choices():
    from app.inventory.models import Layout, PropertyType
    other = db.session.query(Project).filter(Project.code != "GZ-YJ").order_by(Project.code).first()
    layout = db.session.query(Layout).filter_by(project_id=other.id).first()
    ptype = db.session.query(PropertyType).filter_by(project_id=other.id).first()
    return other, layout, ptype


def test_room_form_layout_and_property_type_follow_the_buildings_project(admin_client, app):
    from app.inventory.models import Layout, PropertyType
    html = admin_client.get("/roomview/add").get_data(as_text=True)
    with app.app_context():
        own, (other, other_layout, other_type) = project(), _other_project_choices()
        b = building()
        assert other_layout is not None and other_type is not None
        own_layout = db.session.query(Layout).filter_by(project_id=own.id).first()
        own_type = db.session.query(PropertyType).filter_by(project_id=own.id).first()
        expected = [(b.id, "project", own.id)] + [(x.id, "project", x.project_id) for x in
                                                   (own_layout, own_type, other_layout, other_type)]
    # Each building says its project; each layout and property type says its own.
    assert re.search(r'<option[^>]*data-project="%d"[^>]*value="%d"|<option[^>]*value="%d"[^>]*data-project="%d"'
                     % (own.id, b.id, b.id, own.id), html)
    for pk, attr, project_id in expected[1:]:
        assert re.search(r'<option[^>]*(data-%s="%d"[^>]*value="%d"|value="%d"[^>]*data-%s="%d")'
                         % (attr, project_id, pk, pk, attr, project_id), html), pk
    for name in ("layout", "property_type"):
        assert re.search(r'<select[^>]*data-follow="project"[^>]*id="%s"|<select[^>]*id="%s"[^>]*data-follow="project"'
                         % (name, name), html), name
    assert re.search(r'<select[^>]*data-follow="building"[^>]*id="unit"|<select[^>]*id="unit"[^>]*data-follow="building"',
                     html)
    assert html.count("select[data-follow]") == 1  # the script is on the page once


def test_layout_or_property_type_of_another_project_is_still_refused(admin_client, app):
    from tests.conftest import form_token
    from tests.inventory.helpers import room_count
    from tests.inventory.test_pages_and_api import room_form
    admin_client.get("/lang/en")
    with app.app_context():
        _other, other_layout, other_type = _other_project_choices()
        before = room_count()
        cases = [(room_form(layout=str(other_layout.id)), "The layout belongs to another project."),
                 (room_form(property_type=str(other_type.id)), "The property type belongs to another project.")]
    for data, message in cases:
        data["csrf_token"] = form_token(admin_client, "/roomview/add")
        html = admin_client.post("/roomview/add", data=data, follow_redirects=True).get_data(as_text=True)
        assert message in html
    with app.app_context():
        assert room_count() == before


def test_room_form_with_the_buildings_own_layout_and_type_saves(admin_client, app):
    from app.inventory.models import Layout, Room
    from tests.conftest import form_token
    from tests.inventory.helpers import homes
    from tests.inventory.test_pages_and_api import room_form
    with app.app_context():
        layout = db.session.query(Layout).filter_by(project_id=project().id).first()
        data = room_form(layout=str(layout.id), property_type=str(homes().id), number="577")
        layout_id = layout.id
    data["csrf_token"] = form_token(admin_client, "/roomview/add")
    assert admin_client.post("/roomview/add", data=data).status_code == 302
    with app.app_context():
        saved = db.session.query(Room).filter_by(project_id=project().id, number="577").one()
        assert saved.layout_id == layout_id and saved.property_type.code == "RES"


# ---------------------------------------------------------------- pricing factor: chosen rooms by code

def _factor_form(**kw):
    data = {"project": str(project().id), "kind": "custom", "name": "临街", "method": "amount", "value": "300",
            "sort_order": "0", "active": "y", "room_codes": ""}
    data.update(kw)
    return data


def test_factor_page_takes_room_codes_of_its_project_not_a_select_of_every_room(client, app):
    from app.inventory.models import Room
    from app.inventory.models.pricing import PriceFactor
    from tests.conftest import form_token
    login(client, "manager")
    html = client.get("/pricefactorview/add").get_data(as_text=True)
    assert '<textarea' in html and 'name="room_codes"' in html
    with app.app_context():
        other_code = db.session.query(Room.code).filter(Room.project_id != project().id).first()[0]
        rooms_total = db.session.query(Room).count()
    # No option per room: the page stays small whatever the number of rooms.
    assert html.count("<option") < rooms_total and '1栋-1单元-101"' not in html
    with app.app_context():
        data = _factor_form(room_codes="1栋-1单元-102，1栋-1单元-202\n 1栋-1单元-102 ")
    data["csrf_token"] = form_token(client, "/pricefactorview/add")
    assert client.post("/pricefactorview/add", data=data).status_code == 302
    with app.app_context():
        factor = db.session.query(PriceFactor).filter_by(name="临街").one()
        assert [r.code for r in factor.rooms] == ["1栋-1单元-102", "1栋-1单元-202"]
        factor_id = factor.id
    # The edit form shows the codes, one a line; emptying them clears the choice.
    html = client.get("/pricefactorview/edit/%d" % factor_id).get_data(as_text=True)
    assert "1栋-1单元-102\n1栋-1单元-202</textarea>" in html
    with app.app_context():
        data = _factor_form(room_codes="")
    data["csrf_token"] = form_token(client, "/pricefactorview/edit/%d" % factor_id)
    assert client.post("/pricefactorview/edit/%d" % factor_id, data=data).status_code == 302
    with app.app_context():
        assert db.session.get(PriceFactor, factor_id).rooms == []
    assert other_code


def test_factor_page_refuses_codes_the_project_does_not_have(client, app):
    from app.inventory.models import Room
    from app.inventory.models.pricing import PriceFactor
    from tests.conftest import form_token
    login(client, "manager")
    client.get("/lang/en")
    with app.app_context():
        other_code = db.session.query(Room.code).filter(
            Room.project_id != project().id, ~Room.code.in_(db.session.query(Room.code).filter(
                Room.project_id == project().id))).first()[0]
        before = db.session.query(PriceFactor).count()
    for codes, shown in (("1栋-1单元-102, %s" % other_code, other_code), ("9栋-9单元-999", "9栋-9单元-999")):
        with app.app_context():
            data = _factor_form(room_codes=codes)
        data["csrf_token"] = form_token(client, "/pricefactorview/add")
        html = client.post("/pricefactorview/add", data=data, follow_redirects=True).get_data(as_text=True)
        assert "The project has no room with these codes: %s." % shown in html
    with app.app_context():
        assert db.session.query(PriceFactor).count() == before


def test_factor_service_and_api_refuse_a_room_of_another_project(client, app):
    import pytest
    from flask_babel import force_locale
    from app.core.errors import BusinessError
    from app.inventory.models import Room
    from app.inventory.models.pricing import PriceFactor
    from app.inventory.services import pricing
    from tests.conftest import api_token
    with app.app_context():
        other = db.session.query(Room).filter(Room.project_id != project().id).first()
        other_id, other_code = other.id, other.code
        before = db.session.query(PriceFactor).count()
        factor = PriceFactor(project=project(), kind="custom", name="临街", method="amount", value="300",
                             rooms=[other])
        with force_locale("en"), pytest.raises(BusinessError, match="Room %s belongs to another project" % other_code):
            pricing.check_factor(factor)
        db.session.rollback()
        body = {"project": project().id, "kind": "custom", "name": "临街", "method": "amount", "value": "300",
                "rooms": [other_id], "active": True, "sort_order": 0}
    response = client.post("/api/v1/price_factors/", json=body, headers=api_token(client, "manager"))
    assert response.status_code == 422
    with app.app_context():
        assert db.session.query(PriceFactor).count() == before


# ---------------------------------------------------------------- removing old import files

def test_old_import_files_are_removed_by_the_scheduled_job(app, ctx):
    import datetime as dt
    import os
    from app.core.models.base import utcnow
    from app.inventory.models.imports import RoomImport
    from app.inventory.services import imports
    from app.jobs.services import get_job
    now = utcnow()
    old, recent = now - dt.timedelta(days=8), now - dt.timedelta(days=2)
    admin = user("admin")

    def job(status, updated, finished=None, with_file=True):
        path = None
        if with_file:
            path = os.path.join(imports.import_dir(), "%s.xlsx" % os.urandom(16).hex())
            for name in (path, path + ".checked.json"):
                with open(name, "wb") as out:
                    out.write(b"x")
        row = RoomImport(project_id=project().id, file_name="rooms.xlsx", stored_path=path, status=status,
                         created_by_fk=admin.id, created_at=updated, updated_at=updated, finished_at=finished)
        db.session.add(row)
        db.session.commit()
        return row.id, path

    jobs = {"failed_old": job("failed", old, old), "valid_abandoned": job("valid", old),
            "importing_stuck": job("importing", old), "valid_recent": job("valid", recent),
            "failed_recent": job("failed", recent, recent), "done_old_no_file": job("done", old, old, False)}
    stray = os.path.join(imports.import_dir(), "%s.xlsx" % os.urandom(16).hex())
    with open(stray, "wb") as out:
        out.write(b"x")
    os.utime(stray, (old.replace(tzinfo=dt.timezone.utc).timestamp(),) * 2)
    before = db.session.query(RoomImport).count()
    spec = get_job("room_import_files")
    assert spec.func is imports.remove_old_files and spec.cron
    message = spec.func(due_at=now)
    assert message.startswith("3 import file(s) removed, 1 stray")
    db.session.expire_all()
    assert db.session.query(RoomImport).count() == before
    for key, (job_id, path) in jobs.items():
        row = db.session.get(RoomImport, job_id)
        removed = key in ("failed_old", "valid_abandoned", "importing_stuck")
        if path:
            assert os.path.exists(path) != removed and os.path.exists(path + ".checked.json") != removed, key
        assert (row.file_removed_at == now) == removed, key
        assert (row.stored_path is None) == (removed or path is None), key
    assert not os.path.exists(stray)
    # An abandoned check can no longer be imported: the user is told to upload again.
    with pytest.raises(BusinessError):
        imports.begin_import(db.session.get(RoomImport, jobs["valid_abandoned"][0]), admin)
    # Idempotent: a second run (or the same due time again) removes nothing more.
    assert spec.func(due_at=now).startswith("0 import file(s) removed, 0 stray")
    assert spec.func(due_at=now + dt.timedelta(days=1)).startswith("0 import file(s) removed")
    for key in ("valid_recent", "failed_recent"):
        path = jobs[key][1]
        os.remove(path), os.remove(path + ".checked.json")
