"""Builders for the finance tests: subscribed and signed deals on rooms of 云璟花园 (GZ-YJ, which
the demo sales history leaves alone), their receivables and receipts."""
import datetime as dt

import sqlalchemy as sa

from app.core import clock
from app.extensions import db
from app.finance.models import Receipt, ReceiptAllocation, Receivable, Refund
from app.sales.services import deals
from tests.sales.deal_helpers import available_rooms, customers_of  # noqa: F401
from tests.sales.helpers import D, plan  # noqa: F401
from tests.crm.helpers import as_user  # noqa: F401

CASH_PLAN = "一次性付款"


def subscribed(app, plan_name=CASH_PLAN, n=0, salesperson="sales", number="E1003"):
    """A deal subscribed by the demo salesperson 林晓燕 on the n-th available room of 云璟花园."""
    room = available_rooms(n + 1)[n]
    with as_user(app, salesperson):
        return deals.subscribe(room, [(customers_of(number, n + 1)[n], None)], plan(plan_name))


def signed(app, plan_name=CASH_PLAN, n=0):
    deal = subscribed(app, plan_name, n)
    with as_user(app, "sales"):
        return deals.sign(deal, filing_no="440101-2026-%06d" % deal.id, filed_on=clock.local_today())


def receivables_of(deal_id, status="open"):
    query = db.session.query(Receivable).filter(Receivable.deal_id == deal_id)
    if status:
        query = query.filter(Receivable.status == status)
    return query.order_by(Receivable.collected_for_others, Receivable.position, Receivable.id) \
        .populate_existing().all()


def price_rows(deal_id):
    return [r for r in receivables_of(deal_id) if not r.collected_for_others]


def fee_rows(deal_id):
    return [r for r in receivables_of(deal_id) if r.collected_for_others]


def counts():
    """Receivables, receipts, allocations, refunds stored: a refusal leaves them as they were."""
    return tuple(db.session.query(sa.func.count(m.id)).scalar()
                 for m in (Receivable, Receipt, ReceiptAllocation, Refund))


def days_ago(n):
    return clock.local_today() - dt.timedelta(days=n)
