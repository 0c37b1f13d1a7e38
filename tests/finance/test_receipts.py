"""Receivables from the schedule, receiving with allocation, void and reissue (the services)."""
import pytest

from app.core.errors import BusinessError
from app.extensions import db
from app.finance.models import Receipt
from app.finance.services import receipts, receivables
from app.sales.models import DealPayment
from tests.finance.helpers import D, as_user, counts, days_ago, fee_rows, price_rows, receivables_of, signed, subscribed


def test_subscription_makes_the_receivables_of_its_schedule(app, ctx):
    deal = subscribed(app)
    schedule = db.session.query(DealPayment).filter_by(deal_id=deal.id).order_by(DealPayment.position).all()
    rows = receivables_of(deal.id)
    assert [(r.kind, r.label, r.amount, r.due_date, r.collected_for_others) for r in rows] == sorted(
        [(p.kind, p.label, p.amount, p.due_date, p.collected_for_others) for p in schedule],
        key=lambda t: t[4])
    assert sum(r.amount for r in price_rows(deal.id)) == deal.total
    assert all(r.received == 0 for r in rows)


def test_receive_oldest_first_and_numbers_are_gapless(app, ctx):
    deal = signed(app)
    price = price_rows(deal.id)
    first = price[0]
    with as_user(app, "finance"):
        r1 = receipts.receive(deal, first.amount + D("100.00"), "transfer", paid_on=days_ago(1), reference="TX1")
        r2 = receipts.receive(deal, "200", "cash")
    assert r2.seq == r1.seq + 1 and r1.number.endswith("%06d" % r1.seq)
    price = price_rows(deal.id)
    assert price[0].received == first.amount and price[0].outstanding == 0
    assert price[1].received == D("300.00")
    assert r1.payer and r1.unallocated == 0


def test_bad_receipts_change_nothing(app, ctx):
    deal = signed(app)
    other = signed(app, n=1)
    owed = sum(r.outstanding for r in receivables_of(deal.id))
    before = counts()
    with as_user(app, "finance"):
        for kwargs, words in (
                ({"amount": "0", "method": "cash"}, ("amount", "金额")),
                ({"amount": "-5", "method": "cash"}, ("amount", "金额")),
                ({"amount": "1.234", "method": "cash"}, ("amount", "金额")),
                ({"amount": "10", "method": "barter"}, ("paid", "方式")),
                ({"amount": "10", "method": "cash", "paid_on": days_ago(-1)}, ("future", "未来")),
                ({"amount": str(owed + 1), "method": "cash"}, ("advance", "预收")),
                ({"amount": "10", "method": "cash", "allocations": {price_rows(other.id)[0].id: "10"}},
                 ("another deal", "其他交易")),
        ):
            with pytest.raises(BusinessError) as refused:
                receipts.receive(deal, **kwargs)
            assert any(w in str(refused.value) for w in words), str(refused.value)
            db.session.rollback()
    assert counts() == before


def test_surplus_as_advance_payment(app, ctx):
    deal = signed(app)
    owed = sum(r.outstanding for r in receivables_of(deal.id))
    with as_user(app, "finance"):
        receipt = receipts.receive(deal, owed + D("50"), "pos", advance=True)
    assert receipt.unallocated == D("50.00")
    assert all(r.outstanding == 0 for r in receivables_of(deal.id))


def test_void_and_reissue(app, ctx):
    deal = signed(app)
    with as_user(app, "finance"):
        receipt = receipts.receive(deal, "1000", "cash")
        target = price_rows(deal.id)[0]
        assert target.received == D("1000.00")
        new = receipts.reissue(receipt, "付款人写错", payer="王五")
        assert new.reissue_of_id == receipt.id and new.payer == "王五" and new.number != receipt.number
        assert price_rows(deal.id)[0].received == D("1000.00")
        with pytest.raises(BusinessError):
            receipts.void(receipt, "重复")
        db.session.rollback()
        receipts.void(new, "收错了")
        assert price_rows(deal.id)[0].received == 0
        with pytest.raises(BusinessError):
            receipts.void(new, "again")
        db.session.rollback()
    assert db.session.get(Receipt, new.id).status == "void"
    assert db.session.query(Receipt).filter(Receipt.deal_id == deal.id).count() == 2


def test_signing_keeps_what_was_received(app, ctx):
    deal = subscribed(app)
    with as_user(app, "finance"):
        receipts.receive(deal, "5000", "cash")
    with as_user(app, "sales"):
        from app.sales.services import deals
        from app.core import clock
        deals.sign(deal, filing_no="F-%d" % deal.id, filed_on=clock.local_today())
    rows = receivables_of(deal.id)
    assert sum(r.received for r in rows) == D("5000.00")
    assert sum(r.amount for r in rows if not r.collected_for_others) == deal.total
    assert receivables.totals(rows)[False]["received"] == D("5000.00")


def test_a_bookings_money_pays_the_deposit_once_subscribed(app, ctx):
    from app.sales.services import deals
    from tests.finance.helpers import available_rooms, customers_of, plan
    room = available_rooms(1)[0]
    customer = customers_of("E1003", 1)[0]
    with as_user(app, "sales"):
        deal = deals.book(room, customer, "5000")
    with as_user(app, "finance"):
        receipt = receipts.receive(deal, "5000", "wechat", advance=True)
    assert receipt.unallocated == D("5000.00") and receivables_of(deal.id) == []
    with as_user(app, "sales"):
        deals.subscribe(room, [(customer, None)], plan("一次性付款"))
    rows = price_rows(deal.id)
    assert sum(r.received for r in rows) == D("5000.00") and rows[0].kind == "deposit"
    assert db.session.get(Receipt, receipt.id).unallocated == 0
