"""Demo sales history: deals at every stage in 滨江锦园 (HZ-JY, 钱芳's customers) and 海悦中心
(SZ-HY, 周杰's customers), made through the deal services for those salespeople so that the
rooms, opportunities, timelines and subscription/contract numbers are what the application
itself writes:

- holds (预留) and bookings (小定), one booking grown from a hold;
- subscriptions (认购), one overdue for signing;
- signed contracts (签约): one filed online (网签备案), one just signed, and one signed 45 days
  ago and still not filed (its dates are moved back after signing, since a subscription is
  entered at most 30 days back);
- a hold released by hand, and a subscription cancelled through approval (requested by the
  sales manager 陈志明, approved by the administrator) with a refund for finance.
The daily jobs then flag the overdue signing and filing. 云璟花园 is left alone."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app

from app.core import clock
from app.core.context import acting_as
from app.core.models import LookupValue
from app.crm.models import Customer, Opportunity
from app.extensions import db
from app.inventory.models import Project, Room
from app.org.models import Employee
from app.sales.models import DealEvent, DealPayment, PaymentPlan

# project -> (its salesperson, [(story, payment plan)]): each story is one deal.
HISTORY = {
    "HZ-JY": ("E1012", [
        ("held", None), ("held_week", None), ("booked_from_hold", None), ("booked", None),
        ("subscribed", "商业按揭 首付30%"), ("sign_overdue", "一次性付款"), ("signed_filed", "公积金贷款 首付70%"),
        ("signed_not_filed", "一次性付款"), ("signed_recent", "组合贷款 首付30%"), ("released", None),
        ("cancelled", "商业按揭 首付30%"),
    ]),
    "SZ-HY": ("E1009", [
        ("held", None), ("booked", None), ("subscribed", "分期付款"), ("sign_overdue", "商业贷款 首付50%"),
        ("signed_filed", "一次性付款"), ("released", None),
    ]),
}
NOTES = {"released": "客户改看其他楼盘，释放房源", "booked": "客户已交小定金，周末带家人来定户型"}


def _at(day, hour):
    """A local wall-clock moment of `day` as stored (naive UTC)."""
    local = dt.datetime.combine(day, dt.time(hour)).replace(tzinfo=clock.zone())
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def _customers(project, employee, n):
    """The salesperson's customers still only interested in the project (not already buying),
    who pay the list price."""
    ids = [c for (c,) in db.session.query(Customer.id).join(
        Opportunity, (Opportunity.customer_id == Customer.id) & (Opportunity.project_id == project.id))
        .outerjoin(LookupValue, LookupValue.id == Customer.source_id)
        # 老带新 customers get a referral discount of their own: beyond what the demo may give.
        .filter(Customer.owner_id == employee.id, Opportunity.stage.in_(("potential", "intent")),
                sa.or_(LookupValue.name.is_(None), LookupValue.name != "老带新"))
        .order_by(Customer.id).limit(n)]
    return [db.session.get(Customer, c) for c in ids]


def _rooms(project, n):
    """n available rooms with a price, spread over the project's buildings and floors (none on the
    lowest floors of the first building)."""
    ids = [r for (r,) in db.session.query(Room.id).filter(Room.project_id == project.id, Room.status == "available",
                                                          Room.list_total_price > 0).order_by(Room.id)]
    if len(ids) > n:
        step = len(ids) // n
        ids = [ids[(step // 2 + i * step + i * 7) % len(ids)] for i in range(n)]
    return [db.session.get(Room, r) for r in ids]


def _plan(project, name):
    return (db.session.query(PaymentPlan).filter_by(project_id=project.id, name=name).first()
            or db.session.query(PaymentPlan).filter_by(project_id=project.id, kind="full").first())


def _backdate(deal, days):
    """Move a signed deal's history back by `days` (subscription, contract, filing deadline,
    schedule and timeline together)."""
    delta = dt.timedelta(days=days)
    for name in ("subscribed_on", "sign_by", "signed_on", "filing_due"):
        if getattr(deal, name) is not None:
            setattr(deal, name, getattr(deal, name) - delta)
    deal.created_at -= delta
    for payment in db.session.query(DealPayment).filter_by(deal_id=deal.id):
        if payment.due_date is not None:
            payment.due_date -= delta
    for ev in db.session.query(DealEvent).filter_by(deal_id=deal.id):
        ev.at -= delta


def _timeline(deal, moments):
    """Give the deal's events the moments they happened at (action -> stored moment, see _at)."""
    for ev in db.session.query(DealEvent).filter_by(deal_id=deal.id):
        if ev.action in moments:
            ev.at = moments[ev.action]
    first = min(moments.values())
    deal.created_at = min(deal.created_at, first)
    if deal.held_at is not None and "hold" in moments:
        deal.hold_until = moments["hold"] + (deal.hold_until - deal.held_at)
        deal.held_at = moments["hold"]


