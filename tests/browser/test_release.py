"""Release (推盘/加推) and room search (房源查询) in Chromium, the way a sales office uses them.
Screenshots: tests/artifacts/release-*.png."""
from app.extensions import db
from tests.browser.conftest import login_as, shot
from tests.browser.test_paths import alerts, no_errors
from tests.inventory.helpers import building, room

CHOSEN = ["2栋-1单元-101", "2栋-1单元-102", "2栋-1单元-201"]


def test_manager_releases_rooms_as_a_batch_and_sees_it(page, app):
    with app.app_context():
        b2 = building("2栋").id
        pks = {code: room(code).id for code in CHOSEN}
        db.session.remove()
    login_as(page, "manager")
    page.goto("/roomview/list/?_flt_0_building=%d&psize_RoomView=50" % b2)
    for pk in pks.values():
        page.check("input.action_check[value='%d']" % pk)
    shot(page, "release-1-room-list")
    page.click("button.dropdown-toggle:has-text('操作'), a.dropdown-toggle:has-text('操作')")
    page.click("a.release_menu_item")  # posts the selection, then the form opens
    page.wait_for_url("**/release/?**")
    summary = page.inner_text(".loupan-release-summary")
    assert "已选 3 个房间" in summary and "未推盘 3 个" in summary
    assert page.inner_text(".loupan-release-rooms tbody").count("2栋-1单元-") == 3
    page.fill("#name", "加推一")
    page.fill("#release_date", "2026-12-05")
    page.fill("#note", "2栋一单元低区")
    shot(page, "release-2-form")
    with page.expect_navigation():
        page.click("form.loupan-release-form button[type=submit]")
    assert "/releasebatchview/show/" in page.url
    assert "已推出 3 个房间，批次“加推一”。" in " ".join(alerts(page, "success"))
    assert "326.70㎡" in page.inner_text("body")
    shot(page, "release-3-batch")
    page.click(".nav-tabs a:text-is('房间')")
    rooms = page.inner_text(".tab-pane.active")
    for code in CHOSEN:
        assert code in rooms
    shot(page, "release-3b-batch-rooms")
    page.goto("/releasebatchview/list/")
    no_errors(page)
    rows = page.eval_on_selector_all("table tbody tr", "trs => trs.map(tr => tr.innerText)")
    assert any("加推一" in r and "2026-12-05" in r for r in rows), rows
    shot(page, "release-4-batches")
    with app.app_context():
        assert {room(c).status for c in CHOSEN} == {"available"}


def test_a_release_of_a_sold_room_is_refused_on_the_form(page, app):
    with app.app_context():
        pks = [room("2栋-1单元-101").id, room("1栋-1单元-101").id]
        db.session.remove()
    login_as(page, "manager")
    page.goto("/release/?room=%d&room=%d" % tuple(pks))
    assert page.locator(".alert-warning").count() == 1
    page.fill("#name", "加推一")
    with page.expect_navigation():
        page.click("form.loupan-release-form button[type=submit]")
    message = " ".join(alerts(page))
    assert "只有未推盘的房间才能推盘" in message and "1栋-1单元-101" in message
    shot(page, "release-5-refused")
    with app.app_context():
        assert room("2栋-1单元-101").status == "unreleased"


def test_sales_searches_rooms_for_a_customer(page, app):
    login_as(page, "sales")
    page.goto("/")
    page.click(".navbar .dropdown-toggle:has-text('房源')")
    with page.expect_navigation():
        page.click(".navbar .dropdown-menu a:has-text('房源查询')")
    assert "/roomsearch/" in page.url
    assert "共找到 40 个房间" in page.inner_text(".loupan-search-count")
    page.select_option("#layout", label="A户型 三室两厅两卫")
    page.fill("#floor_min", "3")
    page.fill("#floor_max", "6")
    with page.expect_navigation():
        page.click("form.loupan-room-search button[type=submit]")
    no_errors(page)
    assert "共找到 8 个房间" in page.inner_text(".loupan-search-count")
    codes = page.eval_on_selector_all(".loupan-search-results tbody tr td:first-child",
                                      "tds => tds.map(td => td.innerText.trim())")
    assert codes == ["1栋-%s-%d01" % (u, f) for u in ("1单元", "2单元") for f in range(3, 7)]
    shot(page, "release-6-search")
    page.fill("#price_max", "四百万")
    with page.expect_navigation():
        page.click("form.loupan-room-search button[type=submit]")
    assert "“最高价格”须为数字，而不是“四百万”。" in page.inner_text(".loupan-search-error")
    # What the salesperson chose is still there, to correct the one bad value.
    assert page.eval_on_selector("#layout", "s => [...s.selectedOptions].map(o => o.text)") == ["A户型 三室两厅两卫"]
    assert page.input_value("#floor_min") == "3"
    shot(page, "release-7-search-bad-number")


def test_the_unit_choice_follows_the_building_on_the_room_form(page, app):
    from tests.browser.test_paths import choose
    login_as(page, "admin")
    page.goto("/roomview/add")
    choose(page, "building", "云璟花园 · 2栋")
    units = page.eval_on_selector_all("select#unit option", "os => os.map(o => o.textContent.trim()).filter(t => t)")
    assert units == ["2栋-1单元", "2栋-2单元"] or units == ["1单元", "2单元"]
    choose(page, "unit", "2单元")
    choose(page, "building", "滨江锦园 · 8栋")
    assert page.eval_on_selector("select#unit", "s => s.value") == "__None"
    page.click("select#unit + .select2-container .select2-selection")
    shot(page, "release-8-room-form-units")
    options = page.eval_on_selector_all(".select2-container--open .select2-results__option",
                                        "os => os.map(o => o.textContent.trim())")
    assert [o for o in options if o] == ["1单元", "2单元"]
