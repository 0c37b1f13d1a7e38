"""Reports at scale (issue 8): every report page, the dashboard, the drill-down lists and an Excel
export on a generated history of 200 projects, 200,000 rooms, 100,000 deals, their receivables,
1,000,000 receipts, 300,000 visits and 100,000 opportunities on PostgreSQL.

    .venv/bin/python bench/bench_reports.py [--database-url postgresql://postgres@127.0.0.1:5432/loupan_bench_reports]
                                            [--reuse] [--runs 5] [--year YYYY] [--only WORDS]
                                            [--indexes keep|on|off] [--explain [MS]] [--pg-options OPTS]
                                            [--build-only]

The database (--database-url, else DATABASE_URL, else loupan_bench_reports on 127.0.0.1) is emptied
and rebuilt with the demo data: never point it at a database you keep. --reuse measures again on
what an earlier run built (when the bench projects and their visits are there).

The history reuses bench/bench_finance.py's bulk SQL (INSERT … SELECT over generate_series, never
one ORM object per row): 200 projects (code RPB-001 …) of two 25-storey buildings, 2 units, 10
rooms a floor (1,000 rooms, three layouts by area); on each project 300–700 rooms get a deal
(100,000 in all: 83% signed, 12% subscribed in the last 30 days, 3% booked, 2% cancelled; dates
spread over the last two years), with the schedule, six receivables a subscribed or signed deal
and 1,000,000 receipts paying them; of the rooms without a deal, 30% unreleased, 1% not for sale,
the rest available. CRM: the deals' 100,000 customers plus 100,000 who did not buy (with a source
channel), each with a first visit (channel from the visit_channel list; one in twenty without)
and one in two with a repeat visit — 300,000 visits; 100,000 opportunities (half the buyers', at
their deal's stage, and half the others', potential, intent or lost). Then VACUUM ANALYZE.

Measured through the Flask test client logged in as admin (and once as the manager 陈志明), after
one warm-up request, --runs times each: each report page for a year (--year, default this year)
of one project and of every project, the dashboard, the drill-down lists (deals signed, rooms
sold) and the Excel export of one report: median, worst and the SQL statements one request ran
(a before_cursor_execute listener). A page that does not exist yet (404) is skipped and said so.
With --explain, every statement that took more than MS milliseconds (default 100) is run again
under EXPLAIN (ANALYZE, BUFFERS) and its plan printed.

--only measures only the pages whose name starts with one of the comma-separated words (dashboard,
sales, sell-through, velocity, collections, conversion, performance, pricing, drill; manager or
export for those two). --pg-options passes libpq options to every connection (e.g. '-c jit=off'
or '-c work_mem=64MB') to try a server setting.

--indexes on creates the indexes declared in app/reports/models.py (if missing), off drops them
(to measure before and after), keep (default) leaves the database as it is; a fresh build has them
(create_all)."""
import argparse
import datetime as dt
import logging
import os
import platform
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

import sqlalchemy as sa  # noqa: E402

import bench_finance as bf  # noqa: E402
from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

bf.PREFIX = PREFIX = "RPB-"
PARK = "RPB-PARKING"
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/loupan_bench_reports"
N_PROJECTS, N_ROOMS, N_DEALS, N_RECEIPTS = 200, 200000, 100000, 1000000
N_PROSPECTS = 100000  # customers who visited and did not buy

REPORTS = [  # (name, path); the period and project are added per case
    ("dashboard", "/reports/dashboard/"),
    ("sales", "/reports/sales/"),
    ("sell-through", "/reports/sell-through/"),
    ("velocity", "/reports/velocity/"),
    ("collections", "/reports/collections/"),
    ("conversion", "/reports/conversion/"),
    ("performance", "/reports/performance/"),
    ("pricing", "/reports/pricing/"),
    ("drill: deals signed", "/reports/drill/deals?measure=signed"),
    ("drill: rooms sold", "/reports/drill/rooms?group=sold"),
]
EXPORTS = ("/reports/sales/export", "/reports/sell-through/export", "/reports/collections/export",
           "/reports/drill/deals/export?measure=signed")
TARGET_MS = {"dashboard": (500, 500), None: (1000, 3000)}  # (one project, all projects)

note = bf.note


# ---- building the history ------------------------------------------------------------------

