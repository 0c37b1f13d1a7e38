"""Deal changes through approval: rename (更名), room change (换房) and cancellation (退房) —
requested, approved (the effect checked), rejected (only the timeline changes) and refused
(everything stays as it was), through the services and the API."""
import pytest
import sqlalchemy as sa

from app.core import roles
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest, LookupValue, Notification
from app.core.services import approvals
from app.extensions import db
from app.sales.models import Deal, DealBuyer, DealEvent, DealPayment, DealRefund
from app.sales.services import deal_changes, deals
from app.sales.services import trial as trials
from tests.conftest import api_token
from tests.sales.deal_helpers import (
    D, as_user, available_rooms, counts, customers_of, events, opportunity_stage, plan, status)


def user(app, name):
    return app.appbuilder.sm.find_user(username=name)


def reason(code):
    return db.session.query(LookupValue).filter_by(list_code=code, active=True).order_by(LookupValue.id).first()


def subscribed(app, room=None, customer=None, username="sales", number="E1003"):
    room = room or available_rooms()[0]
    with as_user(app, username):
        return deals.subscribe(room, [(customer or customers_of(number)[0], None)], plan("一次性付款"))


def schedule_total(deal_id):
    return db.session.query(sa.func.sum(DealPayment.amount)).filter(
        DealPayment.deal_id == deal_id, DealPayment.collected_for_others.is_(False),
        DealPayment.kind != "loan").scalar()


def state(deal_id):
    """What a change must leave alone when refused: the deal's row, buyers, schedule, rooms."""
    deal = db.session.query(Deal).populate_existing().filter_by(id=deal_id).one()
    return (deal.room_id, deal.stage, deal.state, deal.total, deal.customer_id,
            [(b.customer_id, b.share) for b in db.session.query(DealBuyer).filter_by(deal_id=deal_id)
             .order_by(DealBuyer.position)],
            [(p.kind, p.amount) for p in db.session.query(DealPayment).filter_by(deal_id=deal_id)
             .order_by(DealPayment.position)],
            db.session.query(sa.func.count(DealRefund.id)).scalar())


def approve(app, request_id, username="manager"):
    with as_user(app, username) as manager:
        return approvals.approve(request_id, manager, "同意")


def reject(app, request_id, username="manager"):
    with as_user(app, username) as manager:
        return approvals.reject(request_id, manager, "不同意")


# ---------------------------------------------------------------- 换房

def test_room_change_requested_then_approved_moves_the_deal_and_its_price(app, ctx):
    old, new, _third = available_rooms(3)
    deal = subscribed(app, old)
    old_total = deal.total
    with as_user(app, "sales"):
        req = deal_changes.request_room_change(deal, new.id, note="客户想换高层")
    p = db.session.get(ApprovalRequest, req.id).payload
    expected = trials.trial(new, plan("一次性付款"), deal.subscribed_on, subscription_date=deal.subscribed_on,
                            signing_date=deal.sign_by)
    assert (p["old_total"], p["new_total"]) == ("%.2f" % old_total, "%.2f" % expected.total)
    assert D(p["difference"]) == expected.total - old_total
    rows = dict(approvals.describe(db.session.get(ApprovalRequest, req.id)))
    assert new.code in rows.values() and old.code in rows.values()
    # Pending: nothing moved yet, the deal shows it, a second request for the deal is refused.
    assert status(old.id) == "subscribed" and status(new.id) == "available"
    assert deal_changes.pending_request(deal.id).id == req.id
    assert deal_changes.pending_by_deal([deal.id])[deal.id].id == req.id
    with as_user(app, "sales"), pytest.raises(deal_changes.Pending):
        deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    approve(app, req.id)
    deal = db.session.query(Deal).populate_existing().filter_by(id=deal.id).one()
    assert status(old.id) == "available" and status(new.id) == "subscribed"
    assert deal.room_id == new.id and deal.stage == "subscribed" and deal.state == "active"
    assert deal.total == expected.total and deal.list_total == expected.list_total
    assert deal.deposit == expected.deposit and deal.unit_price == expected.unit_price
    assert schedule_total(deal.id) == deal.total
    assert events(deal.id) == ["subscribe", "request", "room_change", "room_change"]
    # The history stays on both rooms.
    assert [e.action for e in deals.room_history(old.id) if e.deal_id == deal.id] == ["room_change", "request",
                                                                                       "subscribe"]
    assert [e.action for e in deals.room_history(new.id)] == ["room_change"]
    assert deals.active_deal(new.id).id == deal.id and deals.active_deal(old.id) is None
    assert db.session.get(ApprovalRequest, req.id).status == "approved"
    assert db.session.query(Notification).filter(Notification.user_id == user(app, "sales").id,
                                                 Notification.link == "/approvals/show/%d" % req.id).count() >= 1


