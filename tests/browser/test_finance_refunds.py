"""A cancelled deal's refund in the browser: 林晓燕 (sales) had the deal of a room cancelled (asked
and approved through the services); the refund lands in the approvals of 陈志明 (manager), who
approves it on the approvals page after opening the refund from there; 黄丽萍 (finance) finds it
in the refunds list and records it as paid. Screenshots: tests/artifacts/refunds-*.png."""
from app.core.models import ApprovalRequest
from app.core.services import approvals
from app.extensions import db
from app.finance.models import Refund
from app.finance.services import receipts
from app.sales.models import DealRefund
from app.sales.services import deal_changes
from tests.browser.conftest import login_as, shot
from tests.finance.helpers import as_user, days_ago, subscribed
from tests.sales.test_deal_changes import reason


def test_a_cancelled_deals_refund_is_approved_and_paid(browser, base_url, app):
    with app.app_context():
        deal = subscribed(app, n=3)
        with as_user(app, "finance"):
            receipts.receive(deal, "50000", "transfer", paid_on=days_ago(5), reference="工商银行 转账")
        with as_user(app, "sales"):
            req = deal_changes.request_cancel(deal, reason("cancel_reason").id, "45000", note="贷款未批")
        with as_user(app, "manager") as manager:
            approvals.approve(req.id, manager, "同意退房")
        refund = db.session.query(Refund).filter_by(deal_id=deal.id).one()
        ids = {"refund": refund.id, "request": refund.request_id, "number": refund.number, "deal": deal.id,
               "room": deal.room.code, "deal_refund": refund.deal_refund_id}
        assert refund.status == "pending"
        db.session.remove()

    manager = browser.new_context(base_url=base_url, locale="zh-CN")
    boss = manager.new_page()
    login_as(boss, "manager")
    boss.goto("/approvals/inbox/")
    assert ids["room"] in boss.inner_text("body")
    shot(boss, "refunds-1-manager-inbox")
    boss.goto("/approvals/show/%d" % ids["request"])
    body = boss.inner_text("body")
    assert ids["number"] in body and "¥45,000.00" in body and "林晓燕" in body
    assert boss.locator("a[href='/finance/refunds/%d']" % ids["refund"]).count()
    shot(boss, "refunds-2-approval-page")
    boss.click("a[href='/finance/refunds/%d']" % ids["refund"])
    boss.wait_for_load_state()
    assert ids["number"] in boss.inner_text("body")
    assert not boss.locator("form.loupan-refund-pay").count()  # a manager does not pay
    shot(boss, "refunds-3-manager-sees-the-refund")
    boss.goto("/approvals/show/%d" % ids["request"])
    with boss.expect_navigation():
        boss.click("form.loupan-approve button[type=submit]")
    assert boss.locator(".alert-success").count(), boss.inner_text("body")[:500]
    manager.close()

    finance = browser.new_context(base_url=base_url, locale="zh-CN")
    page = finance.new_page()
    login_as(page, "finance")
    page.goto("/finance/refunds/?status=approved")
    assert ids["number"] in page.inner_text("table.loupan-refund-list")
    shot(page, "refunds-4-finance-list")
    page.click("text=%s" % ids["number"])
    page.wait_for_load_state()
    assert page.locator("form.loupan-refund-pay").count()
    page.fill("form.loupan-refund-pay input[name=paid_on]", "2099-01-01")
    with page.expect_navigation():
        page.click("button.loupan-refund-pay-button")
    assert page.locator(".alert-danger").count()  # not in the future
    shot(page, "refunds-5-pay-refused")
    page.fill("form.loupan-refund-pay input[name=paid_on]", days_ago(0).isoformat())
    page.select_option("form.loupan-refund-pay select[name=method]", "transfer")
    page.fill("form.loupan-refund-pay input[name=reference]", "工商银行 退款 0091")
    with page.expect_navigation():
        page.click("button.loupan-refund-pay-button")
    assert page.locator(".alert-success").count(), page.inner_text("body")[:500]
    assert page.locator("tr.loupan-refund-paid").count() and "工商银行 退款 0091" in page.inner_text("body")
    shot(page, "refunds-6-paid")
    finance.close()

    with app.app_context():
        refund = db.session.get(Refund, ids["refund"])
        assert refund.status == "paid" and refund.paid_by.username == "finance"
        assert db.session.get(DealRefund, ids["deal_refund"]).status == "refunded"
        assert db.session.get(ApprovalRequest, ids["request"]).status == "approved"
        db.session.remove()
