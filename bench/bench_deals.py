"""Deals under load, through the HTTP API served by gunicorn (PostgreSQL, the demo data).

    .venv/bin/python bench/bench_deals.py [--database-url URL] [--reuse] [--workers 4]
                                          [--clients 50] [--rooms 20] [--load-clients 16] [--seconds 15]
                                          [--mix alternate|hold|subscribe]

The database: --database-url, else DATABASE_URL, else loupan_bench on the local PostgreSQL. It
is emptied and rebuilt with the demo data: never point it at a database you keep. --reuse
measures again on a database an earlier run built (the deals an earlier run made are removed
first, their rooms available again).

gunicorn serves `app:create_app()` with --workers sync workers on a free port, configured from
the environment as in production (DATABASE_URL, LOUPAN_SECRET_KEY, LOUPAN_DATA_KEY). Measured:

(a) the race: --clients clients subscribe the same room at the same instant (POST
    /api/v1/deals/subscribe, each for another customer), over --rooms rooms: exactly one deal per
    room, how many 409 refusals, any 5xx (there must be none), latency p50/p95;
(b) throughput: --load-clients clients hold or subscribe (alternately, or --mix hold / subscribe) distinct available rooms
    for --seconds seconds: actions per second, latency p50/p95, any answer but 201;
(c) the cost of one action, in this process (Flask test client, one at a time): milliseconds,
    SQL statements, and the time spent waiting for them.
The load average of the machine is printed before and after: the figures depend on it."""
import argparse
import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loupan_bench"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GUNICORN = os.path.join(os.path.dirname(sys.executable), "gunicorn")
NOTE = "bench"
# Logins that sell every demo project, and the salesperson whose customers each one acts for.
SELLERS = (("sales", "E1003"), ("sales2", "E1006"), ("manager", "E1007"))


def build(url):
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.services import setup
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        demo.load()
        db.session.remove()
    return app


def forget_earlier_runs(app):
    """Remove the deals an earlier run made (their events carry the note "bench"); their rooms
    are available again."""
    from app.core.models import Notification
    from app.inventory.models import Room
    from app.sales.models import Deal, DealBuyer, DealEvent, DealPayment
    with app.app_context():
        ids = sa.select(DealEvent.deal_id).where(DealEvent.note == NOTE).scalar_subquery()
        rooms = [r for (r,) in db.session.query(Deal.room_id).filter(Deal.id.in_(ids))]
        for model in (DealPayment, DealBuyer):
            db.session.query(model).filter(model.deal_id.in_(ids)).delete(synchronize_session=False)
        deal_ids = [d for (d,) in db.session.query(Deal.id).filter(Deal.id.in_(ids))]
        db.session.query(DealEvent).filter(DealEvent.deal_id.in_(deal_ids)).delete(synchronize_session=False)
        db.session.query(Deal).filter(Deal.id.in_(deal_ids)).delete(synchronize_session=False)
        for start in range(0, len(rooms), 1000):
            db.session.query(Room).filter(Room.id.in_(rooms[start:start + 1000])).update(
                {"status": "available"}, synchronize_session=False)
        db.session.query(Notification).filter(Notification.link.like("/sales/deals/%")).delete(
            synchronize_session=False)
        db.session.commit()
        return len(deal_ids)


