"""The sales report (销售月报/年报) in the browser: 陈志明 (manager) opens it from the Reports menu,
reads last month and this year with the period shortcuts (the chart draws), clicks a figure down
to the deals behind it and exports the report to Excel; then the price analysis. Screenshots:
tests/artifacts/reports-sales-*.png."""
import openpyxl

from app.extensions import db
from app.reports.services import pricing
from app.reports.services import sales_period
from app.reports.services.filters import Filters
from tests.browser.conftest import login_as, shot
from tests.crm.helpers import as_user
from tests.reports import history


def _money(value):
    return "¥{:,.2f}".format(value)


def test_manager_reads_the_sales_report(page, app, tmp_path):
    # The known history (报表花园, deals of September to November 2026 by 陈志明's people).
    with app.app_context():
        history.build()
        db.session.commit()
        db.session.remove()
    with as_user(app, "manager"):
        f = Filters({})
        last_month = sales_period.report(Filters(f.shortcuts()[3][1]))  # today, this week, this month, last month, this year
        this_year = sales_period.report(Filters(f.shortcuts()[4][1]))
        prices = pricing.report(Filters(f.shortcuts()[4][1]))
        db.session.remove()
    year_total = this_year["total"]["subscribed"]
    assert year_total["count"] > 0, "the demo has subscriptions this year"

    login_as(page, "manager")
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('报表')")
    with page.expect_navigation():
        page.click("a:has-text('销售报表')")
    assert page.url.split("?")[0].endswith("/reports/sales/")
    assert "销售月报" in page.content()  # this month by default

    shot(page, "reports-sales-0-this-month")
    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a >> nth=3")  # 上月
    page.wait_for_selector("#loupan-sales-chart[data-chart-ready='1']")
    assert "销售月报" in page.content()
    assert page.inner_text(".loupan-sales-total-subscribed .loupan-sales-total-amount") == \
        _money(last_month["total"]["subscribed"]["amount"])
    assert page.locator("table.loupan-sales-series tbody tr").count() == len(last_month["series"])
    shot(page, "reports-sales-1-last-month")

    with page.expect_navigation():
        page.click(".loupan-report-shortcuts a >> nth=4")  # 本年
    page.wait_for_selector("#loupan-sales-chart[data-chart-ready='1']")
    assert "销售年报" in page.content()
    assert page.inner_text(".loupan-sales-total-subscribed .loupan-sales-total-amount") == _money(year_total["amount"])
    assert page.locator("table.loupan-sales-series tbody tr").count() == 12
    assert page.locator("table.loupan-sales-people tbody tr[data-employee]").count() == len(this_year["salespeople"])
    shot(page, "reports-sales-2-this-year")

    # Export the year.
    with page.expect_download() as download:
        page.click("a.loupan-report-export")
    path = tmp_path / "sales.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    assert [ws.title for ws in book.worksheets][0] == "汇总" and len(book.worksheets) == 4
    places = book.worksheets[1]
    assert places.cell(row=places.max_row, column=1).value == "合计"
    assert float(places.cell(row=places.max_row, column=4).value) == float(year_total["amount"])

    # Click the year's subscribed amount: the deals behind it, same total.
    with page.expect_navigation():
        page.click(".loupan-sales-total-subscribed .loupan-sales-total-amount")
    assert "/reports/drill/deals" in page.url and "measure=subscribed" in page.url
    assert page.inner_text(".loupan-drill-total") == _money(year_total["amount"])
    shot(page, "reports-sales-3-drill")

    # Price analysis of this year.
    page.goto("/reports/pricing/?period=year&year=%d" % f.today.year)
    page.wait_for_selector("#loupan-pricing-chart[data-chart-ready='1']")
    assert "价格分析" in page.content()
    assert page.inner_text("tr.loupan-pricing-total .loupan-pricing-discount") == _money(prices["total"]["discount"])
    shot(page, "reports-sales-4-pricing")
