"""Platform speed: list pages, tree, history and export at a realistic size.

    .venv/bin/python bench/bench_platform.py [--employees 10000] [--database-url URL]

Builds a throw-away database (SQLite file by default), loads the demo organisation plus N
employees with custom fields, then times each page over several requests and counts the SQL
statements each one runs (a count that grows with the rows shown would mean a query per row)."""
import argparse
import datetime as dt
import os
import platform
import re
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402


def build(url, employees):
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.models import CustomFieldDef
        from app.core.services import setup
        from app.org.models import Department, Employee
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        demo.load()
        db.session.add_all([
            CustomFieldDef(entity="employee", name="wechat", label="微信号", field_type="text",
                           show_in_list=True, active=True, sort_order=1, required=False),
            CustomFieldDef(entity="employee", name="grade", label="级别", field_type="choice",
                           lookup_list_code="customer_level", show_in_list=True, active=True, sort_order=2,
                           required=False),
        ])
        depts = db.session.query(Department).all()
        level = db.session.execute(sa.text("SELECT id FROM lookup_value WHERE list_code='customer_level'")).first()[0]
        t0 = time.perf_counter()
        for i in range(employees):
            db.session.add(Employee(
                number="B%06d" % i, name="员工%d" % i, department=depts[i % len(depts)], position="置业顾问",
                phone="139%08d" % i, id_number="44010619900101%04d" % (i % 10000),
                hire_date=dt.date(2020, 1, 1), status="active",
                custom={"wechat": "wx%d" % i, "grade": level},
            ))
            if i % 2000 == 1999:
                db.session.commit()
        db.session.commit()
        load_seconds = time.perf_counter() - t0
    return app, load_seconds


def measure(app, client, path, repeat):
    statements = []

    def count(*_args, **_kw):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", count)
    times, counts = [], []
    try:
        for _ in range(repeat):
            statements.clear()
            t0 = time.perf_counter()
            response = client.get(path)
            times.append((time.perf_counter() - t0) * 1000)
            counts.append(len(statements))
            assert response.status_code == 200, (path, response.status_code)
    finally:
        sa.event.remove(engine, "before_cursor_execute", count)
    return statistics.median(times), max(times), max(counts)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--employees", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    app, load_seconds = build(url, args.employees)
    client = app.test_client()
    page = client.get("/login/").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/login/", data={"username": "admin", "password": "Admin12345", "csrf_token": token})
    with app.app_context():
        emp_id = db.session.execute(sa.text("SELECT max(id) FROM employee")).scalar()
    pages = [
        ("employee list, 20 rows of %d" % args.employees, "/employeeview/list/"),
        ("employee list, 100 rows", "/employeeview/list/?psize_EmployeeView=100"),
        ("employee list, custom-field filter", "/employeeview/list/?cf_wechat=wx999"),
        ("employee detail", "/employeeview/show/%d" % emp_id),
        ("organisation chart", "/departmentview/tree/"),
        ("audit log list", "/auditlogview/list/"),
        ("record history", "/auditlogview/history/employee/%d" % emp_id),
        ("employee export (all rows)", "/employeeview/export/"),
        ("home page", "/"),
    ]
    print("Loupan platform bench — %s, Python %s, %s, %d CPUs" % (
        db.engine.dialect.name if False else url.split(":")[0], platform.python_version(),
        platform.platform(), os.cpu_count()))
    print("loaded %d employees in %.1f s" % (args.employees, load_seconds))
    print("%-40s %10s %10s %8s" % ("page", "median ms", "max ms", "queries"))
    for label, path in pages:
        repeat = 3 if "export" in path else args.repeat
        median, worst, queries = measure(app, client, path, repeat)
        print("%-40s %10.1f %10.1f %8d" % (label, median, worst, queries))


if __name__ == "__main__":
    main()