def test_room_change_refused_when_the_target_was_taken_before_approval(app, ctx):
    old, new = available_rooms(2)
    deal = subscribed(app, old)
    with as_user(app, "sales"):
        req = deal_changes.request_room_change(deal, new.id)
    other = subscribed(app, new, username="sales2", number="E1006")
    before, total = state(deal.id), counts()
    with pytest.raises(BusinessError) as refused:
        approve(app, req.id)
    assert new.code in str(refused.value) and "张伟" in str(refused.value)
    assert state(deal.id) == before and counts() == total
    assert status(old.id) == "subscribed" and status(new.id) == "subscribed"
    assert deals.active_deal(new.id).id == other.id
    assert db.session.get(ApprovalRequest, req.id).status == "pending"


def test_room_change_refusals_change_nothing(app, ctx):
    old, new, third = available_rooms(3)
    deal = subscribed(app, old)
    other = subscribed(app, third, customer=customers_of("E1003", 2)[1])
    before, total = state(deal.id), counts()
    with as_user(app, "sales"):
        with pytest.raises(deals.Taken):  # not available
            deal_changes.request_room_change(deal, third.id)
        with pytest.raises(BusinessError):  # its own room
            deal_changes.request_room_change(deal, old.id)
        foreign = available_rooms(1, "HZ-JY")[0]
        with pytest.raises(BusinessError):  # another project
            deal_changes.request_room_change(deal, foreign.id)
        req = deal_changes.request_room_change(deal, new.id)
        # A second request for the same target room (from another deal) is refused, and the
        # room is no longer offered.
        with pytest.raises(deal_changes.Pending):
            deal_changes.request_room_change(other, new.id)
        assert new.id not in [r.id for r in deal_changes.target_rooms(other)]
    assert state(deal.id)[:-1] == before[:-1] and status(new.id) == "available"
    assert counts()[0:2] == total[0:2]
    reject(app, req.id)
    assert state(deal.id) == before and status(new.id) == "available"
    assert events(deal.id) == ["subscribe", "request", "rejected"]
    assert deal_changes.pending_request(deal.id) is None


def test_a_hold_cannot_be_moved_or_cancelled(app, ctx):
    room, new = available_rooms(2)
    with as_user(app, "sales"):
        deal = deals.hold(room, customers_of("E1003")[0])
        with pytest.raises(BusinessError):
            deal_changes.request_room_change(deal, new.id)
        with pytest.raises(BusinessError) as refused:
            deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    assert "release" in str(refused.value).lower() or "释放" in str(refused.value)
    assert events(deal.id) == ["hold"] and status(room.id) == "held"


def test_a_booking_moves_without_a_price(app, ctx):
    room, new = available_rooms(2)
    with as_user(app, "sales"):
        deal = deals.book(room, customers_of("E1003")[0], 5000)
        req = deal_changes.request_room_change(deal, new.id)
    approve(app, req.id)
    deal = db.session.query(Deal).populate_existing().filter_by(id=deal.id).one()
    assert deal.room_id == new.id and deal.booking_amount == D("5000.00") and deal.total is None
    assert status(room.id) == "available" and status(new.id) == "booked"


