"""Excel import speed and memory: a 10,000-row file checked and imported.

    .venv/bin/python bench/bench_import.py [--rows 10000] [--database-url URL]

Builds a throw-away database (SQLite file by default; a PostgreSQL URL drops and recreates the
public schema), loads the demo data, adds a 50-floor building with 10 units, writes a file of
N new rooms with openpyxl, then times the check (as after an upload: the whole file read with
openpyxl's read-only mode and every cell checked) and the import (the checked rows checked again
against the database, then inserted in one transaction with their audit entries), through the
same job functions the page runs in its background thread. openpyxl writes its strings inline and
no sheet dimension, which reads slower than the shared strings of a file saved by Excel or WPS:
the figures are on the safe side. Memory: the process's peak resident size (ru_maxrss) before
and after, and the peak traced by tracemalloc in a second, separate pass."""
import argparse
import os
import platform
import resource
import sys
import tempfile
import time
import tracemalloc

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402
from openpyxl import Workbook  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

FLOORS, UNITS = 50, 10


def build(url):
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url, LOUPAN_IMPORT_SYNC=True,
                     LOUPAN_IMPORT_DIR=tempfile.mkdtemp())
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.services import setup
        from app.inventory.models import Building, Project, Unit
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        demo.load()
        project = db.session.query(Project).filter_by(code="GZ-YJ").one()
        building = Building(project=project, name="9栋", floors_above=FLOORS, floors_below=2, units_count=UNITS,
                            sort_order=90)
        db.session.add(building)
        for u in range(1, UNITS + 1):
            db.session.add(Unit(building=building, name="%d单元" % u, sort_order=u))
        db.session.commit()
    return app


def write_file(path, rows):
    from app.inventory.services.imports import COLUMNS
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("房间")
    ws.append([title for _k, title, _r, _d in COLUMNS])
    layouts = ["A户型 三室两厅两卫", "B户型 两室两厅一卫", "C户型 四室两厅两卫"]
    orientations, views = ["南", "东南", "北"], ["江景", "园林景观"]
    per_floor = rows // FLOORS // UNITS + 1
    n = 0
    for floor in range(1, FLOORS + 1):
        for unit in range(1, UNITS + 1):
            for position in range(1, per_floor + 1):
                if n == rows:
                    break
                gross = 89.5 + position
                ws.append(["9栋", "%d单元" % unit, floor, "%d%02d" % (floor, position), None, layouts[n % 3], "住宅",
                           orientations[n % 3], views[n % 2], "精装", gross, round(gross * 0.8, 2),
                           32800 + floor * 150, None, None])
                n += 1
    wb.save(path)
    return n


def run(app, path, user_id):
    from app.inventory.models.imports import RoomImport
    from app.inventory.services import imports
    with app.app_context():
        from app.inventory.models import Project
        project = db.session.query(Project).filter_by(code="GZ-YJ").one()
        stored = os.path.join(app.config["LOUPAN_IMPORT_DIR"], "bench.xlsx")
        with open(path, "rb") as src, open(stored, "wb") as dst:
            dst.write(src.read())
        job = RoomImport(project_id=project.id, file_name="bench.xlsx", stored_path=stored, status="validating",
                         created_by_fk=user_id, locale="zh")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    t0 = time.perf_counter()
    imports._work(app, job_id, "validate", "zh", user_id)
    t1 = time.perf_counter()
    with app.app_context():
        job = db.session.get(RoomImport, job_id)
        assert job.status == "valid", (job.status, job.message, (job.errors or [])[:3])
        job.status = "importing"
        db.session.commit()
    t2 = time.perf_counter()
    imports._work(app, job_id, "import", "zh", user_id)
    t3 = time.perf_counter()
    with app.app_context():
        job = db.session.get(RoomImport, job_id)
        assert job.status == "done", (job.status, job.message)
        count = job.imported_count
    return t1 - t0, t3 - t2, count


def reset(app):
    with app.app_context():
        from app.inventory.models import Building, Room
        building = db.session.query(Building).filter_by(name="9栋").one()
        db.session.execute(sa.delete(Room).where(Room.building_id == building.id))
        db.session.commit()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    app = build(url)
    with app.app_context():
        user_id = db.session.execute(sa.text("SELECT id FROM ab_user WHERE username='admin'")).scalar()
    path = os.path.join(tempfile.mkdtemp(), "rooms.xlsx")
    t0 = time.perf_counter()
    rows = write_file(path, args.rows)
    write_seconds = time.perf_counter() - t0
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    check, load, count = run(app, path, user_id)
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    reset(app)
    tracemalloc.start()
    run(app, path, user_id)
    _current, traced_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print("Loupan import bench — %s, Python %s, %s, %d CPUs" % (
        url.split(":")[0], platform.python_version(), platform.platform(), os.cpu_count()))
    print("file: %d rows, %.1f MB, written in %.1f s" % (rows, os.path.getsize(path) / 1024 / 1024, write_seconds))
    print("check (upload → preview):         %6.2f s" % check)
    print("import (re-check + insert):       %6.2f s  (%d rooms)" % (load, count))
    print("check + import:                   %6.2f s  (target < 10 s)" % (check + load))
    print("peak RSS: %.0f MB before, %.0f MB after (target < 300 MB); tracemalloc peak %.0f MB" % (
        rss_before, rss_after, traced_peak / 1024 / 1024))


if __name__ == "__main__":
    main()
