"""Customers at scale: finding a customer by phone, the customer lists, the overdue scan and the
public-pool return, with 100,000 customers and 1,000,000 follow-ups.

    .venv/bin/python bench/bench_crm.py [--customers 100000] [--follow-ups 1000000] [--repeat 7]
                                        [--database-url URL | --sqlite] [--reuse] [--only TEXT,...]

The database: --database-url, else DATABASE_URL, else
postgresql+psycopg://postgres@127.0.0.1:5432/loupan_me; --sqlite uses a throw-away SQLite file.
The database is emptied and rebuilt: never point it at a database you keep. --reuse measures
again on what an earlier run built; --only measures only the operations whose label contains
one of the given words.

The demo (organisation, logins, projects, its 3,000 customers) plus 44 more salespeople with
logins in six more sales teams and the demo's Hangzhou team (50 salespeople in the four project
departments) and a newcomer; then customers until there are --customers (2,000 per
salesperson, `sales` 林晓燕 among them; 5 for the newcomer), their visits and opportunities
(70% of customers, 10% a second project) and follow-ups until there are --follow-ups (about 10
per customer; the last one of 80% of the customers still open: 12% overdue, 4% due today).
Phones and ID numbers are encrypted and hashed with the application's own functions
(app.core.crypto.encrypt, blind_index); rows go in with COPY on PostgreSQL, one executemany per
table on SQLite, then ANALYZE.

Measured (median and worst of --repeat runs, and the most SQL statements one run issued):
finding a customer by phone (the service and GET /api/v1/customers/lookup), the list pages as
林晓燕, as the newcomer, as her supervisor 陈志明 (his department: ten salespeople, 20,000
customers) and as the admin, the overdue scan (follow_ups.remind_overdue, its marks cleared
between runs) and the pool return (pool.return_neglected, undone between runs), against the
issue's targets."""
import argparse
import datetime as dt
import io
import json
import os
import platform
import random
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loupan_me"
PER_SALESPERSON = 2000
NEWCOMER, NEWCOMER_CUSTOMERS = "newcomer", 5
# New sales teams: code, name, parent department code, project code, salespeople.
TEAMS = [
    ("GZ-TH-S2", "云璟销售二组", "GZ-TH", "GZ-YJ", 7),
    ("SZ-QH-S1", "海悦销售一组", "SZ-QH", "SZ-HY", 6),
    ("SZ-QH-S2", "海悦销售二组", "SZ-QH", "SZ-HY", 6),
    ("SH-PD-S1", "滨江府销售一组", "SH-PD", "SH-PJHT", 6),
    ("SH-PD-S2", "滨江府销售二组", "SH-PD", "SH-PJHT", 6),
    ("HZ-BJ-S2", "锦园销售二组", "HD", "HZ-JY", 6),
    ("HZ-BJ", None, None, "HZ-JY", 7),      # the demo's 杭州滨江·锦园销售部 gets 7 more
]
# Next follow-up of a customer's last contact, in days from today: (weight, low, high); None = closed.
NEXT = [(12, -60, -1), (4, 0, 0), (64, 1, 30), (20, None, None)]
TARGETS_MS = {"phone": 50, "list": 300, "scan": 5000}


# ---- building the data --------------------------------------------------------------------

def _pg_text(value):
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, dt.datetime):
        return value.isoformat(" ")
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    value = str(value)
    if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


def _sqlite_value(value):
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")  # SQLAlchemy's own storage format
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _defaults(table, given):
    """Columns the rows do not name but the table needs (NOT NULL with a Python default)."""
    extra = {}
    for column in table.columns:
        if column.name in given or column.nullable or column.server_default is not None:
            continue
        if column.default is not None and column.default.is_scalar:
            extra[column.name] = column.default.arg
        elif column.default is not None and column.default.is_callable:
            extra[column.name] = column.default.arg(None)
    return extra