def test_a_signed_deal_moves_with_its_contract_and_a_new_schedule(app, ctx):
    room, new = available_rooms(2)
    deal = subscribed(app, room)
    with as_user(app, "sales"):
        deals.sign(deal)
        number = deal.contract_no
        req = deal_changes.request_room_change(deal, new.id)
    approve(app, req.id)
    deal = db.session.query(Deal).populate_existing().filter_by(id=deal.id).one()
    expected = trials.trial(new, plan("一次性付款"), deal.subscribed_on, subscription_date=deal.subscribed_on,
                            signing_date=deal.signed_on)
    assert deal.room_id == new.id and deal.stage == "signed" and deal.contract_no == number
    assert status(room.id) == "available" and status(new.id) == "signed"
    assert deal.total == expected.total and schedule_total(deal.id) == expected.total
    assert [(p.kind, p.due_date) for p in db.session.query(DealPayment).filter_by(deal_id=deal.id)
            .order_by(DealPayment.position) if p.kind != "fee"] == [(x.kind, x.due_date) for x in expected.payments]


# ---------------------------------------------------------------- 更名

def test_rename_requested_then_approved_replaces_the_buyers(app, ctx):
    first, second = customers_of("E1003", 2)
    deal = subscribed(app, customer=first)
    why = reason("rename_reason")
    with as_user(app, "sales"):
        with pytest.raises(BusinessError):  # shares must add up
            deal_changes.request_rename(deal, [(first, "60"), (second, "30")], why.id)
        with pytest.raises(BusinessError):  # a reason from the list
            deal_changes.request_rename(deal, [(first, "50"), (second, "50")], None)
        with pytest.raises(BusinessError):  # no change
            deal_changes.request_rename(deal, [(first, None)], why.id)
        req = deal_changes.request_rename(deal, [(first, "50"), (second, "50")], why.id, note="夫妻加名")
    assert [(b.customer_id, b.share) for b in db.session.query(DealBuyer).filter_by(deal_id=deal.id)] == \
        [(first.id, D("100.00"))]
    approve(app, req.id)
    rows = db.session.query(DealBuyer).filter_by(deal_id=deal.id).order_by(DealBuyer.position).all()
    assert [(b.customer_id, b.share) for b in rows] == [(first.id, D("50.00")), (second.id, D("50.00"))]
    assert opportunity_stage(second.id, deal.project_id) == "subscribed"
    assert events(deal.id) == ["subscribe", "request", "rename"]
    ev = db.session.query(DealEvent).filter_by(deal_id=deal.id, action="rename").one()
    assert [b["customer_id"] for b in ev.data["old"]] == [first.id]
    assert [b["customer_id"] for b in ev.data["new"]] == [first.id, second.id]
    assert ev.note == why.name


def test_rename_rejected_and_wrong_stage(app, ctx):
    first, second = customers_of("E1003", 2)
    deal = subscribed(app, customer=first)
    with as_user(app, "sales"):
        req = deal_changes.request_rename(deal, [(second, None)], reason("rename_reason").id)
    before = state(deal.id)
    reject(app, req.id)
    assert state(deal.id) == before and events(deal.id) == ["subscribe", "request", "rejected"]
    room = available_rooms()[0]
    with as_user(app, "sales"):
        booked = deals.book(room, first, 2000)
        with pytest.raises(BusinessError):
            deal_changes.request_rename(booked, [(second, None)], reason("rename_reason").id)
    assert events(booked.id) == ["book"]


# ---------------------------------------------------------------- 退房

