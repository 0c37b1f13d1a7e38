"""Re-pricing speed: 10,000 rooms priced from factors, submitted as one price adjustment and
applied on approval (row locks, bulk update of the rooms, bulk insert of the history).

    .venv/bin/python bench/bench_pricing.py [--rooms 10000] [--database-url URL]

Builds a throw-away database (SQLite file by default; for PostgreSQL give a database you may
wipe), loads the demo, adds a project of N rooms and times each step. Target: re-pricing 10,000
rooms (submit + approve) under 3 seconds."""
import argparse
import decimal
import os
import platform
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import sqlalchemy as sa  # noqa: E402

from app import create_app  # noqa: E402
from app.extensions import db  # noqa: E402

D = decimal.Decimal


def build(url, rooms):
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        db.create_all()
        from app import demo
        from app.core.services import setup
        from app.inventory.models import Building, Project, PropertyType, Room
        from app.inventory.models.pricing import PriceFactor
        from app.org.models import Department
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        demo.load()
        dept = db.session.query(Department).filter_by(code="HN").one()
        project = Project(name="压测花园", code="BENCH", city="广州", developer=dept, price_rounding="fen")
        ptype = PropertyType(project=project, name="住宅", code="RES")
        db.session.add_all([project, ptype])
        per_building = 40 * 4 * 2  # 40 floors, 2 units of 4 rooms
        buildings = []
        for b in range((rooms + per_building - 1) // per_building):
            building = Building(project=project, name="%d栋" % (b + 1), floors_above=40, units_count=0,
                                sort_order=b)
            buildings.append(building)
        db.session.add_all(buildings)
        db.session.add_all([
            PriceFactor(project=project, kind="base", method="amount", value=D("25000")),
            PriceFactor(project=project, kind="floor_step", method="amount", value=D("120"), ref_floor=1),
            PriceFactor(project=project, kind="custom", name="边套", method="coefficient", value=D("1.015"),
                        number_suffix="01"),
            PriceFactor(project=project, kind="floor_price", method="coefficient", value=D("0.96")),
        ])
        db.session.flush()
        rows = []
        for i in range(rooms):
            building = buildings[i // per_building]
            n = i % per_building
            floor, position = n // 8 + 1, n % 8 + 1
            area = D("88.50") + position
            unit = D("25000") + 100 * floor
            rows.append({"project_id": project.id, "building_id": building.id, "floor": floor,
                         "number": "%d%02d" % (floor, position), "code": "%s-%d%02d" % (building.name, floor, position),
                         "property_type_id": ptype.id, "area_gross": area, "area_inner": area - 15,
                         "list_unit_price": unit, "list_total_price": (area * unit).quantize(D("0.01")),
                         "floor_price": (area * unit * D("0.97")).quantize(D("0.01")),
                         "status": "available", "custom": {}})
        db.session.execute(sa.insert(Room.__table__), rows)
        db.session.commit()
        return app, project.id


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rooms", type=int, default=10000)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    url = args.database_url or "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="loupan-bench-"), "bench.db")
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    app, project_id = build(url, args.rooms)
    with app.app_context():
        from flask import current_app

        from app.core.services import approvals
        from app.inventory.models import Project, Room
        from app.inventory.models.pricing import PriceHistory
        from app.inventory.services import price_adjustment, pricing
        User = current_app.appbuilder.sm.user_model
        ids = [i for (i,) in db.session.query(Room.id).filter_by(project_id=project_id)]
        figures = []
        for method, value in (("factors", None), ("percent", "2.5")):
            db.session.remove()
            project = db.session.get(Project, project_id)
            manager = db.session.query(User).filter_by(username="manager").one()
            admin = db.session.query(User).filter_by(username="admin").one()
            t0 = time.perf_counter()
            lines = pricing.preview(project, ids, method, value)
            t1 = time.perf_counter()
            adjustment = price_adjustment.create(project_id, ids, method, value, "压测调价", manager)
            t2 = time.perf_counter()
            approvals.approve(adjustment.approval_request_id, admin)
            t3 = time.perf_counter()
            history = db.session.query(PriceHistory).filter_by(adjustment_id=adjustment.id).count()
            assert history == len(lines), (history, len(lines))
            figures.append((method, len(lines), t1 - t0, t2 - t1, t3 - t2))
        print("Re-pricing on %s (%s, Python %s)" % (db.engine.dialect.name, platform.machine(),
                                                    platform.python_version()))
        print("%-9s %7s %10s %18s %18s %14s" % ("method", "rooms", "preview", "submit (lines)", "approve (apply)",
                                               "submit+approve"))
        for method, n, preview, submit, approve in figures:
            print("%-9s %7d %9.2fs %17.2fs %17.2fs %13.2fs" % (method, n, preview, submit, approve, submit + approve))


if __name__ == "__main__":
    main()
