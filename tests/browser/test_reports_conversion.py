"""客户转化 and 销售员业绩 in the browser: the manager 陈志明 opens both reports for this year from the
报表 menu (the demo and the reports' test history 报表花园), sees the funnel and the charts drawn,
clicks a channel's visits through to the visits behind them and opens a customer, and reranks the
salespeople. Screenshots: tests/artifacts/conversion-*.png."""
from app.core import clock
from app.extensions import db
from app.reports.services import conversion, performance
from app.reports.services.filters import Filters
from tests.browser.conftest import login_as, shot
from tests.crm.helpers import as_user
from tests.reports.test_performance import arrange


def test_manager_reads_conversion_and_performance(page, app):
    year = str(clock.local_today().year)
    args = {"period": "year", "year": year}
    with app.app_context():
        arrange()  # 报表花园: deals, receipts, visits with channels and opportunities of 2026
        db.session.remove()
    with as_user(app, "manager"):
        data = conversion.report(Filters(args))
        ranking = performance.report(Filters(args))
    channel = next(r for r in data["channels"] if r["visits"])
    assert data["total"]["visits"] and ranking["rows"]

    login_as(page, "manager")
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('报表')")
    with page.expect_navigation():
        page.click("a:has-text('客户转化')")
    assert page.url.split("?")[0].endswith("/reports/conversion/")
    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a:has-text('本年')")
    page.wait_for_selector("#loupan-conversion-funnel[data-chart-ready='1']")
    page.wait_for_selector("#loupan-conversion-channels[data-chart-ready='1']")
    assert page.inner_text(".loupan-conversion-total-visits").strip() == str(data["total"]["visits"])
    assert page.inner_text(".loupan-conversion-overall").strip() in ("—", "{:.1f}%".format(
        (data["total"]["overall_rate"] or 0) * 100))
    shot(page, "conversion-1-year")

    key = "none" if channel["key"] is None else str(channel["key"])
    row = page.locator("table.loupan-conversion-channels tr[data-channel='%s']" % key)
    with page.expect_navigation():
        row.locator("a.loupan-drill").first.click()
    assert "/reports/conversion/visits" in page.url and "channel=%s" % key in page.url
    assert page.inner_text(".loupan-drill-total").strip() == str(channel["visits"])
    assert page.locator("table.loupan-conversion-visits tr[data-visit]").count() == min(channel["visits"], 50)
    shot(page, "conversion-2-channel-visits")
    with page.expect_navigation():
        page.locator("a.loupan-drill-open").first.click()
    assert "/crm/customer360/" in page.url

    page.goto("/reports/performance/?period=year&year=" + year)
    page.wait_for_selector("#loupan-performance-chart[data-chart-ready='1']")
    ranks = page.locator("table.loupan-performance tbody tr[data-employee]")
    assert ranks.count() == len(ranking["rows"])
    first = page.inner_text("table.loupan-performance tbody tr:first-child td:nth-child(2)")
    assert first == ranking["rows"][0]["name"]
    shot(page, "conversion-3-performance")
    with page.expect_navigation():
        page.click("a.loupan-sort:has-text('接待来访')")
    assert "sort=visits" in page.url
    shot(page, "conversion-4-performance-by-visits")
