"""Sell-through (去化分析) and sales velocity (销售速度) in the browser: the manager 陈志明 opens
去化分析 from the 报表 menu for this year, sees the chart drawn, drills from the project 报表花园 to
its buildings, from 1栋's sold rooms to the rooms list, and from a room to its deal; then reads the
sales velocity of this year. Screenshots: tests/artifacts/sell-through-*.png, velocity-*.png."""
from app.core import clock
from app.extensions import db
from tests.browser.conftest import login_as, shot
from tests.browser.i18n import COLLECT_JS, describe, offending
from tests.reports import history


def assert_chinese(page):
    found = offending(page.evaluate(COLLECT_JS))
    assert not found, "English left on %s: %s" % (page.url, "; ".join(describe(e) for e in found))


def test_manager_drills_from_sell_through_to_a_deal(page, app):
    with app.app_context():
        s = history.build()
        db.session.commit()
        project_id, building_id = s.project.id, s.buildings["1栋"].id
        deal_ids = {s.deals[k].id for k in ("d1", "d2", "d3", "d4")}
        db.session.remove()
    year = clock.local_today().year

    login_as(page, "manager")
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('报表')")
    with page.expect_navigation():
        page.click("a:has-text('去化分析')")
    assert "/reports/sell-through/" in page.url
    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a:has-text('本年')")
    assert "year=%d" % year in page.url
    page.wait_for_selector("#loupan-st-chart[data-chart-ready='1']")
    assert "截至目前" in page.inner_text(".loupan-st-asof")
    row = page.locator("table.loupan-st-project tr[data-key='%d']" % project_id)
    assert row.locator("a.loupan-st-sold").inner_text() == "5"
    assert "18.5%" in row.locator(".loupan-st-rate").inner_text()
    assert_chinese(page)
    shot(page, "sell-through-1-projects")

    with page.expect_navigation():
        row.locator("a.loupan-st-project").click()
    assert "project=%d" % project_id in page.url and "year=%d" % year in page.url
    page.wait_for_selector("#loupan-st-chart[data-chart-ready='1']")
    building = page.locator("table.loupan-st-building tr[data-key='%d']" % building_id)
    assert building.locator("a.loupan-st-sold").inner_text() == "4"
    assert page.locator("table.loupan-st-layout").count() == 1
    assert page.locator("table.loupan-st-floor_band").count() == 1
    assert page.locator("table.loupan-st-price_band").count() == 1
    assert_chinese(page)
    shot(page, "sell-through-2-buildings")

    with page.expect_navigation():
        building.locator("a.loupan-st-sold").click()
    assert "/reports/drill/rooms" in page.url and "group=sold" in page.url and "building=%d" % building_id in page.url
    assert page.locator("table.loupan-drill-rooms tbody tr[data-room]").count() == 4
    assert page.inner_text(".loupan-drill-total") == "¥8,000,000.00"
    shot(page, "sell-through-3-sold-rooms")

    with page.expect_navigation():
        page.locator("a.loupan-drill-open").first.click()
    assert "/sales/deals/" in page.url
    assert int(page.url.split("/sales/deals/")[1].split("/")[0].split("?")[0]) in deal_ids
    shot(page, "sell-through-4-deal")

    page.goto("/reports/velocity/?period=year&year=%d&project=%d" % (year, project_id))
    page.wait_for_selector("#loupan-vel-chart[data-chart-ready='1']")
    assert page.inner_text(".loupan-vel-units") == "5"  # d1–d5: d6 is another department's
    assert page.inner_text(".loupan-vel-stock") == "24"
    assert_chinese(page)
    shot(page, "velocity-1-this-year")
    with page.expect_navigation():
        page.locator("tr.loupan-vel-week[data-week='%d-W41'] a.loupan-vel-week-units" % year).click()
    assert "/reports/drill/deals" in page.url and "week=%d-W41" % year in page.url
    assert page.locator("table.loupan-drill-deals tbody tr[data-deal]").count() == 1
    shot(page, "velocity-2-week")
