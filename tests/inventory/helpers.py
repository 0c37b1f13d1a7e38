"""Small builders over the demo project 云璟花园 (GZ-YJ) that every inventory test starts from."""
import decimal

from app.core.models import LookupValue
from app.extensions import db
from app.inventory.models import Building, Project, PropertyType, Room, Unit

D = decimal.Decimal


def project(code="GZ-YJ"):
    return db.session.query(Project).filter_by(code=code).one()


def building(name="1栋", code="GZ-YJ"):
    return db.session.query(Building).filter_by(project_id=project(code).id, name=name).one()


def unit(building_name="1栋", name="1单元"):
    return db.session.query(Unit).filter_by(building_id=building(building_name).id, name=name).one()


def room(code):
    return db.session.query(Room).filter_by(project_id=project().id, code=code).one()


def homes():
    return db.session.query(PropertyType).filter_by(project_id=project().id, code="RES").one()


def lookup(list_code, name):
    return db.session.query(LookupValue).filter_by(list_code=list_code, name=name).one()


def room_count():
    return db.session.query(Room).count()


def new_room(**kw):
    values = dict(building=building(), unit=unit(), floor=5, number="599", property_type=homes(),
                  area_gross=D("100.00"), area_inner=D("80.00"), list_unit_price=D("30000.00"),
                  list_total_price=D("3000000.00"), floor_price=D("2900000.00"))
    values.update(kw)
    return Room(**values)
