"""批量生成 and 批量修改 in Chromium, as a sales manager clicks them: generate a new building's
rooms through the wizard (preview, then commit), find them in the room list, then batch-edit
two picked rooms and every room of the building through the list's filter.
Screenshots: tests/artifacts/generation-*.png."""
import decimal

from app.extensions import db
from app.inventory.models import Building, Layout, Room, Unit
from tests.browser.conftest import login_as, shot
from tests.browser.test_paths import alerts, no_errors
from tests.inventory.helpers import project

D = decimal.Decimal


def make_building(app):
    with app.app_context():
        b = Building(project=project(), name="9栋", floors_above=6, floors_below=1, units_count=2, sort_order=90)
        db.session.add(b)
        db.session.add_all([Unit(building=b, name="%d单元" % u, sort_order=u) for u in (1, 2)])
        db.session.commit()
        return b.id


def layout_named(prefix):
    return db.session.query(Layout).filter(Layout.project_id == project().id, Layout.name.startswith(prefix)).one()


def rooms_of(app, building_id):
    with app.app_context():
        return {r.code: (r.floor, r.layout.name if r.layout else None, r.orientation.name if r.orientation else None,
                         r.area_gross, r.area_inner, r.list_unit_price, r.list_total_price, r.status)
                for r in db.session.query(Room).filter_by(building_id=building_id)}


def select_option(page, name, text):
    page.select_option("select[name='%s']" % name, label=text)


def fill_wizard(page, a_layout, b_layout):
    page.fill("#floor_from", "1")
    page.fill("#floor_to", "6")
    page.fill("#skip_floors", "4")
    page.fill("#floor_names", "5=5A")
    select_option(page, "pos-1-layout", a_layout)
    select_option(page, "pos-1-orientation", "南")
    page.fill("#pos-1-area_gross", "118.60")
    page.fill("#pos-1-area_inner", "95.20")
    page.fill("#pos-1-unit_price", "30000")
    select_option(page, "pos-2-layout", b_layout)
    select_option(page, "pos-2-orientation", "东南")
    page.fill("#pos-2-area_gross", "89.50")
    page.fill("#pos-2-area_inner", "71.80")


def test_manager_generates_a_building_and_batch_edits_it(page, app):
    building_id = make_building(app)
    with app.app_context():
        a_layout, b_layout = layout_named("A户型").name, layout_named("B户型").name
    login_as(page, "manager")

    # The menu entry under 房源 leads to the wizard.
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('房源')")
    with page.expect_navigation():
        page.click("a[href='/roomgeneration/']")
    page.select_option("select#building", label="云璟花园 (GZ-YJ) · 9栋")
    shot(page, "generation-1-choose")
    with page.expect_navigation():
        page.click("form.loupan-generation-choose button[type=submit]")
    no_errors(page)

    fill_wizard(page, a_layout, b_layout)
    shot(page, "generation-2-filled")
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    no_errors(page)
    assert "共 20 间房间：新建 20 间，已存在 0 间。" in page.inner_text("h4.loupan-generation-summary")
    preview = page.inner_text("table.loupan-generation-preview")
    assert "9栋-1单元-101" in preview and "9栋-2单元-5A02" in preview and "9栋-1单元-401" not in preview
    assert "¥3,558,000.00" in preview and "23.40㎡" in preview
    assert page.locator("table.loupan-generation-preview tbody tr").count() == 20
    shot(page, "generation-3-preview")
    assert rooms_of(app, building_id) == {}

    with page.expect_navigation():
        page.click("button[name=action][value=generate]")
    no_errors(page)
    assert any("已在“9栋”生成 20 间房间。" in a for a in alerts(page, "success"))
    listing = page.inner_text("body")
    assert "9栋-1单元-101" in listing and "9栋-2单元-602" in listing
    shot(page, "generation-4-room-list")
    rooms = rooms_of(app, building_id)
    assert len(rooms) == 20
    assert rooms["9栋-1单元-5A01"] == (5, a_layout, "南", D("118.60"), D("95.20"), D("30000.00"), D("3558000"),
                                       "unreleased")
    assert rooms["9栋-2单元-302"][5:7] == (None, None)

    # Running the wizard again over the same floors names the duplicates and makes nothing.
    page.goto("/roomgeneration/?building=%d" % building_id)
    fill_wizard(page, a_layout, b_layout)
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    assert "新建 0 间，已存在 20 间" in page.inner_text("h4.loupan-generation-summary")
    assert page.locator(".loupan-generation-existing .label-danger").count() == 20
    shot(page, "generation-5-duplicates")
    assert len(rooms_of(app, building_id)) == 20

    # Batch edit: pick the two rooms of floor 1 in 1单元 in the list, choose 批量修改.
    page.goto("/roomview/list/?_flt_0_building=%d&_flt_0_code=9栋-1单元-10" % building_id)
    checks = page.locator("input.action_check")
    assert checks.count() == 2
    checks.nth(0).check()
    checks.nth(1).check()
    page.locator("a.batch_edit_menu_item").locator("xpath=ancestor::div[1]/button").click()
    with page.expect_navigation():
        page.click("a.batch_edit_menu_item")
    no_errors(page)
    assert "已选 2 间房间" in page.inner_text(".loupan-batch-count")
    page.select_option("#orientation_id", label="北")
    page.fill("#area_gross", "120.00")
    shot(page, "generation-6-batch-edit")
    with page.expect_navigation():
        page.click("form.loupan-batch-edit button[type=submit]")
    no_errors(page)
    assert any("2 间房间中已修改 2 间。" in a for a in alerts(page, "success"))
    rooms = rooms_of(app, building_id)
    assert rooms["9栋-1单元-101"][2:4] == ("北", D("120.00"))
    assert rooms["9栋-1单元-101"][6] == D("3600000")  # 120㎡ × ¥30,000, recomputed
    assert rooms["9栋-1单元-102"][2:4] == ("北", D("120.00"))
    assert rooms["9栋-1单元-201"][2:4] == ("南", D("118.60"))

    # Every room of the building through the list's filter; an inner area too large is refused.
    page.goto("/roomview/list/?_flt_0_building=%d" % building_id)
    with page.expect_navigation():
        page.click("a.loupan-list-link")
    assert "已选 20 间房间" in page.inner_text(".loupan-batch-count")
    page.fill("#area_inner", "100")
    with page.expect_navigation():
        page.click("form.loupan-batch-edit button[type=submit]")
    refusal = " ".join(alerts(page))
    assert "以下房间的套内面积将大于建筑面积" in refusal and "9栋-1单元-202" in refusal
    shot(page, "generation-7-batch-edit-refused")
    assert rooms_of(app, building_id)["9栋-1单元-201"][4] == D("95.20")
    page.select_option("#view_id", label="江景")
    page.fill("#area_inner", "")
    with page.expect_navigation():
        page.click("form.loupan-batch-edit button[type=submit]")
    no_errors(page)
    shot(page, "generation-8-batch-edit-done")
    with app.app_context():
        views = {r.view.name for r in db.session.query(Room).filter_by(building_id=building_id)}
    assert views == {"江景"}
