"""Demo loading, room search and release on the demo data (滨江锦园: 1,984 apartments).

    .venv/bin/python bench/bench_release.py [--database-url URL] [--repeat 7]

DATABASE_URL in the environment is used when --database-url is not given; without either, a
throw-away SQLite file. The database is emptied and rebuilt: never point it at a database you
keep. Times the demo loader (the inventory part on its own), the room-search page as the sales
user (median and max of --repeat requests, and the most SQL statements one request ran), the
release-batch list, and one release of the 744 unreleased rooms of 滨江锦园 6–8栋."""
import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402


def build(url):
    from config import database_url
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=database_url(url) if "://" in url else url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.services import setup
        from app.inventory import demo as inventory_demo
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        timings = {}
        original = {name: getattr(inventory_demo, name) for name in ("load_yunjing", "load_large_projects")}

        def timed(name):
            def run():
                started = time.perf_counter()
                original[name]()
                timings[name] = time.perf_counter() - started
            return run

        for name in original:
            setattr(inventory_demo, name, timed(name))
        started = time.perf_counter()
        try:
            demo.load()
        finally:
            for name, fn in original.items():
                setattr(inventory_demo, name, fn)
        timings["whole demo (organisation, logins, inventory)"] = time.perf_counter() - started
        db.session.remove()
    return app, timings


def measure(app, client, url, repeat):
    statements = []

    def record(*args):
        statements.append(1)

    with app.app_context():
        engine = db.engine
    times, most = [], 0
    for _ in range(repeat):
        statements.clear()
        sa.event.listen(engine, "before_cursor_execute", record)
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        sa.event.remove(engine, "before_cursor_execute", record)
        assert response.status_code == 200, (url, response.status_code)
        most = max(most, len(statements))
    return statistics.median(times), max(times), most


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="loupan-bench-"), "bench.db")
    app, timings = build(url)
    print("database: %s" % url.split("@")[-1])
    for name, seconds in timings.items():
        print("%-48s %8.0f ms" % (name, seconds * 1000))

    from tests.conftest import login
    from app.inventory.models import Project, ReleaseBatch, Room
    with app.app_context():
        project = db.session.query(Project).filter_by(code="HZ-JY").one().id
    client = app.test_client()
    login(client, "sales")
    pages = [
        ("room search, default (GZ-YJ, 40 available)", "/roomsearch/"),
        ("room search, 滨江锦园 available (1,230), page 1",
         "/roomsearch/?searched=1&project=%d&status=available" % project),
        ("room search, 滨江锦园 available, page 60", "/roomsearch/?searched=1&project=%d&status=available&page=60"
         % project),
        ("room search, 滨江锦园 every status (1,984)", "/roomsearch/?searched=1&project=%d" % project),
        ("room search, floors 10–20, 90–130㎡, ≤ ¥5,000,000",
         "/roomsearch/?searched=1&project=%d&status=available&floor_min=10&floor_max=20&area_min=90&area_max=130"
         "&price_kind=total&price_max=5000000" % project),
        ("release batch list", "/releasebatchview/list/"),
        ("room list, 100 rows (natural order)", "/roomview/list/?psize_RoomView=100"),
    ]
    print("%-48s %10s %10s %8s" % ("page", "median ms", "max ms", "queries"))
    for label, page in pages:
        median, most_ms, queries = measure(app, client, page, args.repeat)
        print("%-48s %10.1f %10.1f %8d" % (label, median, most_ms, queries))

    from app.inventory.services import release
    with app.app_context():
        rooms = db.session.query(Room).filter_by(project_id=project, status="unreleased").all()
        # The rest of the project goes on sale once a presale permit covers its buildings.
        from app.inventory.models import Building, PresalePermit
        buildings = db.session.query(Building).filter(Building.id.in_({r.building_id for r in rooms})).all()
        db.session.add(PresalePermit(project_id=project, number="浙杭预许字(2026)第0999号",
                                     issue_date=dt.date(2026, 12, 1), buildings=buildings))
        db.session.commit()
        rooms = db.session.query(Room).filter_by(project_id=project, status="unreleased").all()
        started = time.perf_counter()
        batch = release.release(rooms, "加推三", dt.date(2026, 12, 20))
        elapsed = time.perf_counter() - started
        print("release of %d rooms as one batch: %.0f ms (batch %s, %d rooms)"
              % (len(rooms), elapsed * 1000, batch.name,
                 db.session.query(Room).filter_by(release_batch_id=batch.id).count()))
        assert db.session.query(ReleaseBatch).count() == 9


if __name__ == "__main__":
    main()