def _story(story, room, customer, employee, plan, today):
    from app.sales.services import deals
    policies = []  # at list price: a discount would need a login's authority
    day = lambda n: today - dt.timedelta(days=n)  # noqa: E731
    note = NOTES.get(story)
    if story == "held":
        deal = deals.hold(room, customer, employee=employee, hours=48, commit=False)
    elif story == "held_week":
        deal = deals.hold(room, customer, employee=employee, hours=24 * 7, note="客户出差，回来后再定", commit=False)
    elif story == "booked_from_hold":
        deals.hold(room, customer, employee=employee, hours=72, commit=False)
        deal = deals.book(room, customer, "20000", employee=employee, days=7, commit=False)
        _timeline(deal, {"hold": _at(day(2), 15), "book": _at(day(1), 11)})
        deal.booked_on, deal.booking_until = day(1), day(1) + dt.timedelta(days=7)
    elif story == "booked":
        deal = deals.book(room, customer, "10000", employee=employee, days=7, note=note, commit=False)
        _timeline(deal, {"book": _at(day(3), 14)})
        deal.booked_on, deal.booking_until = day(3), day(3) + dt.timedelta(days=7)
    elif story in ("subscribed", "cancelled"):
        deal = deals.subscribe(room, [(customer, None)], plan, policies, employee=employee, on=day(6), commit=False)
        _timeline(deal, {"subscribe": _at(day(6), 16)})
    elif story == "sign_overdue":
        deal = deals.subscribe(room, [(customer, None)], plan, policies, employee=employee, on=day(20),
                               sign_by=day(6), commit=False)
        _timeline(deal, {"subscribe": _at(day(20), 11)})
    elif story == "signed_filed":
        deal = deals.subscribe(room, [(customer, None)], plan, policies, employee=employee, on=day(25), commit=False)
        deals.sign(deal, signed_on=day(18), commit=False)
        area = "330108" if room.project.code == "HZ-JY" else "440305"
        deals.record_filing(deal, "%s-2026-%06d" % (area, 4000 + deal.id), day(11), commit=False)
        _timeline(deal, {"subscribe": _at(day(25), 10), "sign": _at(day(18), 15), "file": _at(day(11), 9)})
    elif story == "signed_not_filed":
        deal = deals.subscribe(room, [(customer, None)], plan, policies, employee=employee, on=day(22), commit=False)
        deals.sign(deal, signed_on=day(16), commit=False)
        _timeline(deal, {"subscribe": _at(day(22), 10), "sign": _at(day(16), 16)})
        _backdate(deal, 29)  # signed 45 days ago: the 30 days for the online filing have passed
    elif story == "signed_recent":
        deal = deals.subscribe(room, [(customer, None)], plan, policies, employee=employee, on=day(9), commit=False)
        deals.sign(deal, signed_on=day(2), commit=False)
        _timeline(deal, {"subscribe": _at(day(9), 14), "sign": _at(day(2), 10)})
    elif story == "released":
        deal = deals.hold(room, customer, employee=employee, hours=24, commit=False)
        deals.release(deal, note=note, commit=False)
        _timeline(deal, {"hold": _at(day(4), 10), "release": _at(day(3), 17)})
        deal.ended_at = _at(day(3), 17)
    else:
        raise ValueError(story)
    db.session.commit()
    return deal


def _cancel(deal):
    """退房 through approval: the manager asks, the administrator approves; the deposit is refunded."""
    from app.core.services import approvals
    from app.sales.services import deal_changes
    sm = current_app.appbuilder.sm
    manager, admin = sm.find_user(username="manager"), sm.find_user(username="admin")
    reason = db.session.query(LookupValue).filter_by(list_code="cancel_reason", name="贷款未获批").first()
    if manager is None or admin is None or reason is None:
        return
    with acting_as(manager):
        req = deal_changes.request_cancel(deal, reason.id, deal.deposit, note="银行审批未通过，客户申请退房",
                                          user=manager)
    with acting_as(admin):
        approvals.approve(req.id, admin, "同意退还定金")
    db.session.commit()


def load():
    """The demo's deals (after the projects, plans, permissions and customers exist)."""
    from app.sales.services import deals
    today = clock.local_today()
    for code, (number, stories) in HISTORY.items():
        project = db.session.query(Project).filter_by(code=code).first()
        employee = db.session.query(Employee).filter_by(number=number).first()
        if project is None or employee is None:
            continue
        customers = _customers(project, employee, len(stories))
        rooms = _rooms(project, len(stories))
        with acting_as(name=employee.name):
            for (story, plan_name), room, customer in zip(stories, rooms, customers):
                plan = _plan(project, plan_name) if plan_name else None
                deal = _story(story, room, customer, employee, plan, today)
                if story == "cancelled":
                    _cancel(deal)
    with acting_as(name="demo"):
        # What the daily jobs would have said by now.
        deals.flag_sign_overdue(today)
        deals.flag_filing_overdue(today)
    db.session.commit()
