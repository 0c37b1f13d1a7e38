"""Late fees (滞纳金): the rule of app/finance/services/late_fees.py checked on hand-computed cases.

Each case arranges one receivable of ¥100,000.00 (the deal's other receivables due in the future),
the default rate 0.05% a day, no grace days unless said: one day of delay costs ¥50.00. T is
today, today-inclusive: a receivable due 10 days ago is 10 days late today."""
import sqlalchemy as sa

from app.extensions import db
from app.finance.models import Receivable
from app.finance.services import late_fees, receipts, settings as finance_settings
from app.jobs.services import registry
from tests.finance.helpers import D, as_user, days_ago, receivables_of, signed


def overdue(app, n=0, amount="100000.00", days=10, fee_group=False):
    """A signed deal whose first 楼款 (or 代收费用) receivable asks `amount`, due `days` ago."""
    deal = signed(app, n=n)
    rows = receivables_of(deal.id)
    target = [r for r in rows if r.collected_for_others == fee_group][0]
    for r in rows:
        r.due_date = days_ago(-90)
    target.amount = D(amount)
    target.due_date = days_ago(days)
    db.session.commit()
    return deal, target


def fee_of(receivable):
    return (db.session.query(Receivable).filter(Receivable.source_id == receivable.id,
                                                Receivable.kind == "late_fee").populate_existing().one_or_none())


def pay(app, deal, receivable, amount, paid_on):
    with as_user(app, "finance"):
        return receipts.receive(deal, amount, "transfer", paid_on=paid_on, allocations={receivable.id: amount})


def test_ten_days_overdue_at_005_percent_is_500_yuan(app, ctx):
    deal, r = overdue(app)
    result = late_fees.compute_all()
    fee = fee_of(r)
    assert fee.amount == D("500.00")
    assert fee.due_date == days_ago(0) and fee.computed_through == days_ago(0)
    assert fee.deal_id == deal.id and fee.collected_for_others is False and fee.status == "open"
    assert any(w in fee.label for w in ("滞纳金", "Late fee")) and r.label in fee.label
    assert result["created"] >= 1


def test_fee_on_a_fee_collected_for_others_stays_in_that_group(app, ctx):
    _deal, r = overdue(app, amount="20000.00", days=4, fee_group=True)
    late_fees.compute_all()
    fee = fee_of(r)
    assert fee.amount == D("40.00") and fee.collected_for_others is True  # 20,000 × 0.05% × 4


def test_partial_payment_midway_is_charged_on_what_is_left(app, ctx):
    deal, r = overdue(app)
    # Days −9 … −5 on ¥100,000 (5 × 50 = 250), then ¥40,000 paid 4 days ago: days −4 … 0 on
    # ¥60,000 (5 × 30 = 150). The receipt recomputes the deal at once.
    pay(app, deal, r, "40000.00", days_ago(4))
    assert fee_of(r).amount == D("400.00")
    late_fees.compute_all()
    assert fee_of(r).amount == D("400.00")


def test_grace_days(app, ctx):
    deal, r = overdue(app)
    finance_settings.save(deal.project_id, grace_days=3)
    late_fees.compute_all()
    assert fee_of(r).amount == D("350.00")  # days −6 … 0: 7 × 50


def test_within_the_grace_days_there_is_no_fee(app, ctx):
    deal, r = overdue(app, days=3)
    finance_settings.save(deal.project_id, grace_days=3)
    late_fees.compute_all()
    assert fee_of(r) is None


def test_a_missed_day_and_twice_the_same_day_give_the_same_figures(app, ctx):
    _deal, r = overdue(app)
    late_fees.compute_all(today=days_ago(3))
    assert fee_of(r).amount == D("350.00") and fee_of(r).computed_through == days_ago(3)
    late_fees.compute_all()  # the job did not run for two days
    assert fee_of(r).amount == D("500.00")
    late_fees.compute_all()
    late_fees.compute_all()
    assert fee_of(r).amount == D("500.00")
    assert db.session.query(Receivable).filter(Receivable.source_id == r.id).count() == 1


def test_paid_late_then_the_fee_is_frozen_and_a_void_brings_it_back(app, ctx):
    deal, r = overdue(app)
    receipt = pay(app, deal, r, "100000.00", days_ago(3))
    assert fee_of(r).amount == D("300.00")  # days −9 … −4
    late_fees.compute_all()
    late_fees.compute_all(today=days_ago(-5))  # five days later: nothing more
    assert fee_of(r).amount == D("300.00")
    with as_user(app, "finance"):
        receipts.void(receipt, "退票")
    assert fee_of(r).amount == D("500.00")  # as if never paid


def test_paid_before_it_was_due_costs_nothing(app, ctx):
    deal, r = overdue(app)
    pay(app, deal, r, "100000.00", days_ago(10))  # paid on the due date
    late_fees.compute_all()
    assert fee_of(r) is None


def test_rounded_once_to_the_fen_at_the_end(app, ctx):
    _deal, r = overdue(app, amount="33.33", days=3)
    late_fees.compute_all()
    # 33.33 × 0.0005 = 0.016665 a day; × 3 = 0.049995 → ¥0.05 (rounding each day would give 0.06)
    assert fee_of(r).amount == D("0.05")


def test_a_waiver_is_kept_when_the_fee_is_recomputed(app, ctx):
    _deal, r = overdue(app)
    late_fees.compute_all(today=days_ago(1))
    fee = fee_of(r)
    assert fee.amount == D("450.00")
    fee.adjusted = D("-450.00")  # an approved adjustment (waiver)
    db.session.commit()
    late_fees.compute_all()
    fee = fee_of(r)
    assert fee.amount == D("500.00") and fee.adjusted == D("-450.00") and fee.outstanding == D("50.00")


def test_a_closed_receivable_is_not_charged(app, ctx):
    _deal, r = overdue(app)
    r.status = "closed"
    db.session.commit()
    late_fees.compute_all()
    assert fee_of(r) is None


def test_fee_for_the_rule_itself():
    import datetime as dt
    due = dt.date(2026, 1, 1)
    # 100,000 due 1 Jan, 30,000 paid on 6 Jan, computed through 10 Jan, grace 2 days:
    # days 4–5 Jan on 100,000 (2 × 50), days 6–10 Jan on 70,000 (5 × 35) = 100 + 175
    assert late_fees.fee_for(D("100000"), due, 2, D("0.0005"), [(dt.date(2026, 1, 6), D("30000"))],
                             dt.date(2026, 1, 10)) == D("275.00")
    assert late_fees.fee_for(D("100000"), due, 0, D("0.0005"), [], due) == D("0.00")


def test_compute_all_uses_a_fixed_number_of_statements(app, ctx):
    overdue(app, n=0)
    statements = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        late_fees.compute_all()
        first = len(statements)
        statements.clear()
        overdue(app, n=1)
        overdue(app, n=2)
        statements.clear()
        late_fees.compute_all()
        second = len(statements)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert second <= first + 1 and second < 12


def test_job_and_receipt_hook_are_registered_once(app):
    assert registry.get_job("finance_late_fees") is not None
    assert receipts.AFTER_CHANGE.count(late_fees.after_receipt_change) == 1
