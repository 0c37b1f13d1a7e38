"""Issue 3, "Done when": a newcomer sets up a new 1,000-room project from nothing through the
browser alone — hierarchy, generation and import, pricing, an approved adjustment, release, a
printed price list — in Chromium, as the admin and the sales manager.

The only thing made outside the browser is what a user makes in Excel: the downloaded import
template, filled here with openpyxl. Screenshots of every step: tests/artifacts/setup-*.png.
"""
import datetime as dt
import decimal
import re
import subprocess
import time

import openpyxl

from app.core import clock
from app.extensions import db
from app.inventory.models import Building, PresalePermit, Project, PropertyType, ReleaseBatch, Room
from app.inventory.models.pricing import PriceHistory
from tests.browser.conftest import ARTIFACTS, login_as, shot
from tests.browser.test_paths import alerts, choose, close, new_page, no_errors, option_label, save

D = decimal.Decimal

PROJECT = {"name": "星河御景", "code": "FS-XHYJ", "city": "佛山", "address": "佛山市顺德区大良街道德胜东路168号",
           "developer": "华南区域公司"}
PHASE = "一期"
BUILDINGS = ("1栋", "2栋")
UNITS = ("1单元", "2单元")
FLOORS = 25
LAYOUTS = [("A户型", 3, 2, 2, "118.60"), ("B户型", 2, 2, 1, "89.50"), ("C户型", 4, 2, 2, "142.30")]
# The ten rooms of a floor: layout, orientation, view, gross and inner area.
POSITIONS = {
    1: ("A户型", "南", "江景", "118.60", "95.20"),
    2: ("B户型", "南", "江景", "89.50", "71.80"),
    3: ("B户型", "南", "园林景观", "89.50", "71.80"),
    4: ("A户型", "南", "园林景观", "118.60", "95.20"),
    5: ("C户型", "东南", "江景", "142.30", "114.60"),
    6: ("C户型", "西南", "城市景观", "142.30", "114.60"),
    7: ("A户型", "北", "园林景观", "118.60", "95.20"),
    8: ("B户型", "北", "城市景观", "89.50", "71.80"),
    9: ("B户型", "北", "城市景观", "89.50", "71.80"),
    10: ("A户型", "东", "江景", "118.60", "95.20"),
}
OPENING_PRICE = D("30000")  # the unit price entered with the rooms, before pricing
# Pricing factors (rounding to the yuan): base for 住宅, +150/㎡ per floor above the 1st,
# 江景 +800/㎡, 南 ×1.03, floor price 97 % of the total.
BASE, STEP, RIVER, SOUTH, FLOOR_RATIO = D("32000"), D("150"), D("800"), D("1.03"), D("0.97")


def expected_prices(floor, pos):
    """A room's prices computed here from the rule: base + amounts, × coefficients, rounded to
    the yuan (half up); total = gross area × unit price, rounded; floor price = total × ratio."""
    _layout, orientation, view, gross, _inner = POSITIONS[pos]
    price = BASE + STEP * (floor - 1) + (RIVER if view == "江景" else 0)
    if orientation == "南":
        price *= SOUTH
    yuan = lambda v: v.quantize(D("1"), rounding=decimal.ROUND_HALF_UP)  # noqa: E731
    unit = yuan(price)
    total = yuan(D(gross) * unit)
    return unit, total, yuan(total * FLOOR_RATIO)


def money(v):
    return "¥{:,.2f}".format(v)


# --------------------------------------------------------------------------- helpers


def step(page, name):
    shot(page, "setup-" + name)
    no_errors(page)


def choose_value(page, field, value, label):
    """Pick the option whose value is `value` in the select2 box `field`. For boxes that list the
    same name for several projects (一期, 1栋, 住宅): the entry is the one of the new project."""
    multiple = page.eval_on_selector("select#%s" % field, "s => s.multiple")
    page.click("select#%s + .select2-container %s" % (field, ".select2-search__field" if multiple else
                                                      ".select2-selection"))
    if multiple:  # a box that has a choice already opens on typing
        page.locator("select#%s + .select2-container .select2-search__field" % field).press_sequentially(label)
    page.locator(".select2-container--open .select2-results__option[id$='-%s']" % value).click()
    if multiple:
        page.keyboard.press("Escape")
        chosen = page.eval_on_selector("select#%s" % field,
                                       "s => Array.from(s.selectedOptions).map(o => o.value)")
        assert str(value) in chosen, chosen
    else:
        assert page.eval_on_selector("select#%s" % field, "s => s.value") == str(value)
    assert page.eval_on_selector("select#%s option[value='%s']" % (field, value), "o => o.textContent.trim()") == label


