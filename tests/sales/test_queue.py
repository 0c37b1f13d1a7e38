"""认筹排号 and 开盘选房: gapless queue numbers, one live ticket per customer and project, calling
order and skipping, the conversion into a subscription, the refusal of a room taken meanwhile,
void and refund to finance, and bad input on the pages."""
import re
import threading

import pytest
import sqlalchemy as sa

from app.core.errors import BusinessError
from app.core.models import Notification
from app.extensions import db
from app.sales.models import DealEvent, OpeningSession, SincerityTicket
from app.sales.services import deals
from app.sales.services import queue
from tests.conftest import form_token, login
from tests.sales.deal_helpers import (
    D, as_user, available_rooms, customers_of, employee, opportunity_stage, plan, project, status)


def register(app, username="sales", number="E1003", n=1, amount="20000", **kwargs):
    tickets = []
    with as_user(app, username):
        for customer in customers_of(number, n):
            tickets.append(queue.register(project(), customer, amount, method="pos", **kwargs))
    return tickets


def ticket_state(ticket_id):
    return db.session.execute(sa.select(SincerityTicket.status, SincerityTicket.deal_id,
                                        SincerityTicket.converted_amount)
                              .where(SincerityTicket.id == ticket_id)).one()


def test_registering_gives_gapless_numbers_and_moves_the_opportunity(app, ctx):
    customers = customers_of("E1003", 3)
    tickets = register(app, n=3, floors="10-18", note="想要南向")
    assert [t.number for t in tickets] == [1, 2, 3]
    first = tickets[0]
    assert (first.status, first.amount, first.method, first.want_floors) == ("valid", D("20000.00"), "pos", "10-18")
    assert first.employee_id == employee("E1003").id
    assert opportunity_stage(customers[0].id, project().id) in ("intent", "reserved", "subscribed", "signed")
    # Another project counts from 1.
    with as_user(app, "sales"):
        other = queue.register(project("HZ-JY"), customers[0], "10000")
    assert other.number == 1
    # The Customer 360 shows it.
    with as_user(app, "sales"):
        entries = queue.timeline_entries(customers[0])
    assert any("20,000.00" in e.detail for e in entries)


def test_one_live_ticket_per_customer_and_project(app, ctx):
    (ticket,) = register(app)
    with as_user(app, "sales"), pytest.raises(BusinessError, match=str(ticket.number)):
        queue.register(project(), ticket.customer, "5000")
    db.session.rollback()
    assert db.session.query(SincerityTicket).count() == 1
    # Once void, the customer may register again (and the number goes on: no reuse).
    with as_user(app, "sales"):
        queue.void(ticket, "登记错误")
        again = queue.register(project(), ticket.customer_id, "5000")
    assert again.number == 2


def test_bad_input_is_refused_and_changes_nothing(app, ctx):
    customer = customers_of("E1003")[0]
    foreign = customers_of("E1006")[0]
    with as_user(app, "sales"):
        for amount in ("-5", "0", "abc", ""):
            with pytest.raises(BusinessError):
                queue.register(project(), customer, amount)
        with pytest.raises(BusinessError):
            queue.register(project(), customer, "100", method="gold")
        with pytest.raises(BusinessError):
            queue.register(project(), customer, "100", paid_on="2999-01-01")
        with pytest.raises(deals.OutOfScope):
            queue.register(project(), foreign, "100")
        with pytest.raises(BusinessError):
            queue.register(project(), customer, "100", layouts=["999999"])
        with pytest.raises(BusinessError):
            queue.register("99999999999", customer, "100")
    db.session.rollback()
    assert db.session.query(SincerityTicket).count() == 0
    assert queue_number_peek() == 0


def queue_number_peek():
    from app.core.services import numbering
    return numbering.peek("sincerity", project().id)


def test_calling_order_skipping_and_calling_again(app, ctx):
    tickets = register(app, n=3)
    with as_user(app, "manager"):
        session = queue.start(project())
        with pytest.raises(BusinessError):
            queue.start(project())
        db.session.rollback()
        called, passed = queue.call_next(session)
        assert (called.number, passed) == (1, None)
        assert queue.screen(project().id) == {"running": True, "current": 1, "current_status": "called",
                                              "current_status_label": queue.status_label("called"), "next": [2, 3]}
        skipped = queue.skip(session)
        assert skipped.number == 1 and ticket_state(tickets[0].id)[0] == "skipped"
        called, passed = queue.call_next(session)
        assert called.number == 2
        # Calling on while no. 2 has not chosen passes over it.
        called, passed = queue.call_next(session)
        assert (called.number, passed.number) == (3, 2)
        queue.recall(session, tickets[0])
        assert [ticket_state(t.id)[0] for t in tickets] == ["called", "skipped", "skipped"]
        assert db.session.get(OpeningSession, session.id).current_ticket_id == tickets[0].id
        called, passed = queue.call_next(session)
        assert called is None and passed.number == 1
        queue.end(session)
        with pytest.raises(BusinessError):
            queue.call_next(session)
    # A salesperson may not run it.
    with as_user(app, "sales"), pytest.raises(BusinessError):
        queue.start(project())