def existing(app):
    with app.app_context():
        try:
            ids = [i for (i,) in db.session.execute(sa.text(
                "SELECT id FROM project WHERE code LIKE :c AND code <> :park ORDER BY code"),
                {"c": PREFIX + "%", "park": PARK})]
            visits = db.session.execute(sa.text(
                "SELECT count(*) FROM customer_visit WHERE project_id = ANY(:p)"), {"p": ids}).scalar()
            deals = db.session.execute(sa.text(
                "SELECT count(*) FROM deal WHERE project_id = ANY(:p)"), {"p": ids}).scalar()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            return None
    if ids and deals and not visits:
        note("the history has no visits yet: writing them")
        t = crm_step(app, ids, lambda label, t0: note("%s %.1f s" % (label, time.perf_counter() - t0)),
                     time.perf_counter())
        with app.app_context():
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(sa.text("VACUUM ANALYZE"))
        visits = True
    return ids if ids and visits and deals else None


def build(url, engine_options):
    """The demo, then the bench projects and their history. Returns (app, project ids, timings)."""
    timings = []

    def step(label, t0):
        timings.append((label, time.perf_counter() - t0))
        note("%-44s %7.1f s" % (label, timings[-1][1]))
        return time.perf_counter()

    t = time.perf_counter()
    app = bf.fresh_demo_app(url, engine_options)
    t = step("schema (create_all) and the demo", t)
    with app.app_context():
        # bench_finance's projects: N_ROOMS / N_PROJECTS rooms each (two buildings of 500).
        project_ids = bf.inventory(N_ROOMS, N_PROJECTS)
        db.session.execute(sa.text("UPDATE project SET code = 'RPB-' || lpad(substr(code, 5), 3, '0'), "
                                   "name = '报表压测' || lpad(substr(code, 5), 3, '0') || '号苑' "
                                   "WHERE id = ANY(:p)"), {"p": project_ids})
        t = step("projects, buildings, units (ORM, small)", t)
        conn = db.session.connection()
        run = lambda sql, **kw: conn.execute(sa.text(sql), dict(kw, p=project_ids))  # noqa: E731
        run("SET LOCAL synchronous_commit = off")
        bf.rooms(run)
        layouts(run)
        t = step("rooms and layouts", t)
        park(run, project_ids)
        bf.deals_(run)
        unpark(run)
        two_years(run)
        t = step("customers, deals, buyers", t)
        bf.receivables_(run)
        t = step("schedules (deal_payment) and receivables", t)
        made = bf.receipts_(run, N_RECEIPTS)
        t = step("receipts and allocations", t)
        db.session.commit()
    t = crm_step(app, project_ids, step, t)
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
    step("VACUUM ANALYZE", t)
    return app, project_ids, timings, made


def crm_step(app, project_ids, step, t):
    with app.app_context():
        conn = db.session.connection()
        run = lambda sql, **kw: conn.execute(sa.text(sql), dict(kw, p=project_ids))  # noqa: E731
        run("SET LOCAL synchronous_commit = off")
        unsold(run)
        crm(run)
        db.session.commit()
    return step("room statuses, prospects, visits, opportunities", t)


def layouts(run):
    run("""
        INSERT INTO layout (project_id, name, bedrooms, living_rooms, bathrooms, typical_area)
        SELECT p, l.name, l.bed, 2, l.bath, l.area
        FROM unnest(CAST(:p AS int[])) p
        CROSS JOIN (VALUES ('两房两厅', 2, 1, 88), ('三房两厅', 3, 2, 108), ('四房两厅', 4, 2, 128))
             l(name, bed, bath, area)""")
    run("""
        UPDATE room r SET layout_id = l.id FROM layout l
        WHERE l.project_id = r.project_id AND r.project_id = ANY(:p)
          AND l.bedrooms = CASE WHEN r.area_gross < 98 THEN 2 WHEN r.area_gross < 118 THEN 3 ELSE 4 END""")


