"""Form choices name their project ("云璟花园 · 一期"), so that the 一期, 1栋, 住宅 of different projects
can be told apart on the building, presale permit, unit and pricing factor forms; list and detail
pages keep the plain name; a choice of another project is still refused where the form has a
project, and nothing changes."""
import html as htmllib
import re

import pytest

from app.extensions import db
from app.inventory.models import Building, Layout, Phase, PresalePermit, PropertyType, Unit
from app.inventory.models.pricing import PriceFactor
from tests.conftest import form_token
from tests.inventory.helpers import building, project


def options(page, field):
    """(value, label, selected) of each option of the select `field` of a form page."""
    select = re.search(r'<select[^>]*\bid="%s"[^>]*>(.*?)</select>' % field, page, re.S)
    assert select, "no select %s on the page" % field
    found = []
    for attrs, label in re.findall(r"<option([^>]*)>([^<]*)</option>", select.group(1)):
        value = re.search(r'value="([^"]*)"', attrs).group(1)
        found.append((value, htmllib.unescape(label).strip(), "selected" in attrs))
    return found


def labels(page, field):
    return [label for value, label, _selected in options(page, field) if value != "__None"]


def _other(model, **kw):
    """A record of another project, 滨江锦园 (HZ-JY), which has its own 一期, 1栋 and 住宅."""
    return db.session.query(model).filter_by(project_id=project("HZ-JY").id, **kw).first()


@pytest.mark.parametrize("url, field, expected", [
    ("/buildingview/add", "phase", ["云璟花园 · 一期", "滨江锦园 · 一期", "滨江锦园 · 二期"]),
    ("/presalepermitview/add", "buildings", ["云璟花园 · 1栋", "云璟花园 · 2栋", "滨江锦园 · 1栋"]),
    ("/unitview/add", "building", ["云璟花园 · 1栋", "滨江锦园 · 1栋", "海悦中心 · A座"]),
    ("/pricefactorview/add", "building", ["云璟花园 · 1栋", "滨江锦园 · 1栋"]),
    ("/pricefactorview/add", "property_type", ["云璟花园 · 住宅", "云璟花园 · 车位", "滨江锦园 · 住宅"]),
    ("/pricefactorview/add", "layout", ["云璟花园 · A户型 三室两厅两卫", "海悦中心 · 标准办公单元"]),
])
def test_add_forms_name_the_project_of_each_choice(admin_client, url, field, expected):
    page = admin_client.get(url).get_data(as_text=True)
    found = labels(page, field)
    for label in expected:
        assert label in found, (label, found)
    # Every choice names its project: no bare 一期 / 1栋 / 住宅 left.
    assert all(" · " in label for label in found), found


def test_optional_choices_keep_their_blank_and_the_unit_needs_a_building(admin_client):
    assert options(admin_client.get("/buildingview/add").get_data(as_text=True), "phase")[0][0] == "__None"
    factor = admin_client.get("/pricefactorview/add").get_data(as_text=True)
    for field in ("building", "property_type", "layout"):
        assert options(factor, field)[0][0] == "__None", field
    assert all(value != "__None" for value, _l, _s in options(admin_client.get("/unitview/add").get_data(as_text=True),
                                                              "building"))


def test_edit_form_shows_the_current_choice_with_its_project(admin_client, app):
    with app.app_context():
        bid = building("1栋").id
        uid = db.session.query(Unit).filter_by(building_id=bid, name="1单元").one().id
    page = admin_client.get("/buildingview/edit/%d" % bid).get_data(as_text=True)
    assert [label for _v, label, selected in options(page, "phase") if selected] == ["云璟花园 · 一期"]
    page = admin_client.get("/unitview/edit/%d" % uid).get_data(as_text=True)
    assert [label for _v, label, selected in options(page, "building") if selected] == ["云璟花园 · 1栋"]


def test_lists_and_details_keep_the_plain_name(admin_client, app):
    with app.app_context():
        bid = building("1栋").id
        permit = db.session.query(PresalePermit).filter_by(project_id=project().id).first()
        pid = permit.id if permit is not None else None
    for url in ["/buildingview/list/", "/buildingview/show/%d" % bid, "/unitview/list/", "/presalepermitview/list/"]:
        page = admin_client.get(url).get_data(as_text=True)
        assert "云璟花园 · " not in page, url
    assert "一期" in admin_client.get("/buildingview/show/%d" % bid).get_data(as_text=True)
    if pid is not None:
        assert "云璟花园 · " not in admin_client.get("/presalepermitview/show/%d" % pid).get_data(as_text=True)


# ---------------------------------------------------------------- saving, and refusing another project's choice

