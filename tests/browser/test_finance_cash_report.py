"""The daily cash report (收款日报) in the browser: 黄丽萍 (finance) opens today's report from the
Finance menu (the demo received money today in both projects), filters it to 海悦中心 and
exports it to Excel. Screenshots: tests/artifacts/cash-*.png."""
import datetime as dt

import openpyxl

from app.core import clock

from app.extensions import db
from app.finance.services import cash_report
from app.inventory.models import Project
from tests.browser.conftest import login_as, shot


def test_finance_reads_todays_cash_report(page, app, tmp_path):
    with app.app_context():
        today = cash_report.report(cash_report.Filters({}))
        sz = db.session.query(Project).filter_by(code="SZ-HY").one()
        sz_id, sz_name = sz.id, sz.name
        sz_row = next(r for r in today["by_project"] if r["code"] == "SZ-HY")
        month_ago = (clock.local_today() - dt.timedelta(days=30)).isoformat()
        db.session.remove()
    assert today["total"]["count"] >= 3
    grand = "¥{:,.2f}".format(today["total"]["amount"])
    sz_total = "¥{:,.2f}".format(sz_row["amount"])

    login_as(page, "finance")
    page.goto("/")
    page.click("a.dropdown-toggle:has-text('财务')")
    with page.expect_navigation():
        page.click("a:has-text('收款日报')")
    assert page.url.split("?")[0].endswith("/finance/cash/")
    assert page.inner_text(".loupan-cash-grand") == grand
    assert page.locator("table.loupan-cash-receipts tr.loupan-cash-receipt").count() == today["count"]
    assert "账务核对" in page.inner_text(".loupan-cash-check")
    shot(page, "cash-1-today")

    page.select_option("select[name=project]", str(sz_id))
    with page.expect_navigation():
        page.click("button.loupan-cash-filter")
    assert page.inner_text(".loupan-cash-grand") == sz_total
    projects = page.inner_text("table.loupan-cash-projects tbody")
    assert sz_name in projects and "滨江锦园" not in projects
    shot(page, "cash-2-one-project")

    # A month: the void and the reissued receipt are listed, marked, and not counted.
    page.goto("/finance/cash/?date_from=%s&date_to=%s" % (month_ago, clock.local_today().isoformat()))
    assert page.locator("tr.loupan-cash-void").count() == 2
    excluded = page.inner_text("table.loupan-cash-excluded")
    assert "作废" in excluded and "换发" in excluded
    shot(page, "cash-3-month")

    page.goto("/finance/cash/?project=%d" % sz_id)
    with page.expect_download() as download:
        page.click("a.loupan-cash-export")
    path = tmp_path / "cash.xlsx"
    download.value.save_as(path)
    book = openpyxl.load_workbook(path)
    summary, detail = book.worksheets
    assert summary.title == "汇总" and detail.title == "收据"
    values = [c.value for row in summary.iter_rows() for c in row]
    assert sz_name in values and float(sz_row["amount"]) in [float(v) for v in values if isinstance(v, (int, float))]
    assert detail.cell(row=1, column=1).value == "收据编号"
    assert detail.max_row == sz_row["count"] + 2  # head, receipts, total