def type_date(page, field, value):
    page.click("#" + field)
    page.fill("#" + field, "")
    page.locator("#" + field).press_sequentially(value)
    page.click(".panel-heading")
    assert page.input_value("#" + field) == value


def saved(page, name):
    save(page)
    step(page, name)
    assert alerts(page, "success"), "no confirmation after saving (%s)" % name


def tab_add(page, show_url, view):
    """From a detail page, the add button of its tab `view` (the parent is filled in)."""
    page.goto(show_url)
    link = page.locator("a[href*='/%s/add?_flt_0_']" % view)
    assert link.count() >= 1, "no add button for %s on %s" % (view, show_url)
    pane = link.first.evaluate("a => (a.closest('.tab-pane') || {}).id || ''")
    if pane:
        page.click(".nav-tabs a[href='#%s']" % pane)
    with page.expect_navigation():
        link.first.click()
    return page


def record_count(page):
    text = page.inner_text(".list-container, body")
    match = re.search(r"(?:记录数目?|Record Count)\s*[:：]\s*(\d+)", text)
    assert match, "no record count on %s" % page.url
    return int(match.group(1))


def ids(app):
    with app.app_context():
        project = db.session.query(Project).filter_by(code=PROJECT["code"]).one()
        buildings = {b.name: b.id for b in db.session.query(Building).filter_by(project_id=project.id)}
        homes = db.session.query(PropertyType).filter_by(project_id=project.id, name="住宅").one().id
        db.session.remove()
        return project.id, buildings, homes


def room_rows(app, project_id, **where):
    with app.app_context():
        rows = {r.code: r for r in db.session.query(Room).filter_by(project_id=project_id, **where)}
        result = {code: (r.status, r.list_unit_price, r.list_total_price, r.floor_price,
                         r.release_batch.name if r.release_batch else None) for code, r in rows.items()}
        db.session.remove()
        return result


# --------------------------------------------------------------------------- the steps