def _building_form(b, **kw):
    data = {"project": str(b.project_id), "phase": str(b.phase_id), "name": b.name,
            "floors_above": str(b.floors_above), "floors_below": str(b.floors_below),
            "units_count": str(b.units_count), "sort_order": str(b.sort_order)}
    data.update(kw)
    return data


def test_building_form_saves_its_own_phase_and_refuses_another_projects(admin_client, app):
    admin_client.get("/lang/en")
    with app.app_context():
        b = building("1栋")
        bid, phase_id = b.id, b.phase_id
        other_phase = _other(Phase, name="二期").id
        refused = _building_form(b, phase=str(other_phase))
        own = _building_form(b, floors_above="11")
    refused["csrf_token"] = form_token(admin_client, "/buildingview/edit/%d" % bid)
    page = admin_client.post("/buildingview/edit/%d" % bid, data=refused, follow_redirects=True).get_data(as_text=True)
    assert "The phase belongs to another project." in page
    with app.app_context():
        assert db.session.get(Building, bid).phase_id == phase_id
    own["csrf_token"] = form_token(admin_client, "/buildingview/edit/%d" % bid)
    assert admin_client.post("/buildingview/edit/%d" % bid, data=own).status_code == 302
    with app.app_context():
        saved = db.session.get(Building, bid)
        assert (saved.phase_id, saved.floors_above) == (phase_id, 11)


def test_permit_form_saves_its_own_buildings_and_refuses_another_projects(admin_client, app):
    admin_client.get("/lang/en")
    with app.app_context():
        pid, own = project().id, [building("1栋").id, building("2栋").id]
        other = _other(Building, name="1栋").id
        before = db.session.query(PresalePermit).count()

    def form(number, buildings):
        return {"project": str(pid), "number": number, "issue_date": "2026-03-01", "valid_to": "2028-03-01",
                "buildings": [str(x) for x in buildings]}

    data = form("穗房预（2026）0999号", [own[0], other])
    data["csrf_token"] = form_token(admin_client, "/presalepermitview/add")
    page = admin_client.post("/presalepermitview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "“1栋” belongs to another project." in page
    with app.app_context():
        assert db.session.query(PresalePermit).count() == before
    data = form("穗房预（2026）0999号", own)
    data["csrf_token"] = form_token(admin_client, "/presalepermitview/add")
    assert admin_client.post("/presalepermitview/add", data=data).status_code == 302
    with app.app_context():
        saved = db.session.query(PresalePermit).filter_by(number="穗房预（2026）0999号").one()
        assert sorted(b.id for b in saved.buildings) == sorted(own)


def test_unit_form_saves_the_chosen_building(admin_client, app):
    with app.app_context():
        other = _other(Building, name="1栋").id
    data = {"building": str(other), "name": "9单元", "sort_order": "90",
            "csrf_token": form_token(admin_client, "/unitview/add")}
    assert admin_client.post("/unitview/add", data=data).status_code == 302
    with app.app_context():
        saved = db.session.query(Unit).filter_by(name="9单元").one()
        assert saved.building_id == other and saved.building.project.code == "HZ-JY"


def test_factor_form_refuses_a_building_type_or_layout_of_another_project(admin_client, app):
    admin_client.get("/lang/en")
    with app.app_context():
        base = {"project": str(project().id), "kind": "custom", "name": "临街", "method": "amount", "value": "300",
                "sort_order": "0", "active": "y", "room_codes": ""}
        cases = [("building", _other(Building, name="1栋").id, "The building belongs to another project."),
                 ("property_type", _other(PropertyType, code="RES").id,
                  "The property type belongs to another project."),
                 ("layout", _other(Layout).id, "The layout belongs to another project.")]
        own = dict(base, building=str(building("1栋").id))
        before = db.session.query(PriceFactor).count()
    for field, pk, message in cases:
        data = dict(base, **{field: str(pk)})
        data["csrf_token"] = form_token(admin_client, "/pricefactorview/add")
        page = admin_client.post("/pricefactorview/add", data=data, follow_redirects=True).get_data(as_text=True)
        assert message in page, field
    with app.app_context():
        assert db.session.query(PriceFactor).count() == before
    own["csrf_token"] = form_token(admin_client, "/pricefactorview/add")
    assert admin_client.post("/pricefactorview/add", data=own).status_code == 302
    with app.app_context():
        assert db.session.query(PriceFactor).count() == before + 1
        saved = db.session.query(PriceFactor).order_by(PriceFactor.id.desc()).first()
        assert saved.building_id == building("1栋").id and saved.name == "临街"