def bulk_insert(table, rows):
    """Insert dict rows (all with the same keys, ids included) as fast as the database allows:
    COPY on PostgreSQL, one executemany on SQLite. Returns the number of rows."""
    rows = iter(rows)
    first = next(rows, None)
    if first is None:
        return 0
    extra = _defaults(table, first)
    columns = list(first) + list(extra)
    raw = db.engine.raw_connection()
    count = 0
    try:
        cursor = raw.cursor()
        if db.engine.dialect.name == "postgresql":
            statement = 'COPY "%s" (%s) FROM STDIN' % (table.name, ", ".join('"%s"' % c for c in columns))
            with cursor.copy(statement) as copy:
                buffer = io.StringIO()
                for row in _chain(first, rows):
                    values = [row[c] for c in first] + list(extra.values())
                    buffer.write("\t".join(_pg_text(v) for v in values))
                    buffer.write("\n")
                    count += 1
                    if count % 20000 == 0:
                        copy.write(buffer.getvalue())
                        buffer = io.StringIO()
                copy.write(buffer.getvalue())
        else:
            statement = 'INSERT INTO "%s" (%s) VALUES (%s)' % (
                table.name, ", ".join('"%s"' % c for c in columns), ", ".join("?" * len(columns)))
            batch = []
            for row in _chain(first, rows):
                batch.append([_sqlite_value(row[c]) for c in first] + [_sqlite_value(v) for v in extra.values()])
                count += 1
                if len(batch) == 20000:
                    cursor.executemany(statement, batch)
                    batch = []
            if batch:
                cursor.executemany(statement, batch)
        raw.commit()
    finally:
        raw.close()
    return count


def _chain(first, rest):
    yield first
    yield from rest


def _next_id(model):
    return (db.session.execute(sa.select(sa.func.max(model.id))).scalar() or 0) + 1


def _reset_sequences(models):
    if db.engine.dialect.name != "postgresql":
        return
    with db.engine.begin() as conn:
        for model in models:
            table = model.__table__.name
            conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('\"%s\"', 'id'), "
                                 "(SELECT COALESCE(MAX(id), 0) + 1 FROM \"%s\"), false)" % (table, table)))


def add_salespeople():
    """44 more salespeople with logins (the sales role, the demo password) in seven teams, and a
    newcomer. Returns [(employee id, project id, customers to own)] of all 51, the demo's first."""
    from flask_appbuilder.security.sqla.models import Role, User
    from app.core import roles
    from app.crm import demo as crm_demo
    from app.inventory.models import Project
    from app.org.models import Department, Employee
    departments = {d.code: d for d in db.session.query(Department)}
    projects = {p.code: p.id for p in db.session.query(Project)}
    sales_user = db.session.query(User).filter_by(username="sales").one()
    role = db.session.query(Role).filter_by(name=roles.SALES).one()
    hired = dt.date(2023, 3, 1)
    new = []
    for code, name, parent, project, count in TEAMS:
        team = departments.get(code)
        if team is None:
            team = Department(code=code, name=name, kind="sales_team", parent=departments[parent], active=True,
                              sort_order=100)
            db.session.add(team)
            departments[code] = team
        for _n in range(count):
            new.append((team, projects[project], PER_SALESPERSON))
    # Someone who joined last week: 5 customers (a list must not get slower for owning few).
    new.append((departments["GZ-TH-S2"], projects["GZ-YJ"], NEWCOMER_CUSTOMERS))
    db.session.flush()
    surnames, given = crm_demo.SURNAMES, crm_demo.GIVEN
    user_rows, employees = [], []
    next_user = _next_id(User)
    now = dt.datetime.utcnow()
    for n, (team, project, quota) in enumerate(new):
        username = NEWCOMER if quota == NEWCOMER_CUSTOMERS else "s%03d" % n
        name = surnames[(n * 7) % len(surnames)] + given[(n * 11) % len(given)]
        user_rows.append({"id": next_user + n, "first_name": name[1:], "last_name": name[0], "username": username,
                          "password": sales_user.password, "active": True, "email": username + "@loupan.local",
                          "created_on": now, "changed_on": now, "login_count": 0, "fail_login_count": 0})
        employees.append((Employee(number="E2%03d" % n, name=name, department_id=team.id, position="置业顾问",
                                   phone="1391234%04d" % n, hire_date=hired, status="active",
                                   user_id=next_user + n), project, quota))
    db.session.execute(User.__table__.insert(), user_rows)
    db.session.execute(db.metadata.tables["ab_user_role"].insert(),
                       [{"user_id": r["id"], "role_id": role.id} for r in user_rows])
    db.session.add_all([e for e, _p, _q in employees])
    db.session.commit()
    demo_people = db.session.query(Employee).filter(Employee.number.in_(crm_demo.OWNERS)).all()
    salespeople = [(e.id, projects[crm_demo.OWNERS[e.number]], PER_SALESPERSON)
                   for e in sorted(demo_people, key=lambda e: e.number)]
    salespeople += [(e.id, project, quota) for e, project, quota in employees]
    _reset_sequences([User, Employee])
    return salespeople