def create_hierarchy(page, app):
    """Project, phase, two buildings with their units, 住宅, three layouts, the presale permit."""
    page.goto("/projectview/list/")
    with page.expect_navigation():
        page.click("a[href$='/projectview/add']")
    page.fill("#name", PROJECT["name"])
    page.fill("#code", PROJECT["code"])
    page.fill("#city", PROJECT["city"])
    page.fill("#address", PROJECT["address"])
    choose(page, "developer", PROJECT["developer"])
    choose(page, "price_rounding", option_label(page, "price_rounding", "yuan"))
    if page.locator("#active").count() and not page.is_checked("#active"):
        page.check("#active")
    step(page, "01-project-form")
    saved(page, "02-project-added")
    with app.app_context():
        project_id = db.session.query(Project).filter_by(code=PROJECT["code"]).one().id
        db.session.remove()
    show = "/projectview/show/%d" % project_id

    # Phase and buildings from the tabs of the project page: the project is filled in.
    tab_add(page, show, "phaseview")
    page.fill("#name", PHASE)
    page.fill("#sort_order", "10")
    saved(page, "03-phase-added")
    with app.app_context():
        from app.inventory.models import Phase
        phase_id = db.session.query(Phase).filter_by(project_id=project_id, name=PHASE).one().id
        db.session.remove()
    for order, name in enumerate(BUILDINGS, start=1):
        tab_add(page, show, "buildingview")
        page.fill("#name", name)
        # 一期 is the name of a phase in every demo project: the choices name their project.
        choose_value(page, "phase", phase_id, "%s · %s" % (PROJECT["name"], PHASE))
        page.fill("#floors_above", str(FLOORS))
        page.fill("#floors_below", "0")
        page.fill("#units_count", str(len(UNITS)))
        page.fill("#sort_order", str(order * 10))
        if order == 1:
            step(page, "04-building-form")
        saved(page, "05-building-added")
    with app.app_context():
        buildings = {b.name: b.id for b in db.session.query(Building).filter_by(project_id=project_id)}
        db.session.remove()
    for name in BUILDINGS:
        for order, unit in enumerate(UNITS, start=1):
            tab_add(page, "/buildingview/show/%d" % buildings[name], "unitview")
            page.fill("#name", unit)
            page.fill("#sort_order", str(order))
            saved(page, "06-unit-added")

    # 住宅 and three layouts (the global add forms: the project is chosen by its name).
    page.goto("/propertytypeview/add")
    choose(page, "project", PROJECT["name"])
    page.fill("#name", "住宅")
    page.fill("#code", "RES")
    page.fill("#sort_order", "10")
    saved(page, "07-property-type-added")
    for name, bedrooms, living, baths, area in LAYOUTS:
        page.goto("/layoutview/add")
        choose(page, "project", PROJECT["name"])
        page.fill("#name", name)
        page.fill("#bedrooms", str(bedrooms))
        page.fill("#living_rooms", str(living))
        page.fill("#bathrooms", str(baths))
        page.fill("#typical_area", area)
        saved(page, "08-layout-added")

    # The presale permit, covering both buildings (there are other projects' 1栋 and 2栋 too).
    tab_add(page, show, "presalepermitview")
    page.fill("#number", "佛房预售字第2026-0188号")
    today = clock.local_today()
    type_date(page, "issue_date", (today - dt.timedelta(days=30)).isoformat())
    type_date(page, "valid_to", (today + dt.timedelta(days=365)).isoformat())
    for name in BUILDINGS:
        choose_value(page, "buildings", buildings[name], "%s · %s" % (PROJECT["name"], name))
    step(page, "09-permit-form")
    saved(page, "10-permit-added")

    page.goto(show)
    page.click(".nav-tabs a:text-is('详细')")
    step(page, "11-project-page")
    body = page.inner_text("body")
    assert PROJECT["name"] in body and PROJECT["code"] in body and "到元" in body
    with app.app_context():
        permit = db.session.query(PresalePermit).filter_by(project_id=project_id).one()
        assert sorted(b.name for b in permit.buildings) == list(BUILDINGS)
        assert db.session.get(Project, project_id).price_rounding == "yuan"
        db.session.remove()
    return project_id


def generate_building_1(page, app, project_id):
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('房源')")
    with page.expect_navigation():
        page.click("a[href='/roomgeneration/']")
    page.select_option("select#building", label="%s (%s) · 1栋" % (PROJECT["name"], PROJECT["code"]))
    with page.expect_navigation():
        page.click("form.loupan-generation-choose button[type=submit]")
    no_errors(page)
    assert page.input_value("#floor_from") == "1" and page.input_value("#floor_to") == str(FLOORS)
    assert page.locator("input[name=unit]:checked").count() == len(UNITS)
    page.fill("#rooms_per_floor", str(len(POSITIONS)))
    with page.expect_navigation():
        page.click("button[name=action][value=positions]")
    assert page.locator("table.loupan-generation-positions tbody tr").count() == len(POSITIONS)
    for pos, (layout, orientation, view, gross, inner) in POSITIONS.items():
        page.select_option("select[name='pos-%d-layout']" % pos, label=layout)
        page.select_option("select[name='pos-%d-orientation']" % pos, label=orientation)
        page.select_option("select[name='pos-%d-view']" % pos, label=view)
        page.select_option("select[name='pos-%d-decoration']" % pos, label="精装")
        page.fill("#pos-%d-area_gross" % pos, gross)
        page.fill("#pos-%d-area_inner" % pos, inner)
        page.fill("#pos-%d-unit_price" % pos, str(OPENING_PRICE))
    step(page, "12-generation-filled")
    with page.expect_navigation():
        page.click("button[name=action][value=preview]")
    no_errors(page)
    assert "共 500 间房间：新建 500 间，已存在 0 间。" in page.inner_text("h4.loupan-generation-summary")
    assert page.locator("table.loupan-generation-preview tbody tr").count() == 500
    preview = page.inner_text("table.loupan-generation-preview")
    assert "1栋-1单元-101" in preview and "1栋-2单元-2510" in preview
    assert money(D("142.30") * OPENING_PRICE) in preview  # a C户型: 142.30㎡ × ¥30,000
    shot(page, "setup-13-generation-preview")
    assert not room_rows(app, project_id)
    with page.expect_navigation():
        page.click("button[name=action][value=generate]")
    step(page, "14-generated")
    assert any("已在“1栋”生成 500 间房间。" in a for a in alerts(page, "success"))
    assert record_count(page) == 500


