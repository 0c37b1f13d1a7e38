"""The deal lifecycle's services: hold, booking, subscription, contract, release, the jobs, and
the refusals that leave everything as it was."""
import datetime as dt

import pytest

from app.core import clock
from app.core.errors import BusinessError
from app.core.models import Notification
from app.core.models.base import utcnow
from app.extensions import db
from app.sales.models import Deal, DealPayment
from app.sales.services import deals
from tests.sales.deal_helpers import (
    D, as_user, available_rooms, counts, customers_of, deals_on, employee, events, opportunity_stage, plan,
    revoke_all, status)


def test_hold_then_book_then_subscribe_then_sign(app, ctx):
    room = available_rooms()[0]
    customer = customers_of("E1003")[0]
    with as_user(app, "sales"):
        deal = deals.hold(room, customer)
        assert status(room.id) == "held" and deal.stage == "held"
        assert deal.hold_until - deal.held_at == dt.timedelta(hours=room.project.hold_hours)
        assert opportunity_stage(customer.id, room.project_id) == "reserved"
        deals.book(room, customer, "5,000")
        assert status(room.id) == "booked" and deal.booking_amount == D("5000.00")
        assert deal.booking_until == clock.local_today() + dt.timedelta(days=room.project.booking_days)
        deals.subscribe(room, [(customer, None)], plan("一次性付款"))
        assert status(room.id) == "subscribed"
        assert deal.total == D(room.list_total_price).quantize(D("1")) or deal.total > 0
        assert deal.subscription_no.startswith("GZ-YJ-RG-")
        assert opportunity_stage(customer.id, room.project_id) == "subscribed"
        payments = db.session.query(DealPayment).filter_by(deal_id=deal.id, collected_for_others=False).all()
        assert sum(p.amount for p in payments) == deal.total
        deals.sign(deal, filing_no="440101-2026-000123", filed_on=clock.local_today())
        assert status(room.id) == "signed" and deal.stage == "signed"
        assert deal.contract_no.startswith("GZ-YJ-HT-")
        assert deal.filing_due == clock.local_today() + dt.timedelta(days=30)
        assert opportunity_stage(customer.id, room.project_id) == "signed"
    assert events(deal.id) == ["hold", "book", "subscribe", "sign"]
    assert len(deals_on(room.id, "active")) == 1


def test_contract_numbers_are_gapless_per_project(app, ctx):
    rooms = available_rooms(3)
    customer = customers_of("E1003")[0]
    numbers = []
    with as_user(app, "sales"):
        for r in rooms:
            deal = deals.subscribe(r, [(customer, None)], plan("一次性付款"))
            deals.sign(deal)
            numbers.append(int(deal.contract_no.rsplit("-", 1)[1]))
    assert numbers == list(range(numbers[0], numbers[0] + 3))


def test_a_held_room_is_refused_to_anyone_else_with_who_has_it(app, ctx):
    room = available_rooms()[0]
    with as_user(app, "sales"):
        deals.hold(room, customers_of("E1003")[0])
    before = counts()
    with as_user(app, "sales2"), pytest.raises(deals.Taken) as refused:
        deals.subscribe(room, [(customers_of("E1006")[0], None)], plan("一次性付款"))
    assert "林晓燕" in str(refused.value)
    assert counts() == before and status(room.id) == "held"


def test_only_the_holds_customer_can_book_it(app, ctx):
    room = available_rooms()[0]
    first, second = customers_of("E1003", 2)
    with as_user(app, "sales"):
        deals.hold(room, first)
        with pytest.raises(BusinessError) as refused:
            deals.book(room, second, 5000)
    assert first.name in str(refused.value) and status(room.id) == "held"


def test_release_and_expiry_make_the_room_available(app, ctx):
    one, two = available_rooms(2)
    customer = customers_of("E1003")[0]
    with as_user(app, "sales"):
        a = deals.hold(one, customer)
        b = deals.hold(two, customer)
        deals.release(a, note="客户改期")
    assert status(one.id) == "available" and a.state == "released"
    db.session.query(Deal).filter_by(id=b.id).update({"hold_until": utcnow() - dt.timedelta(minutes=1)})
    db.session.commit()
    assert deals.expire_holds() == 1
    assert deals.expire_holds() == 0
    assert status(two.id) == "available" and db.session.get(Deal, b.id).state == "released"
    assert events(b.id) == ["hold", "expire"]
    assert db.session.query(Notification).filter(Notification.title.contains(two.code)).count() >= 1