def test_the_called_customer_chooses_and_the_sincerity_deposit_becomes_the_deposit(app, ctx):
    (ticket,) = register(app, amount="20000")
    room = available_rooms()[0]
    with as_user(app, "manager"):
        session = queue.start(project())
        queue.call_next(session)
        deal = queue.choose(ticket, room, plan("一次性付款"))
    assert status(room.id) == "subscribed"
    assert (deal.stage, deal.customer_id, deal.employee_id) == ("subscribed", ticket.customer_id, ticket.employee_id)
    assert ticket_state(ticket.id) == ("chose", deal.id, D("20000.00"))
    events = db.session.query(DealEvent).filter_by(deal_id=deal.id, action="note").all()
    # The conversion, and finance's receipt of the sincerity deposit as money received on the deal.
    notes = [e.note for e in events if "receipt_id" not in (e.data or {})]
    assert len(notes) == 1 and "20,000.00" in notes[0]
    from app.finance.models import Receipt
    (receipt,) = db.session.query(Receipt).filter_by(deal_id=deal.id).all()
    assert (receipt.amount, receipt.source, receipt.paid_on) == (D("20000.00"), "sincerity", ticket.paid_on)
    assert opportunity_stage(ticket.customer_id, project().id) == "subscribed"


def test_a_room_taken_meanwhile_is_refused_and_nothing_changes(app, ctx):
    (ticket,) = register(app)
    room = available_rooms()[0]
    other = customers_of("E1006")[0]
    with as_user(app, "manager"):
        session = queue.start(project())
        queue.call_next(session)
    with as_user(app, "sales2"):
        deals.hold(room, other)
    events = db.session.query(DealEvent).count()
    with as_user(app, "manager"), pytest.raises(deals.Taken, match="张伟"):
        queue.choose(ticket, room, plan("一次性付款"))
    assert ticket_state(ticket.id) == ("called", None, None)
    assert db.session.query(DealEvent).count() == events
    assert status(room.id) == "held"
    # Only the number being called may choose.
    with as_user(app, "manager"):
        queue.skip(session)
    with as_user(app, "manager"), pytest.raises(BusinessError):
        queue.choose(db.session.get(SincerityTicket, ticket.id), available_rooms(2)[1], plan("一次性付款"))


def test_void_and_refund_are_handed_to_finance(app, ctx):
    first, second = register(app, n=2)
    finance = app.appbuilder.sm.find_user(username="finance")
    before = db.session.query(Notification).filter_by(user_id=finance.id).count()
    with as_user(app, "sales"):
        with pytest.raises(BusinessError):
            queue.void(first, "  ")
        queue.void(first, "重复登记")
        queue.request_refund(second, "客户未选到房")
        with pytest.raises(BusinessError):
            queue.request_refund(first)
    assert ticket_state(first.id)[0] == "void" and ticket_state(second.id)[0] == "refund_requested"
    notes = db.session.query(Notification).filter_by(user_id=finance.id).order_by(Notification.id).all()
    assert len(notes) == before + 1 and "20,000.00" in notes[-1].title
    assert notes[-1].link == "/sales/queue/tickets/%d" % second.id
    with as_user(app, "finance"):
        queue.mark_refunded(queue.get_ticket(second.id, refunds=True))
    assert ticket_state(second.id)[0] == "refunded"
    assert db.session.query(SincerityTicket).count() == 2  # never deleted


def test_two_registering_at_once_get_consecutive_numbers(app, ctx):
    if db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has one writer at a time")
    customers = [c.id for c in customers_of("E1003", 2)]
    results, barrier = {}, threading.Barrier(2)

    def go(customer_id):
        with app.app_context(), as_user(app, "sales"):
            barrier.wait()
            try:
                results[customer_id] = queue.register(project().id, customer_id, "10000").number
            except Exception as e:  # noqa: BLE001 - the test reports it
                results[customer_id] = "error: %r" % e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=go, args=(c,)) for c in customers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(results.values()) == [1, 2], results