def import_building_2(page, app, project_id, tmp_path):
    page.goto("/roomview/list/")
    with page.expect_navigation():
        page.click("a.loupan-list-link[href*='/roomimport/']")
    with page.expect_navigation():
        page.select_option("#project", label="%s (%s)" % (PROJECT["name"], PROJECT["code"]))
    step(page, "15-import-page")
    with page.expect_download() as download:
        page.click("a.loupan-import-template")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)

    # What the sales office does in Excel: one row per room of 2栋.
    wb = openpyxl.load_workbook(template)
    ws = wb["房间"]
    headers = [c.value for c in ws[1]]
    assert headers[:4] == ["楼栋", "单元", "楼层", "房号"], headers
    choices = [c.value for c in wb["选项"]["A"]]
    assert "2栋" in choices and "1栋" in choices
    col = {name: i for i, name in enumerate(headers)}
    for unit in UNITS:
        for floor in range(1, FLOORS + 1):
            for pos, (layout, orientation, view, gross, inner) in POSITIONS.items():
                row = [None] * len(headers)
                for name, value in (("楼栋", "2栋"), ("单元", unit), ("楼层", floor), ("房号", "%d%02d" % (floor, pos)),
                                    ("户型", layout), ("业态", "住宅"), ("朝向", orientation), ("景观", view),
                                    ("装修标准", "精装"), ("建筑面积", float(gross)), ("套内面积", float(inner)),
                                    ("表价单价", int(OPENING_PRICE))):
                    row[col[name]] = value
                ws.append(row)
    filled = tmp_path / "星河御景-2栋.xlsx"
    wb.save(filled)

    page.set_input_files("#file", str(filled))
    with page.expect_navigation():
        page.click("form.loupan-import-upload button[type=submit]")
    page.wait_for_selector(".loupan-import-job[data-status=valid], .loupan-import-job[data-status=invalid], "
                           ".loupan-import-job[data-status=failed]", timeout=60_000)
    step(page, "16-import-checked")
    assert page.get_attribute(".loupan-import-job", "data-status") == "valid", page.inner_text("body")[:2000]
    assert "全部500行检查无误" in page.inner_text(".loupan-import-summary")
    with page.expect_navigation():
        page.click("form.loupan-import-run button[type=submit]")
    page.wait_for_selector(".loupan-import-job[data-status=done], .loupan-import-job[data-status=failed]",
                           timeout=60_000)
    step(page, "17-imported")
    assert "已向星河御景导入500个房间" in page.inner_text(".loupan-import-summary")

    # 1,000 rooms: in the database and as the room list counts them.
    with page.expect_navigation():
        page.click("a:has-text('查看房间')")
    step(page, "18-room-list-1000")
    assert record_count(page) == 1000
    assert len(room_rows(app, project_id)) == 1000
    page.goto(page.url + "&_flt_0_code=2栋-2单元-2505")
    assert record_count(page) == 1
    body = page.inner_text("tr:has(input.action_check)")
    assert "2栋-2单元-2505" in body and "142.30㎡" in body and money(D("142.30") * OPENING_PRICE) in body
    assert "未推盘" in body