def park(run, project_ids):
    """bench_finance gives every room of the projects a deal: the rooms that stay unsold wait in a
    parking project meanwhile. Project k (0-based) sells 500 ± an offset, offsets cancelling in
    pairs: N_DEALS deals exactly."""
    from app.inventory.models import Project
    first = db.session.get(Project, project_ids[0])
    parking = Project(name="压测停放", code=PARK, city=first.city, developer_id=first.developer_id,
                      price_rounding="fen")
    db.session.add(parking)
    db.session.flush()
    per = N_DEALS // N_PROJECTS
    run("""
        CREATE TEMP TABLE bench_sold_quota ON COMMIT DROP AS
        SELECT id AS project_id,
               %(per)d + CASE WHEN k %% 2 = 0 THEN 1 ELSE -1 END * ((k / 2) * 37 %% 200) AS sold
        FROM (SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM project WHERE id = ANY(:p)) x"""
        % {"per": per})
    run("""
        CREATE TEMP TABLE bench_parked ON COMMIT DROP AS
        SELECT r.id, r.project_id, r.code FROM (
            SELECT id, project_id, code,
                   row_number() OVER (PARTITION BY project_id ORDER BY (id * 7919) %% 1009, id) AS k
            FROM room WHERE project_id = ANY(:p)) r
        JOIN bench_sold_quota q ON q.project_id = r.project_id
        WHERE r.k > q.sold""".replace("%%", "%"))
    run("UPDATE room r SET project_id = :park, code = r.id::text FROM bench_parked b WHERE b.id = r.id",
        park=parking.id)


def unpark(run):
    run("UPDATE room r SET project_id = b.project_id, code = b.code FROM bench_parked b WHERE b.id = r.id")
    run("DELETE FROM project WHERE code = :code", code=PARK)


def two_years(run):
    """bench_finance spreads signed deals over three years; squeeze them into the last two."""
    run("""
        UPDATE deal d SET held_at = d.held_at + x.delta * interval '1 day', booked_on = d.booked_on + x.delta,
               subscribed_on = d.subscribed_on + x.delta, sign_by = d.sign_by + x.delta,
               signed_on = d.signed_on + x.delta, ended_at = d.ended_at + x.delta * interval '1 day',
               created_at = d.created_at + x.delta * interval '1 day',
               updated_at = d.updated_at + x.delta * interval '1 day'
        FROM (SELECT id, (current_date - 30 - subscribed_on) - (current_date - 30 - subscribed_on) * 700 / 1065 AS delta
              FROM deal WHERE project_id = ANY(:p) AND subscribed_on < current_date - 30) x
        WHERE x.id = d.id""")


def unsold(run):
    """Of the rooms without an active deal: 30% unreleased, 1% not for sale, the rest available."""
    run("""
        UPDATE room SET status = CASE WHEN (id * 31) % 100 < 30 THEN 'unreleased' ELSE 'not_for_sale' END
        WHERE project_id = ANY(:p) AND status = 'available' AND (id * 31) % 100 < 31""")