def test_cancel_requested_then_approved_hands_the_refund_to_finance(app, ctx):
    deal = subscribed(app)
    customer_id, room_id = deal.customer_id, deal.room_id
    why = reason("cancel_reason")
    paid = deal_changes.default_paid(deal)
    assert paid == deal.deposit and paid > 0
    with as_user(app, "sales"):
        with pytest.raises(BusinessError):  # more than paid
            deal_changes.request_cancel(deal, why.id, paid + 1)
        req = deal_changes.request_cancel(deal, why.id, paid - 1000, note="贷款未批")
    assert status(room_id) == "subscribed" and deal_changes.pending_request(deal.id).id == req.id
    approve(app, req.id)
    deal = db.session.query(Deal).populate_existing().filter_by(id=deal.id).one()
    assert deal.state == "cancelled" and deal.ended_at is not None
    assert deal.end_reason_id == why.id and deal.end_note == "贷款未批"
    assert status(room_id) == "available" and deals.active_deal(room_id) is None
    assert opportunity_stage(customer_id, deal.project_id) == "intent"
    refund = db.session.query(DealRefund).filter_by(deal_id=deal.id).one()
    assert (refund.paid, refund.refund, refund.kept, refund.status) == (paid, paid - 1000, D("1000.00"), "to_refund")
    assert refund.requested_by_id == user(app, "sales").id and refund.approved_by_id == user(app, "manager").id
    finance = user(app, "finance")
    assert any(r.name == roles.FINANCE for r in finance.roles)
    assert db.session.query(Notification).filter(Notification.user_id == finance.id,
                                                 Notification.link == "/sales/deals/%d" % deal.id).count() == 1
    assert events(deal.id) == ["subscribe", "request", "cancel"]
    # The room can be sold again.
    again = subscribed(app, db.session.get(deal.room.__class__, room_id))
    assert again.id != deal.id and status(room_id) == "subscribed"


def test_cancel_rejected_changes_only_the_timeline(app, ctx):
    deal = subscribed(app)
    with as_user(app, "sales"):
        req = deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    before, total = state(deal.id), counts()
    reject(app, req.id)
    assert state(deal.id) == before and status(deal.room_id) == "subscribed"
    assert counts()[:2] == total[:2] and events(deal.id) == ["subscribe", "request", "rejected"]


def test_who_asks_and_who_decides(app, ctx):
    deal = subscribed(app)
    with as_user(app, "sales2"), pytest.raises(deals.OutOfScope):
        deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    with as_user(app, "sales"):
        req = deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    with pytest.raises(BusinessError):  # a salesperson does not approve
        approve(app, req.id, "sales2")
    assert deal.employee.user_id != user(app, "manager").id
    assert approvals.is_approver(db.session.get(ApprovalRequest, req.id), user(app, "manager"))
    assert status(deal.room_id) == "subscribed"
    with as_user(app, "sales") as sales:
        approvals.withdraw(req.id, sales)
    assert events(deal.id)[-1] == "note" and status(deal.room_id) == "subscribed"
    # A manager's own request is decided by someone else.
    with as_user(app, "manager"):
        mine = deal_changes.request_cancel(deal, reason("cancel_reason").id, "0")
    told = db.session.query(Notification).filter(Notification.user_id == user(app, "sales").id,
                                                 Notification.title.contains(mine.summary[:20]))
    assert told.count() == 1  # the salesperson hears that a manager asked for their deal
    with pytest.raises(BusinessError):
        approve(app, mine.id, "manager")
    approve(app, mine.id, "admin")
    assert status(deal.room_id) == "available"


# ---------------------------------------------------------------- the API