def add_customers(total_customers, total_follow_ups, salespeople, seed=7):
    """Customers, visits, opportunities and follow-ups up to the totals, in bulk."""
    from app.core import clock
    from app.core.crypto import blind_index, encrypt, normalize
    from app.core.models import LookupValue
    from app.crm import demo as crm_demo
    from app.crm.models import Customer, FollowUp, Opportunity, Visit
    rnd = random.Random(seed)
    today = clock.local_today()
    now = dt.datetime.combine(today, dt.time(10, 0))
    lookups = {}
    for value_id, code in db.session.execute(sa.select(LookupValue.id, LookupValue.list_code)):
        lookups.setdefault(code, []).append(value_id)
    pick = lambda code: rnd.choice(lookups[code]) if lookups.get(code) else None  # noqa: E731
    projects = sorted({p for _e, p, _q in salespeople})
    owned = dict(db.session.execute(sa.select(Customer.owner_id, sa.func.count()).group_by(Customer.owner_id)).all())
    existing = db.session.query(Customer).count()
    existing_fu = db.session.query(FollowUp).count()
    phones, id_numbers = set(), set()  # the demo's phones start 13x/15x/18x, the bench's 17x/19x
    plans = []
    for employee_id, project_id, quota in salespeople:
        plans += [(employee_id, project_id)] * max(0, quota - owned.get(employee_id, 0))
    rnd.shuffle(plans)
    plans = plans[:max(0, total_customers - existing)]
    # Follow-ups per customer: about the same for all, adding up to the total.
    wanted = max(len(plans), total_follow_ups - existing_fu)
    mean = wanted / max(1, len(plans))
    counts = [max(1, int(rnd.uniform(1, 2 * mean - 1) + 0.5)) for _p in plans]
    diff = wanted - sum(counts)
    while diff and counts:
        i = rnd.randrange(len(counts))
        if diff > 0:
            counts[i] += 1
            diff -= 1
        elif counts[i] > 1:
            counts[i] -= 1
            diff += 1

    customer_id, visit_id = _next_id(Customer), _next_id(Visit)
    opp_id, follow_up_id = _next_id(Opportunity), _next_id(FollowUp)
    customers, visits, opportunities, follow_ups = [], [], [], []
    timings = {"encrypt + hash": 0.0}
    weights = [w for w, _lo, _hi in NEXT]
    for n, (owner_id, project_id) in enumerate(plans):
        phone = None
        while phone is None or phone in phones:
            phone = "1%s%08d" % (rnd.choice(["70", "71", "73", "76", "77", "78", "91", "98", "99"]),
                                 rnd.randrange(10 ** 8))
        phones.add(phone)
        gender = rnd.choice(["male", "female"])
        birth = dt.date(rnd.randint(1955, 2003), rnd.randint(1, 12), rnd.randint(1, 28))
        number = None
        while number is None or number in id_numbers:
            number = crm_demo.id_number("440106", birth, rnd.randrange(500) * 2 + (1 if gender == "male" else 0))
            birth = birth + dt.timedelta(days=1)
        id_numbers.add(number)
        created = now - dt.timedelta(days=rnd.randint(1, 720), minutes=rnd.randint(0, 600))
        started = time.perf_counter()
        row = {"id": customer_id, "kind": "person",
               "name": rnd.choice(crm_demo.SURNAMES) + rnd.choice(crm_demo.GIVEN),
               "phone": encrypt(normalize(phone)), "phone_hash": blind_index(phone),
               "id_type": "id_card", "id_number": encrypt(normalize(number)), "id_number_hash": blind_index(number),
               "gender": gender, "age_band_id": pick("age_band"), "address": "广州市天河区%d号" % rnd.randint(1, 999),
               "region_id": pick("region"), "occupation_id": pick("occupation"),
               "family_id": pick("family_structure"), "source_id": pick("visit_channel"),
               "level_id": pick("customer_level"), "owner_id": owner_id, "created_at": created}
        timings["encrypt + hash"] += time.perf_counter() - started
        customers.append(row)

        # Contacts: the first at registration, the last planning the next one (or not).
        count = counts[n]
        kind = rnd.choices(range(len(NEXT)), weights)[0]
        _w, low, high = NEXT[kind]
        next_date = today + dt.timedelta(days=rnd.randint(low, high)) if low is not None else None
        if next_date is not None:
            last = dt.datetime.combine(next_date - dt.timedelta(days=rnd.randint(2, 14)),
                                       dt.time(rnd.randint(9, 20), rnd.randint(0, 59), rnd.randint(0, 59)))
        else:
            last = created + (now - created) * rnd.random()
        # Nothing after now (a contact planned for the coming days was made in the last three).
        last = max(created + dt.timedelta(hours=1), min(last, now - dt.timedelta(minutes=rnd.randint(30, 4320))))
        main_opp = None
        for k, project in enumerate([project_id] + ([rnd.choice([p for p in projects if p != project_id])]
                                                    if rnd.random() < .1 else [])):
            if k == 0 and rnd.random() >= .7:
                continue
            stage = rnd.choices([s for s, _w in crm_demo.STAGES], [w for _s, w in crm_demo.STAGES])[0]
            opp = {"id": opp_id, "customer_id": customer_id, "project_id": project, "owner_id": owner_id,
                   "grade_id": pick("opportunity_grade"), "stage": stage, "chance": crm_demo.CHANCES[stage],
                   "lost_reason_id": pick("lost_reason") if stage == "lost" else None, "notes": None,
                   "created_at": created}
            if "last_contact_at" in Opportunity.__table__.c:
                opp["last_contact_at"] = last
            opportunities.append(opp)
            main_opp = main_opp or opp_id
            opp_id += 1
        for v in range(1 if rnd.random() < .6 else 2):
            visits.append({"id": visit_id, "customer_id": customer_id, "project_id": project_id,
                           "kind": "visit" if rnd.random() < .75 else "call", "channel_id": row["source_id"],
                           "visited_at": created + (last - created) * v, "is_first": v == 0,
                           "received_by_id": owner_id, "layout_wanted": rnd.choice(crm_demo.LAYOUTS),
                           "area_min": 90, "area_max": 130, "budget_min": 2000000, "budget_max": 3500000,
                           "floors_wanted": None, "notes": None, "registered_by_id": None})
            visit_id += 1
        step = (last - created) / max(1, count - 1)
        for k in range(count):
            final = k == count - 1
            follow_ups.append({"id": follow_up_id, "customer_id": customer_id, "opportunity_id": main_opp,
                               "contact_type": rnd.choice(("visit", "call", "message", "wechat", "home_visit")),
                               "content": rnd.choice(crm_demo.CONTENTS), "employee_id": owner_id,
                               "followed_at": (created + step * k if not final else last).replace(microsecond=0),
                               "next_date": next_date if final else None, "open": final and next_date is not None,
                               "reminded_on": None})
            follow_up_id += 1
        customer_id += 1

    written = {}
    for model, rows in ((Customer, customers), (Visit, visits), (Opportunity, opportunities),
                        (FollowUp, follow_ups)):
        started = time.perf_counter()
        written[model.__tablename__] = bulk_insert(model.__table__, rows)
        timings["insert %s" % model.__tablename__] = time.perf_counter() - started
    _reset_sequences([Customer, Visit, Opportunity, FollowUp])
    started = time.perf_counter()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(sa.text("VACUUM ANALYZE"))
    else:
        with db.engine.begin() as conn:
            conn.execute(sa.text("ANALYZE"))
    timings["analyze"] = time.perf_counter() - started
    return written, timings


