"""The customers' main path in the browser, as the people of a sales office live it:
reception registers a walk-in for 林晓燕 (sales), she follows up and is reminded, her colleague
张伟 (sales2) cannot see the customer, the supervisor 陈志明 (manager) transfers the customer to
张伟, who neglects them until the opportunity returns to the public pool, and 林晓燕 claims it.
Screenshots: tests/artifacts/crm-path-*.png."""
import datetime as dt

from app.core import clock
from app.crm.models import Customer, Opportunity
from app.crm.services import follow_ups
from app.extensions import db
from tests.browser.conftest import login_as, shot

PHONE = "13977778888"
NAME = "欧阳思远"


def _customer(app):
    with app.app_context():
        customer = db.session.query(Customer).filter(Customer.name == NAME).one()
        opportunity = db.session.query(Opportunity).filter(Opportunity.customer_id == customer.id).one()
        return customer.id, opportunity.id, customer.owner.name if customer.owner else None


def _as(browser, base_url, username):
    context = browser.new_context(base_url=base_url, locale="zh-CN")
    page = context.new_page()
    login_as(page, username)
    return context, page


def test_walk_in_to_pool_and_claim(browser, base_url, app):
    today = clock.local_today()

    # Reception registers the walk-in, received by 林晓燕.
    context, page = _as(browser, base_url, "service")
    page.goto("/crm/register/")
    page.fill("input#phone", PHONE)
    with page.expect_navigation():
        page.click("button.loupan-find")
    page.fill("input#name", NAME)
    page.select_option("select#project", label="云璟花园")
    page.select_option("select#channel", label="户外广告")
    received = page.eval_on_selector("select#received_by",
                                     "s => [...s.options].find(o => o.textContent.startsWith('林晓燕')).value")
    page.select_option("select#received_by", received)
    page.fill("input#layout_wanted", "四室两厅")
    with page.expect_navigation():
        page.click("button.loupan-register")
    assert "首次到访 云璟花园" in page.inner_text("body")
    shot(page, "crm-path-1-reception")
    context.close()
    customer_id, opportunity_id, owner = _customer(app)
    assert owner == "林晓燕"

    # 林晓燕 follows up, with the next contact today: her home page reminds her.
    context, page = _as(browser, base_url, "sales")
    page.goto("/customerview/show/%d" % customer_id)
    with page.expect_navigation():
        page.click("a:has-text('新增跟进')")
    page.fill("textarea#content, input#content", "电话回访，客户想看四房样板间")
    page.click("#next_date")
    page.locator("#next_date").press_sequentially(today.isoformat())
    page.click(".panel-heading")
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")
    assert not page.locator(".alert-danger").count()
    page.goto("/")
    assert "待跟进：" in page.inner_text(".loupan-home")
    page.goto("/followupview/due/")
    row = page.locator("table tr", has_text=NAME).first
    assert "电话回访，客户想看四房样板间" in row.inner_text()
    shot(page, "crm-path-2-sales-due-today")
    # Two days later the follow-up is overdue: the scheduled reminder tells her.
    with app.app_context():
        follow_ups.remind_overdue(day=today + dt.timedelta(days=2))
    page.goto("/notifications/list/")
    assert "条客户跟进已逾期" in page.inner_text("body")
    shot(page, "crm-path-3-sales-notified")
    context.close()

    # Her colleague cannot see the customer, by list or by URL.
    context, page = _as(browser, base_url, "sales2")
    page.goto("/customerview/list/?_flt_0_name=%s" % NAME)
    assert page.locator("table tr a[href*='/customerview/show/']").count() == 0
    page.goto("/crm/customer360/%d" % customer_id)
    assert "该客户属于其他置业顾问" in page.inner_text(".alert-danger")
    assert NAME not in page.inner_text("body")
    context.close()

    # The supervisor transfers the customer to 张伟.
    context, page = _as(browser, base_url, "manager")
    page.goto("/customerview/show/%d" % customer_id)
    with page.expect_navigation():
        page.click("a[href*='/customertransferview/transfer/?customer=%d']" % customer_id)
    page.check("input.loupan-row[value='%d']" % customer_id)
    target = page.eval_on_selector("select#to_employee",
                                   "s => [...s.options].find(o => o.textContent.startsWith('张伟')).value")
    page.select_option("select#to_employee", target)
    page.fill("textarea#reason", "林晓燕调岗，客户交由张伟跟进")
    shot(page, "crm-path-4-manager-transfer")
    with page.expect_navigation():
        page.click("button.loupan-transfer")
    assert "张伟" in page.inner_text(".alert-success")
    context.close()
    assert _customer(app)[2] == "张伟"

    # 张伟 now sees the customer, and the 360 page shows the transfer.
    context, page = _as(browser, base_url, "sales2")
    page.goto("/crm/customer360/%d" % customer_id)
    body = page.inner_text("body")
    assert NAME in body and "林晓燕调岗，客户交由张伟跟进" in body
    shot(page, "crm-path-5-colleague-360")
    context.close()

    # Nobody contacts the customer for a month: the nightly job returns the opportunity to the pool.
    with app.app_context():
        opportunity = db.session.get(Opportunity, opportunity_id)
        opportunity.last_contact_at = opportunity.last_contact_at - dt.timedelta(days=30)
        db.session.commit()
    context, page = _as(browser, base_url, "admin")
    page.goto("/scheduledjobs/")
    with page.expect_navigation():
        page.click("tr:has-text('crm_pool_return') button")
    assert page.locator(".alert-success").count()
    context.close()
    with app.app_context():
        assert db.session.get(Opportunity, opportunity_id).pooled_at is not None

    # 林晓燕 finds the customer in the public pool and claims them.
    context, page = _as(browser, base_url, "sales")
    page.goto("/crm/pool/?q=%s" % NAME)
    row = page.locator("table tr", has_text=NAME).first
    assert "139****8888" in row.inner_text() and PHONE not in page.inner_text("body")
    shot(page, "crm-path-6-pool")
    with page.expect_navigation():
        row.locator("button.loupan-claim").click()
    assert NAME in page.inner_text(".alert-success")
    shot(page, "crm-path-7-claimed")
    page.goto("/customerview/list/?_flt_0_name=%s" % NAME)
    assert page.locator("table tr", has_text=NAME).locator("a[href*='/customerview/show/%d']" % customer_id).count()
    shot(page, "crm-path-8-her-customers")
    context.close()
    customer_id, opportunity_id, owner = _customer(app)
    assert owner == "林晓燕"
