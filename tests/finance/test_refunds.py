"""Refunds (退款): asked, approved through approvals, paid; a cancellation approved in sales lands as a
refund to approve and pay; what can be refunded; voiding a receipt below the refunds."""
import datetime as dt

import pytest

from app.core import clock
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.services import approvals
from app.extensions import db
from app.finance.models import FinanceSetting, Receipt, Refund
from app.finance.services import receipts, refunds
from app.sales.models import DealEvent, DealRefund
from app.sales.services import deal_changes, deals
from tests.finance.helpers import D, as_user, counts, days_ago, signed, subscribed
from tests.sales.test_deal_changes import reason


def user(app, name):
    return app.appbuilder.sm.find_user(username=name)


def receive(app, deal, amount, paid_on=None):
    with as_user(app, "finance"):
        return receipts.receive(deal, amount, "transfer", paid_on=paid_on or days_ago(2), reference="TX-%s" % amount)


def ask(app, deal, amount, kind="overpayment", why="多收退回", username="finance"):
    with as_user(app, username):
        return refunds.request_refund(deal, amount, kind, why, payee="王先生")


def decide(app, refund, username="manager", ok=True):
    req_id = db.session.query(Refund).populate_existing().filter_by(id=refund.id).one().request_id
    with as_user(app, username) as who:
        if ok:
            return approvals.approve(req_id, who, "同意")
        return approvals.reject(req_id, who, "不同意")


def fresh(refund):
    return db.session.query(Refund).populate_existing().filter_by(id=refund.id).one()


def refund_days(project_id, days):
    row = db.session.query(FinanceSetting).filter_by(project_id=project_id).one_or_none()
    if row is None:
        row = FinanceSetting(project_id=project_id)
        db.session.add(row)
    row.refund_days = days
    db.session.commit()


def test_a_refund_is_asked_approved_and_paid(app, ctx):
    deal = signed(app)
    refund_days(deal.project_id, 15)
    receive(app, deal, "30000")
    receive(app, deal, "20000")
    assert refunds.refundable(deal.id) == D("50000.00")
    refund = ask(app, deal, "12345.67")
    assert refund.number == "GZ-YJ-TK-%06d" % refund.seq and refund.status == "pending"
    assert refund.amount == D("12345.67") and refund.payee == "王先生" and refund.kind == "overpayment"
    # 50,000.00 − 12,345.67 still refundable
    assert refunds.refundable(deal.id) == D("37654.33")
    second = ask(app, deal, "1000")
    assert second.seq == refund.seq + 1 and second.number == "GZ-YJ-TK-%06d" % (refund.seq + 1)
    req = db.session.get(ApprovalRequest, refund.request_id)
    assert req.kind == "finance_refund" and req.status == "pending" and req.requester_id == user(app, "finance").id
    assert refund.number in req.summary
    # The requester never decides their own request; the salesperson is no approver.
    for name in ("finance", "sales"):
        with pytest.raises(BusinessError):
            decide(app, refund, name)
        db.session.rollback()
    assert fresh(refund).status == "pending"
    decide(app, refund, "manager")
    refund = fresh(refund)
    assert refund.status == "approved" and refund.due_date == clock.local_today() + dt.timedelta(days=15)
    with as_user(app, "finance"):
        with pytest.raises(BusinessError) as refused:
            refunds.pay(refund, clock.local_today() + dt.timedelta(days=1), "transfer", "BK1")
        assert any(w in str(refused.value) for w in ("future", "未来"))
        db.session.rollback()
        refunds.pay(refund, days_ago(1), "transfer", "BK-778")
    refund = fresh(refund)
    assert (refund.status, refund.paid_on, refund.method, refund.reference) == ("paid", days_ago(1), "transfer", "BK-778")
    assert refund.paid_by_id == user(app, "finance").id and refund.paid_at is not None
    with as_user(app, "finance"), pytest.raises(BusinessError) as refused:
        refunds.pay(refund, days_ago(0), "cash", "again")
    assert any(w in str(refused.value) for w in ("already", "已"))
    db.session.rollback()
    assert fresh(refund).method == "transfer"
    # Paid or pending, both still count: 50,000.00 − 12,345.67 − 1,000.00
    assert refunds.refundable(deal.id) == D("36654.33")
    notes = [e.note for e in db.session.query(DealEvent).filter_by(deal_id=deal.id, action="note")]
    assert sum(refund.number in (n or "") for n in notes) == 3  # asked, approved, paid


def test_refunding_more_than_received_is_refused_and_changes_nothing(app, ctx):
    deal = signed(app)
    receive(app, deal, "8000")
    ask(app, deal, "3000")
    before = counts()
    requests = db.session.query(ApprovalRequest).count()
    for amount, words in (("5000.01", ("more than", "超过")), ("0", ("greater than 0", "大于")),
                          ("-10", ("greater than 0", "大于")), ("1.001", ("two decimals", "两位")),
                          ("abc", ("number", "数字"))):
        with as_user(app, "finance"), pytest.raises(BusinessError) as refused:
            refunds.request_refund(deal, amount, "overpayment", "多收")
        assert any(w in str(refused.value) for w in words), str(refused.value)
        db.session.rollback()
    with as_user(app, "finance"), pytest.raises(BusinessError):
        refunds.request_refund(deal, "10", "overpayment", "")  # a reason is needed
    db.session.rollback()
    with as_user(app, "finance"), pytest.raises(BusinessError):
        refunds.request_refund(deal, "10", "gift", "多收")
    db.session.rollback()
    assert counts() == before and db.session.query(ApprovalRequest).count() == requests
    # Exactly what is left: 8,000.00 − 3,000.00
    assert ask(app, deal, "5000.00").amount == D("5000.00") and refunds.refundable(deal.id) == D("0.00")


