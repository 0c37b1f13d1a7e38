"""Batch generation speed: plan and generate 10,000 rooms in one go.

    .venv/bin/python bench/bench_generation.py [--rooms 10000] [--database-url URL] [--repeat 3]

DATABASE_URL in the environment is used when --database-url is not given; without either, a
throw-away SQLite file. The database is emptied and rebuilt (schema, seed, one project): never
point it at a database you keep. Each round adds a building of 50 floors × 4 units × N/200
positions (N rooms), times plan() (checks and preview list) and generate() (bulk insert of the
rooms and their audit entries, commit) separately, and deletes the building again."""
import argparse
import os
import platform
import statistics
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

FLOORS, UNITS = 50, 4


def build(url):
    from config import database_url
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=database_url(url) if "://" in url else url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app.core.services import setup
        from app.inventory.models import Layout, Project, PropertyType
        from app.org.models import Department
        setup.seed_all()
        developer = Department(name="压测置业有限公司", code="BENCH", kind="company", sort_order=1, active=True)
        project = Project(name="压测花园", code="BENCH", city="广州", developer=developer, price_rounding="yuan")
        db.session.add_all([developer, project,
                            PropertyType(project=project, name="住宅", code="RES", sort_order=1),
                            Layout(project=project, name="A户型", bedrooms=3, living_rooms=2, bathrooms=2)])
        db.session.commit()
    return app


def one_round(app, rooms, index):
    from app.core.models import LookupValue
    from app.core.models.audit import AuditLog
    from app.inventory.models import Building, Layout, Project, PropertyType, Room, Unit
    from app.inventory.services import generation as gen
    positions = max(1, rooms // (FLOORS * UNITS))
    with app.app_context():
        project = db.session.query(Project).filter_by(code="BENCH").one()
        building = Building(project=project, name="压测%d栋" % index, floors_above=FLOORS, floors_below=0,
                            units_count=UNITS)
        db.session.add(building)
        db.session.add_all([Unit(building=building, name="%d单元" % u, sort_order=u) for u in range(1, UNITS + 1)])
        db.session.commit()
        unit_ids = [u.id for u in db.session.query(Unit).filter_by(building_id=building.id)]
        layout = db.session.query(Layout).filter_by(project_id=project.id).first()
        homes = db.session.query(PropertyType).filter_by(project_id=project.id, code="RES").one()
        south = db.session.query(LookupValue).filter_by(list_code="orientation", name="南").one()
        req = gen.Request(
            building_id=building.id, unit_ids=unit_ids, floor_from=1, floor_to=FLOORS, numbering="floor_pos",
            positions=[gen.Position(pos=p, property_type_id=homes.id, layout_id=layout.id,
                                    orientation_id=south.id, area_gross="118.60", area_inner="95.20",
                                    unit_price="32800") for p in range(1, positions + 1)])
        building_id = building.id
        db.session.remove()

        t0 = time.perf_counter()
        planned = gen.plan(req)
        t_plan = time.perf_counter() - t0
        db.session.rollback()
        t0 = time.perf_counter()
        _plan, created = gen.generate(req)
        t_generate = time.perf_counter() - t0
        db.session.remove()
        assert created == len(planned.rooms) == FLOORS * UNITS * positions, created

        # Leave the database as it was for the next round.
        ids = sa.select(Room.id).where(Room.building_id == building_id)
        db.session.execute(sa.delete(AuditLog).where(AuditLog.table_name == "room",
                                                     AuditLog.row_id.in_(sa.select(sa.cast(Room.id, sa.String))
                                                                         .where(Room.building_id == building_id))))
        db.session.execute(sa.delete(Room).where(Room.id.in_(ids)))
        db.session.execute(sa.delete(Unit).where(Unit.building_id == building_id))
        db.session.execute(sa.delete(Building).where(Building.id == building_id))
        db.session.commit()
    return created, t_plan, t_generate


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=10000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL"))
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.db")
    app = build(url)
    with app.app_context():
        dialect = db.engine.dialect.name
    print("Loupan batch generation bench — %s, Python %s, %s, %d CPUs" % (
        dialect, platform.python_version(), platform.platform(), os.cpu_count()))
    print("%-8s %10s %12s %10s" % ("round", "rooms", "plan s", "generate s"))
    totals = []
    for index in range(1, args.repeat + 1):
        created, t_plan, t_generate = one_round(app, args.rooms, index)
        totals.append(t_plan + t_generate)
        print("%-8d %10d %12.3f %10.3f" % (index, created, t_plan, t_generate))
    print("plan + generate of %d rooms: median %.2f s, worst %.2f s (target: under 2 s)" % (
        created, statistics.median(totals), max(totals)))


if __name__ == "__main__":
    main()
