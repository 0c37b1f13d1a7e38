"""Customers in the browser: reception (客服) registers a walk-in for 林晓燕, she sees the new
customer and records a follow-up, and her colleague 张伟 (sales2) cannot see the customer.
Screenshots: tests/artifacts/crm-*.png."""
import datetime as dt

from app.core import clock
from tests.browser.conftest import login_as, shot

PHONE = "13655556666"
NAME = "郭晓晨"


def test_walk_in_follow_up_and_confidentiality(browser, base_url, app):
    reception = browser.new_context(base_url=base_url, locale="zh-CN")
    page = reception.new_page()
    login_as(page, "service")
    page.goto("/crm/register/")
    page.fill("input#phone", PHONE)
    with page.expect_navigation():
        page.click("button.loupan-find")
    assert "暂无使用该电话的客户" in page.inner_text(".loupan-found")
    page.fill("input#name", NAME)
    page.select_option("select#gender", "male")
    page.select_option("select#project", label="云璟花园")
    page.select_option("select#channel", label="自然到访")
    received = page.eval_on_selector("select#received_by",
                                     "s => [...s.options].find(o => o.textContent.startsWith('林晓燕')).value")
    page.select_option("select#received_by", received)
    page.fill("input#layout_wanted", "三室两厅")
    page.fill("input#budget_min", "2500000")
    page.fill("input#budget_max", "3200000")
    shot(page, "crm-1-reception-form")
    with page.expect_navigation():
        page.click("button.loupan-register")
    body = page.inner_text("body")
    assert "首次到访 云璟花园" in body and "归属 林晓燕" in body
    shot(page, "crm-2-reception-registered")
    reception.close()

    sales = browser.new_context(base_url=base_url, locale="zh-CN")
    page = sales.new_page()
    login_as(page, "sales")
    page.goto("/customerview/list/")
    row = page.locator("table tr", has_text=NAME).first
    assert "136****6666" in row.inner_text() and PHONE not in page.inner_text("body")
    with page.expect_navigation():
        row.locator("a[href*='/customerview/show/']").first.click()
    customer_url = page.url
    assert "/customerview/show/" in customer_url
    shot(page, "crm-3-sales-customer")
    with page.expect_navigation():
        page.click("a:has-text('新增跟进')")
    page.fill("textarea#content, input#content", "电话回访，客户周六带家人来看三房样板间")
    next_date = (clock.local_today() + dt.timedelta(days=2)).isoformat()
    # Typed key by key (the date picker reads keystrokes), then click elsewhere to close it.
    page.click("#next_date")
    page.locator("#next_date").press_sequentially(next_date)
    page.click(".panel-heading")
    assert page.input_value("#next_date") == next_date
    shot(page, "crm-4-sales-follow-up-form")
    with page.expect_navigation():
        page.click("form button[type=submit], form input[type=submit]")
    assert not page.locator(".alert-danger").count(), page.inner_text(".alert-danger")
    page.goto(customer_url)
    page.click("a[data-toggle=tab]:has-text('跟进记录'), .nav-tabs a:has-text('跟进记录')")
    assert "电话回访，客户周六带家人来看三房样板间" in page.inner_text("body") and next_date in page.inner_text("body")
    shot(page, "crm-5-sales-followed-up")
    sales.close()

    colleague = browser.new_context(base_url=base_url, locale="zh-CN")
    page = colleague.new_page()
    login_as(page, "sales2")
    page.goto("/customerview/list/?psize_CustomerView=100")
    assert NAME not in page.inner_text("body")
    page.goto(customer_url)
    assert "该客户属于其他置业顾问，您无权查看" in page.inner_text(".alert-danger")
    assert NAME not in page.inner_text("body")
    shot(page, "crm-6-colleague-refused")
    colleague.close()
