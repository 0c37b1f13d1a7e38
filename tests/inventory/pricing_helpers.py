"""Builders for the pricing tests (demo project 云璟花园, GZ-YJ, rounding to the yuan)."""
from flask import current_app

from app.extensions import db
from app.inventory.models import Building, Project, PropertyType, Room
from app.inventory.models.pricing import PriceAdjustment, PriceFactor, PriceHistory
from app.org.models import Department
from tests.inventory.helpers import D, project, room


def user(username):
    User = current_app.appbuilder.sm.user_model
    return db.session.query(User).filter_by(username=username).one()


def prices(code):
    r = room(code)
    return r.list_unit_price, r.list_total_price, r.floor_price


def ids(*codes):
    return [room(c).id for c in codes]


def set_status(code, status):
    """Test setup only: put a room into a deal status as the deal services would."""
    r = room(code)
    r.status = status
    db.session.commit()


def factor(kind):
    return db.session.query(PriceFactor).filter_by(project_id=project().id, kind=kind).first()


def counts():
    from app.core.models import ApprovalRequest
    return (db.session.query(PriceAdjustment).count(), db.session.query(PriceHistory).count(),
            db.session.query(ApprovalRequest).count())


def other_project_room():
    """A room of a second project."""
    dept = db.session.query(Department).filter_by(code="HN").one()
    other = Project(name="海悦湾", code="T-OTHER", city="深圳", developer=dept, price_rounding="fen")
    ptype = PropertyType(project=other, name="住宅", code="RES")
    b = Building(project=other, name="A座", floors_above=5, floors_below=0, units_count=0)
    r = Room(project=other, building=b, floor=1, number="101", code="A座-101", property_type=ptype,
             area_gross=D("90.00"), list_unit_price=D("50000.00"), list_total_price=D("4500000.00"),
             floor_price=D("4400000.00"), status="available")
    db.session.add_all([other, ptype, b, r])
    db.session.commit()
    return r.id