def crm(run):
    channels = [i for (i,) in run("SELECT id FROM lookup_value WHERE list_code = 'visit_channel' ORDER BY id")]
    if not channels:
        raise SystemExit("no visit_channel lookup values: the demo did not load")
    run("CREATE TEMP TABLE bench_channel ON COMMIT DROP AS "
        "SELECT id, row_number() OVER (ORDER BY id) - 1 AS k FROM lookup_value WHERE list_code = 'visit_channel'")
    nch = len(channels)
    run("CREATE TEMP TABLE IF NOT EXISTS bench_seller ON COMMIT DROP AS "
        "SELECT e.id, row_number() OVER (ORDER BY e.number) - 1 AS k FROM employee e WHERE e.number = ANY(:s)",
        s=list(bf.SELLERS))
    # Prospects: customers who visited a bench project and bought nothing.
    run("""
        CREATE TEMP TABLE bench_prospect ON COMMIT DROP AS
        SELECT n, (SELECT array_agg(id ORDER BY id) FROM project WHERE id = ANY(:p))[1 + n %% %(np)d] AS project_id,
               current_date - (n * 7919 %% 730)::int AS first_day
        FROM generate_series(1, %(n)d) n""" % {"np": N_PROJECTS, "n": N_PROSPECTS})
    run("""
        INSERT INTO customer (kind, name, owner_id, source_id, created_at, sms_opt_out)
        SELECT 'person', '访客' || lpad(b.n::text, 6, '0'), s.id, ch.id,
               b.first_day::timestamp + interval '10 hours', false
        FROM bench_prospect b
        JOIN bench_seller s ON s.k = b.n %% (SELECT count(*) FROM bench_seller)
        LEFT JOIN bench_channel ch ON ch.k = b.n %% %(nch)d
        ORDER BY b.n""" % {"nch": nch})
    run("""
        CREATE TEMP TABLE bench_visitor ON COMMIT DROP AS
        -- the buyers: first visit 1–25 days before the booking or subscription, at the deal's project
        SELECT d.customer_id, d.project_id, d.employee_id AS seller,
               coalesce(d.subscribed_on, d.booked_on) - (1 + d.id %% 25)::int AS first_day, d.id AS h,
               CASE d.stage WHEN 'booked' THEN 'reserved' ELSE d.stage END AS stage, d.state
        FROM deal d WHERE d.project_id = ANY(:p)
        UNION ALL
        SELECT c.id, b.project_id, c.owner_id, b.first_day, b.n * 3 + 1, NULL, NULL
        FROM bench_prospect b
        JOIN customer c ON c.name = '访客' || lpad(b.n::text, 6, '0') AND c.kind = 'person'
                        AND c.id > (SELECT max(id) - %(n)d - 10 FROM customer)""" % {"n": N_PROSPECTS})
    run("""
        INSERT INTO customer_visit (customer_id, project_id, kind, channel_id, visited_at, is_first, received_by_id)
        SELECT v.customer_id, v.project_id, CASE WHEN v.h %% 10 = 0 THEN 'call' ELSE 'visit' END,
               CASE WHEN x.again OR v.h %% 20 = 7 THEN NULL ELSE ch.id END,
               (v.first_day + CASE WHEN x.again THEN 3 + (v.h %% 9)::int ELSE 0 END)::timestamp
                 + make_interval(hours => 1 + (v.h %% 10)::int),
               NOT x.again, v.seller
        FROM bench_visitor v
        CROSS JOIN LATERAL (VALUES (false), (true)) x(again)
        LEFT JOIN bench_channel ch ON ch.k = (v.h * 7) %% %(nch)d
        WHERE NOT x.again OR v.h %% 2 = 0
        ORDER BY 5""" % {"nch": nch})
    run("""
        INSERT INTO opportunity (customer_id, project_id, owner_id, stage, chance, created_at, last_contact_at)
        SELECT v.customer_id, v.project_id, v.seller,
               CASE WHEN v.state = 'cancelled' THEN 'lost' WHEN v.stage IS NOT NULL THEN v.stage
                    ELSE (ARRAY['potential', 'intent', 'intent', 'lost'])[1 + (v.h / 2) % 4] END,
               CASE WHEN v.stage IS NULL THEN 10 + (v.h % 7) * 10 ELSE 100 END,
               v.first_day::timestamp + interval '12 hours', v.first_day::timestamp + interval '5 days'
        FROM bench_visitor v WHERE v.h % 2 = 1""")


def sizes(app, project_ids):
    out = bf.sizes(app, project_ids)
    with app.app_context():
        q = lambda sql: db.session.execute(sa.text(sql), {"p": project_ids}).scalar()  # noqa: E731
        out.update({
            "rooms unreleased / available / not for sale": "%s / %s / %s" % tuple(
                "{:,}".format(q("SELECT count(*) FROM room WHERE project_id = ANY(:p) AND status = '%s'" % s))
                for s in ("unreleased", "available", "not_for_sale")),
            "deals subscribed / booked / cancelled": "%s / %s / %s" % (
                "{:,}".format(q("SELECT count(*) FROM deal WHERE project_id = ANY(:p) AND stage='subscribed' "
                                "AND state='active'")),
                "{:,}".format(q("SELECT count(*) FROM deal WHERE project_id = ANY(:p) AND stage='booked'")),
                "{:,}".format(q("SELECT count(*) FROM deal WHERE project_id = ANY(:p) AND state='cancelled'"))),
            "deal dates (subscribed)": q("SELECT min(subscribed_on) || ' … ' || max(subscribed_on) FROM deal "
                                         "WHERE project_id = ANY(:p)"),
            "visits (first visits)": "%s (%s)" % (
                "{:,}".format(q("SELECT count(*) FROM customer_visit WHERE project_id = ANY(:p)")),
                "{:,}".format(q("SELECT count(*) FROM customer_visit WHERE project_id = ANY(:p) AND is_first"))),
            "opportunities": q("SELECT count(*) FROM opportunity WHERE project_id = ANY(:p)"),
            "customers": q("SELECT count(*) FROM customer"),
        })
    return out


