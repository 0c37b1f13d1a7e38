"""Finance at scale (issue 7): the payment page, the arrears list, the late-fee job and receipt
numbering under 20 concurrent cashiers, with 100,000 deals and 1,000,000 receipts on PostgreSQL.

    .venv/bin/python bench/bench_finance.py --database-url postgresql://postgres@127.0.0.1:5432/<bench db>
                                            [--deals 100000] [--receipts 1000000] [--projects 10]
                                            [--runs 7] [--reuse] [--cashiers 20] [--per-cashier 25]
                                            [--only WORDS]

The database (--database-url, else DATABASE_URL) is emptied and rebuilt with the demo data: never
point it at a database you keep. --reuse measures again on what an earlier run built (when the
bench projects hold the expected number of deals); --only measures only the parts whose name
(page, arrears, late, cashiers) is given, comma-separated.

The history is written with bulk SQL (INSERT … SELECT over generate_series, never one ORM object
per row): --projects projects (code FIN-01 …) of 25-storey buildings, 2 units, 10 rooms a
floor, one deal per room (83% signed, 12% subscribed, 3% booked, 2% cancelled; dates over the last
three years), a customer and a buyer row per deal, the schedule (deal_payment) and its six
receivables per subscribed or signed deal (定金, 首付款, two 分期款, 按揭款, 契税 collected for others; closed
on a cancelled deal); about one deal in ten behind on an instalment, the down payment or the deed
tax (unpaid or half paid, when due in the last 400 days), one in thirty with the loan not disbursed
yet, one paid receivable in twenty paid late; the receipts paying them (exactly --receipts: each
paid receivable in one or more parts), numbered gapless per project as the service numbers them
("<code>-SK-000001"), one allocation each, receivable.received equal to its allocations, and the
project's "receipt" counter (number_sequence) at its last number. Then VACUUM ANALYZE (as autovacuum
would).

Measured, through the Flask test client logged in as the finance demo user (黄丽萍), after one warm-up
request, --runs times each (median and worst, and the most SQL statements one request ran): the
late-fee job (app.finance.services.late_fees.compute_all, twice: the first computes every late fee,
the second must change nothing), then the payment page (GET /finance/deals/<id>) of a typical deal
and of the deal with the most receipts — or, while the page does not exist, the service calls it
makes (receivables.of_deal, receipts.of_deal, receivables.totals), said so in the output; the
arrears list (GET /finance/arrears/ and its filters), late fees included. Then 20 cashiers
(threads, each with its own application context and session) receive --per-cashier receipts each on
signed deals of one project at the same time through app.finance.services.receipts.receive;
afterwards the project's receipt numbers must be exactly 1..n (no gap, no duplicate). The load
average is printed with each part: the machine is shared."""
import argparse
import datetime as dt
import importlib
import os
import platform
import re
import statistics
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

PREFIX = "FIN-"
BUILDING_FLOORS, UNITS, PER_FLOOR = 25, 2, 10  # 500 rooms a building
SELLERS = ("E1003", "E1006", "E1007", "E1008", "E1009", "E1010", "E1011", "E1012")
TARGETS_MS = {"page": 200, "arrears": 500, "late": 60000}


def load():
    return "%.1f %.1f %.1f" % os.getloadavg()


def note(text):
    print("[%s, load %s] %s" % (dt.datetime.utcnow().strftime("%H:%M:%S"), load(), text), flush=True)


# ---- building the history ------------------------------------------------------------------

def existing(app, deals):
    """The bench projects' ids when an earlier run built them with this many deals."""
    from app.inventory.models import Project
    with app.app_context():
        try:
            ids = [i for (i,) in db.session.query(Project.id).filter(Project.code.like(PREFIX + "%"))
                   .order_by(Project.code)]
            if not ids:
                return None
            count = db.session.execute(sa.text("SELECT count(*) FROM deal WHERE project_id = ANY(:p)"),
                                       {"p": ids}).scalar()
            receipts = db.session.execute(sa.text("SELECT count(*) FROM receipt WHERE project_id = ANY(:p)"),
                                          {"p": ids}).scalar()
        except sa.exc.SQLAlchemyError:
            db.session.rollback()
            return None
        return ids if count == deals and receipts else None


def fresh_demo_app(url, engine_options):
    """An app on the emptied database at `url`, with the schema, the seeds, the admin and the demo."""
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.services import setup
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        try:
            demo.load()
        except Exception as exc:  # noqa: BLE001 — the bench measures what did load
            db.session.rollback()
            note("DEMO LOADER FAILED, going on with what loaded: %s" % str(exc).splitlines()[0][:200])
        db.session.remove()
    return app