def test_expired_bookings_are_flagged_once_not_released(app, ctx):
    room = available_rooms()[0]
    with as_user(app, "sales"):
        deal = deals.book(room, customers_of("E1003")[0], 2000, days=1)
    later = clock.local_today() + dt.timedelta(days=3)
    assert deals.flag_expired_bookings(later) == 1
    assert deals.flag_expired_bookings(later) == 0
    assert status(room.id) == "booked" and events(deal.id) == ["book", "booking_expired"]
    managers = deals.manager_user_ids(employee("E1003"))
    assert employee("E1002").user_id in managers


def test_signing_overdue_is_notified_daily(app, ctx):
    room = available_rooms()[0]
    with as_user(app, "sales"):
        deal = deals.subscribe(room, [(customers_of("E1003")[0], None)], plan("一次性付款"))
    day = deal.sign_by + dt.timedelta(days=2)
    # The demo's subscriptions overdue by then are notified too.
    others = db.session.query(Deal).filter(Deal.id != deal.id, Deal.state == "active", Deal.stage == "subscribed",
                                           Deal.sign_by < day).count()
    assert deals.flag_sign_overdue(day) == 1 + others
    assert deals.flag_sign_overdue(day) == 0
    assert deals.flag_sign_overdue(day + dt.timedelta(days=1)) == 1 + others
    assert events(deal.id).count("sign_overdue") == 1


def test_without_sales_permission_nothing_happens(app, ctx):
    room = available_rooms()[0]
    revoke_all("E1003")
    before = counts()
    with as_user(app, "sales"), pytest.raises(BusinessError) as refused:
        deals.hold(room, customers_of("E1003")[0])
    assert "permission" in str(refused.value).lower() or "权限" in str(refused.value)
    assert counts() == before and status(room.id) == "available"


def test_buyers_shares_must_add_up(app, ctx):
    room = available_rooms()[0]
    a, b = customers_of("E1003", 2)
    before = counts()
    with as_user(app, "sales"):
        with pytest.raises(BusinessError):
            deals.subscribe(room, [(a, "60"), (b, "30")], plan("一次性付款"))
        with pytest.raises(BusinessError):
            deals.subscribe(room, [(a, "50"), (a, "50")], plan("一次性付款"))
        with pytest.raises(BusinessError):
            deals.subscribe(room, [(a, "abc")], plan("一次性付款"))
    assert counts() == before
    with as_user(app, "sales"):
        deal = deals.subscribe(room, [(a, "60"), (b, "40")], plan("一次性付款"))
    assert [(x.customer_id, x.share) for x in deal.buyers] == [(a.id, D("60.00")), (b.id, D("40.00"))]


def test_someone_elses_customer_is_refused(app, ctx):
    room = available_rooms()[0]
    with as_user(app, "sales2"), pytest.raises(BusinessError):
        deals.hold(room, customers_of("E1003")[0])
    assert status(room.id) == "available"


def test_beyond_authority_needs_an_approved_request(app, ctx):
    from app.sales.models import DiscountPolicy
    room = available_rooms()[0]
    policies = (db.session.query(DiscountPolicy).filter(DiscountPolicy.project_id == room.project_id,
                                                        DiscountPolicy.name.in_(["开盘优惠99折", "认购立减2万",
                                                                                 "一次性付款98折"])).all())
    before = counts()
    with as_user(app, "sales"), pytest.raises(BusinessError) as refused:
        deals.subscribe(room, [(customers_of("E1003")[0], None)], plan("一次性付款"), policies)
    assert "approval" in str(refused.value).lower() or "审批" in str(refused.value)
    assert counts() == before


def test_the_public_pool_follows_sales_permissions(app, ctx):
    from app.crm.services import pool
    from app.inventory.models import Project
    from app.sales.services import permissions
    emp = employee("E1003")
    assert pool.may_take(emp, room_project_id := available_rooms()[0].project_id)
    revoke_all("E1003")
    assert not pool.may_take(emp, room_project_id)
    permissions.grant(emp, db.session.get(Project, room_project_id))
    db.session.commit()
    assert pool.may_take(emp, room_project_id)


def test_the_audit_log_records_the_rooms_status_change(app, ctx):
    from app.core.models import AuditLog
    room = available_rooms()[0]
    with as_user(app, "sales"):
        deals.hold(room, customers_of("E1003")[0])
    entries = (db.session.query(AuditLog).filter(AuditLog.table_name == "room", AuditLog.row_id == str(room.id))
               .order_by(AuditLog.id).all())
    assert entries[-1].changes == {"status": ["available", "held"]} and entries[-1].username == "sales"