# ---- report indexes --------------------------------------------------------------------------

def report_indexes():
    from app.reports import models
    return list(getattr(models, "INDEXES", ()))


def set_indexes(app, mode):
    if mode == "keep":
        return
    with app.app_context():
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for index in report_indexes():
                t0 = time.perf_counter()
                if mode == "off":
                    conn.execute(sa.text('DROP INDEX IF EXISTS "%s"' % index.name))
                    note("dropped %s" % index.name)
                else:
                    index.create(conn, checkfirst=True)
                    note("index %s: %.1f s" % (index.name, time.perf_counter() - t0))
            if mode == "on":
                conn.execute(sa.text("ANALYZE"))


# ---- measuring --------------------------------------------------------------------------------

class Recorder:
    """Counts the statements of a request and times each one."""

    def __init__(self, engine):
        self.engine, self.statements, self._t0 = engine, [], None

    def _before(self, conn, cursor, statement, parameters, context, executemany):
        self._t0 = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany):
        self.statements.append((time.perf_counter() - self._t0, statement, parameters))

    def __enter__(self):
        self.statements = []
        sa.event.listen(self.engine, "before_cursor_execute", self._before)
        sa.event.listen(self.engine, "after_cursor_execute", self._after)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._before)
        sa.event.remove(self.engine, "after_cursor_execute", self._after)


def login(client, username):
    from app.demo import DEMO_PASSWORD
    bf.login(client, username, "Admin12345" if username == "admin" else DEMO_PASSWORD)


def with_args(path, **args):
    query = "&".join("%s=%s" % (k, v) for k, v in args.items() if v is not None)
    return path + ("&" if "?" in path else "?") + query if query else path


def measure(app, client, url, runs):
    """(status, median s, worst s, statements, slow statements of the last run)."""
    response = client.get(url)
    if response.status_code != 200:
        return response.status_code, None, None, None, []
    times, most, last = [], 0, []
    with app.app_context():
        for _ in range(runs):
            with Recorder(db.engine) as rec:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - t0)
            if response.status_code != 200:
                return response.status_code, None, None, None, []
            most = max(most, len(rec.statements))
            last = rec.statements
    return 200, statistics.median(times), max(times), most, last


def explain(app, statement, parameters):
    with app.app_context():
        raw = db.engine.raw_connection()
        try:
            cursor = raw.cursor()
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            raw.rollback()
            return plan
        finally:
            raw.close()


