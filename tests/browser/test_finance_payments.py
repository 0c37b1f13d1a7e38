"""The cashier's payment page (房款页) in the browser: 黄丽萍 (finance) opens a signed 分期付款 deal
from the deal page's 房款 button, takes the deposit, the down payment (首期款) and an instalment
(二期款, allocated by hand), prints a receipt (a PDF), voids one receipt and reissues another.
Screenshots: tests/artifacts/payments-*.png."""
import re

from app.core import clock
from app.extensions import db
from app.finance.models import Receipt
from app.sales.services import deals
from tests.browser.conftest import login_as, shot
from tests.finance.helpers import D, price_rows
from tests.sales.deal_helpers import as_user, available_rooms, customers_of, plan


def money(value):
    return "¥{:,.2f}".format(D(value))


def _receive(page, deal_id, amount, reference, hand=None):
    page.goto("/finance/deals/%d/receive" % deal_id)
    page.fill("input#amount", amount)
    page.select_option("select#method", "transfer")
    page.fill("input#reference", reference)
    if hand:
        page.check("input[name=mode][value=hand]")
        for rid, value in hand.items():
            page.fill("input[name=alloc-%d]" % rid, value)
    with page.expect_navigation():
        page.click("button.loupan-receive-submit")
    assert not page.locator(".alert-danger").count(), page.inner_text(".alert-danger")
    assert page.locator(".alert-success").count()


def test_cashier_receives_prints_voids_and_reissues(browser, base_url, app):
    with app.app_context():
        room = available_rooms(1)[0]
        customer = customers_of("E1003", 1)[0]
        with as_user(app, "sales"):
            deal = deals.subscribe(room, [(customer, None)], plan("分期付款"))
            deal = deals.sign(deal, filing_no="440101-2026-%06d" % deal.id, filed_on=clock.local_today())
        rows = price_rows(deal.id)
        ids = {"deal": deal.id, "room": room.code, "total": deal.total, "buyer": customer.name,
               "rows": [(r.id, r.label, r.amount) for r in rows]}
        db.session.remove()
    (deposit_id, _l0, deposit), (first_id, _l1, first), (second_id, second_label, second), _rest = ids["rows"]
    assert deposit == D("50000.00") and first == (ids["total"] * D("0.5")).quantize(D("0.01")) - deposit
    assert second == (ids["total"] * D("0.3")).quantize(D("0.01"))

    context = browser.new_context(base_url=base_url, locale="zh-CN", accept_downloads=True)
    page = context.new_page()
    login_as(page, "finance")
    page.goto("/sales/deals/%d" % ids["deal"])
    with page.expect_navigation():
        page.click("a.loupan-deal-link[href='/finance/deals/%d']" % ids["deal"])
    assert page.url.endswith("/finance/deals/%d" % ids["deal"])
    body = page.inner_text("body")
    assert ids["room"] in body and "楼款" in body and "代收费用" in body and money(ids["total"]) in body
    shot(page, "payments-1-page-before")

    _receive(page, ids["deal"], "50000", "TX-DEP")
    _receive(page, ids["deal"], str(first), "TX-DOWN")
    page.goto("/finance/deals/%d/receive" % ids["deal"])
    shot(page, "payments-2-receive-form")
    _receive(page, ids["deal"], str(second), "TX-2ND", hand={second_id: str(second)})
    price = page.inner_text("table.loupan-receivables-price")
    outstanding = ids["total"] - deposit - first - second
    assert money(outstanding) in page.inner_text("table.loupan-receivables-price tr.loupan-subtotal")
    assert page.locator("table.loupan-receipts tr.loupan-receipt-valid").count() == 3
    assert second_label in price
    shot(page, "payments-3-three-receipts")

    with app.app_context():
        receipts = db.session.query(Receipt).filter_by(deal_id=ids["deal"]).order_by(Receipt.seq).all()
        numbers = [(r.id, r.number) for r in receipts]
        db.session.remove()
    (dep_receipt, dep_number), _down, (inst_receipt, inst_number) = numbers

    # print: the PDF of the deposit's receipt
    response = page.request.get("/finance/receipts/%d/print" % dep_receipt)
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body()[:4] == b"%PDF"

    # void the instalment's receipt (a reason is needed)
    page.goto("/finance/receipts/%d" % inst_receipt)
    with page.expect_navigation():
        page.click("button.loupan-void-submit")
    assert page.locator(".alert-danger").count()
    page.fill("input#void-reason", "银行退票")
    with page.expect_navigation():
        page.click("button.loupan-void-submit")
    assert page.locator(".loupan-receipt-void").count()
    shot(page, "payments-4-voided")

    # reissue the deposit's receipt to the right payer
    page.goto("/finance/receipts/%d" % dep_receipt)
    page.fill("input#reissue-reason", "交款人写错")
    page.fill("input#reissue-payer", ids["buyer"] + "、王五")
    with page.expect_navigation():
        page.click("button.loupan-reissue-submit")
    assert page.locator(".loupan-receipt-replaces").count() and dep_number in page.inner_text("body")
    shot(page, "payments-5-reissued")

    page.goto("/finance/deals/%d" % ids["deal"])
    body = page.inner_text("body")
    assert "银行退票" in body and "交款人写错" in body
    assert re.search(r"换发自 %s|replaces No\. %s" % (dep_number, dep_number), body)
    # the 二期款 is owed again; the price outstanding grows by it
    assert money(outstanding + second) in page.inner_text("table.loupan-receivables-price tr.loupan-subtotal")
    shot(page, "payments-6-page-after")
    page.goto("/finance/receipts/?q=" + ids["room"])
    assert inst_number in page.inner_text("body")
    shot(page, "payments-7-receipts-list")
    context.close()
