"""Mortgage cases (按揭): opened from the schedule, advanced stage by stage, disbursed as the receipt
of the loan receivable(s); refusals change nothing; overdue stages and the daily job."""
import datetime as dt
import decimal

import pytest
import sqlalchemy as sa

from app.core import clock
from app.core.errors import BusinessError
from app.core.models import Notification
from app.core.services import lookup
from app.extensions import db
from app.finance.models import MortgageCase, Receipt, ReceiptAllocation
from app.finance.services import mortgages, settings
from app.sales.models import DealEvent
from tests.finance.helpers import D, as_user, counts, days_ago, receivables_of, signed, subscribed

COMMERCIAL = "商业按揭 首付30%"
PROVIDENT = "公积金贷款 首付70%"
COMBINED = "组合贷款 首付30%"


def loan_of(total, down_percent):
    """The bank lends price × (100 − down)% rounded down to the thousand (the demo plans' unit)."""
    loan = (D(total) * (100 - down_percent) / 100 / 1000).to_integral_value(rounding=decimal.ROUND_FLOOR) * 1000
    return loan.quantize(D("0.01"))


def loans(deal_id):
    return [r for r in receivables_of(deal_id) if r.kind == "loan"]


def bank(name="中国建设银行"):
    return next(b for b in lookup.active_values("mortgage_bank") if b.name == name)


def case_state(case_id):
    c = db.session.query(MortgageCase).filter_by(id=case_id).populate_existing().one()
    return (c.stage, c.stage_since, c.submitted_on, c.approved_on, c.registered_on, c.disbursed_on,
            c.disbursed_amount, c.receipt_id, c.bank_id)


def opened_ago(case, days=30):
    """The case was opened `days` ago (its deal is made today)."""
    case.stage_since = case.collecting_on = days_ago(days)
    db.session.commit()
    return case


def walk(app, case, to="registered", start=10):
    """Advance the case up to `to`, a day apart, from `start` days ago."""
    opened_ago(case)
    with as_user(app, "finance"):
        day = start
        for stage in ("submitted", "approved", "registered"):
            mortgages.advance(case, stage, days_ago(day), bank=bank().id if stage == "submitted" else None)
            day -= 1
            if stage == to:
                break
    return case


def test_a_commercial_loan_deal_gets_its_case_with_the_loan_amount(app, ctx):
    deal = subscribed(app, COMMERCIAL, 0)
    case = mortgages.case_of(deal.id)
    expected = loan_of(deal.total, 30)
    assert case is not None and case.stage == "collecting" and case.kind == "commercial"
    assert case.commercial_amount == expected and case.provident_amount == 0 and case.years == 30
    assert case.collecting_on == deal.subscribed_on == case.stage_since
    # One loan receivable: the loan is not counted twice on the schedule.
    rows = loans(deal.id)
    assert [r.amount for r in rows] == [expected] and case.receivable_id == rows[0].id
    assert sum(r.amount for r in receivables_of(deal.id) if not r.collected_for_others) == deal.total
    with as_user(app, "sales"):
        from app.sales.services import deals
        deals.sign(deal, filing_no="440101-2026-%06d" % deal.id, filed_on=clock.local_today())
    assert db.session.query(MortgageCase).filter_by(deal_id=deal.id).count() == 1
    assert mortgages.case_of(deal.id).commercial_amount == expected


def test_a_cash_deal_has_no_case_and_cannot_open_one(app, ctx):
    deal = signed(app, n=0)
    assert mortgages.case_of(deal.id) is None
    before = db.session.query(MortgageCase).count()
    with as_user(app, "finance"), pytest.raises(BusinessError, match="no loan|没有贷款"):
        mortgages.open_case(deal)
    assert db.session.query(MortgageCase).count() == before


def test_combined_loan_is_one_case_with_two_amounts_and_the_disbursement_pays_both(app, ctx):
    deal = signed(app, COMBINED, 1)
    case = mortgages.case_of(deal.id)
    loan = loan_of(deal.total, 30)
    provident = min(loan, D("1200000.00"))
    assert case.kind == "combined"
    assert (case.commercial_amount, case.provident_amount) == (loan - provident, provident)
    rows = loans(deal.id)
    assert [r.amount for r in rows] == [loan - provident, provident]
    walk(app, case)
    with as_user(app, "finance"):
        mortgages.disburse(case, days_ago(1), loan, "BANK-0001")
    rows = loans(deal.id)
    assert [r.outstanding for r in rows] == [0, 0] and [r.received for r in rows] == [loan - provident, provident]
    allocations = db.session.query(ReceiptAllocation).filter_by(receipt_id=case.receipt_id).all()
    assert sorted(a.amount for a in allocations) == sorted([loan - provident, provident])