def material(app, race_rooms, race_clients):
    """The rooms and customers to use: available rooms with a price (one-off plan per project),
    and customers of each selling login's salesperson."""
    from app.core.models import LookupValue
    from app.crm.models import Customer
    from app.inventory.models import Project, Room
    from app.org.models import Employee
    from app.sales.models import PaymentPlan
    with app.app_context():
        plans = {p: i for p, i in db.session.query(PaymentPlan.project_id, PaymentPlan.id)
                 .filter(PaymentPlan.name == "一次性付款")}
        rooms = [(r, p) for r, p in db.session.query(Room.id, Room.project_id)
                 .join(Project, Project.id == Room.project_id)
                 .filter(Room.status == "available", Room.list_total_price > 0, Room.project_id.in_(list(plans)))
                 .order_by(Project.code.desc(), Room.id)]
        customers = {}
        for username, number in SELLERS:
            owner = db.session.query(Employee.id).filter_by(number=number).scalar()
            # Not the 老带新 customers: their automatic referral discount needs a manager's approval.
            customers[username] = [c for (c,) in db.session.query(Customer.id)
                                   .outerjoin(LookupValue, LookupValue.id == Customer.source_id)
                                   .filter(Customer.owner_id == owner,
                                           sa.or_(LookupValue.name.is_(None), LookupValue.name != "老带新"))
                                   .order_by(Customer.id).limit(race_clients)]
        version = db.session.execute(sa.text("SELECT version()")).scalar()
    return [(r, plans[p]) for r, p in rooms], customers, version


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_gunicorn(url, workers, port, profile_dir=None):
    from config import TestConfig
    env = dict(os.environ, DATABASE_URL=url, LOUPAN_SECRET_KEY=TestConfig.SECRET_KEY,
               LOUPAN_DATA_KEY=TestConfig.LOUPAN_DATA_KEY, LOUPAN_LOGIN_RATE_LIMIT="1000 per minute",
               LOUPAN_SCHEDULER_IN_PROCESS="0")
    command = [GUNICORN, "-w", str(workers), "-b", "127.0.0.1:%d" % port, "--backlog", "2048",
               "--log-level", "warning", "app:create_app()"]
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen("http://127.0.0.1:%d/login/" % port, timeout=5).read()
            return server
        except (urllib.error.URLError, ConnectionError, OSError):
            if server.poll() is not None:
                raise SystemExit("gunicorn stopped")
            time.sleep(0.5)
    server.terminate()
    raise SystemExit("gunicorn did not answer within 120 s")


def call(url, body, headers=None):
    request = urllib.request.Request(url, data=json.dumps(body).encode(), method="POST",
                                     headers=dict(headers or {}, **{"Content-Type": "application/json"}))
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=120) as response:
            code, raw = response.status, response.read()
    except urllib.error.HTTPError as e:
        code, raw = e.code, e.read()
    elapsed = time.perf_counter() - started
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        data = {"raw": raw[:200]}
    return code, data, elapsed


def tokens(base):
    out = {}
    for username, _number in SELLERS:
        code, data, _t = call(base + "/api/v1/security/login",
                              {"username": username, "password": "Loupan2026", "provider": "db"})
        assert code == 200, (username, code, data)
        out[username] = {"Authorization": "Bearer " + data["access_token"]}
    return out


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))] * 1000


