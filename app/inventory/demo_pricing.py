"""Demo pricing of 云璟花园 (GZ-YJ): factors that reproduce its demo prices, and one approved
price adjustment (+2% on two top-floor rooms of 1栋 2单元) so that rooms show a price history.

Demo prices are 32,800/m² on floor 1 + 150/m² per floor, +800/m² for the south-facing river-view
rooms (here 南 +500 and 江景 +300), floor price 97% of the total; parking 14,400/m² (180,000 for
12.5 m²) keeps its own floor price (no ratio: the current floor/total ratio applies)."""
import decimal

from app.core.models import LookupValue
from app.extensions import db
from app.inventory.models import Project, PropertyType, Room
from app.inventory.models.pricing import PriceFactor

D = decimal.Decimal
_registered = False


def register():
    global _registered
    from app import demo
    if not _registered:
        demo.register(load)
        _registered = True


def load():
    project = db.session.query(Project).filter_by(code="GZ-YJ").one_or_none()
    if project is None:
        return
    types = {t.code: t for t in db.session.query(PropertyType).filter_by(project_id=project.id)}
    lookups = {(v.list_code, v.name): v for v in db.session.query(LookupValue)}
    homes, parking = types.get("RES"), types.get("PARK")
    factors = [
        PriceFactor(kind="base", name="住宅基价", method="amount", value=D("32800"), property_type=homes,
                    sort_order=10),
        PriceFactor(kind="base", name="车位基价", method="amount", value=D("14400"), property_type=parking,
                    sort_order=20),
        PriceFactor(kind="floor_step", name="楼层差价", method="amount", value=D("150"), ref_floor=1,
                    property_type=homes, sort_order=30),
        PriceFactor(kind="orientation", method="amount", value=D("500"), orientation=lookups[("orientation", "南")],
                    sort_order=40),
        PriceFactor(kind="view", method="amount", value=D("300"), view=lookups[("view", "江景")], sort_order=50),
        PriceFactor(kind="floor_price", name="住宅底价", method="coefficient", value=D("0.97"), property_type=homes,
                    sort_order=60),
        # An example of an admin's own factor, not in use yet.
        PriceFactor(kind="custom", name="边套", method="coefficient", value=D("1.01"), number_suffix="01",
                    property_type=homes, active=False, sort_order=70),
    ]
    for factor in factors:
        factor.project = project
        db.session.add(factor)
    db.session.commit()
    _approved_adjustment(project)


def _approved_adjustment(project):
    """+2% on 1栋-2单元-902 and -1002, asked by the manager and approved by the admin."""
    from flask import current_app

    from app.core.services import approvals
    from app.inventory.services import price_adjustment

    User = current_app.appbuilder.sm.user_model
    manager = db.session.query(User).filter_by(username="manager").one_or_none()
    admin = db.session.query(User).filter_by(username="admin").one_or_none()
    if manager is None or admin is None:
        return
    ids = [i for (i,) in db.session.query(Room.id).filter(
        Room.project_id == project.id, Room.code.in_(["1栋-2单元-902", "1栋-2单元-1002"])).order_by(Room.id)]
    if not ids:
        return
    adjustment = price_adjustment.create(project.id, ids, "percent", "2", "首开高层调价", manager,
                                         "高楼层园景房认筹踊跃，上调 2%")
    approvals.approve(adjustment.approval_request_id, admin, "同意")