def build(url, customers, follow_ups):
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
    timings = {}
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.services import setup
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        started = time.perf_counter()
        demo.load()
        timings["demo (organisation, logins, projects, 3,000 customers)"] = time.perf_counter() - started
        started = time.perf_counter()
        salespeople = add_salespeople()
        timings["44 more salespeople with logins"] = time.perf_counter() - started
        _written, more = add_customers(customers, follow_ups, salespeople)
        timings.update(more)
        db.session.remove()
    return app, timings


# ---- measuring ----------------------------------------------------------------------------

class Counter:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def __enter__(self):
        self.count = 0
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, *_args):
        self.count += 1

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def timed_runs(engine, repeat, run, before=None):
    """(median ms, worst ms, most statements) of `repeat` runs of run(i); before(i) is not timed.
    Something that takes over 10 s is run twice only."""
    times, most = [], 0
    for i in range(repeat):
        if len(times) >= 2 and max(times) > 10000:
            break
        if before is not None:
            before(i)
        with Counter(engine) as counter:
            started = time.perf_counter()
            run(i)
            times.append((time.perf_counter() - started) * 1000)
        most = max(most, counter.count)
    return statistics.median(times), max(times), most


def page(client, url):
    def run(_i):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:300])
    return run


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100000)
    parser.add_argument("--follow-ups", type=int, default=1000000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--sqlite", action="store_true", help="a throw-away SQLite file instead of PostgreSQL")
    parser.add_argument("--only", help="measure only the pages whose label contains one of these (comma-separated)")
    parser.add_argument("--reuse", action="store_true",
                        help="measure again on the data an earlier run built (nothing is rebuilt)")
    args = parser.parse_args()
    if args.sqlite:
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="loupan-bench-"), "bench.db")
    else:
        from config import database_url
        url = database_url(args.database_url or DEFAULT_URL)
    started = time.perf_counter()
    if args.reuse and not args.sqlite:
        app, timings = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url), {}
    else:
        app, timings = build(url, args.customers, args.follow_ups)
    build_seconds = time.perf_counter() - started

    from app.crm.models import Customer, FollowUp, Opportunity
    from app.crm.services import customers as customer_service
    from app.crm.services import follow_ups as follow_up_service
    from app.org.models import Employee
    from tests.conftest import api_token, login
    with app.app_context():
        engine = db.engine
        dialect = engine.dialect.name
        version = db.session.execute(sa.text("SELECT version()" if dialect == "postgresql"
                                             else "SELECT 'SQLite ' || sqlite_version()")).scalar()
        totals = {m.__tablename__: db.session.query(m).count() for m in (Customer, Opportunity, FollowUp)}
        today = follow_up_service.today()
        open_count = db.session.query(FollowUp).filter(FollowUp.open.is_(True)).count()
        overdue_count = db.session.query(FollowUp).filter(FollowUp.open.is_(True), FollowUp.next_date < today).count()
        sales = db.session.query(Employee).filter_by(number="E1003").one()
        own = db.session.query(Customer).filter(Customer.owner_id == sales.id).count()
        from app.org.services import descendants
        manager = db.session.query(Employee).filter_by(number="E1002").one()
        departments = [manager.department_id] + descendants(manager.department_id)
        team = db.session.query(Customer).join(Employee, Customer.owner_id == Employee.id) \
            .filter(Employee.department_id.in_(departments)).count()
        # Phones to look for: 300 customers' numbers, read (and decrypted) as the application does.
        phones = [c.phone for c in db.session.query(Customer).order_by(Customer.id % 331, Customer.id).limit(300)]
        db.session.remove()

    print("Loupan customers bench — %s, Python %s, %s, %d CPUs" % (
        version.split(" on ")[0], platform.python_version(), platform.platform(), os.cpu_count()))
    print("database: %s" % url.split("@")[-1])
    print("%s in %.1f s: %s customers, %s opportunities, %s follow-ups (%s open, %s overdue); "
          "51 salespeople (one a newcomer); 林晓燕 owns %s, 陈志明's department %s"
          % ("reused" if args.reuse else "built", build_seconds, *("{:,}".format(n) for n in (totals["customer"], totals["opportunity"],
                                                         totals["follow_up"], open_count, overdue_count, own, team))))
    for name, seconds in timings.items():
        print("  %-56s %7.1f s" % (name, seconds))

    rows = []  # (label, median, worst, statements, target ms or None)
    load_before = os.getloadavg()[0]
    rnd = random.Random(11)
    only = [o.strip() for o in (args.only or "").split(",") if o.strip()]
    wanted = lambda label: not only or any(o in label for o in only)  # noqa: E731

    # (a) a customer by phone: the service (as the visit registration calls it) and the API.
    def by_phone(i):
        found = customer_service.find_by_phone(rnd.choice(phones))
        assert found is not None
        db.session.remove()

    def unknown_phone(i):
        assert customer_service.find_by_phone("1660000%04d" % i) is None
        db.session.remove()

    if wanted("find_by_phone"):
        with app.app_context():
            rows.append(("find_by_phone (service), existing phone",) + timed_runs(engine, args.repeat * 3, by_phone)
                        + (TARGETS_MS["phone"],))
            rows.append(("find_by_phone (service), unknown phone",)
                        + timed_runs(engine, args.repeat * 3, unknown_phone) + (TARGETS_MS["phone"],))
    client = app.test_client()
    headers = api_token(client, "sales")

    def lookup(i):
        response = client.get("/api/v1/customers/lookup?phone=" + rnd.choice(phones), headers=headers)
        assert response.status_code == 200 and response.json["exists"], response.get_data(as_text=True)
    if wanted("lookup"):
        rows.append(("GET /api/v1/customers/lookup?phone= (sales)",) + timed_runs(engine, args.repeat * 3, lookup)
                    + (TARGETS_MS["phone"],))

    # (b) the list pages, as a salesperson, her supervisor and the admin.
    lists = [
        ("customer list", "/customerview/list/", TARGETS_MS["list"]),
        ("customer list, 100 rows", "/customerview/list/?psize_CustomerView=100", TARGETS_MS["list"]),
        ("customer list, page 50", "/customerview/list/?page_CustomerView=49", TARGETS_MS["list"]),
        ("customer list, level filter", "/customerview/list/?_flt_0_level=%d", TARGETS_MS["list"]),
        ("opportunity list", "/opportunityview/list/", None),
        ("visit list", "/visitview/list/", None),
        ("follow-up list", "/followupview/list/", None),
        ("follow-ups due", "/followupview/due/", None),
        ("home page", "/", None),
    ]
    with app.app_context():
        from app.core.models import LookupValue
        level = db.session.query(LookupValue).filter_by(list_code="customer_level").order_by(LookupValue.id).first().id
    # Who sees what: everything for 林晓燕 and her supervisor; the main lists for a newcomer with
    # 5 customers (a salesperson too) and for the admin (all 100,000).
    short = ("customer list", "opportunity list", "follow-up list", "follow-ups due")
    for who, label, salesperson, names in (("sales", "林晓燕 ({:,} customers)".format(own), True, None),
                                           (NEWCOMER, "newcomer (5 customers)", True, short),
                                           ("manager", "陈志明 (supervisor)", False, None),
                                           ("admin", "admin", False, short)):
        client = app.test_client()
        login(client, who)
        for name, url, target in lists:
            if (names is not None and name not in names) or not wanted("%s: %s" % (label, name)):
                continue
            url = url % level if "%d" in url else url
            result = timed_runs(engine, args.repeat, page(client, url))
            rows.append(("%s: %s" % (label, name),) + result + (target if salesperson else None,))

    # (c) the daily overdue scan; its marks (and notifications) are cleared between runs.
    from app.core.models import Notification
    reminded = {}

    def clear(_i):
        db.session.execute(sa.update(FollowUp).where(FollowUp.reminded_on.is_not(None)).values(reminded_on=None))
        db.session.execute(sa.delete(Notification))
        db.session.commit()

    def scan(_i):
        reminded["last"] = follow_up_service.remind_overdue()
        db.session.remove()

    if wanted("remind_overdue"):
        with app.app_context():
            rows.append(("remind_overdue (overdue scan)",) + timed_runs(engine, max(3, args.repeat // 2), scan, clear)
                        + (TARGETS_MS["scan"],))
        print("overdue scan: %d salespeople told of %s overdue follow-ups" % (
            reminded["last"][0], "{:,}".format(reminded["last"][1])))

    # (d) the pool return (another part of the application; measured when it is there).
    try:
        from app.crm.services import pool
    except ImportError:
        pool = None
    if not wanted("return_neglected"):
        pass
    elif pool is None or not hasattr(pool, "return_neglected"):
        print("pool return: app.crm.services.pool.return_neglected does not exist yet (not measured)")
    else:
        rows.extend(pool_rows(app, engine, pool, max(3, args.repeat // 2)))

    print()
    print("load average while measuring: %.1f at the start, %.1f at the end (%d CPUs)" % (
        load_before, os.getloadavg()[0], os.cpu_count()))
    print("%-58s %10s %10s %8s %10s %6s" % ("operation", "median ms", "worst ms", "queries", "target ms", ""))
    for label, median, worst, queries, target in rows:
        verdict = "" if target is None else ("pass" if worst < target else ("pass*" if median < target else "FAIL"))
        print("%-58s %10.1f %10.1f %8d %10s %6s" % (label, median, worst, queries, target or "", verdict))
    print("pass: worst run under the target; pass*: median under it, not the worst")


class Undo:
    """Puts back what the pool return changes: opportunities' and customers' owners (saved in two
    scratch tables first) and the rows it adds (pool events, audit entries, notifications)."""

    SAVED = {"opportunity": ("owner_id", "pooled_at", "pooled_from_id"), "customer": ("owner_id",)}
    ADDED = ("crm_pool_event", "audit_log", "notification")

    def __init__(self):
        self.marks = {}
        with db.engine.begin() as conn:
            for table, columns in self.SAVED.items():
                conn.execute(sa.text("DROP TABLE IF EXISTS bench_saved_%s" % table))
                conn.execute(sa.text("CREATE TABLE bench_saved_%s AS SELECT id, %s FROM %s"
                                     % (table, ", ".join(columns), table)))
            for table in self.ADDED:
                self.marks[table] = conn.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM %s" % table)).scalar()

    def __call__(self, *_args):
        db.session.remove()
        with db.engine.begin() as conn:
            for table, columns in self.SAVED.items():
                changed = " OR ".join("%s.%s IS DISTINCT FROM s.%s" % (table, c, c) if conn.dialect.name ==
                                      "postgresql" else "%s.%s IS NOT s.%s" % (table, c, c) for c in columns)
                conn.execute(sa.text("UPDATE %s SET %s FROM bench_saved_%s s WHERE s.id = %s.id AND (%s)" % (
                    table, ", ".join("%s = s.%s" % (c, c) for c in columns), table, table, changed)))
            for table, mark in self.marks.items():
                conn.execute(sa.text("DELETE FROM %s WHERE id > :mark" % table), {"mark": mark})

    def drop(self):
        with db.engine.begin() as conn:
            for table in self.SAVED:
                conn.execute(sa.text("DROP TABLE bench_saved_%s" % table))


def pool_rows(app, engine, pool, repeat):
    """The pool return: the first run on this data (every neglected opportunity at once), undone
    after each run so that every run has the same work; then the next day's run after it (those
    that passed the limit since)."""
    from app.core import clock
    rows, result = [], {}
    with app.app_context():
        undo = Undo()

        def run(_i):
            result["count"] = pool.return_neglected()
            db.session.remove()

        rows.append(("return_neglected (pool return), first run",) + timed_runs(engine, repeat, run, undo)
                    + (TARGETS_MS["scan"],))
        first = result["count"]

        def next_day(_i):
            result["count"] = pool.return_neglected(clock.local_today() + dt.timedelta(days=1))
            db.session.remove()

        def first_run(i):
            undo()
            pool.return_neglected()
            db.session.remove()

        rows.append(("return_neglected (pool return), the next day",) + timed_runs(engine, repeat, next_day, first_run)
                    + (TARGETS_MS["scan"],))
        print("pool return: %s opportunities on the first run, %s more the next day" % (
            "{:,}".format(first), "{:,}".format(result["count"])))
        undo()
        undo.drop()
    return rows


if __name__ == "__main__":
    main()
