"""Adjustments (款项调整) of a receivable through approval: approved (money moves on), rejected,
refused, and a waived late fee."""
import pytest

from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.models.base import utcnow
from app.core.services import approvals
from app.extensions import db
from app.finance.models import Adjustment, Receipt, Receivable
from app.finance.services import adjustments, receipts
from tests.finance.helpers import D, as_user, days_ago, price_rows, receivables_of, signed


def ask(app, receivable, amount, why="协商减免", username="finance"):
    with as_user(app, username):
        return adjustments.request_adjustment(receivable, amount, why)


def decide(app, adjustment, username="manager", ok=True):
    req_id = db.session.query(Adjustment).populate_existing().filter_by(id=adjustment.id).one().request_id
    with as_user(app, username) as who:
        if ok:
            return approvals.approve(req_id, who, "同意")
        return approvals.reject(req_id, who, "不同意")


def row(receivable_id):
    return db.session.query(Receivable).populate_existing().filter_by(id=receivable_id).one()


def status(adjustment):
    return db.session.query(Adjustment).populate_existing().filter_by(id=adjustment.id).one().status


def test_an_approved_lowering_moves_the_money_received_beyond_it(app, ctx):
    deal = signed(app)
    deposit, rest = price_rows(deal.id)[:2]
    assert (deposit.amount, rest.amount) == (D("50000.00"), D("3934960.00"))
    with as_user(app, "finance"):
        receipts.receive(deal, "50000", "transfer", paid_on=days_ago(3))
    assert row(deposit.id).received == D("50000.00")
    adjustment = ask(app, deposit, "-1200.50")
    req = db.session.get(ApprovalRequest, adjustment.request_id)
    assert req.kind == "finance_adjustment" and req.status == "pending" and adjustment.status == "pending"
    assert row(deposit.id).adjusted == 0  # nothing changes before the approval
    with pytest.raises(BusinessError):
        decide(app, adjustment, "finance")  # the requester (and finance) does not approve adjustments
    db.session.rollback()
    decide(app, adjustment, "manager")
    deposit, rest = row(deposit.id), row(rest.id)
    assert status(adjustment) == "approved"
    # 50,000.00 − 1,200.50 = 48,799.50 asked and received; the 1,200.50 beyond moves to the rest of the price
    assert (deposit.adjusted, deposit.due, deposit.received, deposit.outstanding) == (
        D("-1200.50"), D("48799.50"), D("48799.50"), D("0.00"))
    assert rest.received == D("1200.50") and rest.outstanding == D("3933759.50")
    receipt = db.session.query(Receipt).filter_by(deal_id=deal.id).one()
    assert sum(a.amount for a in receipt.allocations) == D("50000.00") and receipt.unallocated == 0


def test_a_raise_and_a_rejection(app, ctx):
    deal = signed(app)
    fee = [r for r in receivables_of(deal.id) if r.collected_for_others][-1]
    assert fee.amount == D("80.00")
    up = ask(app, fee, "20")
    decide(app, up)
    assert row(fee.id).due == D("100.00")  # 80.00 + 20.00
    down = ask(app, fee, "-100")
    decide(app, down, ok=False)
    assert status(down) == "rejected" and row(fee.id).adjusted == D("20.00") and row(fee.id).due == D("100.00")
    again = ask(app, fee, "-100")  # after a rejection one may ask again: to nothing at all
    decide(app, again)
    assert row(fee.id).due == D("0.00")


def test_refused_adjustments_change_nothing(app, ctx):
    deal = signed(app)
    deposit = price_rows(deal.id)[0]
    ask(app, price_rows(deal.id)[1], "-10")  # pending on another receivable: no matter
    before = (db.session.query(Adjustment).count(), db.session.query(ApprovalRequest).count())
    for amount, words in (("0", ("not zero", "不能为零")), ("abc", ("signed amount", "金额")),
                          ("1.001", ("two decimals", "两位")), ("-50000.01", ("less than nothing", "负"))):
        with as_user(app, "finance"), pytest.raises(BusinessError) as refused:
            adjustments.request_adjustment(deposit, amount, "减免")
        assert any(w in str(refused.value) for w in words), str(refused.value)
        db.session.rollback()
    with as_user(app, "finance"), pytest.raises(BusinessError):
        adjustments.request_adjustment(deposit, "-10", " ")  # a reason is needed
    db.session.rollback()
    assert (db.session.query(Adjustment).count(), db.session.query(ApprovalRequest).count()) == before
    first = ask(app, deposit, "-50000")  # exactly to nothing is fine
    with as_user(app, "finance"), pytest.raises(BusinessError) as refused:
        adjustments.request_adjustment(deposit, "-1", "再减")
    assert any(w in str(refused.value) for w in ("already", "已有"))
    db.session.rollback()
    assert db.session.query(Adjustment).filter_by(receivable_id=deposit.id).all() == [first]
    # A closed receivable is not adjusted.
    closed = row(deposit.id)
    closed.status = "closed"
    db.session.commit()
    with pytest.raises(BusinessError) as refused:  # closed since it was asked: the approval refuses
        decide(app, first)
    assert any(w in str(refused.value) for w in ("closed", "关闭")), str(refused.value)
    db.session.rollback()
    assert status(first) == "pending" and row(deposit.id).adjusted == 0
    with as_user(app, "finance"), pytest.raises(BusinessError) as refused:
        adjustments.request_adjustment(row(deposit.id), "-1", "减")
    assert any(w in str(refused.value) for w in ("closed", "关闭")), str(refused.value)
    db.session.rollback()


def test_a_waived_late_fee(app, ctx):
    deal = signed(app)
    deposit = price_rows(deal.id)[0]
    fee = Receivable(project_id=deal.project_id, deal_id=deal.id, kind="late_fee", label="滞纳金（定金）",
                     collected_for_others=False, position=500, amount=D("200.00"), adjusted=D("0.00"),
                     received=D("0.00"), status="open", source_id=deposit.id, created_at=utcnow())
    db.session.add(fee)
    db.session.commit()
    waiver = ask(app, fee, "-120.50", "客户首次逾期，减免部分滞纳金")
    assert (waiver.amount, waiver.status) == (D("-120.50"), "pending")
    decide(app, waiver)
    fee = row(fee.id)
    # 200.00 accrued − 120.50 waived = 79.50 still asked
    assert (fee.amount, fee.adjusted, fee.due, fee.outstanding) == (
        D("200.00"), D("-120.50"), D("79.50"), D("79.50"))
    assert status(waiver) == "approved"
