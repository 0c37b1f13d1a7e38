"""Never one room sold twice (一房多卖) under real concurrency: many connections holding, booking
and subscribing the same room at the same instant, in the services and through the HTTP API, and
the database's own guard (the partial unique index) when the services are bypassed."""
import datetime as dt
import json
import threading
import urllib.error
import urllib.request

import pytest
import sqlalchemy as sa

from app.extensions import db
from app.sales.models import Deal
from app.sales.services import deals
from tests.conftest import api_token
from tests.sales.deal_helpers import as_user, available_rooms, customers_of, deals_on, employee, plan, status

# The demo logins that sell 云璟花园, with the salesperson whose customers they act for and the
# name a refusal gives when their deal has the room (a manager's deals are in their own name).
SELLERS = (("sales", "E1003", "林晓燕"), ("sales2", "E1006", "张伟"), ("manager", "E1007", "陈志明"))
THREADS = 20


def postgresql_only(app):
    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite serialises every writer with one database lock: truly concurrent row locks "
                        "are a PostgreSQL matter")


def contenders(n):
    """n (username, customer id, expected winner name): different customers of different salespeople."""
    per = -(-n // len(SELLERS))
    customers = {number: [c.id for c in customers_of(number, per)] for _u, number, _n in SELLERS}
    out = []
    for i in range(n):
        username, number, name = SELLERS[i % len(SELLERS)]
        out.append((username, customers[number][i // len(SELLERS)], name))
    return out


def race(app, jobs):
    """Run every job(i) in its own thread, application context, session and login, all released
    at once by a barrier; returns [("won", value) | ("taken", message) | ("refused", message) |
    ("error", repr)]."""
    barrier = threading.Barrier(len(jobs))
    results = [None] * len(jobs)

    def run(i, username, job):
        with app.app_context(), as_user(app, username) as user:
            try:
                # Give the connection back before waiting: the pool lends 15 at once, and a thread
                # that did not get one yet must not keep the others at the barrier.
                db.session.commit()
                barrier.wait(30)
                results[i] = ("won", job(user))
            except deals.Taken as e:
                results[i] = ("taken", str(e))
            except deals.BusinessError as e:
                results[i] = ("refused", str(e))
            except Exception as e:  # noqa: BLE001 - the test reports it
                db.session.rollback()
                results[i] = ("error", repr(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(i, username, job)) for i, (username, job) in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a contender never finished"
    return results


def hold_job(room_id, customer_id):
    return lambda user: deals.hold(room_id, customer_id, user=user).id


def book_job(room_id, customer_id):
    return lambda user: deals.book(room_id, customer_id, "5000", user=user).id


def subscribe_job(room_id, customer_id, plan_id):
    return lambda user: deals.subscribe(room_id, [(customer_id, None)], plan_id, user=user).id


def assert_one_winner(results, room_id, people, stage, continuing=()):
    """One deal, in `stage`; every other contender told who has the room. Those in `continuing`
    (the winner's own salesperson or their manager, moving the deal on for another customer)
    may instead hear that only the deal's customer can take the room now."""
    errors = [r for r in results if r[0] not in ("won", "taken", "refused")]
    assert not errors, errors
    winners = [i for i, r in enumerate(results) if r[0] == "won"]
    assert len(winners) == 1, results
    active = deals_on(room_id, "active")
    assert [d.id for d in active] == [results[winners[0]][1]]
    assert active[0].stage == stage and status(room_id) == stage
    assert db.session.query(Deal).filter(Deal.room_id == room_id).count() == 1
    winner = people[winners[0]]
    for i, (kind, message) in enumerate(results):
        if i == winners[0]:
            continue
        assert active[0].room.code in message, message
        if kind == "refused":
            assert i in continuing and active[0].customer.name in message, (i, message)
        else:
            assert kind == "taken" and winner in message, message
    return winners[0]


# ---------------------------------------------------------------- in the services, PostgreSQL

def test_twenty_holds_of_the_same_room_one_wins_over_several_rooms(app, ctx):
    postgresql_only(app)
    people = contenders(THREADS)
    rooms = [r.id for r in available_rooms(4)]
    for room_id in rooms:
        results = race(app, [(u, hold_job(room_id, c)) for u, c, _n in people])
        db.session.expire_all()
        winner = assert_one_winner(results, room_id, [n for _u, _c, n in people], "held")
        assert deals_on(room_id, "active")[0].customer_id == people[winner][1]


def test_twenty_subscriptions_of_the_same_room_one_wins(app, ctx):
    postgresql_only(app)
    people = contenders(THREADS)
    one_off = plan("一次性付款").id
    for room_id in [r.id for r in available_rooms(3)]:
        results = race(app, [(u, subscribe_job(room_id, c, one_off)) for u, c, _n in people])
        db.session.expire_all()
        assert_one_winner(results, room_id, [n for _u, _c, n in people], "subscribed")
        deal = deals_on(room_id, "active")[0]
        assert deal.subscription_no and len(deal.buyers) == 1 and len(deal.payments) > 0


def test_hold_book_and_subscribe_mixed_on_the_same_room_one_wins(app, ctx):
    postgresql_only(app)
    people = contenders(THREADS)
    one_off = plan("一次性付款").id
    makers = (lambda r, c: hold_job(r, c), lambda r, c: book_job(r, c), lambda r, c: subscribe_job(r, c, one_off))
    for room_id in [r.id for r in available_rooms(3)]:
        jobs = [(u, makers[i % 3](room_id, c)) for i, (u, c, _n) in enumerate(people)]
        results = race(app, jobs)
        db.session.expire_all()
        winner = [i for i, r in enumerate(results) if r[0] == "won"]
        assert len(winner) == 1, results
        stage = ("held", "booked", "subscribed")[winner[0] % 3]
        # A hold or booking is moved on by its salesperson (or their manager) for its own customer
        # only: a colleague of the same team trying to book or subscribe it for another customer
        # is told whose customer has it.
        winning_user = people[winner[0]][0]
        continuing = [i for i, (u, _c, _n) in enumerate(people) if stage in ("held", "booked") and i % 3 != 0
                      and (u == winning_user or u == "manager")]
        assert_one_winner(results, room_id, [n for _u, _c, n in people], stage, continuing)


def test_a_release_racing_new_holds_leaves_at_most_one_holder(app, ctx):
    postgresql_only(app)
    people = contenders(THREADS)
    first_owner = people[0]
    for room_id, code in [(r.id, r.code) for r in available_rooms(4)]:
        with as_user(app, first_owner[0]):
            deal_id = deals.hold(room_id, first_owner[1]).id
        db.session.remove()

        def let_go(user, deal_id=deal_id):
            return deals.release(deals.get_deal(deal_id, user), user=user).id

        jobs = [(first_owner[0], let_go)] + [(u, hold_job(room_id, c)) for u, c, _n in people[1:]]
        results = race(app, jobs)
        db.session.expire_all()
        assert [r[0] for r in results if r[0] == "error"] == [], results
        assert results[0] == ("won", deal_id)  # the holder's own release is never refused
        assert db.session.get(Deal, deal_id).state == "released"
        holds = [i for i, r in enumerate(results[1:], 1) if r[0] == "won"]
        assert len(holds) <= 1, results
        active = deals_on(room_id, "active")
        if holds:
            assert [d.id for d in active] == [results[holds[0]][1]] and status(room_id) == "held"
            assert active[0].customer_id == people[holds[0]][1]
        else:
            assert active == [] and status(room_id) == "available"
        for i, (kind, message) in enumerate(results[1:], 1):
            if i not in holds:
                assert kind == "taken" and code in message, message


# ---------------------------------------------------------------- through the HTTP API

def post(url, headers, body):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers=dict(headers, **{"Content-Type": "application/json"}))
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as e:
        raw = e.read()
        try:
            return e.code, json.loads(raw)
        except ValueError:
            return e.code, {"raw": raw[:300]}


def test_concurrent_api_subscriptions_of_one_room_one_201_the_rest_409(app, ctx):
    from tests.browser.conftest import LiveServer
    client = app.test_client()
    tokens = {u: api_token(client, u) for u, _n, _name in SELLERS}
    people = contenders(12)  # fewer than the 15 connections the pool lends: every request has one at once
    one_off = plan("一次性付款").id
    rooms = [r.id for r in available_rooms(3)]
    db.session.remove()
    server = LiveServer(app)
    server.start()
    try:
        for room_id in rooms:
            barrier, answers = threading.Barrier(len(people)), [None] * len(people)

            def send(i, username, customer_id, room_id=room_id, barrier=barrier, answers=answers):
                barrier.wait(30)
                answers[i] = post(server.url + "/api/v1/deals/subscribe", tokens[username],
                                  {"room": room_id, "customer": customer_id, "plan": one_off})

            threads = [threading.Thread(target=send, args=(i, u, c)) for i, (u, c, _n) in enumerate(people)]
            for t in threads:
                t.start()
            for t in threads:
                t.join(90)
            codes = sorted(code for code, _body in answers)
            assert all(code < 500 or code == 503 for code in codes), answers
            assert codes.count(201) == 1, answers
            with app.app_context():
                active = deals_on(room_id, "active")
                assert len(active) == 1 and status(room_id) == "subscribed"
                assert db.session.query(Deal).filter(Deal.room_id == room_id).count() == 1
                name = active[0].employee.name
                if db.engine.dialect.name == "postgresql":
                    # PostgreSQL decides every request: one sale, every other contender told who has it.
                    assert codes == [201] + [409] * (len(people) - 1), answers
                winner = [body for code, body in answers if code == 201][0]
                assert winner["id"] == active[0].id and winner["stage"] == "subscribed"
                for code, body in answers:
                    if code == 409:
                        assert name in body["message"], body
                    elif code == 503:
                        # SQLite's write lock timed out: refused as busy, nothing written.
                        assert "message" in body, body
                db.session.remove()
    finally:
        server.stop()


# ---------------------------------------------------------------- the database's own guard

def test_a_second_active_deal_for_a_room_is_refused_by_the_database(app, ctx):
    room = available_rooms()[0]
    customer = customers_of("E1003")[0]
    with as_user(app, "sales"):
        deal_id = deals.hold(room, customer).id
    columns = {"project_id": room.project_id, "room_id": room.id, "customer_id": customers_of("E1006")[0].id,
               "employee_id": employee("E1006").id, "stage": "held", "state": "active", "first_home": True,
               "held_at": dt.datetime(2026, 1, 1), "hold_until": dt.datetime(2026, 1, 2),
               "created_at": dt.datetime(2026, 1, 1), "updated_at": dt.datetime(2026, 1, 1)}
    room_id = room.id
    db.session.remove()
    with pytest.raises(sa.exc.IntegrityError) as refused:
        with db.engine.begin() as conn:
            conn.execute(Deal.__table__.insert().values(**columns))
    # The partial unique index refused it (not some other constraint of the row).
    assert "uq_deal_active_room" in str(refused.value) or "deal.room_id" in str(refused.value), refused.value
    # An ended deal on the same room is not active: the index lets history accumulate.
    with db.engine.begin() as conn:
        conn.execute(Deal.__table__.insert().values(**dict(columns, state="released")))
    assert [d.id for d in deals_on(room_id, "active")] == [deal_id]
    assert len(deals_on(room_id)) == 2
