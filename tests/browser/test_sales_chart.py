"""The sales-control chart in the browser at 1366×768: 林晓燕 (sales) opens 云璟花园 1栋, shows the
total prices, filters by layout, opens a room card; 张伟 (sales2) holds a room meanwhile and her
chart turns the cell yellow without a reload. Screenshots: tests/artifacts/chart-*.png."""
from app.extensions import db
from app.inventory.models import Building, Room
from app.sales.services import deals
from tests.browser.conftest import login_as, shot
from tests.sales.deal_helpers import as_user, customers_of, project

ROOM = "1栋-1单元-1001"
OTHER = "1栋-2单元-902"


def _ids(app):
    with app.app_context():
        p = project()
        building = db.session.query(Building).filter_by(project_id=p.id, name="1栋").one()
        rooms = {r.code: r for r in db.session.query(Room).filter_by(building_id=building.id)}
        b_layout = sum(1 for r in rooms.values() if r.layout is not None and r.layout.name.startswith("B"))
        return p.id, building.id, rooms[ROOM].id, rooms[OTHER].id, len(rooms), b_layout


def test_chart_walk_through(browser, base_url, app):
    project_id, building_id, room_id, other_id, total, b_layout = _ids(app)
    context = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                  viewport={"width": 1366, "height": 768})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login_as(page, "sales")
    page.goto("/")
    menu = page.locator("a[href='/sales/chart/']")
    assert menu.count() == 1  # 销售 → 销控图
    page.goto("/sales/chart/?project=%d&building=%d" % (project_id, building_id))
    page.wait_for_selector("#loupan-chart[data-drawn]")
    assert page.locator("td.lc-c").count() == total
    # Compact: no horizontal scroll of the page on a 1366×768 laptop.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    legend = page.inner_text(".lc-legend")
    assert "待售" in legend and "预留" in legend
    cell = page.locator("td.lc-c[title='%s']" % ROOM)
    assert "A户型" in cell.inner_text()
    shot(page, "chart-1-laptop-1366x768", full_page=False)

    # The cells show total prices in 万 on request.
    page.click(".lc-show button[data-show=total]")
    assert "万" in cell.inner_text()

    # Filter by layout: the other rooms are dimmed.
    page.select_option("select[data-f=layout]", label="B户型 两室两厅一卫")
    assert page.locator("td.lc-c:not(.lc-dim)").count() == b_layout
    assert "lc-dim" in cell.get_attribute("class")
    shot(page, "chart-2-filtered", full_page=False)
    page.click(".lc-reset")
    assert page.locator("td.lc-dim").count() == 0

    # The room card: details, prices, no deal, the actions she may take.
    cell.click()
    page.wait_for_selector("#lc-card .lc-actions")
    page.wait_for_timeout(500)  # the modal's fade-in
    body = page.inner_text("#lc-card")
    assert ROOM in body and "118.60㎡" in body and "底价" not in body
    assert page.locator("#lc-card a.lc-act[href='/sales/deals/new/hold?room=%d']" % room_id).count() == 1
    shot(page, "chart-3-room-card", full_page=False)
    page.click("#lc-card button.close")
    page.wait_for_selector("#lc-card", state="hidden")

    # 张伟 holds another room for his customer: her chart follows within a few seconds.
    other = page.locator("td.lc-c[title='%s']" % OTHER)
    before = other.get_attribute("class")
    with app.app_context():
        with as_user(app, "sales2"):
            deals.hold(db.session.get(Room, other_id), customers_of("E1006")[0])
    page.wait_for_function("document.querySelector(\"td.lc-c[title='%s']\").className !== %r" % (OTHER, before),
                           timeout=8000)
    colour = other.evaluate("td => getComputedStyle(td).backgroundColor")
    assert colour == "rgb(251, 192, 45)", colour  # 预留 yellow
    assert "1" in page.inner_text(".lc-legend button[data-status=held]")
    # His customer is masked on her card; his name is shown.
    other.click()
    page.wait_for_selector("#lc-card .lc-deal")
    page.wait_for_timeout(500)  # the modal's fade-in
    deal = page.inner_text("#lc-card .lc-deal")
    assert "张伟" in deal and "*" in deal
    assert page.locator("#lc-card a.lc-act").count() == 0
    shot(page, "chart-3b-card-of-a-colleagues-hold", full_page=False)
    page.click("#lc-card button.close")
    page.wait_for_selector("#lc-card", state="hidden")

    # Projector mode: no menu, large cells.
    page.click(".lc-large")
    assert page.locator("header.top").is_hidden()
    shot(page, "chart-4-projector", full_page=False)
    assert not errors, errors
    context.close()
