"""A deal in the browser: 林晓燕 (sales) holds an available 云璟花园 room for one of her customers
from the hold form, subscribes it with a discount beyond her authority, which she sends for
approval; her supervisor 陈志明 (manager) approves it; she subscribes with the approved discount,
prints the subscription letter and signs the contract. 张伟 (sales2) trying the same room hears
who has it. Screenshots: tests/artifacts/deal-*.png."""
import subprocess

from app.extensions import db
from app.sales.models import Deal
from tests.browser.conftest import ARTIFACTS, login_as, shot
from tests.sales.deal_helpers import available_rooms, customers_of, plan

DISCOUNTS = ("一次性付款98折", "开盘优惠99折", "认购立减2万")  # 3.46%: beyond her 3%


def _errors(page):
    return page.locator(".alert-danger").all_inner_texts()


def test_hold_subscribe_with_approval_print_and_sign(browser, base_url, app):
    with app.app_context():
        room = available_rooms()[0]
        room_id, room_code = room.id, room.code
        customer = customers_of("E1003")[0]
        customer_id, customer_name = customer.id, customer.name
        full_plan = plan("一次性付款").id
        rival_id = customers_of("E1006")[0].id

    sales = browser.new_context(base_url=base_url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                viewport={"width": 1366, "height": 900})
    page = sales.new_page()
    console = []
    page.on("pageerror", lambda e: console.append(str(e)))
    login_as(page, "sales")

    # Hold, finding the customer with the search box (the autocomplete fills the select).
    page.goto("/sales/deals/new/hold?room=%d" % room_id)
    assert room_code in page.inner_text("table.loupan-deal-room")
    page.fill("#loupan-customer-q", customer_name)
    page.locator("a.loupan-customer-hit", has_text=customer_name).first.click()
    assert page.input_value("select#customer") == str(customer_id)
    shot(page, "deal-1-hold-form")
    with page.expect_navigation():
        page.click("button.loupan-deal-submit")
    assert not _errors(page), _errors(page)
    assert "/sales/deals/" in page.url and customer_name in page.inner_text("table.loupan-deal-buyers")
    shot(page, "deal-2-held")

    # Subscribe from the deal page's action: the customer is fixed; the discount is beyond her authority.
    with page.expect_navigation():
        page.click("a.loupan-action-subscribe")
    assert customer_name in page.inner_text(".loupan-fixed-customer")
    page.select_option("select#plan", str(full_plan))
    for name in DISCOUNTS:
        page.locator("label.checkbox-inline", has_text=name).first.locator("input[name=discount]").check()
    with page.expect_navigation():
        page.click("button.loupan-calculate")
    assert page.locator(".loupan-beyond").count() == 1
    assert page.locator("tr.loupan-discount-step").count() == 3
    shot(page, "deal-3-beyond-authority")
    page.fill(".loupan-beyond textarea[name=reason]", "老客户，一次性付款")
    with page.expect_navigation():
        page.click("button.loupan-ask")
    assert "/approvals/show/" in page.url
    request_url = page.url
    page.goto("/logout/")

    # The manager approves it.
    login_as(page, "manager")
    page.goto(request_url)
    assert room_code in page.inner_text("body")
    with page.expect_navigation():
        page.click("form.loupan-approve button[type=submit]")
    assert page.locator(".alert-success").count()
    page.goto("/logout/")

    # Back as sales: the approved request links to the subscription form, prefilled.
    login_as(page, "sales")
    page.goto(request_url)
    shot(page, "deal-4-approved-request")
    with page.expect_navigation():
        page.click("a[href*='/sales/deals/new/subscribe?']")
    assert page.locator(".loupan-approved").count() == 1 and page.locator(".loupan-beyond").count() == 0
    for name in DISCOUNTS:
        assert page.locator("label.checkbox-inline", has_text=name).first.locator("input").is_checked()
    shot(page, "deal-5-subscribe-approved")
    with page.expect_navigation():
        page.click("button.loupan-deal-submit")
    assert not _errors(page), _errors(page)
    deal_url = page.url
    with app.app_context():
        deal = db.session.query(Deal).filter(Deal.room_id == room_id, Deal.state == "active").one()
        assert deal.stage == "subscribed" and deal.discount_request_id is not None
        number, total = deal.subscription_no, deal.total
    assert number in page.inner_text("body") and "¥{:,.2f}".format(total) in page.inner_text("body")
    shot(page, "deal-6-subscribed")

    # The subscription letter prints in Chinese with the figures.
    href = page.get_attribute("a.loupan-print", "href")
    response = page.request.get(href)
    assert response.ok and response.headers["content-type"].startswith("application/pdf")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    pdf = ARTIFACTS / "deal-letter.pdf"
    pdf.write_bytes(response.body())
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "商品房认购书" in text and number in text and customer_name in text and "¥{:,.2f}".format(total) in text
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(ARTIFACTS / "deal-letter")],
                   check=True)

    # Sign the contract.
    page.goto(deal_url)
    with page.expect_navigation():
        page.click("a.loupan-action-sign")
    contract = page.inner_text(".loupan-next-contract")
    shot(page, "deal-7-sign-form")
    with page.expect_navigation():
        page.click("button.loupan-deal-submit")
    assert not _errors(page), _errors(page)
    signed_no = page.inner_text("td.loupan-contract-no")
    assert signed_no.split(" ")[0] in contract
    shot(page, "deal-8-signed")

    # The deals list shows it.
    page.goto("/sales/deals/")
    assert room_code in page.inner_text("table.loupan-deal-list")
    shot(page, "deal-9-list")
    sales.close()

    # Another salesperson trying the room hears who has it.
    other = browser.new_context(base_url=base_url, locale="zh-CN", viewport={"width": 1366, "height": 900})
    rival = other.new_page()
    login_as(rival, "sales2")
    rival.goto("/sales/deals/new/hold?room=%d&customer=%d" % (room_id, rival_id))
    assert "林晓燕" in rival.inner_text(".loupan-deal-taken")
    assert rival.input_value("select#customer") == str(rival_id)
    with rival.expect_navigation():
        rival.click("button.loupan-deal-submit")
    refusal = rival.inner_text(".loupan-deal-error")
    assert "该房间" in refusal or "林晓燕" in refusal
    assert "林晓燕" in refusal
    shot(rival, "deal-10-taken")
    other.close()
    assert not console, console
