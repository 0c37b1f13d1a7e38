"""The finance demo (app/finance/demo.py) on the demo sales history: receipts numbered without
gaps, figures that reconcile, overdue buyers, a void and a reissued receipt, mortgage cases along
the stages with one disbursed, and the day's receipts for the cash report."""
import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.finance.models import MortgageCase, Receipt, ReceiptAllocation, Receivable
from app.finance.services import cash_report
from app.inventory.models import Project
from app.sales.models import Deal


def _project_ids():
    return {code: pid for pid, code in db.session.query(Project.id, Project.code)
            .filter(Project.code.in_(("HZ-JY", "SZ-HY")))}


def test_receipts_are_numbered_without_gaps(app, ctx):
    projects = _project_ids()
    for code, pid in projects.items():
        rows = db.session.query(Receipt.seq, Receipt.number).filter(Receipt.project_id == pid) \
            .order_by(Receipt.seq).all()
        assert len(rows) >= 5, code
        assert [s for s, _n in rows] == list(range(1, len(rows) + 1))
        assert all(n == "%s-SK-%06d" % (code, s) for s, n in rows)
    statuses = dict(db.session.query(Receipt.status, sa.func.count(Receipt.id)).group_by(Receipt.status).all())
    assert statuses.get("void") == 1 and statuses.get("reissued") == 1 and statuses["valid"] >= 15
    reissued = db.session.query(Receipt).filter_by(status="reissued").one()
    new = db.session.query(Receipt).filter_by(reissue_of_id=reissued.id).one()
    assert new.status == "valid" and new.amount == reissued.amount and new.payer != reissued.payer


def test_every_figure_reconciles(app, ctx):
    assert cash_report.check_integrity() == []
    # The same, said by hand: each receivable received what the valid receipts allocated to it,
    # each receipt is its allocations and its advance payment.
    allocated, parts = {}, {}
    for a in db.session.query(ReceiptAllocation).join(Receipt, Receipt.id == ReceiptAllocation.receipt_id):
        parts[a.receipt_id] = parts.get(a.receipt_id, 0) + a.amount
        if a.receipt.status == "valid":
            allocated[a.receivable_id] = allocated.get(a.receivable_id, 0) + a.amount
    for r in db.session.query(Receivable):
        assert r.received == allocated.get(r.id, 0), r.label
    for receipt in db.session.query(Receipt):
        assert receipt.amount == parts.get(receipt.id, 0) + receipt.unallocated, receipt.number


def test_some_buyers_are_overdue(app, ctx):
    today = clock.local_today()
    overdue = (db.session.query(Receivable.deal_id).filter(
        Receivable.status == "open", Receivable.kind != "late_fee", Receivable.due_date < today,
        Receivable.amount + Receivable.adjusted - Receivable.received > 0).distinct().all())
    assert len(overdue) >= 3
    # and the late fees of the daily job are there already
    assert db.session.query(Receivable).filter(Receivable.kind == "late_fee", Receivable.amount > 0).count() >= 2


def test_mortgage_cases_along_the_stages(app, ctx):
    cases = db.session.query(MortgageCase).join(Deal, Deal.id == MortgageCase.deal_id) \
        .filter(Deal.state == "active").all()
    assert {"collecting", "submitted", "approved", "disbursed"} <= {c.stage for c in cases}
    disbursed = next(c for c in cases if c.stage == "disbursed")
    assert disbursed.registered_on and disbursed.approved_on and disbursed.submitted_on
    receipt = disbursed.receipt
    assert receipt.source == "mortgage" and receipt.amount == disbursed.disbursed_amount
    loans = db.session.query(Receivable).filter_by(deal_id=disbursed.deal_id, kind="loan", status="open").all()
    assert loans and all(r.outstanding == 0 for r in loans)


def test_todays_report_has_receipts(app, ctx):
    data = cash_report.report(cash_report.Filters({}))
    assert data["total"]["count"] >= 3 and {r["code"] for r in data["by_project"]} == {"HZ-JY", "SZ-HY"}
    assert data["total"]["advance"] > 0 and data["total"]["fees"] > 0
    assert sum(r["amount"] for r in data["receipts"] if r["valid"]) == data["total"]["amount"]