def test_api_requests_and_refusals(app, client):
    with app.app_context():
        deal = subscribed(app)
        deal_id, room_id = deal.id, deal.room_id
        new_id = available_rooms(1)[0].id
        cancel_reason, rename_reason = reason("cancel_reason").id, reason("rename_reason").id
        other_customer = customers_of("E1003", 2)[1].id
        before = state(deal_id)
        db.session.remove()
    headers = api_token(client, "sales")
    url = "/api/v1/deal_changes/%d/" % deal_id
    assert client.post(url + "cancel", data="nonsense", headers=headers).status_code == 400
    assert client.post(url + "cancel", json={"reason": "x", "refund": "0"}, headers=headers).status_code == 400
    assert client.post("/api/v1/deal_changes/999999/cancel", json={"reason": cancel_reason, "refund": "0"},
                       headers=headers).status_code == 404
    assert client.post("/api/v1/deal_changes/abc/cancel", json={}, headers=headers).status_code == 404
    foreign = client.post(url + "cancel", json={"reason": cancel_reason, "refund": "0"},
                          headers=api_token(client, "sales2"))
    assert foreign.status_code == 404
    too_much = client.post(url + "cancel", json={"reason": cancel_reason, "paid": "100", "refund": "200"},
                           headers=headers)
    assert too_much.status_code == 422 and "200.00" in too_much.json["message"]
    preview = client.get(url + "change_room?room=%d" % new_id, headers=headers)
    assert preview.status_code == 200 and preview.json["room_id"] == new_id
    with app.app_context():
        assert state(deal_id) == before and deal_changes.pending_request(deal_id) is None
        db.session.remove()
    made = client.post(url + "change_room", json={"room": new_id, "note": "换房"}, headers=headers)
    assert made.status_code == 201, made.json
    assert made.json["kind"] == "deal_room_change" and made.json["status"] == "pending"
    again = client.post(url + "rename", json={"buyers": [{"customer": other_customer}], "reason": rename_reason},
                        headers=headers)
    assert again.status_code == 409
    with app.app_context():
        assert state(deal_id) == before and status(room_id) == "subscribed" and status(new_id) == "available"
        assert events(deal_id) == ["subscribe", "request"]
        db.session.remove()


# ---------------------------------------------------------------- the pages

def test_pages_keep_the_input_on_a_refusal_and_show_the_pending_request(app, client):
    from tests.conftest import form_token, login
    with app.app_context():
        deal = subscribed(app)
        deal_id, room_id, deposit = deal.id, deal.room_id, deal.deposit
        new = available_rooms(1)[0]
        new_id, new_code = new.id, new.code
        why = reason("cancel_reason").id
        db.session.remove()
    assert login(client, "sales").status_code == 302
    url = "/sales/deal_changes/%d/" % deal_id
    rename = client.get(url + "rename")
    assert rename.status_code == 200 and rename.get_data(as_text=True).count('name="customer"') == 5
    page = client.get(url + "cancel").get_data(as_text=True)
    assert "%.2f" % deposit in page and 'name="refund"' in page
    token = form_token(client, url + "cancel")
    refused = client.post(url + "cancel", data={"csrf_token": token, "reason": str(why), "paid": "100",
                                                "refund": "250", "note": "客户要求"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "¥250.00" in text and 'value="250"' in text and "客户要求" in text
    assert client.post(url + "cancel", data={"reason": str(why), "refund": "0"}).status_code == 400  # no CSRF
    for bad in ("/sales/deal_changes/abc/cancel", "/sales/deal_changes/99999999999/rename",
                "/sales/deal_changes/999999/change_room"):
        assert client.get(bad).status_code == 404
    # The room change previews the price, then asks.
    page = client.get(url + "change_room").get_data(as_text=True)
    assert new_code in page and "<optgroup" in page
    token = form_token(client, url + "change_room")
    preview = client.post(url + "change_room", data={"csrf_token": token, "room": str(new_id), "action": "preview"})
    assert preview.status_code == 200 and "loupan-price-difference" in preview.get_data(as_text=True)
    sent = client.post(url + "change_room", data={"csrf_token": token, "room": str(new_id), "action": "submit"})
    assert sent.status_code == 302
    pending = client.get(url + "cancel").get_data(as_text=True)
    assert "loupan-change-pending" in pending and 'name="refund"' not in pending
    with app.app_context():
        req = deal_changes.pending_request(deal_id)
        request_id = req.id
        assert status(room_id) == "subscribed" and status(new_id) == "available"
        db.session.remove()
    client.get("/logout/")
    assert login(client, "manager").status_code == 302
    shown = client.get("/approvals/show/%d" % request_id).get_data(as_text=True)
    assert new_code in shown and "/sales/deals/%d" % deal_id in shown
    # Someone else's deal is not found.
    client.get("/logout/")
    assert login(client, "sales2").status_code == 302
    assert client.get(url + "cancel").status_code == 404