def test_pages_the_queue_the_operator_and_the_pick(app, client):
    with app.app_context():
        (ticket_id,) = [t.id for t in register(app)]
        room_id = available_rooms()[0].id
        project_id = project().id
    assert login(client, "manager").status_code == 302
    page = client.get("/sales/queue/?project=%d" % project_id)
    assert page.status_code == 200 and "loupan-queue-row" in page.get_data(as_text=True)
    export = client.get("/sales/queue/?project=%d&export=xlsx" % project_id)
    assert export.status_code == 200 and export.data[:2] == b"PK"
    token = form_token(client, "/sales/queue/?project=%d" % project_id)
    started = client.post("/sales/queue/sessions/start", data={"project": project_id, "csrf_token": token})
    session_url = started.headers["Location"]
    assert re.search(r"/sales/queue/sessions/\d+$", session_url)
    client.post(session_url + "/next", data={"csrf_token": token})
    assert client.get("/sales/queue/%d/screen.json" % project_id).json["current"] == 1
    assert "qs-number" in client.get("/sales/queue/%d/screen" % project_id).get_data(as_text=True)
    pick = client.get("/sales/queue/tickets/%d/pick?room=%d" % (ticket_id, room_id)).get_data(as_text=True)
    assert "loupan-pick-confirm" in pick and "20,000.00" in pick
    done = client.post("/sales/queue/tickets/%d/pick" % ticket_id,
                       data={"room": room_id, "plan": re.search(r'name="plan" value="(\d+)"', pick).group(1),
                             "first_home": "1", "csrf_token": token})
    assert done.status_code == 302
    with app.app_context():
        assert ticket_state(ticket_id)[0] == "chose" and status(room_id) == "subscribed"
    # Bad ids are 404, never 500.
    for url in ("/sales/queue/tickets/abc", "/sales/queue/tickets/99999999999", "/sales/queue/tickets/999999",
                "/sales/queue/tickets/999999/pick?room=1", "/sales/queue/sessions/x", "/sales/queue/99999999999/screen",
                "/sales/queue/abc/screen.json"):
        assert client.get(url).status_code == 404, url
    assert client.get("/sales/queue/tickets/%d/pick?room=abc" % ticket_id).status_code == 200
    assert client.get("/sales/queue/?project=abc&status=zzz&employee=-1&page=x").status_code == 200


def test_a_salesperson_sees_only_their_own_tickets(app, client):
    with app.app_context():
        (mine,) = register(app)
        (theirs,) = register(app, "sales2", "E1006")
        mine_id, theirs_id = mine.id, theirs.id
    assert login(client, "sales").status_code == 302
    assert client.get("/sales/queue/tickets/%d" % mine_id).status_code == 200
    assert client.get("/sales/queue/tickets/%d" % theirs_id).status_code == 404
    page = client.get("/sales/queue/").get_data(as_text=True)
    assert page.count("loupan-queue-row") == 1
    # Opening day is not theirs to run.
    token = form_token(client, "/sales/queue/new")
    refused = client.post("/sales/queue/sessions/start", data={"project": 1, "csrf_token": token})
    assert refused.status_code in (302, 403)
    with app.app_context():
        assert db.session.query(OpeningSession).count() == 0
    # Registering through the form; a foreign customer is refused with a message.
    with app.app_context():
        foreign = customers_of("E1006")[0].id
        project_id = project().id
    refused = client.post("/sales/queue/new", data={"project": project_id, "customer": foreign, "amount": "100",
                                                    "method": "cash", "csrf_token": token})
    assert refused.status_code == 200 and "loupan-queue-error" in refused.get_data(as_text=True)
    negative = client.post("/sales/queue/new", data={"project": project_id, "customer": "x", "amount": "-1",
                                                     "method": "cash", "csrf_token": token})
    assert negative.status_code == 200 and "loupan-queue-error" in negative.get_data(as_text=True)


def test_the_queue_list_loads_in_a_fixed_number_of_queries(app, client):
    from app.inventory.models import Layout
    from tests.sales.helpers import QueryCounter
    with app.app_context():
        project_id = project().id
        engine = db.engine
        layout_ids = [i for (i,) in db.session.query(Layout.id).filter_by(project_id=project_id).limit(2)]
        assert layout_ids
        register(app, n=1, layouts=layout_ids)
    assert login(client, "manager").status_code == 302
    url = "/sales/queue/?project=%d" % project_id
    client.get(url)
    with QueryCounter(engine) as few:
        assert client.get(url).status_code == 200
    with app.app_context():
        added = len(register(app, n=3, number="E1006", username="sales2", layouts=layout_ids))
    with QueryCounter(engine) as many:
        page = client.get(url).get_data(as_text=True)
    assert added >= 1 and page.count("loupan-queue-row") == 1 + added
    assert many.count == few.count


def test_finance_sees_the_refunds_handed_over_and_marks_them_paid(app, client):
    with app.app_context():
        first, second = register(app, n=2)
        with as_user(app, "sales"):
            queue.request_refund(second, "客户未选到房")
        first_id, second_id, project_id = first.id, second.id, project().id
    assert login(client, "finance").status_code == 302
    page = client.get("/sales/queue/?project=%d" % project_id).get_data(as_text=True)
    assert re.findall(r'data-number="(\d+)"', page) == ["2"]
    assert client.get("/sales/queue/tickets/%d" % first_id).status_code == 404
    token = form_token(client, "/sales/queue/tickets/%d" % second_id)
    assert client.post("/sales/queue/tickets/%d/refunded" % second_id, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert ticket_state(second_id)[0] == "refunded"
    # Finance registers nothing and runs no opening day.
    assert client.get("/sales/queue/new").status_code in (302, 403)


@pytest.mark.parametrize("username", ["admin", "manager", "sales", "finance"])
def test_the_queue_menu_page_opens_for_each_role(app, client, username):
    assert login(client, username).status_code == 302
    page = client.get("/sales/queue/")
    assert page.status_code == 200 and "alert-danger" not in page.get_data(as_text=True)
    assert ('href="/sales/queue/"' in client.get("/").get_data(as_text=True)) is True