def test_another_salespersons_deal_is_not_refunded(app, ctx):
    deal = signed(app)
    receive(app, deal, "8000")
    with as_user(app, "sales2"), pytest.raises(deals.OutOfScope):
        refunds.request_refund(deal, "100", "overpayment", "多收")
    db.session.rollback()
    assert db.session.query(Refund).filter_by(deal_id=deal.id).count() == 0


def test_a_rejected_refund_frees_the_amount(app, ctx):
    deal = signed(app)
    receive(app, deal, "6000")
    refund = ask(app, deal, "6000")
    assert refunds.refundable(deal.id) == D("0.00")
    decide(app, refund, "manager", ok=False)
    assert fresh(refund).status == "rejected" and refunds.refundable(deal.id) == D("6000.00")
    with as_user(app, "finance"), pytest.raises(BusinessError):
        refunds.pay(fresh(refund), days_ago(0), "cash", None)  # only an approved refund is paid
    db.session.rollback()


def test_approval_checks_the_amount_again(app, ctx):
    deal = signed(app)
    receipt = receive(app, deal, "6000")
    refund = ask(app, deal, "5000")
    # The money left without the void check's knowledge (e.g. a direct correction): approval refuses.
    db.session.query(Receipt).filter_by(id=receipt.id).update({"status": "void"})
    db.session.commit()
    with pytest.raises(BusinessError) as refused:
        decide(app, refund, "manager")
    assert any(w in str(refused.value) for w in ("more than", "超过"))
    db.session.rollback()
    assert fresh(refund).status == "pending"


def test_a_cancellation_lands_as_a_refund_to_approve_and_pay(app, ctx):
    deal = subscribed(app)
    receive(app, deal, "50000")  # the deposit, 50,000.00
    assert deal_changes.default_paid(deal) == D("50000.00")
    with as_user(app, "sales"):
        req = deal_changes.request_cancel(deal, reason("cancel_reason").id, "45000", note="贷款未批")
    with as_user(app, "manager") as manager:
        approvals.approve(req.id, manager, "同意")
    row = db.session.query(DealRefund).filter_by(deal_id=deal.id).one()
    assert (row.paid, row.refund, row.kept, row.status) == (D("50000.00"), D("45000.00"), D("5000.00"), "to_refund")
    refund = db.session.query(Refund).filter_by(deal_refund_id=row.id).one()
    assert (refund.kind, refund.amount, refund.status) == ("cancellation", D("45000.00"), "pending")
    request = db.session.get(ApprovalRequest, refund.request_id)
    assert request.kind == "finance_refund" and request.requester_id == user(app, "sales").id
    # The finance inbox has it; finance approves (not the requester), then pays.
    assert refund.request_id in [r.id for r in approvals.pending_for(user(app, "finance"))]
    assert ("/finance/refunds/%d" % refund.id) in [url for _label, url in approvals.links(request)]
    decide(app, refund, "finance")
    refund = fresh(refund)
    assert refund.status == "approved" and refund.due_date is not None
    with as_user(app, "finance"):
        refunds.pay(refund, clock.local_today(), "transfer", "BK-900")
    row = db.session.query(DealRefund).populate_existing().filter_by(id=row.id).one()
    assert row.status == "refunded" and row.refunded_at is not None
    assert fresh(refund).status == "paid" and refunds.refundable(deal.id) == D("5000.00")


def test_a_cancellation_keeping_everything_asks_no_refund(app, ctx):
    deal = subscribed(app)
    receive(app, deal, "50000")
    with as_user(app, "sales"):
        req = deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    with as_user(app, "manager") as manager:
        approvals.approve(req.id, manager, "同意")
    assert db.session.query(Refund).filter_by(deal_id=deal.id).count() == 0


def test_sales_asks_finance_what_was_paid(app, ctx):
    deal = subscribed(app)
    assert deal_changes.default_paid(deal) == D("50000.00")  # no receipt yet: the deposit
    receive(app, deal, "12345.00")
    assert deal_changes.default_paid(deal) == D("12345.00")
    ask(app, deal, "2345")
    assert deal_changes.default_paid(deal) == D("10000.00")  # 12,345.00 − 2,345.00


def test_a_receipt_is_not_voided_below_the_refunds(app, ctx):
    deal = signed(app)
    big = receive(app, deal, "30000")
    small = receive(app, deal, "20000")
    ask(app, deal, "25000")
    with as_user(app, "finance"), pytest.raises(BusinessError) as refused:
        receipts.void(big, "录错")  # 20,000.00 would stay, less than 25,000.00 of refunds
    assert big.number in str(refused.value)
    db.session.rollback()
    assert db.session.query(Receipt).populate_existing().filter_by(id=big.id).one().status == "valid"
    with as_user(app, "finance"):
        receipts.void(small, "录错")  # 30,000.00 stays, enough for 25,000.00
    assert db.session.query(Receipt).populate_existing().filter_by(id=small.id).one().status == "void"
    assert refunds.refundable(deal.id) == D("5000.00")
