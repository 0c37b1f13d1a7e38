"""Sales-control chart speed: a project of about 5,000 rooms (21 buildings of 30 floors, 2 units
of 4 rooms each, some of them held, booked, subscribed or signed), charted whole (every building
of its phase) and one building at a time.

    .venv/bin/python bench/bench_chart.py [--database-url URL] [--runs 7] [--rebuild]

Measures on the server (Flask test client, logged in as admin): the chart page with its data
embedded and the JSON of the chart, median of the runs, and the SELECTs each sends; the refresh
endpoint when nothing changed. Then in Chromium (Playwright, /usr/bin/chromium): the time from
navigation to the grid drawn (the page's performance mark `loupan-chart-drawn`), median of the runs,
and a screenshot of one building at 1366×768 in tests/artifacts/chart-bench-*.png.
Targets: page + data under 150 ms on the server, drawn under 1 s in the browser.

The database is reused when it holds the bench project already (--rebuild starts afresh); give a
PostgreSQL database you may wipe (e.g. loupan_h1_bench), or nothing for a SQLite file."""
import argparse
import decimal
import os
import platform
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

D = decimal.Decimal
CODE = "BENCH-CHART"
BUILDINGS, FLOORS, UNITS, PER_UNIT = 21, 30, 2, 4
ADMIN_PASSWORD = "Admin12345"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
STATUSES = ["available"] * 12 + ["held", "booked", "subscribed", "signed", "signed", "unreleased", "not_for_sale"]


def build(app, rebuild):
    from app import demo
    from app.core.models import LookupValue
    from app.core.services import setup
    from app.inventory.models import Building, Layout, Phase, Project, PropertyType, Room, Unit
    from app.org.models import Department
    with app.app_context():
        if not rebuild:
            try:
                project = db.session.query(Project).filter_by(code=CODE).one_or_none()
            except sa.exc.SQLAlchemyError:
                db.session.rollback()
                project = None
            if project is not None:
                return project.id
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        else:
            db.drop_all()
        db.create_all()
        setup.seed_all()
        setup.ensure_admin(ADMIN_PASSWORD)
        demo.load()
        dept = db.session.query(Department).filter_by(code="HN").one()
        project = Project(name="压测销控花园", code=CODE, city="广州", developer=dept, price_rounding="fen")
        phase = Phase(project=project, name="一期", sort_order=10)
        ptype = PropertyType(project=project, name="住宅", code="RES")
        layouts = [Layout(project=project, name="%s户型 %s" % (c, n), bedrooms=b, typical_area=a)
                   for c, n, b, a in (("A", "三室两厅两卫", 3, D("118.60")), ("B", "两室两厅一卫", 2, D("89.50")),
                                      ("C", "四室两厅两卫", 4, D("143.20")))]
        db.session.add_all([project, phase, ptype] + layouts)
        lookups = db.session.query(LookupValue).filter(LookupValue.list_code.in_(("orientation", "view"))).all()
        orientations = [v for v in lookups if v.list_code == "orientation"][:3] or [None]
        views = [v for v in lookups if v.list_code == "view"][:3] or [None]
        buildings, units = [], []
        for b in range(BUILDINGS):
            building = Building(project=project, phase=phase, name="%d栋" % (b + 1), floors_above=FLOORS,
                                units_count=UNITS, sort_order=b)
            buildings.append(building)
            units.append([Unit(building=building, name="%d单元" % (u + 1), sort_order=u) for u in range(UNITS)])
        db.session.add_all(buildings + [u for us in units for u in us])
        db.session.flush()
        rows, n = [], 0
        for b, building in enumerate(buildings):
            for u, unit in enumerate(units[b]):
                for floor in range(1, FLOORS + 1):
                    for pos in range(1, PER_UNIT + 1):
                        layout = layouts[(pos - 1) % 3]
                        area = layout.typical_area
                        unit_price = D("25000") + 120 * floor
                        number = "%d%02d" % (floor, pos)
                        rows.append({
                            "project_id": project.id, "building_id": building.id, "unit_id": unit.id,
                            "floor": floor, "number": number, "code": "%s-%s-%s" % (building.name, unit.name, number),
                            "layout_id": layout.id, "property_type_id": ptype.id,
                            "orientation_id": getattr(orientations[pos % len(orientations)], "id", None),
                            "view_id": getattr(views[floor % len(views)], "id", None),
                            "area_gross": area, "area_inner": area - 15, "list_unit_price": unit_price,
                            "list_total_price": (area * unit_price).quantize(D("0.01")),
                            "floor_price": (area * unit_price * D("0.97")).quantize(D("0.01")),
                            "status": STATUSES[(n * 7) % len(STATUSES)], "custom": {}})
                        n += 1
        db.session.execute(sa.insert(Room.__table__), rows)
        db.session.commit()
        return project.id


