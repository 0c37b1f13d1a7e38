"""The dashboard (首页驾驶舱) in the browser: the manager 陈志明 logs in and reads it at the top of
the home page and on its own page (from the 报表 menu), the charts draw, a project's sold count
opens the rooms behind it and the project opens its sell-through report.
Screenshots: tests/artifacts/reports_dashboard*.png."""
import datetime as dt
from decimal import Decimal as D

from app.core import clock
from app.extensions import db
from app.reports.services import dashboard as service
from app.reports.services.filters import Filters
from tests.browser.conftest import login_as, shot
from tests.crm.helpers import as_user
from tests.reports import history


def _figures(app, project_id):
    with as_user(app, "manager") as who:
        show = service.blocks(app.appbuilder.sm.has_access)
        return service.dashboard(Filters({"project": str(project_id)}), show, user=who)


def test_manager_reads_the_dashboard(page, app):
    with app.app_context():
        # The report history (报表花园) with money received and owed around today.
        s = history.build()
        today = clock.local_today()
        history.receivable(s, "r1", "d1", D("500000.00"), today - dt.timedelta(days=10))
        history.receivable(s, "r4", "d4", D("400000.00"), today - dt.timedelta(days=40))
        for n, (key, deal, amount) in enumerate((("p1", "d1", "100000.00"), ("p2", "d4", "250000.00"),
                                                 ("p3", "d1", "80000.00"))):
            history.receipt(s, key, deal, [("r1" if deal == "d1" else "r4", D(amount))],
                            today - dt.timedelta(days=n * 9))
        db.session.commit()
        project_id, project_name = s.project.id, s.project.name
        data = _figures(app, project_id)
        db.session.remove()
    row = next(r for r in data["sell_through"] if r["project_id"] == project_id)

    login_as(page, "manager")
    page.goto("/")
    home = page.locator(".loupan-home-dashboard")
    assert home.count() == 1
    assert home.locator("table.loupan-dash-figures").count() == 1
    page.wait_for_selector("#loupan-dash-months[data-chart-ready='1']")
    page.wait_for_selector("#loupan-dash-days[data-chart-ready='1']")
    page.wait_for_selector("#loupan-dash-sell[data-chart-ready='1']")
    assert page.locator(".loupan-home .panel-heading").count() >= 1  # the panels stay below
    shot(page, "reports_dashboard-1-home")

    page.click("a.dropdown-toggle:has-text('报表')")
    with page.expect_navigation():
        page.click("a:has-text('驾驶舱')")
    assert page.url.split("?")[0].endswith("/reports/dashboard/")
    page.select_option("select[name=project]", str(project_id))
    with page.expect_navigation():
        page.click("button.loupan-report-filter")
    assert "project=%d" % project_id in page.url
    page.wait_for_selector("#loupan-dash-months[data-chart-ready='1']")
    page.wait_for_selector("#loupan-dash-sell[data-chart-ready='1']")
    year = data["periods"]["year"]["subscribed"]
    assert "¥{:,.2f}".format(year["amount"]) in page.inner_text(".loupan-dash-subscribed-year")
    shot(page, "reports_dashboard-2-page")

    # The sold count opens the rooms sold in the project.
    line = page.locator("tr.loupan-dash-project[data-project='%d']" % project_id)
    assert line.locator(".loupan-dash-sold").inner_text().strip() == str(row["sold"])
    with page.expect_navigation():
        line.locator(".loupan-dash-sold").click()
    assert "/reports/drill/rooms" in page.url and "group=sold" in page.url
    shot(page, "reports_dashboard-3-sold-rooms")

    # The project opens its sell-through report.
    page.go_back()
    with page.expect_navigation():
        page.locator("tr.loupan-dash-project[data-project='%d'] a.loupan-dash-project-link" % project_id).click()
    assert "/reports/sell-through/" in page.url and "project=%d" % project_id in page.url
    assert project_name in page.content()
    shot(page, "reports_dashboard-4-sell-through")