def measure_reports(app, project_id, year, runs, slow_ms, rows, slow, only=()):
    """Each report for a year of one project and of every project, as admin; the sales report once
    as the manager. Appends (label, case, status, median, worst, statements, target) to rows."""
    admin, manager = app.test_client(), app.test_client()
    login(admin, "admin")
    login(manager, "manager")
    cases = [("one project", dict(period="year", year=year, project=project_id)),
             ("all projects", dict(period="year", year=year))]
    for name, path in REPORTS:
        if only and not any(name.startswith(w) for w in only):
            continue
        target = TARGET_MS.get(name, TARGET_MS[None])
        for i, (case, args) in enumerate(cases):
            url = with_args(path, **args)
            status, median, worst, most, statements = measure(app, admin, url, runs)
            rows.append((name, case, url, status, median, worst, most, target[i]))
            if status == 200:
                note("%-22s %-13s %8.1f ms median %8.1f worst %4d statements" % (name, case, median * 1000,
                                                                                 worst * 1000, most))
                for took, statement, parameters in statements:
                    if took * 1000 >= slow_ms:
                        slow.append((name, case, took, statement, parameters))
            else:
                note("%-22s %-13s SKIPPED: %s %s" % (name, case, status,
                                                     "(not there yet)" if status == 404 else "(error)"))
    if only and "manager" not in only and "export" not in only:
        return
    url = with_args("/reports/sales/", period="year", year=year)
    status, median, worst, most, _ = measure(app, manager, url, runs)
    rows.append(("sales, as the manager", "all he sees", url, status, median, worst, most, 3000))
    note("sales as manager: %s" % (status if status != 200 else "%.1f ms, %d statements" % (median * 1000, most)))
    for path in EXPORTS:
        url = with_args(path, period="year", year=year)
        status, median, worst, most, _ = measure(app, admin, url, max(1, runs // 2))
        if status == 200:
            rows.append(("Excel export " + path.split("?")[0], "all projects", url, status, median, worst, most,
                         None))
            note("export %s: %.1f ms, %d statements" % (url, median * 1000, most))
            break
        note("export %s: %s, trying the next" % (url, status))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL") or DEFAULT_URL)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--year", type=int)
    parser.add_argument("--indexes", choices=("keep", "on", "off"), default="keep")
    parser.add_argument("--explain", nargs="?", type=float, const=100.0, default=None, metavar="MS")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--only", default="", help="comma-separated page names (dashboard, sales, …, drill)")
    parser.add_argument("--pg-options", default="", help="e.g. '-c jit=off' (libpq options of each connection)")
    args = parser.parse_args()
    url = args.database_url
    if not url.startswith("postgresql"):
        raise SystemExit("give --database-url postgresql://… (a database you may wipe)")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]

    logging.getLogger("flask_appbuilder").setLevel(logging.WARNING)
    print("Machine: %s, %d cores, Python %s, %s, load %s" % (
        platform.machine(), os.cpu_count(), platform.python_version(),
        dt.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC"), bf.load()))
    engine_options = {"pool_pre_ping": True}
    if args.pg_options:
        engine_options["connect_args"] = {"options": args.pg_options}
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    project_ids = existing(app) if args.reuse else None
    if project_ids:
        note("reusing the history built earlier (%d projects)" % len(project_ids))
    else:
        t0 = time.perf_counter()
        app, project_ids, _timings, made = build(url, engine_options)
        note("history generated in %.1f s (%d receipts)" % (time.perf_counter() - t0, made))
    with app.app_context():
        version = db.session.execute(sa.text("SHOW server_version")).scalar()
        from app.core import clock
        year = args.year or clock.local_today().year
    print("PostgreSQL %s" % version)
    for key, value in sizes(app, project_ids).items():
        print("  %-50s %s" % (key, "{:,}".format(value) if isinstance(value, int) else value))
    if args.build_only:
        return
    set_indexes(app, args.indexes)
    with app.app_context():
        present = {i for (i,) in db.session.execute(sa.text("SELECT indexname FROM pg_indexes"))}
    declared = [i.name for i in report_indexes()]
    print("report indexes present: %s; missing: %s" % (
        ", ".join(n for n in declared if n in present) or "none",
        ", ".join(n for n in declared if n not in present) or "none"))

    project_id = project_ids[len(project_ids) // 2]
    rows, slow = [], []
    note("reports for %d, one project (id %d) and all projects, %d runs each" % (year, project_id, args.runs))
    measure_reports(app, project_id, year, args.runs, args.explain if args.explain is not None else 1e9,
                    rows, slow, [w.strip() for w in args.only.split(",") if w.strip()])

    print()
    print("Load average at the end: %s" % bf.load())
    print("%-40s %-13s %10s %10s %6s %8s" % ("page (admin, warm; year %d)" % year, "case", "median ms", "worst ms",
                                             "SQL", "target"))
    for name, case, url, status, median, worst, most, target in rows:
        if status != 200:
            print("%-40s %-13s %s" % (name, case, "not there yet (404)" if status == 404 else "HTTP %s" % status))
            continue
        flag = "" if target is None or median * 1000 < target else "  MISSED"
        print("%-40s %-13s %10.1f %10.1f %6d %8s%s" % (name, case, median * 1000, worst * 1000, most,
                                                       "%d ms" % target if target else "—", flag))
    if slow:
        print()
        print("Statements over %.0f ms (last run of each page):" % args.explain)
        seen = set()
        for name, case, took, statement, parameters in sorted(slow, key=lambda s: -s[2]):
            key = (name, case, statement)
            if key in seen:
                continue
            seen.add(key)
            print("\n---- %s, %s: %.1f ms\n%s\n%r" % (name, case, took * 1000, statement, parameters))
            print(explain(app, statement, parameters))


if __name__ == "__main__":
    main()
