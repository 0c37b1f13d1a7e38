"""Two cashiers receiving on the same deal at the same instant (two threads, each with its own
application context, session and login): both receipts go through, with consecutive numbers, and
the deal's balances add up — on SQLite (one writer at a time) and PostgreSQL (the project's
receipt counter row lock)."""
import threading

from app.extensions import db
from app.finance.models import Receipt, ReceiptAllocation
from app.finance.services import receipts
from app.sales.services import deals
from tests.finance.helpers import D, price_rows, signed
from tests.sales.deal_helpers import as_user

INSTALMENTS = "分期付款"
CASHIERS = ("finance", "admin")


def race(app, jobs):
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, username, job):
        with app.app_context(), as_user(app, username) as user:
            try:
                db.session.commit()
                barrier.wait(30)
                results[i] = ("ok", job(user))
            except Exception as e:  # noqa: BLE001 - the test reports it
                db.session.rollback()
                results[i] = ("error", repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, u, job)) for i, (u, job) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    return results


def receive_job(deal_id, amount, method):
    def job(user):
        receipt = receipts.receive(deals.get_deal(deal_id, user), amount, method, user=user)
        return receipt.id, receipt.seq
    return job


def test_two_cashiers_at_the_same_instant(app, ctx):
    deal = signed(app, INSTALMENTS, n=0)
    deal_id = deal.id
    for round_ in range(3):
        results = race(app, [(CASHIERS[0], receive_job(deal_id, "30000.00", "cash")),
                             (CASHIERS[1], receive_job(deal_id, "30000.00", "pos"))])
        assert all(kind == "ok" for kind, _v in results), results
        seqs = sorted(seq for _k, (_id, seq) in results)
        assert seqs[1] == seqs[0] + 1
    db.session.expire_all()
    rows = db.session.query(Receipt).filter_by(deal_id=deal_id).order_by(Receipt.seq).all()
    assert [r.seq for r in rows] == list(range(rows[0].seq, rows[0].seq + 6))
    assert len({r.number for r in rows}) == 6
    # 6 × 30,000 = 180,000: the 定金 50,000 paid, 130,000 on the 首期款 (1,942,480)
    price = price_rows(deal_id)
    assert price[0].received == D("50000.00") and price[1].received == D("130000.00")
    assert price[1].outstanding == D("1812480.00")
    allocated = db.session.query(db.func.sum(ReceiptAllocation.amount)).filter(
        ReceiptAllocation.receipt_id.in_([r.id for r in rows])).scalar()
    assert allocated == D("180000.00") == sum(r.received for r in price)