def test_advance_through_the_stages_and_disburse(app, ctx):
    deal = signed(app, COMMERCIAL, 2)
    case = mortgages.case_of(deal.id)
    loan = loan_of(deal.total, 30)
    opened_ago(case)
    with as_user(app, "service"):
        mortgages.advance(case, "submitted", days_ago(5), bank=bank().id, note="资料齐全")
    assert case.stage == "submitted" and case.submitted_on == days_ago(5) == case.stage_since
    assert case.bank.name == "中国建设银行" and case.handler.username == "service"
    with as_user(app, "finance"):
        mortgages.advance(case, "approved", days_ago(4), expected_on=clock.local_today() + dt.timedelta(days=20))
        mortgages.advance(case, "registered", days_ago(2))
        mortgages.disburse(case, days_ago(1), "{:,.2f}".format(loan), "CCB-20261126-01")
    assert case.stage == "disbursed" and case.disbursed_on == days_ago(1) and case.disbursed_amount == loan
    receipt = db.session.get(Receipt, case.receipt_id)
    assert receipt.source == "mortgage" and receipt.amount == loan and receipt.payer == "中国建设银行"
    assert receipt.method == "transfer" and receipt.reference == "CCB-20261126-01" and receipt.unallocated == 0
    assert receipt.paid_on == days_ago(1)
    (row,) = loans(deal.id)
    assert row.received == loan and row.outstanding == 0
    notes = [e.data.get("stage") for e in db.session.query(DealEvent).filter_by(deal_id=deal.id)
             if isinstance(e.data, dict) and e.data.get("mortgage_case_id") == case.id]
    assert notes == ["submitted", "approved", "registered", "disbursed"]
    assert mortgages.overdue(case, clock.local_today() + dt.timedelta(days=400)) is False


def test_a_partial_disbursement_leaves_the_rest_owed(app, ctx):
    deal = signed(app, PROVIDENT, 3)
    case = mortgages.case_of(deal.id)
    assert case.kind == "provident" and case.commercial_amount == 0
    walk(app, case)
    with as_user(app, "finance"):
        mortgages.disburse(case, None, case.provident_amount - 100000, "GJJ-1")
    (row,) = loans(deal.id)
    assert row.amount == loan_of(deal.total, 70) == case.provident_amount
    assert row.received == case.provident_amount - 100000 and row.outstanding == D("100000.00")
    assert case.disbursed_on == clock.local_today()


@pytest.mark.parametrize("stage, when, message", [
    ("approved", 3, "skipped|跳过"),                # skipping submitted
    ("submitted", -1, "future|将来|未来|今天|晚于"),           # a date in the future
    ("submitted", 400, "before|早于|之前"),          # before the case was opened
    ("disbursed", 1, "disbursement|放款"),           # the disbursement only through disburse
    ("bogus", 1, "next stage|下一"),
])
def test_bad_advances_change_nothing(app, ctx, stage, when, message):
    deal = signed(app, COMMERCIAL, 4)
    case = opened_ago(mortgages.case_of(deal.id))
    before, stored = case_state(case.id), counts()
    with as_user(app, "finance"), pytest.raises(BusinessError, match=message):
        mortgages.advance(case, stage, clock.local_today() - dt.timedelta(days=when), bank=bank().id)
    db.session.rollback()
    assert case_state(case.id) == before and counts() == stored


def test_submitting_needs_the_bank_and_dates_do_not_go_back(app, ctx):
    deal = signed(app, COMMERCIAL, 5)
    case = opened_ago(mortgages.case_of(deal.id), 20)
    before = case_state(case.id)
    with as_user(app, "finance"), pytest.raises(BusinessError, match="bank|银行"):
        mortgages.advance(case, "submitted", days_ago(10))
    db.session.rollback()
    assert case_state(case.id) == before
    with as_user(app, "finance"):
        mortgages.advance(case, "submitted", days_ago(10), bank=bank().id)
    before = case_state(case.id)
    with as_user(app, "finance"), pytest.raises(BusinessError, match="before|早于|之前"):
        mortgages.advance(case, "approved", days_ago(11))
    db.session.rollback()
    assert case_state(case.id) == before


