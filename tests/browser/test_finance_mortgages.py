"""Mortgage cases (按揭) in the browser: 黄丽萍 (finance) opens the case of a signed 商业按揭 deal from
the deal page, moves it through 提交银行 (choosing the bank), 审批通过 and 抵押登记, tries to record
more than the loan, then records the disbursement; the loan is received in full by a receipt from
the mortgage, and the list shows the case as disbursed. Screenshots: tests/artifacts/mortgage-*.png."""
from app.core import clock
from app.extensions import db
from app.finance.services import mortgages
from app.sales.services import deals
from tests.browser.conftest import login_as, shot
from tests.finance.helpers import as_user, available_rooms, customers_of, plan

COMMERCIAL = "商业按揭 首付30%"


def expected_refusal(page):
    """A refused form answers 422 (the browser logs it as a console error): that one is expected."""
    errors = page.console_log.take()
    assert errors and all("422" in e for e in errors), errors


def test_finance_follows_a_mortgage_to_its_disbursement(page, app):
    with app.app_context():
        room = available_rooms(6)[5]
        with as_user(app, "sales"):
            deal = deals.subscribe(room, [(customers_of("E1003", 6)[5], None)], plan(COMMERCIAL))
            deals.sign(deal, filing_no="440101-2026-%06d" % deal.id, filed_on=clock.local_today())
        case = mortgages.case_of(deal.id)
        ids = {"deal": deal.id, "case": case.id, "room": room.code}
        loan = case.commercial_amount
        db.session.remove()
    loan_text = "¥{:,.2f}".format(loan)

    login_as(page, "finance")
    page.goto("/sales/deals/%d" % ids["deal"])
    with page.expect_navigation():
        page.click("a.loupan-deal-link:has-text('按揭')")
    assert page.url.endswith("/finance/mortgages/%d" % ids["case"])
    assert page.inner_text(".loupan-mortgage-stage") == "资料收集"
    assert page.inner_text(".loupan-mortgage-commercial") == loan_text
    shot(page, "mortgage-1-collecting")

    # 提交银行 without a bank: refused, the case stays where it was.
    with page.expect_navigation():
        page.click("button.loupan-mortgage-advance-submit")
    assert "请选择提交资料的银行" in page.inner_text(".alert-danger")
    expected_refusal(page)
    assert page.inner_text(".loupan-mortgage-stage") == "资料收集"
    page.select_option("form.loupan-mortgage-advance select[name=bank]", label="中国建设银行")
    page.fill("form.loupan-mortgage-advance input[name=note]", "资料齐全，已交建行")
    with page.expect_navigation():
        page.click("button.loupan-mortgage-advance-submit")
    assert page.locator(".alert-success").count()
    assert page.inner_text(".loupan-mortgage-stage") == "提交银行"
    assert page.inner_text(".loupan-mortgage-bank") == "中国建设银行"
    shot(page, "mortgage-2-submitted")

    for expected in ("审批通过", "抵押登记"):
        with page.expect_navigation():
            page.click("button.loupan-mortgage-advance-submit")
        assert page.inner_text(".loupan-mortgage-stage") == expected
    assert page.locator("form.loupan-mortgage-disburse").count() == 1
    assert page.input_value("form.loupan-mortgage-disburse input[name=amount]") == "%.2f" % loan
    shot(page, "mortgage-3-registered")

    # More than the loan: refused with the figures.
    page.fill("form.loupan-mortgage-disburse input[name=amount]", "%.2f" % (loan + 1))
    page.fill("form.loupan-mortgage-disburse input[name=reference]", "CCB-LOAN-0001")
    with page.expect_navigation():
        page.click("button.loupan-mortgage-disburse-submit")
    assert loan_text in page.inner_text(".alert-danger")
    expected_refusal(page)
    assert page.inner_text(".loupan-mortgage-stage") == "抵押登记"
    shot(page, "mortgage-4-refused")

    page.fill("form.loupan-mortgage-disburse input[name=amount]", "%.2f" % loan)
    page.fill("form.loupan-mortgage-disburse input[name=reference]", "CCB-LOAN-0001")
    with page.expect_navigation():
        page.click("button.loupan-mortgage-disburse-submit")
    assert page.locator(".alert-success").count()
    assert page.inner_text(".loupan-mortgage-stage") == "已放款"
    assert page.inner_text(".loupan-mortgage-disbursed") == loan_text
    assert page.locator("table.loupan-mortgage-timeline tr.success").count() == 5
    shot(page, "mortgage-5-disbursed")

    # The receipt: from the bank, paying the loan.
    with page.expect_navigation():
        page.click("a.loupan-mortgage-receipt")
    assert page.inner_text(".loupan-receipt-amount") == loan_text
    assert "中国建设银行" in page.inner_text("table.loupan-receipt-head")
    shot(page, "mortgage-6-receipt")

    page.goto("/finance/mortgages/?stage=disbursed")
    row = page.locator("tr.loupan-mortgage-row[data-case='%d']" % ids["case"])
    assert row.count() == 1 and "已放款" in row.inner_text()
    shot(page, "mortgage-7-list")