def add_factors(page, project_id, homes_id):
    show = "/projectview/show/%d" % project_id

    def factor(kind, value, method=None, shot_name=None, **fields):
        tab_add(page, show, "pricefactorview")
        choose(page, "kind", option_label(page, "kind", kind))
        if method:
            choose(page, "method", option_label(page, "method", method))
        page.fill("#value", value)
        for name, spec in fields.items():
            if name in ("orientation", "view"):
                choose(page, name, spec)
            elif name == "property_type":
                choose_value(page, name, spec, "%s · 住宅" % PROJECT["name"])
            else:
                page.fill("#" + name, spec)
        if shot_name:
            step(page, shot_name)
        saved(page, "20-factor-added")

    factor("base", str(BASE), property_type=homes_id, name="住宅基价", shot_name="19-factor-base-form")
    factor("floor_step", str(STEP), "amount", ref_floor="1", name="楼层差价")
    factor("view", str(RIVER), "amount", view="江景")
    factor("orientation", str(SOUTH), "coefficient", orientation="南")
    factor("floor_price", str(FLOOR_RATIO))
    page.goto(show)
    page.click(".nav-tabs a:has-text('定价系数')")
    step(page, "21-project-factors")
    body = page.inner_text("body")
    for text in ("住宅基价", "¥32,000.00/㎡", "+150.00/㎡", "+800.00/㎡", "×1.03", "×0.97"):
        assert text in body, text


TOP = ("1栋-1单元-2501", 25, 1)     # 南 江景: (32,000 + 150 × 24 + 800) × 1.03
ODD = ("2栋-2单元-1203", 12, 3)     # 南: (32,000 + 150 × 11) × 1.03 = 34,659.5 → 34,660
PLAIN = ("1栋-2单元-707", 7, 7)     # 北, no coefficient


def reprice_and_approve(page, browser, base_url, app, project_id):
    """The manager previews the re-pricing of all 1,000 rooms and submits it; the admin approves."""
    manager = new_page(browser, base_url)
    login_as(manager, "manager")
    manager.goto("/projectview/show/%d" % project_id)
    with manager.expect_navigation():
        manager.click(".loupan-detail-links a[href*='/repricing/']")
    manager.select_option("select#method", "factors")
    with manager.expect_navigation():
        manager.click("button.loupan-preview")
    no_errors(manager)
    summary = manager.inner_text(".loupan-reprice-summary")
    assert "共选 1000 套" in summary and "1000 套调整价格" in summary, summary
    assert manager.locator("table.loupan-reprice-lines tbody tr").count() == 1000
    for code, floor, pos in (TOP, ODD, PLAIN):
        unit, total, floor_price = expected_prices(floor, pos)
        row = manager.inner_text("tr[data-room='%s']" % code)
        old_total = money(D(POSITIONS[pos][3]) * OPENING_PRICE)
        for text in (money(OPENING_PRICE), money(unit), old_total, money(total), money(floor_price)):
            assert text in row, (code, text, row)
    with manager.expect_navigation():
        manager.click("tr[data-room='%s'] a.loupan-explain-link" % ODD[0])
    steps = manager.inner_text(".loupan-explain")
    assert "%s 的价格计算过程" % ODD[0] in steps and "34,659.50" in steps and "34,660.00" in steps, steps
    shot(manager, "setup-22-reprice-preview")
    manager.fill("input#title", "首开定价")
    manager.fill("textarea#reason", "按定价系数确定首开价格")
    with manager.expect_navigation():
        manager.click("button.loupan-submit-adjustment")
    shot(manager, "setup-23-adjustment-submitted")
    no_errors(manager)
    assert "已提交审批" in " ".join(alerts(manager, "success"))
    # Nothing changes before the approval.
    assert room_rows(app, project_id, code=TOP[0])[TOP[0]][1] == OPENING_PRICE

    page.goto("/approvals/inbox/")
    step(page, "24-approval-inbox")
    row = page.locator("table tr", has_text="首开定价").first
    with page.expect_navigation():
        row.locator("a").first.click()
    assert "首开定价" in page.inner_text("body")
    page.fill("textarea#approve_comment", "同意")
    shot(page, "setup-25-approval")
    with page.expect_navigation():
        page.click("form.loupan-approve button[type=submit]")
    step(page, "26-approved")

    # The exact prices, computed independently, and the history of a room.
    rooms = room_rows(app, project_id)
    for code, floor, pos in (TOP, ODD, PLAIN):
        unit, total, floor_price = expected_prices(floor, pos)
        assert rooms[code][1:4] == (unit, total, floor_price), (code, rooms[code])
    assert all(r[1] != OPENING_PRICE for r in rooms.values())
    with app.app_context():
        top_id = db.session.query(Room.id).filter_by(project_id=project_id, code=TOP[0]).scalar()
        assert db.session.query(PriceHistory).filter_by(room_id=top_id).count() == 1
        db.session.remove()
    manager.goto("/roomview/show/%d" % top_id)
    no_errors(manager)
    unit, total, _floor = expected_prices(TOP[1], TOP[2])
    manager.click(".nav-tabs a:has-text('价格历史')")
    history = manager.inner_text(".tab-pane.active")
    for text in ("首开定价", money(OPENING_PRICE), money(unit), money(D("118.60") * OPENING_PRICE), money(total)):
        assert text in history, (text, history)
    shot(manager, "setup-27-room-price-history")
    return manager