def test_bad_disbursements_change_nothing(app, ctx):
    deal = signed(app, COMMERCIAL, 6)
    case = mortgages.case_of(deal.id)
    loan = loan_of(deal.total, 30)
    before, stored = case_state(case.id), counts()
    with as_user(app, "finance"), pytest.raises(BusinessError, match="registration|抵押登记"):
        mortgages.disburse(case, days_ago(1), loan, "X")    # not registered yet
    db.session.rollback()
    assert case_state(case.id) == before and counts() == stored
    walk(app, case)
    before, stored = case_state(case.id), counts()
    for amount, day, ref, message in [(loan + D("0.01"), 1, "X", "outstanding|未收"),
                                      ("0", 1, "X", "amount|金额"), ("-5", 1, "X", "amount|金额"),
                                      (loan, -1, "X", "future|将来|未来|今天|晚于"), (loan, 30, "X", "before|早于|之前"),
                                      (loan, 1, "", "reference|流水|凭证")]:
        with as_user(app, "finance"), pytest.raises(BusinessError, match=message):
            mortgages.disburse(case, clock.local_today() - dt.timedelta(days=day), amount, ref)
        db.session.rollback()
        assert case_state(case.id) == before and counts() == stored
    with as_user(app, "finance"):
        mortgages.disburse(case, days_ago(1), loan, "OK-1")
    before, stored = case_state(case.id), counts()
    with as_user(app, "finance"), pytest.raises(BusinessError, match="already|已"):
        mortgages.disburse(case, days_ago(1), "1", "OK-2")
    db.session.rollback()
    assert case_state(case.id) == before and counts() == stored


def test_no_disbursement_on_a_cancelled_deal(app, ctx):
    from app.finance.services import events
    deal = signed(app, COMMERCIAL, 7)
    case = mortgages.case_of(deal.id)
    walk(app, case)
    deal.state = "cancelled"
    events.on_cancelled(deal, None)
    db.session.commit()
    before, stored = case_state(case.id), counts()
    with as_user(app, "finance"), pytest.raises(BusinessError, match="cancel|退|取消"):
        mortgages.disburse(case, days_ago(1), "1000", "X")
    db.session.rollback()
    assert case_state(case.id) == before and counts() == stored
    assert mortgages.overdue(case, clock.local_today() + dt.timedelta(days=400)) is False


def test_case_of_another_salespersons_deal_is_not_found(app, ctx):
    deal = subscribed(app, COMMERCIAL, 8)
    case = mortgages.case_of(deal.id)
    with as_user(app, "sales2"), pytest.raises(mortgages.NotFound):
        mortgages.get_case(case.id)
    with as_user(app, "finance"):
        assert mortgages.get_case(case.id) is case
    with as_user(app, "finance"), pytest.raises(mortgages.NotFound):
        mortgages.get_case("x")


def test_opening_by_hand_for_a_loan_deal_without_a_case(app, ctx):
    deal = signed(app, COMMERCIAL, 9)
    db.session.delete(mortgages.case_of(deal.id))
    db.session.commit()
    with as_user(app, "finance"):
        case = mortgages.open_case(deal)
    assert case.stage == "collecting" and case.commercial_amount == loan_of(deal.total, 30)
    assert case.handler.username == "finance" and case.collecting_on == deal.subscribed_on
    with as_user(app, "finance"), pytest.raises(BusinessError, match="already|已"):
        mortgages.open_case(deal)


def test_overdue_by_the_project_days(app, ctx):
    deal = subscribed(app, COMMERCIAL, 10)
    case = mortgages.case_of(deal.id)
    today = clock.local_today()
    case.stage_since = case.collecting_on = today - dt.timedelta(days=15)
    db.session.commit()
    assert mortgages.overdue(case, today) is False          # 15 days allowed for collecting
    assert mortgages.overdue(case, today + dt.timedelta(days=1)) is True
    assert mortgages.days_in_stage(case, today) == 15
    settings.save(case.project_id, mortgage_stage_days={"collecting": 10})
    assert mortgages.overdue(case, today) is True
    rows, total, _pages = mortgages.page(mortgages.Filters({"overdue": "1", "project": str(case.project_id)}), today)
    assert case.id in [r.case.id for r in rows] and all(r.overdue for r in rows)
    settings.save(case.project_id, mortgage_stage_days={"collecting": 20})
    rows, total, _pages = mortgages.page(mortgages.Filters({"overdue": "1", "project": str(case.project_id)}), today)
    assert case.id not in [r.case.id for r in rows]