class Selects:
    def __init__(self, engine):
        self.engine, self.count = engine, 0

    def _seen(self, conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def login(client):
    import re
    html = client.get("/login/").get_data(as_text=True)
    token = re.search(r'id="csrf_token"[^>]*value="([^"]+)"|name="csrf_token"[^>]*value="([^"]+)"', html)
    response = client.post("/login/", data={"username": "admin", "password": ADMIN_PASSWORD,
                                            "csrf_token": token.group(1) or token.group(2)})
    assert response.status_code == 302, response.status_code


def server_times(app, url, runs):
    client = app.test_client()
    login(client)
    client.get(url)  # warm the templates and the caches of the database
    times, selects, size = [], 0, 0
    for _ in range(runs):
        with app.app_context():
            with Selects(db.engine) as counter:
                t0 = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - t0)
        assert response.status_code in (200, 204), (url, response.status_code)
        selects, size = counter.count, len(response.data)
    return statistics.median(times), min(times), selects, size


def browser_times(app, url, runs, shot_url, artifacts):
    from playwright.sync_api import sync_playwright
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = "http://127.0.0.1:%d" % server.server_port
    drawn = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(base_url=base, viewport={"width": 1366, "height": 768}, locale="zh-CN")
            page = context.new_page()
            page.goto("/login/")
            page.fill("input#username", "admin")
            page.fill("input#password", ADMIN_PASSWORD)
            with page.expect_navigation():
                page.click("form[name=login] [type=submit]")
            page.goto(url)  # warm
            for _ in range(runs):
                page.goto(url)
                page.wait_for_selector("#loupan-chart[data-drawn]", timeout=30000)
                drawn.append(page.evaluate(
                    "[performance.getEntriesByName('loupan-chart-drawn')[0].startTime,"
                    " performance.getEntriesByName('loupan-chart-drawn')[0].startTime"
                    " - performance.getEntriesByName('loupan-chart-script')[0].startTime,"
                    " performance.getEntriesByType('navigation')[0].responseEnd]"))
            cells = page.locator("td.lc-c").count()
            os.makedirs(artifacts, exist_ok=True)
            page.screenshot(path=os.path.join(artifacts, "chart-bench-5000.png"))
            page.goto(shot_url)
            page.wait_for_selector("#loupan-chart[data-drawn]")
            no_scroll = page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
            page.screenshot(path=os.path.join(artifacts, "chart-bench-30x8.png"))
            browser.close()
    finally:
        server.shutdown()
        server.server_close()
    return drawn, cells, no_scroll


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--rebuild", action="store_true")
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.gettempdir(), "loupan-bench-chart.db")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
    t0 = time.perf_counter()
    project_id = build(app, args.rebuild)
    built = time.perf_counter() - t0
    from app.inventory.models import Building, Phase, Room
    with app.app_context():
        phase_id = db.session.query(Phase.id).filter_by(project_id=project_id).scalar()
        first = db.session.query(Building.id).filter_by(project_id=project_id).order_by(Building.sort_order).first()[0]
        rooms = db.session.query(sa.func.count(Room.id)).filter_by(project_id=project_id).scalar()
        dialect = db.engine.dialect.name
    whole = "project=%d&phase=%d" % (project_id, phase_id)
    one = "project=%d&building=%d" % (project_id, first)
    rows = []
    for label, path in (("page, whole project", "/sales/chart/?" + whole),
                        ("JSON, whole project", "/sales/chart/data?" + whole),
                        ("page, one building", "/sales/chart/?" + one),
                        ("JSON, one building", "/sales/chart/data?" + one)):
        rows.append((label,) + server_times(app, path, args.runs))
    with app.app_context():
        client = app.test_client()
        login(client)
        version = client.get("/sales/chart/data?" + whole).json["version"]
    rows.append(("refresh, unchanged",) + server_times(app, "/sales/chart/state?%s&v=%s" % (whole, version),
                                                        args.runs))
    rows.append(("refresh, all rooms",) + server_times(app, "/sales/chart/state?%s&v=0" % whole, args.runs))
    artifacts = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests", "artifacts")
    drawn, cells, no_scroll = browser_times(app, "/sales/chart/?" + whole, args.runs,
                                                        "/sales/chart/?" + one, artifacts)
    print("Sales-control chart on %s: %d rooms (%d buildings of %d floors × %d rooms), built or reused in %.1fs"
          % (dialect, rooms, BUILDINGS, FLOORS, UNITS * PER_UNIT, built))
    print("Machine: %s, %d cores, Python %s" % (platform.machine(), os.cpu_count(), platform.python_version()))
    print("Load average before the browser runs: %s" % (" ".join("%.1f" % x for x in os.getloadavg())))
    print("%-22s %10s %10s %8s %10s" % ("request", "median", "best", "SELECTs", "bytes"))
    for label, median, best, selects, size in rows:
        print("%-22s %8.1fms %8.1fms %8d %10d" % (label, median * 1000, best * 1000, selects, size))
    total, script, response = ([d[i] for d in drawn] for i in range(3))
    print("Chromium, navigation to grid drawn (%d cells): median %.0f ms, best %.0f ms; of which the page's"
          " response ended at %.0f ms (median) and the script (parse the data, build the grid, legend) took"
          " %.0f ms (median), %.0f ms (best)" % (cells, statistics.median(total), min(total),
                                                 statistics.median(response), statistics.median(script),
                                                 min(script)))
    print("One building at 1366×768 without horizontal page scroll: %s" % ("yes" if no_scroll else "NO"))


if __name__ == "__main__":
    main()