def release_building_1(manager, app, project_id, building_id):
    manager.goto("/roomview/list/?_flt_0_building=%d&psize_RoomView=500" % building_id)
    assert record_count(manager) == 500
    assert manager.locator("input.action_check").count() == 500
    manager.check("input#check_all")
    assert manager.locator("input.action_check:checked").count() == 500
    shot(manager, "setup-28-release-selection", full_page=False)
    manager.click("button.dropdown-toggle:has-text('操作'), a.dropdown-toggle:has-text('操作')")
    # The action posts the 500 ids; FAB's action_post then loads the rooms one query each.
    started = time.monotonic()
    with manager.expect_navigation(url="**/release/?**", timeout=60_000):
        manager.click("a.release_menu_item", no_wait_after=True)
    print("release action → form: %.1f s" % (time.monotonic() - started))
    summary = manager.inner_text(".loupan-release-summary")
    assert "已选 500 个房间" in summary and "未推盘 500 个" in summary, summary
    manager.fill("#name", "首开")
    manager.fill("#note", "1栋全部房源")
    shot(manager, "setup-29-release-form", full_page=False)
    with manager.expect_navigation():
        manager.click("form.loupan-release-form button[type=submit]")
    shot(manager, "setup-30-release-batch")
    no_errors(manager)
    assert "/releasebatchview/show/" in manager.url
    assert "已推出 500 个房间，批次“首开”。" in " ".join(alerts(manager, "success"))
    rooms = room_rows(app, project_id)
    released = {c: r for c, r in rooms.items() if c.startswith("1栋-")}
    assert {r[0] for r in released.values()} == {"available"} and {r[4] for r in released.values()} == {"首开"}
    assert {r[0] for c, r in rooms.items() if c.startswith("2栋-")} == {"unreleased"}
    with app.app_context():
        batch = db.session.query(ReleaseBatch).filter_by(project_id=project_id, name="首开").one()
        batch_id = batch.id
        db.session.remove()
    # The batch lists its 500 rooms: the figures on its page, and the room list by batch.
    details = dict(manager.eval_on_selector_all(
        ".tab-pane.active table tr",
        "trs => trs.map(tr => [tr.cells[0].innerText.trim(), tr.cells[1].innerText.trim()])"))
    assert details["批次"] == "首开" and details["推盘日期"] == clock.local_today().isoformat(), details
    # 25 floors × 2 units × (4 × 118.60 + 4 × 89.50 + 2 × 142.30)㎡
    assert (details["推出房间数"], details["推出建筑面积"], details["仍待售"]) == ("500", "55,850.00㎡", "500"), details
    manager.goto("/roomview/list/?_flt_0_release_batch=%d" % batch_id)
    assert record_count(manager) == 500
    manager.goto("/releasebatchview/list/")
    rows = manager.eval_on_selector_all("table tbody tr", "trs => trs.map(tr => tr.innerText)")
    ours = [r for r in rows if PROJECT["name"] in r and "首开" in r]
    assert len(ours) == 1 and clock.local_today().isoformat() in ours[0] and "500" in ours[0], rows
    shot(manager, "setup-31-batches")
    # In the room list they show as 待售.
    manager.goto("/roomview/list/?_flt_0_building=%d&_flt_0_code=1栋-1单元-25" % building_id)
    assert record_count(manager) == 10
    statuses = manager.locator("tr:has(input.action_check) .loupan-room-status").all_inner_texts()
    assert [t.strip() for t in statuses] == ["待售"] * 10, statuses
    shot(manager, "setup-32-released-rooms")