def race(base, auth, rooms, customers, clients):
    """Every client subscribes the same room at once, room after room."""
    people = [(SELLERS[i % len(SELLERS)][0], customers[SELLERS[i % len(SELLERS)][0]][i // len(SELLERS)])
              for i in range(clients)]
    latencies, rows = [], []
    for room_id, plan_id in rooms:
        barrier, answers = threading.Barrier(clients), [None] * clients

        def send(i, username, customer_id):
            barrier.wait()
            answers[i] = call(base + "/api/v1/deals/subscribe", {"room": room_id, "customer": customer_id,
                                                                 "plan": plan_id, "note": NOTE}, auth[username])

        threads = [threading.Thread(target=send, args=(i, u, c)) for i, (u, c) in enumerate(people)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        codes = [a[0] for a in answers]
        latencies += [a[2] for a in answers]
        refusals = [a[1].get("message", "") for a in answers if a[0] == 409]
        rows.append((room_id, codes.count(201), codes.count(409), sum(1 for c in codes if c >= 500),
                     sorted(set(codes) - {201, 409}), all("已被" in m or "has been" in m for m in refusals)))
    return rows, latencies


def load(base, auth, rooms, customers, clients, seconds, mix="alternate"):
    """Each client holds or subscribes (alternately, or only one of them: mix) the next distinct
    room until time is up."""
    lock, position = threading.Lock(), [0]
    codes, latencies, finished = {}, [], []
    stop_at = [None]

    def next_room():
        with lock:
            if position[0] >= len(rooms):
                return None
            position[0] += 1
            return rooms[position[0] - 1]

    def client(i):
        username = SELLERS[i % len(SELLERS)][0]
        customer_id = customers[username][i // len(SELLERS)]
        n = 0
        while time.perf_counter() < stop_at[0]:
            room = next_room()
            if room is None:
                break
            room_id, plan_id = room
            subscribe = mix == "subscribe" or (mix == "alternate" and (i + n) % 2)
            if subscribe:
                code, data, elapsed = call(base + "/api/v1/deals/subscribe", {
                    "room": room_id, "customer": customer_id, "plan": plan_id, "note": NOTE}, auth[username])
            else:
                code, data, elapsed = call(base + "/api/v1/deals/hold", {
                    "room": room_id, "customer": customer_id, "note": NOTE}, auth[username])
            n += 1
            with lock:
                codes[code] = codes.get(code, 0) + 1
                latencies.append(elapsed)
                if code != 201 and len(finished) < 5:
                    finished.append((code, data))

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    started = time.perf_counter()
    stop_at[0] = started + seconds
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return codes, latencies, elapsed, finished, position[0] >= len(rooms)


def cost(app, rooms, customers, repeat=10):
    """(action, ms per request, statements per request, ms of them waiting for the database)."""
    from tests.conftest import api_token
    client = app.test_client()
    auth = api_token(client, "sales")
    customer_id = customers["sales"][0]
    seen = [0.0, 0]

    def before(conn, cursor, statement, params, context, many):
        context._bench_started = time.perf_counter()

    def after(conn, cursor, statement, params, context, many):
        seen[0] += time.perf_counter() - context._bench_started
        seen[1] += 1

    with app.app_context():
        engine = db.engine
    out, rooms = [], iter(rooms)
    for action in ("hold", "subscribe"):
        def send():
            room_id, plan_id = next(rooms)
            body = {"room": room_id, "customer": customer_id, "note": NOTE}
            if action == "subscribe":
                body["plan"] = plan_id
            response = client.post("/api/v1/deals/" + action, json=body, headers=auth)
            assert response.status_code == 201, response.get_data(as_text=True)
        send()  # the first request of a process loads what later ones reuse
        sa.event.listen(engine, "before_cursor_execute", before)
        sa.event.listen(engine, "after_cursor_execute", after)
        seen[:] = [0.0, 0]
        started = time.perf_counter()
        for _ in range(repeat):
            send()
        elapsed = time.perf_counter() - started
        sa.event.remove(engine, "before_cursor_execute", before)
        sa.event.remove(engine, "after_cursor_execute", after)
        out.append((action, elapsed / repeat * 1000, seen[1] / repeat, seen[0] / repeat * 1000))
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--reuse", action="store_true", help="measure again on the data an earlier run built")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--clients", type=int, default=50, help="clients racing for one room")
    parser.add_argument("--rooms", type=int, default=20, help="rooms raced for")
    parser.add_argument("--load-clients", type=int, default=16, help="clients of the throughput run")
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--mix", choices=("alternate", "hold", "subscribe"), default="alternate",
                        help="the throughput run's actions: holds and subscriptions alternately, or one kind")
    args = parser.parse_args()
    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)
    from config import database_url
    url = database_url(args.database_url or DEFAULT_URL)
    if not url.startswith("postgresql"):
        raise SystemExit("this bench runs on PostgreSQL (gunicorn workers share the database)")
    started = time.perf_counter()
    if args.reuse:
        app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
        removed = forget_earlier_runs(app)
        print("reused the database (%d deals of earlier runs removed) in %.1f s"
              % (removed, time.perf_counter() - started))
    else:
        app = build(url)
        print("built the demo database in %.1f s" % (time.perf_counter() - started))
    rooms, customers, version = material(app, args.rooms, max(args.clients, args.load_clients))
    race_rooms, load_rooms = rooms[:args.rooms], rooms[args.rooms:]
    print("database: %s" % version.split(" on ")[0])
    print("machine: %d CPU(s), %s; gunicorn %d sync workers; clients are threads of this process"
          % (os.cpu_count(), " ".join(os.uname()[::2]), args.workers))

    print("load average before: %.2f %.2f %.2f" % os.getloadavg())
    port = free_port()
    server = start_gunicorn(url, args.workers, port)
    base = "http://127.0.0.1:%d" % port
    try:
        auth = tokens(base)
        rows, latencies = race(base, auth, race_rooms, customers, args.clients)
        print()
        print("(a) %d clients subscribe the same room at once, %d rooms" % (args.clients, len(rows)))
        print("%-8s %6s %6s %6s %-12s %s" % ("room", "201", "409", "5xx", "other", "409 names the holder"))
        for room_id, won, refused, errors, other, named in rows:
            print("%-8d %6d %6d %6d %-12s %s" % (room_id, won, refused, errors, other or "-", "yes" if named else "NO"))
        with app.app_context():
            from app.sales.models import Deal
            ids = [r for r, _p in race_rooms]
            per_room = dict(db.session.query(Deal.room_id, sa.func.count(Deal.id)).filter(Deal.room_id.in_(ids))
                            .group_by(Deal.room_id).all())
            db.session.remove()
        exactly_one = sum(1 for r in ids if per_room.get(r) == 1)
        print("rooms with exactly one deal: %d of %d; 201: %d; 409: %d; 5xx: %d; other: %d"
              % (exactly_one, len(ids), sum(r[1] for r in rows), sum(r[2] for r in rows), sum(r[3] for r in rows),
                 sum(args.clients - r[1] - r[2] - r[3] for r in rows)))
        print("latency of the %d requests: p50 %.0f ms, p95 %.0f ms, max %.0f ms"
              % (len(latencies), percentile(latencies, 50), percentile(latencies, 95), max(latencies) * 1000))

        codes, latencies, elapsed, odd, ran_out = load(base, auth, load_rooms, customers, args.load_clients,
                                                       args.seconds, args.mix)
        done = sum(codes.values())
        print()
        print("(b) %d clients, %s, distinct rooms for %.0f s" % (
            args.load_clients, {"alternate": "holds and subscriptions alternately", "hold": "holds only",
                                "subscribe": "subscriptions only"}[args.mix], args.seconds))
        print("%-28s %10s" % ("figure", "value"))
        print("%-28s %10d" % ("actions", done))
        print("%-28s %10s" % ("answers", ", ".join("%s: %d" % (c, n) for c, n in sorted(codes.items()))))
        print("%-28s %10.1f" % ("actions per second", done / elapsed))
        print("%-28s %10.0f" % ("latency p50 ms", percentile(latencies, 50)))
        print("%-28s %10.0f" % ("latency p95 ms", percentile(latencies, 95)))
        if ran_out:
            print("(every available room was used before the time was up)")
        for code, data in odd:
            print("answer %s: %s" % (code, data))
        print("load average after: %.2f %.2f %.2f" % os.getloadavg())
    finally:
        server.terminate()
        server.wait(30)
    with app.app_context():
        from app.inventory.models import Room
        free = set(r for (r,) in db.session.query(Room.id).filter(Room.status == "available"))
        db.session.remove()
    spare = [room for room in load_rooms if room[0] in free]
    print()
    print("(c) one action at a time, in this process (Flask test client)")
    print("%-12s %10s %12s %14s" % ("action", "ms", "statements", "ms in the db"))
    for action, ms, statements, waiting in cost(app, spare, customers):
        print("%-12s %10.1f %12.0f %14.1f" % (action, ms, statements, waiting))


if __name__ == "__main__":
    main()