def test_the_job_tells_handler_and_finance_once_per_stage(app, ctx):
    deal = signed(app, COMMERCIAL, 11)
    case = mortgages.case_of(deal.id)
    service = app.appbuilder.sm.find_user(username="service")
    finance = app.appbuilder.sm.find_user(username="finance")
    case.stage_since = case.collecting_on = days_ago(16)
    case.handler_id = service.id
    db.session.commit()

    def sent():
        return sorted((n.user_id, n.link) for n in db.session.query(Notification)
                      .filter(Notification.link.like("/finance/mortgages/%d?%%" % case.id)))

    mortgages.notify_overdue()
    first = sent()
    assert (service.id, "/finance/mortgages/%d?overdue=collecting" % case.id) in first
    assert (finance.id, "/finance/mortgages/%d?overdue=collecting" % case.id) in first
    mortgages.notify_overdue()
    assert sent() == first                               # idempotent
    with as_user(app, "finance"):
        mortgages.advance(case, "submitted", days_ago(15), bank=bank().id)   # 15 days > 20? not yet
    mortgages.notify_overdue()
    assert sent() == first
    case.stage_since = case.submitted_on = days_ago(21)
    db.session.commit()
    mortgages.notify_overdue()
    mortgages.notify_overdue()
    again = sent()
    assert len(again) == len(first) * 2
    assert (service.id, "/finance/mortgages/%d?overdue=submitted" % case.id) in again


def test_list_filters_and_queries(app, ctx):
    a = signed(app, COMMERCIAL, 12)
    b = signed(app, COMBINED, 13)
    ca, cb = mortgages.case_of(a.id), mortgages.case_of(b.id)
    walk(app, cb, "submitted")
    with as_user(app, "finance"):
        rows, total, _ = mortgages.page(mortgages.Filters({"stage": "submitted"}))
        assert cb.id in [r.case.id for r in rows] and ca.id not in [r.case.id for r in rows]
        rows, total, _ = mortgages.page(mortgages.Filters({"bank": str(bank().id)}))
        assert [r.case.id for r in rows if r.case.id in (ca.id, cb.id)] == [cb.id]
        rows, total, _ = mortgages.page(mortgages.Filters({"bank": "x", "stage": "nope", "page": "-3"}))
        assert {ca.id, cb.id} <= {r.case.id for r in rows}
        row = next(r for r in rows if r.case.id == cb.id)
        assert row.bank == "中国建设银行" and row.room_code == b.room.code and row.buyers
        statements = []

        def count(*_args, **_kwargs):
            statements.append(1)
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            mortgages.page(mortgages.Filters({}))
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        assert len(statements) <= 6


def test_a_voided_disbursement_receipt_reopens_the_case_and_a_reissued_one_is_followed(app, ctx):
    from app.finance.services import receipts
    deal = signed(app, COMMERCIAL, 14)
    case = mortgages.case_of(deal.id)
    loan = loan_of(deal.total, 30)
    walk(app, case)
    with as_user(app, "finance"):
        mortgages.disburse(case, days_ago(2), loan, "R-1")
        first = db.session.get(Receipt, case.receipt_id)
        new = receipts.reissue(first, "银行名称写错", payer="中国建设银行广州分行", paid_on=days_ago(1))
    assert case.stage == "disbursed" and case.receipt_id == new.id and case.disbursed_on == days_ago(1)
    with as_user(app, "finance"):
        receipts.void(new, "银行退回")
    assert case.stage == "registered" and case.receipt_id is None and case.disbursed_amount is None
    assert case.stage_since == case.registered_on
    (row,) = loans(deal.id)
    assert row.received == 0
    with as_user(app, "finance"):
        mortgages.disburse(case, days_ago(1), loan, "R-2")
    assert case.stage == "disbursed" and loans(deal.id)[0].outstanding == 0
