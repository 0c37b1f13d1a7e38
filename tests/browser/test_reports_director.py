"""The director's morning, as the issue's "done when" describes it, on the demo data: the director
(the administrator here: every project) reads the dashboard on the home page, opens every report
of the 报表 menu for last month and for this year (charts drawn, no error, nothing left in
English), exports one to Excel, and drills from a project's sell-through down to a single deal.
Screenshots: tests/artifacts/director-*.png."""
import io

import openpyxl

from tests.browser.conftest import login_as, shot
from tests.browser.i18n import COLLECT_JS, describe, offending

REPORT_LINKS_JS = """
() => Array.from(document.querySelectorAll(".navbar .dropdown-menu a"))
  .map(a => ({href: a.getAttribute("href"), label: a.textContent.trim()}))
  .filter(l => l.href && l.href.startsWith("/reports/"))
"""


def charts_drawn(page):
    charts = page.locator(".loupan-chart")
    for i in range(charts.count()):
        page.wait_for_selector("#%s[data-chart-ready='1']" % charts.nth(i).get_attribute("id"))
    return charts.count()


def assert_clean(page):
    assert page.locator(".alert-danger").count() == 0, page.url
    assert page.locator(".loupan-report-error").count() == 0, page.url
    found = offending(page.evaluate(COLLECT_JS))
    assert not found, "English left on %s: %s" % (page.url, "; ".join(describe(e) for e in found))


def test_director_reads_reports_and_drills_to_a_deal(page, tmp_path):
    login_as(page, "admin")
    page.goto("/")
    page.wait_for_selector(".loupan-dash-figures")
    assert charts_drawn(page) >= 2
    shot(page, "director-1-home-dashboard")

    links = page.evaluate(REPORT_LINKS_JS)
    reports = [l for l in links if l["href"] != "/reports/dashboard/"]
    assert len(reports) >= 7, links
    for n, link in enumerate(reports, start=2):
        page.goto(link["href"])
        for shortcut in ("上月", "本年"):
            with page.expect_navigation():
                page.click(".loupan-report-shortcuts a:has-text('%s')" % shortcut)
            charts_drawn(page)
            assert_clean(page)
            shot(page, "director-%d-%s-%s" % (n, link["label"], "last-month" if shortcut == "上月" else "this-year"))

    # One report to Excel: the sales report of this year.
    page.goto("/reports/sales/")
    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a:has-text('本年')")
    with page.expect_download() as download:
        page.click("a.loupan-report-export")
    path = tmp_path / "sales.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(io.BytesIO(path.read_bytes()))
    assert len(book.worksheets) >= 2 and book.worksheets[0].max_row > 1

    # From a project's sell-through down to one deal.
    page.goto("/reports/sell-through/")
    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a:has-text('本年')")
    project = page.locator("table.loupan-st-project tr[data-key]:has(a.loupan-st-sold)").first
    name = project.locator("a.loupan-st-project").inner_text()
    with page.expect_navigation():
        project.locator("a.loupan-st-project").click()
    charts_drawn(page)
    assert name in page.inner_text("select[name=project] option[selected]")
    shot(page, "director-20-sell-through-project")
    building = page.locator("table.loupan-st-building tr[data-key]:has(a.loupan-st-sold)").first
    sold = int(building.locator("a.loupan-st-sold").inner_text())
    with page.expect_navigation():
        building.locator("a.loupan-st-sold").click()
    assert page.locator("table.loupan-drill-rooms tbody tr[data-room]").count() == min(sold, 50)
    shot(page, "director-21-sold-rooms")
    with page.expect_navigation():
        page.locator("a.loupan-drill-open").first.click()
    assert "/sales/deals/" in page.url
    shot(page, "director-22-deal")
