"""回款分析 in the browser: 黄丽萍 (finance) opens the collections report from the Reports menu for
this year and for last month, reads the charts and tables, clicks an aging figure through the list
of receivables to a deal's payment page, and exports the report to Excel.
Screenshots: tests/artifacts/collections-*.png."""
import openpyxl

from app.extensions import db
from tests.browser.conftest import login_as, shot
from tests.reports.test_collections import arrange


def test_finance_reads_collections(page, app, tmp_path):
    with app.app_context():
        s = arrange()
        db.session.commit()
        project_id, project_name = s.project.id, s.project.name
        d4 = s.deals["d4"].id
        db.session.remove()

    login_as(page, "finance")
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('报表')")
    with page.expect_navigation():
        page.click("a:has-text('回款分析')")
    assert page.url.split("?")[0].endswith("/reports/collections/")
    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a:has-text('本年')")
    page.wait_for_selector("#loupan-aging-chart[data-chart-ready='1']")
    page.wait_for_selector("#loupan-collections-chart[data-chart-ready='1']")
    aging = page.inner_text("table.loupan-collections-aging")
    assert project_name in aging and "180天以上" in aging
    assert "楼款" in page.inner_text("table.loupan-collections-types")
    shot(page, "collections-1-this-year")

    with page.expect_navigation():
        page.locator(".loupan-report-shortcuts a").nth(3).click()  # last month
    page.wait_for_selector(".loupan-collections-summary")
    assert "period=month" in page.url
    shot(page, "collections-2-last-month")

    # One project by building, this year: the aging figure over 180 days of 1栋 → its receivables → a deal.
    page.goto("/reports/collections/?period=year&project=%d" % project_id)
    page.wait_for_selector("#loupan-aging-chart[data-chart-ready='1']")
    shot(page, "collections-3-one-project")
    row = page.locator("table.loupan-collections-aging tr.active", has_text="1栋")
    assert row.locator("td.loupan-aging-over_180").inner_text() == "¥15,000.00"
    with page.expect_navigation():
        row.locator("td.loupan-aging-over_180 a").click()
    assert "/reports/collections/receivables" in page.url and "bucket=over_180" in page.url
    assert page.inner_text(".loupan-drill-outstanding") == "¥15,000.00"
    assert page.locator("table.loupan-drill-receivables tbody tr").count() == 2
    shot(page, "collections-4-receivables")
    with page.expect_navigation():
        page.locator("tr[data-deal='%d'] a.loupan-drill-open" % d4).first.click()
    assert page.url.split("?")[0].endswith("/finance/deals/%d" % d4)
    shot(page, "collections-5-payment-page")

    page.goto("/reports/collections/?period=year&project=%d" % project_id)
    with page.expect_download() as download:
        page.click("a.loupan-report-export")
    path = tmp_path / "collections.xlsx"
    download.value.save_as(path)
    sheet = openpyxl.load_workbook(path).active
    assert sheet.cell(row=1, column=1).value == "楼栋"
    names = [row[0] for row in sheet.iter_rows(values_only=True)]
    assert "1栋" in names and "合计" in names
