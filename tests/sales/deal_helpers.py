"""Builders for the deal tests: demo rooms of 云璟花园, customers of the demo salespeople."""
import sqlalchemy as sa

from app.core.models import AuditLog
from app.crm.models import Customer, Opportunity
from app.extensions import db
from app.inventory.models import Room
from app.sales.models import Deal, DealBuyer, DealEvent, SalesPermission
from tests.crm.helpers import as_user, employee, one_customer_of  # noqa: F401
from tests.sales.helpers import D, plan, project, room  # noqa: F401


def available_rooms(n=1, project_code="GZ-YJ", with_price=True):
    query = (db.session.query(Room).filter(Room.project_id == project(project_code).id, Room.status == "available")
             .order_by(Room.id))
    if with_price:
        query = query.filter(Room.list_total_price > 0)
    return query.limit(n).all()


def customers_of(number, n=1):
    return (db.session.query(Customer).filter(Customer.owner_id == employee(number).id).order_by(Customer.id)
            .limit(n).all())


def deals_on(room_id, state=None):
    query = db.session.query(Deal).filter(Deal.room_id == room_id)
    if state:
        query = query.filter(Deal.state == state)
    return query.all()


def status(room_id):
    return db.session.execute(sa.select(Room.status).where(Room.id == room_id)).scalar()


def opportunity_stage(customer_id, project_id):
    return db.session.execute(sa.select(Opportunity.stage).where(Opportunity.customer_id == customer_id,
                                                                 Opportunity.project_id == project_id)).scalar()


def events(deal_id):
    return [a for (a,) in db.session.query(DealEvent.action).filter(DealEvent.deal_id == deal_id)
            .order_by(DealEvent.at, DealEvent.id)]


def counts():
    return tuple(db.session.query(sa.func.count(m.id)).scalar() for m in (Deal, DealBuyer, DealEvent, AuditLog))


def revoke_all(number):
    db.session.query(SalesPermission).filter(SalesPermission.employee_id == employee(number).id).delete()
    db.session.commit()