def shown_prices(page, building_id, code):
    """The unit and total price of a room as the room list shows them (¥37,492.00, ¥4,446,551.00)."""
    page.goto("/roomview/list/?_flt_0_building=%d&_flt_0_code=%s" % (building_id, code))
    assert record_count(page) == 1
    figures = re.findall(r"¥[\d,]+\.\d\d", page.inner_text("tr:has(input.action_check)"))
    assert len(figures) == 2, figures
    return figures


def wall_figure(shown):
    """¥4,446,551.00 as the price list prints it: 4,446,551 (the cents, if any, follow)."""
    figure = shown.lstrip("¥")
    return figure[:-3] if figure.endswith(".00") else figure


def print_price_list(manager, project_id, building_id, tmp_path):
    shown = {code: shown_prices(manager, building_id, code) for code in (TOP[0], PLAIN[0])}
    for code, floor, pos in (TOP, PLAIN):
        unit, total, _floor = expected_prices(floor, pos)
        assert shown[code] == [money(unit), money(total)], (code, shown[code])
    manager.goto("/projectview/show/%d" % project_id)
    with manager.expect_navigation():
        manager.click(".loupan-detail-links a[href*='/print/price_list/']")
    no_errors(manager)
    manager.select_option("select#record", label="%s · 1栋" % PROJECT["name"])
    shot(manager, "setup-33-print-choose")
    # The building's price list (1,000 rooms) is rendered before the new tab reports itself.
    with manager.expect_popup(timeout=60_000) as popup_info:
        manager.click("form.loupan-print-choose button[type=submit]")
    popup = popup_info.value
    popup.wait_for_load_state()
    url = popup.url
    popup.close()
    assert "/print/price_list/" in url, url
    response = manager.request.get(url)
    assert response.status == 200 and response.headers["content-type"].startswith("application/pdf")
    pdf = tmp_path / "price-list.pdf"
    pdf.write_bytes(response.body())
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile", str(pdf),
                    str(ARTIFACTS / "setup-34-price-list-pdf")], check=True)
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "星河御景 · 1栋 一房一价表" in text and "共 500 套" in text
    assert "2栋-" not in text
    # The prices the room list shows, as a wall sheet prints them: plain figures, no ¥, and no
    # decimals when the project rounds to the yuan.
    for code, (unit, total) in shown.items():
        number = code.rsplit("-", 1)[1]
        assert number in text, number
        assert wall_figure(total) in text, (code, total)
        assert wall_figure(unit) in text, (code, unit)
    floor_price = wall_figure(money(expected_prices(*TOP[1:])[2]))
    assert "底价" not in text and floor_price not in text  # the floor price stays internal

    manager.goto("/projectview/show/%d" % project_id)
    with manager.expect_download() as download:
        manager.click(".loupan-detail-links a[href*='/pricelist/']")
    book = tmp_path / "price-list.xlsx"
    download.value.save_as(book)
    ws = openpyxl.load_workbook(book)["1栋"]
    rows = {row[0]: row for row in ws.iter_rows(min_row=4, values_only=True) if row[0]}
    assert len(rows) == 500
    unit, total, _floor = expected_prices(TOP[1], TOP[2])
    assert rows[TOP[0]][6] == unit and rows[TOP[0]][7] == total, rows[TOP[0]]
    assert rows[TOP[0]][4] == D("118.60") or rows[TOP[0]][4] == 118.6


# --------------------------------------------------------------------------- the path


def test_a_newcomer_sets_up_a_1000_room_project_in_the_browser(page, browser, base_url, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_IMPORT_DIR", str(tmp_path / "uploads"))
    login_as(page, "admin")
    project_id = create_hierarchy(page, app)
    _pid, buildings, homes_id = ids(app)

    generate_building_1(page, app, project_id)
    import_building_2(page, app, project_id, tmp_path)

    add_factors(page, project_id, homes_id)
    manager = reprice_and_approve(page, browser, base_url, app, project_id)
    try:
        release_building_1(manager, app, project_id, buildings["1栋"])
        print_price_list(manager, project_id, buildings["1栋"], tmp_path)
    finally:
        close(manager)
