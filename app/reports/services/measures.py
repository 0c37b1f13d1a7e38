"""The figures reports count, each defined once: the SQL condition that picks the deals or rooms
behind it. A report aggregates with these conditions and its drill-down lists the rows that match
the same conditions, so a report's figure and the sum of its drill-down are the same by
construction (and tests check it).

Deal measures, for a period [start, end] of the office's days:
- held (预留): deals whose room was held in the period (a booking made without a hold is not one);
- subscribed (认购): deals subscribed in the period, whatever became of them later (a later
  cancellation is counted as a cancellation on its own day);
- signed (签约): deals signed in the period;
- cancelled (退房): deals cancelled (after subscription) in the period, by the day of the approval;
- sold (成交, no period): active deals subscribed or signed — what sell-through counts as sold.

Room groups (as of now): unreleased (未推盘), available (可售), reserved (held or booked: 锁定/小订),
sold (subscribed or signed), not_for_sale (非售). Sell-through (去化率) = sold ÷ (all − unreleased −
not for sale): what has been sold of what was put on sale. A room's value is its list total
price (表价货值) in every group; what sold rooms fetched is the deals' total (measure sold).

Bands: floor bands of ten storeys (1–10, 11–20, …; below ground as B), price bands of the room's
list unit price in steps of PRICE_STEP (¥/㎡)."""
import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.reports.services.filters import day_filters, moment_filters
from app.sales.models import Deal

DEAL_MEASURES = {
    "held": _l("Holds"),
    "subscribed": _l("Subscriptions"),
    "signed": _l("Contracts"),
    "cancelled": _l("Cancellations"),
    "sold": _l("Sold"),
}
ROOM_GROUPS = {
    "unreleased": (_l("Unreleased"), ("unreleased",)),
    "available": (_l("Available"), ("available",)),
    "reserved": (_l("Reserved"), ("held", "booked")),
    "sold": (_l("Sold"), ("subscribed", "signed")),
    "not_for_sale": (_l("Not for sale"), ("not_for_sale",)),
}
SOLD_STAGES = ("subscribed", "signed")
FLOOR_BAND = 10
PRICE_STEP = 5000


def deal_measure(measure, start=None, end=None):
    """The SQL conditions on Deal for a measure in a period; None for an unknown measure."""
    if measure == "held":
        return [Deal.held_at.isnot(None), *moment_filters(Deal.held_at, start, end)]
    if measure == "subscribed":
        return [Deal.subscribed_on.isnot(None), *day_filters(Deal.subscribed_on, start, end)]
    if measure == "signed":
        return [Deal.signed_on.isnot(None), *day_filters(Deal.signed_on, start, end)]
    if measure == "cancelled":
        return [Deal.state == "cancelled", Deal.ended_at.isnot(None), *moment_filters(Deal.ended_at, start, end)]
    if measure == "sold":
        return [Deal.state == "active", Deal.stage.in_(SOLD_STAGES)]
    return None


def room_group(group):
    """The room statuses of a group, or None."""
    entry = ROOM_GROUPS.get(group)
    return entry[1] if entry else None


def group_of_status():
    """A SQL CASE giving the group code of Room.status."""
    from app.inventory.models import Room
    return sa.case(*[(Room.status.in_(codes), code) for code, (_label, codes) in ROOM_GROUPS.items()],
                   else_="available")


def floor_band(floor_column):
    """The floor band's first storey: 1, 11, 21 …; below ground -1 (one band 'B')."""
    return sa.case((floor_column < 1, -1),
                   else_=((floor_column - 1) // FLOOR_BAND) * FLOOR_BAND + 1)


def floor_band_label(start):
    if start is None:
        return "—"
    start = int(start)
    if start < 1:
        return str(_l("Basement"))
    return "%d–%d" % (start, start + FLOOR_BAND - 1)


def floor_band_conditions(floor_column, start):
    start = int(start)
    if start < 1:
        return [floor_column < 1]
    return [floor_column >= start, floor_column <= start + FLOOR_BAND - 1]


def price_band(price_column):
    """The price band's lower bound (a multiple of PRICE_STEP), or NULL for a room without a price."""
    return sa.case((price_column.is_(None), sa.null()),
                   else_=sa.cast(sa.func.floor(price_column / PRICE_STEP), sa.Integer) * PRICE_STEP)


def price_band_label(start):
    if start is None:
        return str(_l("No price"))
    start = int(start)
    return "¥%s–%s" % ("{:,}".format(start), "{:,}".format(start + PRICE_STEP))


def price_band_conditions(price_column, start):
    if start is None or start == "none":
        return [price_column.is_(None)]
    start = int(start)
    return [price_column >= start, price_column < start + PRICE_STEP]


# -- deals by discount policy and by channel ------------------------------------------------------
def deal_policies():
    """A subquery (deal_id, policy_id): one row per discount policy a deal was given (Deal.policy_ids
    is a JSON list), unnested by the database."""
    from sqlalchemy.dialects.postgresql import JSONB

    from app.extensions import db
    if db.session.get_bind().dialect.name == "postgresql":
        doc = sa.cast(Deal.policy_ids, JSONB)
        return (sa.select(Deal.id.label("deal_id"),
                          sa.cast(sa.func.jsonb_array_elements_text(doc), sa.Integer).label("policy_id"))
                .where(Deal.policy_ids.isnot(None), sa.func.jsonb_typeof(doc) == "array").subquery("deal_policy"))
    each = sa.func.json_each(Deal.policy_ids).table_valued("value").alias("policy_each")
    return (sa.select(Deal.id.label("deal_id"), sa.cast(each.c.value, sa.Integer).label("policy_id"))
            .select_from(Deal).join(each, sa.true())
            .where(Deal.policy_ids.isnot(None), each.c.value.isnot(None)).subquery("deal_policy"))


def deal_channels():
    """A subquery (deal_id, channel_id): the channel a deal counts for — that of its customer's first
    visit to the deal's project, or the customer's own source when that visit names none (the
    marketing module's rule, app/marketing/services/channels.py)."""
    from app.crm.models import Customer, Visit
    from app.marketing.services.channels import _deal_source
    first = _deal_source()
    return (sa.select(Deal.id.label("deal_id"), sa.func.coalesce(Visit.channel_id, Customer.source_id).label("channel_id"))
            .select_from(Deal)
            .join(Customer, Customer.id == Deal.customer_id)
            .outerjoin(first, sa.and_(first.c.customer_id == Deal.customer_id, first.c.project_id == Deal.project_id))
            .outerjoin(Visit, Visit.id == first.c.visit_id).subquery("deal_channel"))


def policy_condition(policy_id):
    policies = deal_policies()
    if policy_id == "none":
        return ~Deal.id.in_(sa.select(policies.c.deal_id))
    return Deal.id.in_(sa.select(policies.c.deal_id).where(policies.c.policy_id == policy_id))


def channel_condition(channel_id):
    channels = deal_channels()
    condition = channels.c.channel_id.is_(None) if channel_id == "none" else channels.c.channel_id == channel_id
    return Deal.id.in_(sa.select(channels.c.deal_id).where(condition))
