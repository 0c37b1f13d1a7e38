"""Builders for the marketing tests: a campaign, its plan and spending, visits of new customers
in March 2020 (away from the demo's recent data), and deals written as the deal services leave them."""
import datetime as dt
import decimal

import sqlalchemy as sa

from app.crm.services import visits as visit_service
from app.extensions import db
from app.inventory.models import Room
from app.marketing.models import Campaign, CampaignBudget, CampaignCost
from app.marketing.services import campaigns
from app.sales.models import Deal
from tests.crm.helpers import as_user, employee, lookup, project  # noqa: F401

D = decimal.Decimal
MARCH = (dt.date(2020, 3, 1), dt.date(2020, 3, 31))


def campaign(name, channel, plan=None, start=MARCH[0], end=MARCH[1], code="GZ-YJ", kind="advertising"):
    item = Campaign(project=project(code), name=name, kind=kind, channel=lookup("visit_channel", channel),
                    start_date=start, end_date=end)
    campaigns.check_campaign(item)
    db.session.add(item)
    db.session.flush()
    for type_name, amount in (plan or {}).items():
        line = CampaignBudget(campaign=item, cost_type=lookup("sales_cost_type", type_name), amount=D(amount))
        campaigns.check_budget(line)
        db.session.add(line)
    db.session.commit()
    return item


def spend(item, type_name, amount, day, payee="广州地铁传媒有限公司", user=None):
    """Record spending as the page does: check, save, send beyond-plan spending to approval."""
    cost = CampaignCost(campaign=item, cost_type=lookup("sales_cost_type", type_name), amount=amount, spent_on=day,
                        payee=payee)
    with db.session.no_autoflush:
        campaigns.check_cost(cost)
    db.session.add(cost)
    db.session.commit()
    campaigns.after_cost_saved(cost, user)
    return cost


def visit(phone, day, channel, name="测试客户", kind="visit", code="GZ-YJ", hour=10):
    at = dt.datetime.combine(day, dt.time(hour, 0)) - dt.timedelta(hours=8)  # office time as UTC
    v, _created = visit_service.register_visit(phone, project(code).id, name=name, kind=kind,
                                               channel_id=lookup("visit_channel", channel).id, visited_at=at)
    return v


_used_rooms = []


def deal(customer, stage, total, subscribed_on=None, signed_on=None, state="active", code="GZ-YJ"):
    """A deal row on a free room of the project (the figures read deals only)."""
    taken = db.session.execute(sa.select(Deal.room_id)).scalars().all()
    room = (db.session.query(Room).filter(Room.project_id == project(code).id, Room.id.notin_(taken or [0]))
            .order_by(Room.id).first())
    row = Deal(project_id=room.project_id, room_id=room.id, customer_id=customer.id,
               employee_id=employee("E1003").id, stage=stage, state=state, subscribed_on=subscribed_on,
               signed_on=signed_on, total=D(total), list_total=D(total), created_at=dt.datetime(2020, 3, 1))
    db.session.add(row)
    db.session.commit()
    return row