def build(url, n_deals, n_receipts, n_projects, engine_options):
    """The demo, then the bench projects and their history. Returns (app, project ids, timings)."""
    timings = []

    def step(label, t0):
        timings.append((label, time.perf_counter() - t0))
        note("%-44s %7.1f s" % (label, timings[-1][1]))
        return time.perf_counter()

    t = time.perf_counter()
    app = fresh_demo_app(url, engine_options)
    t = step("schema (create_all) and the demo", t)
    with app.app_context():
        project_ids = inventory(n_deals, n_projects)
        t = step("projects, buildings, units (ORM, small)", t)
        conn = db.session.connection()
        run = lambda sql, **kw: conn.execute(sa.text(sql), dict(kw, p=project_ids))  # noqa: E731
        run("SET LOCAL synchronous_commit = off")
        rooms(run)
        t = step("rooms", t)
        deals_(run)
        t = step("customers, deals, buyers", t)
        receivables_(run)
        t = step("schedules (deal_payment) and receivables", t)
        made = receipts_(run, n_receipts)
        t = step("receipts and allocations", t)
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
            c.execute(sa.text("VACUUM ANALYZE"))
    step("VACUUM ANALYZE", t)
    return app, project_ids, timings, made


def inventory(n_deals, n_projects):
    from app.inventory.models import Building, Phase, Project, PropertyType, Unit
    from app.org.models import Department
    from app.finance.models import FinanceSetting
    from app.sales.models import PaymentPlan
    dept = db.session.query(Department).filter_by(code="HN").one()
    template = db.session.query(PaymentPlan).filter_by(name="商业按揭 首付30%").order_by(PaymentPlan.id).first()
    plan_cols = [c for c in PaymentPlan.__table__.columns if c.name not in ("id", "project_id")]
    per_project = -(-n_deals // n_projects)
    per_building = BUILDING_FLOORS * UNITS * PER_FLOOR
    ids = []
    for i in range(n_projects):
        project = Project(name="压测房款%02d号苑" % (i + 1), code="%s%02d" % (PREFIX, i + 1), city="广州",
                          developer=dept, price_rounding="fen")
        phase = Phase(project=project, name="一期", sort_order=10)
        ptype = PropertyType(project=project, name="住宅", code="RES")
        db.session.add_all([project, phase, ptype])
        db.session.flush()
        db.session.execute(PaymentPlan.__table__.insert().values(
            project_id=project.id, **{c.name: getattr(template, c.key) for c in plan_cols}))
        db.session.add(FinanceSetting(project_id=project.id, late_fee_rate=0.0005, grace_days=3))
        for b in range(-(-per_project // per_building)):
            building = Building(project=project, phase=phase, name="%d栋" % (b + 1), floors_above=BUILDING_FLOORS,
                                floors_below=0, units_count=UNITS, sort_order=b)
            db.session.add(building)
            db.session.add_all([Unit(building=building, name="%d单元" % (u + 1), sort_order=u) for u in range(UNITS)])
        ids.append(project.id)
    db.session.flush()
    db.session.execute(sa.text("CREATE TEMP TABLE bench_quota (project_id int, rooms int) ON COMMIT DROP"))
    left = n_deals
    for pid in ids:
        db.session.execute(sa.text("INSERT INTO bench_quota VALUES (:p, :n)"), {"p": pid, "n": min(per_project, left)})
        left -= per_project
    return ids


def rooms(run):
    run("""
        INSERT INTO room (project_id, building_id, unit_id, floor, number, code, property_type_id, area_gross,
                          area_inner, list_unit_price, list_total_price, floor_price, status, custom)
        SELECT b.project_id, b.id, u.id, f, num, b.name || '-' || u.name || '-' || num, pt.id, area,
               area - 15, price, round(area * price, 2), round(area * price * 0.97, 2), 'available', '{}'
        FROM building b
        JOIN unit u ON u.building_id = b.id
        JOIN property_type pt ON pt.project_id = b.project_id
        JOIN bench_quota q ON q.project_id = b.project_id
        CROSS JOIN generate_series(1, %(floors)d) f
        CROSS JOIN generate_series(1, %(per)d) pos
        CROSS JOIN LATERAL (SELECT (f * 100 + pos)::text AS num,
                                   (78 + (pos * 7 %% 60) + 0.5)::numeric(10, 2) AS area,
                                   (20000 + 100 * f)::numeric(12, 2) AS price) x
        WHERE b.project_id = ANY(:p)
          AND (b.sort_order * %(perb)d + u.sort_order * %(peru)d + (f - 1) * %(per)d + pos) <= q.rooms
        """ % {"floors": BUILDING_FLOORS, "per": PER_FLOOR, "perb": BUILDING_FLOORS * UNITS * PER_FLOOR,
               "peru": BUILDING_FLOORS * PER_FLOOR})


def deals_(run):
    # One deal per room: r % 100 → 0–1 cancelled, 2–4 booked, 5–16 subscribed, 17–99 signed.
    run("""
        CREATE TEMP TABLE bench_deal ON COMMIT DROP AS
        SELECT r.id AS room_id, r.project_id, r.list_total_price AS total, r.list_unit_price AS unit_price,
               row_number() OVER (ORDER BY r.id) AS n
        FROM room r WHERE r.project_id = ANY(:p)""")
    run("""
        CREATE TEMP TABLE bench_seller ON COMMIT DROP AS
        SELECT e.id, row_number() OVER (ORDER BY e.number) - 1 AS k FROM employee e WHERE e.number = ANY(:s)""",
        s=list(SELLERS))
    sellers = len(SELLERS)
    run("""
        INSERT INTO customer (kind, name, owner_id, created_at, sms_opt_out)
        SELECT 'person',
               (ARRAY['王','李','张','刘','陈','杨','黄','赵','吴','周','徐','孙','马','朱','胡','郭','何','林','罗','高'])[1 + n %% 20]
               || (ARRAY['伟','芳','娜','敏','静','丽','强','磊','军','洋','勇','艳','杰','娟','涛','明','超','秀英','华','平',
                          '刚','桂英','建华','文','辉','鑫','婷','宇','浩','晨'])[1 + (n / 20) %% 30],
               s.id, now() - make_interval(days => (n * 7919 %% 1095)::int + 40), false
        FROM bench_deal JOIN bench_seller s ON s.k = n %% %(sellers)d
        ORDER BY n""" % {"sellers": sellers})
    run("""
        CREATE TEMP TABLE bench_cust ON COMMIT DROP AS
        SELECT id, row_number() OVER (ORDER BY id) AS n FROM customer
        WHERE id > (SELECT max(id) FROM customer) - (SELECT count(*) FROM bench_deal)""")
    run("""
        INSERT INTO deal (project_id, room_id, customer_id, employee_id, stage, state, held_at, booked_on,
                          booking_amount, subscription_no, subscribed_on, plan_id, first_home, list_total, total,
                          unit_price, deposit, sign_by, contract_no, signed_on, ended_at, end_note, created_at,
                          created_by_id, updated_at, custom)
        SELECT d.project_id, d.room_id, c.id, s.id, x.stage, x.state, x.sub::timestamp - interval '2 days',
               x.sub - 1, 10000, CASE WHEN x.stage <> 'booked' THEN 'RG' || lpad(d.n::text, 7, '0') END,
               CASE WHEN x.stage <> 'booked' THEN x.sub END, pl.id, true, d.total, d.total, d.unit_price,
               50000, x.sub + 7, CASE WHEN x.stage = 'signed' THEN 'HT' || lpad(d.n::text, 7, '0') END,
               CASE WHEN x.stage = 'signed' THEN x.sub + 3 + (d.n %% 5)::int END,
               CASE WHEN x.state = 'cancelled' THEN x.sub::timestamp + interval '20 days' END,
               CASE WHEN x.state = 'cancelled' THEN '客户资金原因退房' END,
               x.sub::timestamp - interval '2 days', NULL, x.sub::timestamp, '{}'
        FROM bench_deal d
        JOIN bench_cust c ON c.n = d.n
        JOIN bench_seller s ON s.k = d.n %% %(sellers)d
        JOIN payment_plan pl ON pl.project_id = d.project_id
        CROSS JOIN LATERAL (SELECT
            CASE WHEN d.n %% 100 < 2 THEN 'subscribed' WHEN d.n %% 100 < 5 THEN 'booked'
                 WHEN d.n %% 100 < 17 THEN 'subscribed' ELSE 'signed' END AS stage,
            CASE WHEN d.n %% 100 < 2 THEN 'cancelled' ELSE 'active' END AS state,
            CASE WHEN d.n %% 100 BETWEEN 2 AND 16 THEN current_date - (d.n %% 30)::int
                 ELSE current_date - 30 - (d.n * 7919 %% 1065)::int END AS sub) x
        ORDER BY d.n""" % {"sellers": sellers})
    run("""
        UPDATE room r SET status = d.stage FROM deal d
        WHERE d.room_id = r.id AND d.state = 'active' AND r.project_id = ANY(:p)""")
    run("""
        INSERT INTO deal_buyer (deal_id, customer_id, share, position)
        SELECT id, customer_id, 100, 0 FROM deal WHERE project_id = ANY(:p)""")


# The six receivables of a subscribed or signed deal: position, kind, label, 代收, share of the
# price (None: the rest), days after the base date (signing, or the planned signing).
SCHEDULE = [
    (0, "deposit", "定金", False),
    (1, "down_payment", "首付款", False),
    (2, "instalment", "分期款（第1期）", False),
    (3, "instalment", "分期款（第2期）", False),
    (4, "loan", "按揭款", False),
    (1005, "fee", "契税", True),
]


def receivables_(run):
    run("""
        CREATE TEMP TABLE bench_rv ON COMMIT DROP AS
        SELECT d.id AS deal_id, d.project_id, d.state, k.position, k.kind, k.label, k.cfo, k.key,
               CASE k.kind
                 WHEN 'deposit' THEN d.deposit
                 WHEN 'down_payment' THEN round(d.total * 0.3, 2) - d.deposit
                 WHEN 'instalment' THEN round(d.total * 0.1, 2)
                 WHEN 'loan' THEN d.total - round(d.total * 0.3, 2) - 2 * round(d.total * 0.1, 2)
                 ELSE round(d.total * 0.03, 2) END AS amount,
               CASE k.kind WHEN 'deposit' THEN d.subscribed_on
                 ELSE coalesce(d.signed_on, d.subscribed_on + 7) + k.days END AS due_date,
               -- behind: one deal in ten owes an instalment, the down payment or the deed tax;
               -- one in thirty waits for its loan; one paid receivable in twenty was paid late.
               (d.id * 37 % 100 < 10 AND k.kind IN ('down_payment', 'instalment', 'fee')
                 AND (d.id + k.position) % 3 = 0) OR (k.kind = 'loan' AND d.id % 30 = 7) AS behind,
               d.subscribed_on, d.id * 13 + k.position AS h
        FROM deal d
        CROSS JOIN (VALUES (0, 'deposit', '定金', false, 'deposit:0', 0),
                           (1, 'down_payment', '首付款', false, 'down_payment:0', 0),
                           (2, 'instalment', '分期款（第1期）', false, 'instalment:0', 90),
                           (3, 'instalment', '分期款（第2期）', false, 'instalment:1', 180),
                           (4, 'loan', '按揭款', false, 'loan:0', 60),
                           (1005, 'fee', '契税', true, 'fee:契税', 30)) k(position, kind, label, cfo, key, days)
        WHERE d.project_id = ANY(:p) AND d.stage IN ('subscribed', 'signed')""")
    run("""
        INSERT INTO deal_payment (deal_id, position, kind, label, amount, due_date, collected_for_others)
        SELECT deal_id, position, kind, label, amount, due_date, cfo FROM bench_rv ORDER BY deal_id, position""")
    run("""
        INSERT INTO receivable (project_id, deal_id, kind, label, collected_for_others, position, schedule_key,
                                amount, adjusted, received, due_date, status, created_at, closed_at)
        SELECT project_id, deal_id, kind, label, cfo, position, key, amount, 0,
               CASE WHEN state = 'cancelled' THEN (CASE WHEN kind = 'deposit' THEN amount ELSE 0 END)
                    WHEN due_date > current_date AND kind <> 'deposit' THEN 0
                    WHEN behind AND due_date > current_date - 400 AND h % 2 = 0 THEN round(amount / 2, 2)
                    WHEN behind AND due_date > current_date - 400 THEN 0
                    ELSE amount END,
               due_date, CASE WHEN state = 'cancelled' THEN 'closed' ELSE 'open' END,
               subscribed_on::timestamp, CASE WHEN state = 'cancelled' THEN subscribed_on + 20 END
        FROM bench_rv ORDER BY deal_id, position""")


def receipts_(run, target):
    """Each receivable's received amount in one or more parts (exactly `target` receipts in all)."""
    base = run("""SELECT count(*) FROM receivable WHERE project_id = ANY(:p) AND received > 0""").scalar()
    splittable = run("""SELECT count(*) FROM receivable WHERE project_id = ANY(:p) AND received > 0
                        AND received = amount AND kind <> 'loan'""").scalar()
    extra = max(0, target - base)
    run("""
        CREATE TEMP TABLE bench_rc ON COMMIT DROP AS
        WITH paid AS (
            SELECT rv.id, rv.project_id, rv.deal_id, rv.kind, rv.received, rv.amount, rv.due_date,
                   d.subscribed_on, c.name AS payer,
                   CASE WHEN rv.received = rv.amount AND rv.kind <> 'loan'
                        THEN row_number() OVER (PARTITION BY (rv.received = rv.amount AND rv.kind <> 'loan')
                                                ORDER BY rv.id) END AS rn
            FROM receivable rv JOIN deal d ON d.id = rv.deal_id JOIN customer c ON c.id = d.customer_id
            WHERE rv.project_id = ANY(:p) AND rv.received > 0),
        parted AS (
            SELECT paid.*, CASE WHEN rn IS NULL THEN 1
                                ELSE 1 + (CAST(:extra AS bigint) * rn / CAST(:m AS bigint))
                                       - (CAST(:extra AS bigint) * (rn - 1) / CAST(:m AS bigint)) END AS parts
            FROM paid)
        SELECT pt.id AS receivable_id, pt.project_id, pt.deal_id, pt.kind, pt.payer, j, pt.parts,
               CASE WHEN j < pt.parts THEN trunc(pt.received / pt.parts, 2)
                    ELSE pt.received - trunc(pt.received / pt.parts, 2) * (pt.parts - 1) END AS amount,
               least(current_date, greatest(pt.subscribed_on,
                   CASE WHEN pt.kind = 'deposit' THEN pt.subscribed_on
                        WHEN pt.kind = 'loan' THEN pt.due_date - (pt.id % 20)::int
                        WHEN pt.id % 20 = 3 THEN pt.due_date + 5 + (pt.id % 40)::int + j
                        ELSE pt.due_date - (3 * (pt.parts - j))::int END)) AS paid_on,
               CASE WHEN pt.kind = 'loan' THEN 'transfer'
                    ELSE (ARRAY['transfer','pos','wechat','transfer','alipay','cash','pos','cheque'])[1 + (pt.id + j) % 8]
               END AS method,
               CASE WHEN pt.kind = 'loan' THEN 'mortgage' ELSE 'desk' END AS source
        FROM parted pt CROSS JOIN LATERAL generate_series(1, pt.parts::int) j""",
        extra=extra, m=max(splittable, 1))
    run("""
        CREATE TEMP TABLE bench_rcs ON COMMIT DROP AS
        SELECT b.*, row_number() OVER (PARTITION BY project_id ORDER BY paid_on, receivable_id, j) AS seq
        FROM bench_rc b""")
    cashier = run("SELECT id FROM ab_user WHERE username = 'finance'").scalar()
    run("""
        INSERT INTO receipt (project_id, deal_id, seq, number, amount, unallocated, method, payer, paid_on,
                             reference, source, status, cashier_id, created_at)
        SELECT s.project_id, s.deal_id, s.seq, pr.code || '-SK-' || lpad(s.seq::text, 6, '0'), s.amount, 0,
               s.method, s.payer, s.paid_on,
               CASE WHEN s.method IN ('transfer', 'pos', 'cheque') THEN 'REF' || (s.receivable_id * 10 + s.j) END,
               s.source, 'valid', :cashier, s.paid_on::timestamp + interval '10 hours'
        FROM bench_rcs s JOIN project pr ON pr.id = s.project_id
        ORDER BY s.project_id, s.seq""", cashier=cashier)
    run("""
        INSERT INTO receipt_allocation (receipt_id, receivable_id, amount)
        SELECT r.id, s.receivable_id, s.amount
        FROM bench_rcs s JOIN receipt r ON r.project_id = s.project_id AND r.seq = s.seq
        ORDER BY r.id""")
    run("""
        INSERT INTO number_sequence (scope, key, last)
        SELECT 'receipt', project_id, max(seq) FROM bench_rcs GROUP BY project_id
        ON CONFLICT (scope, key) DO UPDATE SET last = excluded.last""")
    return run("SELECT count(*) FROM bench_rcs").scalar()


def sizes(app, project_ids):
    with app.app_context():
        q = lambda sql: db.session.execute(sa.text(sql), {"p": project_ids}).scalar()  # noqa: E731
        out = {
            "projects": len(project_ids),
            "rooms": q("SELECT count(*) FROM room WHERE project_id = ANY(:p)"),
            "deals": q("SELECT count(*) FROM deal WHERE project_id = ANY(:p)"),
            "signed": q("SELECT count(*) FROM deal WHERE project_id = ANY(:p) AND stage='signed' AND state='active'"),
            "receivables": q("SELECT count(*) FROM receivable WHERE project_id = ANY(:p)"),
            "receipts": q("SELECT count(*) FROM receipt WHERE project_id = ANY(:p)"),
            "allocations": q("SELECT count(*) FROM receipt_allocation a JOIN receipt r ON r.id = a.receipt_id "
                             "WHERE r.project_id = ANY(:p)"),
            "overdue receivables": q("SELECT count(*) FROM receivable WHERE project_id = ANY(:p) AND status='open' "
                                     "AND due_date < current_date AND amount + adjusted > received"),
            "deals in arrears": q("SELECT count(DISTINCT deal_id) FROM receivable WHERE project_id = ANY(:p) "
                                  "AND status='open' AND due_date < current_date AND amount + adjusted > received"),
            "late fees": q("SELECT count(*) FROM receivable WHERE project_id = ANY(:p) AND kind='late_fee'"),
            "database size": q("SELECT pg_size_pretty(pg_database_size(current_database()))"),
        }
        mismatch = q("""SELECT count(*) FROM receivable rv LEFT JOIN (
                            SELECT a.receivable_id, sum(a.amount) s FROM receipt_allocation a
                            JOIN receipt r ON r.id = a.receipt_id AND r.status = 'valid' GROUP BY 1) x
                          ON x.receivable_id = rv.id
                        WHERE rv.project_id = ANY(:p) AND rv.received <> coalesce(x.s, 0)""")
        gaps = q("""SELECT count(*) FROM (SELECT project_id, count(*) c, count(DISTINCT seq) dc, max(seq) m
                        FROM receipt WHERE project_id = ANY(:p) GROUP BY 1) x WHERE c <> m OR dc <> m""")
        out["receivables whose received ≠ allocations"] = mismatch
        out["projects with a gap or duplicate in receipt seq"] = gaps
    return out


# ---- measuring --------------------------------------------------------------------------------

class Statements:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, *_args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def login(client, username, password):
    html = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"|id="csrf_token"[^>]*value="([^"]+)"', html)
    response = client.post("/login/", data={"username": username, "password": password,
                                            "csrf_token": token.group(1) or token.group(2)})
    assert response.status_code == 302, response.status_code


def timed(app, runs, fn, warm=1):
    """fn() `warm` times, then `runs` times: (median s, worst s, most statements)."""
    for _ in range(warm):
        fn()
    times, most = [], 0
    for _ in range(runs):
        with Statements(db.engine) as counter:
            t0 = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t0)
        most = max(most, counter.count)
    return statistics.median(times), max(times), most


def has_route(app, prefix):
    return any(str(rule).startswith(prefix) for rule in app.url_map.iter_rules())


def module(name):
    try:
        return importlib.import_module(name)
    except ImportError:
        return None


def pick_deals(app, project_ids):
    """A typical signed deal (six receivables, about ten receipts, one in arrears) and the deal with
    the most receipts."""
    with app.app_context():
        typical = db.session.execute(sa.text("""
            SELECT r.deal_id, count(*) FROM receipt r JOIN deal d ON d.id = r.deal_id
            WHERE r.project_id = :p AND d.stage = 'signed' AND d.state = 'active'
            GROUP BY r.deal_id HAVING count(*) BETWEEN 10 AND 11 ORDER BY r.deal_id LIMIT 1"""),
            {"p": project_ids[len(project_ids) // 2]}).first()
        most = db.session.execute(sa.text("""
            SELECT deal_id, count(*) FROM receipt WHERE project_id = ANY(:p)
            GROUP BY deal_id ORDER BY count(*) DESC, deal_id LIMIT 1"""), {"p": project_ids}).first()
    return [("typical deal (%d receipts)" % typical[1], typical[0]),
            ("deal with the most receipts (%d)" % most[1], most[0])]


def measure_page(app, project_ids, runs, rows):
    from app.demo import DEMO_PASSWORD
    picks = pick_deals(app, project_ids)
    if has_route(app, "/finance/deals/"):
        client = app.test_client()
        login(client, "finance", DEMO_PASSWORD)
        for label, deal_id in picks:
            url = "/finance/deals/%d" % deal_id

            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            with app.app_context():
                median, worst, most = timed(app, runs, get)
            rows.append(("payment page GET %s, %s" % (url, label), median, worst, most, TARGETS_MS["page"]))
        # Other finance pages, no target: a receipt, the receipt and receivable lists.
        with app.app_context():
            receipt_id = db.session.execute(sa.text("SELECT max(id) FROM receipt WHERE deal_id = :d"),
                                            {"d": picks[0][1]}).scalar()
        for label, url in (("a receipt", "/finance/receipts/%d" % receipt_id),
                           ("receipts list", "/finance/receipts/"),
                           ("receivables list", "/finance/receivables/")):
            def get(url=url):
                response = client.get(url)
                assert response.status_code == 200, (url, response.status_code)
            with app.app_context():
                median, worst, most = timed(app, runs, get)
            rows.append(("%s GET %s (no target)" % (label, url), median, worst, most, None))
        return "page"
    from app.finance.services import receipts, receivables
    note("the payment page (/finance/deals/<id>) does not exist yet: measuring the service calls it would make")
    for label, deal_id in picks:
        def calls(deal_id=deal_id):
            rvs = receivables.of_deal(deal_id)
            receipts.of_deal(deal_id)
            receivables.totals(rvs)
            db.session.rollback()
        with app.app_context():
            median, worst, most = timed(app, runs, calls)
        rows.append(("payment page SERVICES ONLY (no page yet), %s" % label, median, worst, most,
                     TARGETS_MS["page"]))
    return "services"


def measure_arrears(app, project_ids, runs, rows):
    from app.demo import DEMO_PASSWORD
    if not has_route(app, "/finance/arrears/"):
        note("the arrears list (/finance/arrears/) does not exist yet: not measured")
        return False
    with app.app_context():
        pid = project_ids[0]
    client = app.test_client()
    login(client, "finance", DEMO_PASSWORD)
    for label, url in (("arrears list, every project", "/finance/arrears/"),
                       ("arrears list, page 5", "/finance/arrears/?page=5"),
                       ("arrears list, sorted by days overdue", "/finance/arrears/?sort=days"),
                       ("arrears list, one project", "/finance/arrears/?project=%d" % pid),
                       ("arrears list, over 90 days", "/finance/arrears/?days=90"),
                       ("arrears list, 代收费用 only", "/finance/arrears/?type=fees"),
                       ("arrears list, over ¥100,000", "/finance/arrears/?amount=100000")):
        def get(url=url):
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)
        with app.app_context():
            median, worst, most = timed(app, runs, get)
        rows.append(("%s (GET %s)" % (label, url), median, worst, most, TARGETS_MS["arrears"]))
    return True


def measure_late_fees(app, project_ids, rows, runs=2):
    """The job twice: from scratch (the late fees of an earlier run that nothing paid are removed
    first), then again (nothing to change)."""
    late_fees = module("app.finance.services.late_fees")
    if late_fees is None or not hasattr(late_fees, "compute_all"):
        note("app.finance.services.late_fees.compute_all does not exist yet: not measured")
        return None
    from app.core import clock
    with app.app_context():
        removed = db.session.execute(sa.text("""
            DELETE FROM receivable rv WHERE rv.kind = 'late_fee' AND rv.project_id = ANY(:p)
              AND NOT EXISTS (SELECT 1 FROM receipt_allocation a WHERE a.receivable_id = rv.id)
              AND NOT EXISTS (SELECT 1 FROM receivable_adjustment j WHERE j.receivable_id = rv.id)"""),
            {"p": project_ids}).rowcount
        db.session.commit()
    if removed:
        note("removed the %d late fees of an earlier run" % removed)
    results = []
    for i in range(runs):
        with app.app_context():
            today = clock.local_today()
            with Statements(db.engine) as counter:
                t0 = time.perf_counter()
                result = late_fees.compute_all(today)
                db.session.commit()
                took = time.perf_counter() - t0
            count = db.session.execute(sa.text(
                "SELECT count(*), coalesce(sum(amount), 0) FROM receivable WHERE kind = 'late_fee'")).first()
        results.append((took, counter.count, result, count))
        label = "late-fee job compute_all(%s), run %d%s" % (today, i + 1, " (again: nothing to change)" if i else "")
        rows.append((label, took, took, counter.count, TARGETS_MS["late"]))
        note("%s: %.1f s, %d statements, returned %r; late-fee receivables %d, ¥%s"
             % (label, took, counter.count, result, count[0], count[1]))
    return results


def cashiers(app, project_id, threads, per_cashier):
    """`threads` cashiers receive `per_cashier` receipts each on the project's signed deals at once."""
    from flask_appbuilder.security.sqla.models import User
    from app.finance.services import receipts
    from app.sales.models import Deal
    with app.app_context():
        before = db.session.execute(sa.text("SELECT count(*) FROM receipt WHERE project_id = :p"),
                                    {"p": project_id}).scalar()
        deal_ids = [d for (d,) in db.session.execute(sa.text("""
            SELECT d.id FROM deal d JOIN receivable rv ON rv.deal_id = d.id
            WHERE d.project_id = :p AND d.stage = 'signed' AND d.state = 'active' AND rv.status = 'open'
            GROUP BY d.id HAVING sum(rv.amount + rv.adjusted - rv.received) > 10000
            ORDER BY d.id LIMIT :n"""), {"p": project_id, "n": threads * per_cashier})]
    start = threading.Barrier(threads, timeout=300)
    errors, done = [], []

    def cashier(k):
        try:
            with app.app_context():
                user = db.session.query(User).filter_by(username="finance").one()
                mine = deal_ids[k::threads][:per_cashier] or deal_ids[:per_cashier]
                start.wait()
                for i in range(per_cashier):
                    deal = db.session.get(Deal, mine[i % len(mine)])
                    receipts.receive(deal, "10.00", "cash", payer="压测收银%02d" % k, note="bench", user=user)
                    done.append(1)
                db.session.remove()
        except Exception as exc:  # noqa: BLE001 — reported below
            errors.append(repr(exc))

    workers = [threading.Thread(target=cashier, args=(k,)) for k in range(threads)]
    t0 = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    took = time.perf_counter() - t0
    with app.app_context():
        c, dc, lo, hi, last = db.session.execute(sa.text("""
            SELECT count(*), count(DISTINCT seq), min(seq), max(seq),
                   (SELECT last FROM number_sequence WHERE scope = 'receipt' AND key = :p)
            FROM receipt WHERE project_id = :p"""), {"p": project_id}).first()
        numbers_ok = db.session.execute(sa.text("""
            SELECT count(*) FROM receipt r JOIN project pr ON pr.id = r.project_id
            WHERE r.project_id = :p AND r.number <> pr.code || '-SK-' || lpad(r.seq::text, 6, '0')"""),
            {"p": project_id}).scalar()
    return {"made": len(done), "errors": errors, "seconds": took, "before": before, "count": c,
            "distinct": dc, "min": lo, "max": hi, "counter": last, "bad numbers": numbers_ok,
            "ok": not errors and c == dc == hi == last and lo == 1 and c == before + threads * per_cashier
            and not numbers_ok}


def explain(app, sql, params):
    with app.app_context():
        plan = db.session.execute(sa.text("EXPLAIN (ANALYZE, BUFFERS) " + sql), params).scalars().all()
    return "\n".join(plan)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--deals", type=int, default=100000)
    parser.add_argument("--receipts", type=int, default=1000000)
    parser.add_argument("--projects", type=int, default=10)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--cashiers", type=int, default=20)
    parser.add_argument("--per-cashier", type=int, default=25)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    url = args.database_url
    if not url or not url.startswith("postgresql"):
        raise SystemExit("give --database-url postgresql://… (a database you may wipe)")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    only = [w.strip() for w in args.only.split(",") if w.strip()]
    wanted = lambda part: not only or part in only  # noqa: E731

    print("Machine: %s, %d cores, Python %s, %s" % (platform.machine(), os.cpu_count(), platform.python_version(),
                                                    dt.datetime.utcnow().strftime("%Y-%m-%d %H:%M UTC")))
    # One connection per cashier thread besides the measuring ones.
    engine_options = {"pool_pre_ping": True, "pool_size": args.cashiers + 5, "max_overflow": 10}
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url, SQLALCHEMY_ENGINE_OPTIONS=engine_options)
    project_ids = existing(app, args.deals) if args.reuse else None
    if project_ids:
        note("reusing the history built earlier (%d projects)" % len(project_ids))
    else:
        t0 = time.perf_counter()
        app, project_ids, _timings, made = build(url, args.deals, args.receipts, args.projects, engine_options)
        note("history generated in %.1f s (%d receipts)" % (time.perf_counter() - t0, made))
    with app.app_context():
        version = db.session.execute(sa.text("SHOW server_version")).scalar()
    print("PostgreSQL %s" % version)
    for key, value in sizes(app, project_ids).items():
        print("  %-50s %s" % (key, "{:,}".format(value) if isinstance(value, int) else value))

    rows = []
    if wanted("late"):
        note("late-fee job")
        measure_late_fees(app, project_ids, rows)
    if wanted("page"):
        note("payment page")
        measure_page(app, project_ids, args.runs, rows)
    if wanted("arrears"):
        note("arrears list")
        measure_arrears(app, project_ids, args.runs, rows)
    concurrency = None
    if wanted("cashiers"):
        note("%d cashiers × %d receipts" % (args.cashiers, args.per_cashier))
        concurrency = cashiers(app, project_ids[0], args.cashiers, args.per_cashier)

    print()
    print("Load average at the end: %s" % load())
    print("%-86s %10s %10s %6s %8s" % ("measured (finance user, warm)", "median ms", "worst ms", "SQL", "target"))
    for label, median, worst, most, target in rows:
        if target is None:
            print("%-86s %10.1f %10.1f %6d %9s" % (label, median * 1000, worst * 1000, most, "—"))
            continue
        flag = "" if worst * 1000 < target else ("  (median met)" if median * 1000 < target else "  MISSED")
        print("%-86s %10.1f %10.1f %6d %6d ms%s" % (label, median * 1000, worst * 1000, most, target, flag))
    if concurrency:
        c = concurrency
        print("%d cashiers × %d receipts on one project: %d made in %.2f s (%.0f receipts/s); errors: %d%s"
              % (args.cashiers, args.per_cashier, c["made"], c["seconds"], c["made"] / c["seconds"],
                 len(c["errors"]), (" — " + c["errors"][0]) if c["errors"] else ""))
        print("  the project's receipts: %d, distinct seqs %d, seq %s..%s, counter %s, wrong numbers %d → %s"
              % (c["count"], c["distinct"], c["min"], c["max"], c["counter"], c["bad numbers"],
                 "no gap, no duplicate" if c["ok"] else "GAP OR DUPLICATE"))


if __name__ == "__main__":
    main()
