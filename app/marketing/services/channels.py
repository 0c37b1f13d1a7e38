"""What each channel and campaign brought in (渠道分析).

Visits: visits (not calls) registered in the period. New customers: first visits or calls of a
customer to the project in the period. A deal counts for the channel and campaign of its
customer's first visit to the deal's project (the customer's own source channel when that visit
names none): subscriptions are active deals subscribed or signed, subscribed in the period;
contracts are active signed deals signed in the period, and their value is the deals' total.
Cost: counted spending in the period of the campaigns of that channel (or of that campaign).
Cost per visit, customer and contract divide it by those counts (empty when the count is 0)."""
import datetime as dt
import decimal

import sqlalchemy as sa

from app.core import clock
from app.core.clock import day_filters as _day_filters, moment_filters  # noqa: F401 (questionnaires)
from app.core.models import LookupValue
from app.crm.models import Customer, Visit
from app.extensions import db
from app.marketing.models import Campaign, CampaignCost, CampaignVisit
from app.sales.models import Deal

D = decimal.Decimal
CENT = D("0.01")
FIELDS = ("visits", "customers", "subscriptions", "contracts", "value", "cost")


def _ratio(cost, count):
    if not count:
        return None
    return (D(cost) / count).quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def _deal_source():
    """(customer, project) -> first visit's channel and campaign, as a subquery."""
    first = (sa.select(Visit.customer_id, Visit.project_id, sa.func.min(Visit.id).label("visit_id"))
             .where(Visit.is_first.is_(True)).group_by(Visit.customer_id, Visit.project_id).subquery())
    return first


def _deal_rows(by, project_id, start, end):
    """{key: {subscriptions, contracts, value}} in two queries (subscriptions, contracts)."""
    first = _deal_source()
    channel = sa.func.coalesce(Visit.channel_id, Customer.source_id)
    key = channel if by == "channel" else CampaignVisit.campaign_id
    result = {}
    for kind in ("subscriptions", "contracts"):
        date_column = Deal.subscribed_on if kind == "subscriptions" else Deal.signed_on
        stages = ("subscribed", "signed") if kind == "subscriptions" else ("signed",)
        query = (db.session.query(key, sa.func.count(Deal.id), sa.func.coalesce(sa.func.sum(Deal.total), 0))
                 .select_from(Deal)
                 .join(Customer, Customer.id == Deal.customer_id)
                 .outerjoin(first, sa.and_(first.c.customer_id == Deal.customer_id,
                                           first.c.project_id == Deal.project_id))
                 .outerjoin(Visit, Visit.id == first.c.visit_id)
                 .outerjoin(CampaignVisit, CampaignVisit.visit_id == first.c.visit_id)
                 .filter(Deal.state == "active", Deal.stage.in_(stages), *_day_filters(date_column, start, end)))
        if project_id:
            query = query.filter(Deal.project_id == project_id)
        for k, count, value in query.group_by(key).all():
            row = result.setdefault(k, {})
            row[kind] = count
            if kind == "contracts":
                row["value"] = D(value)
    return result


def _visit_rows(by, project_id, start, end):
    key = Visit.channel_id if by == "channel" else CampaignVisit.campaign_id
    query = db.session.query(
        key, sa.func.sum(sa.case((Visit.kind == "visit", 1), else_=0)),
        sa.func.sum(sa.case((Visit.is_first.is_(True), 1), else_=0)),
    ).select_from(Visit).filter(*moment_filters(Visit.visited_at, start, end))
    if by == "campaign":
        query = query.join(CampaignVisit, CampaignVisit.visit_id == Visit.id)
    if project_id:
        query = query.filter(Visit.project_id == project_id)
    return {k: {"visits": int(v or 0), "customers": int(c or 0)} for k, v, c in query.group_by(key).all()}


def _cost_rows(by, project_id, start, end):
    key = Campaign.channel_id if by == "channel" else Campaign.id
    query = (db.session.query(key, sa.func.sum(CampaignCost.amount))
             .join(Campaign, Campaign.id == CampaignCost.campaign_id)
             .filter(CampaignCost.status == "counted", *_day_filters(CampaignCost.spent_on, start, end)))
    if project_id:
        query = query.filter(Campaign.project_id == project_id)
    return {k: {"cost": D(amount or 0)} for k, amount in query.group_by(key).all()}


def _merge(*parts):
    merged = {}
    for part in parts:
        for key, values in part.items():
            merged.setdefault(key, {}).update(values)
    return merged


def _finish(row):
    for field in FIELDS:
        row.setdefault(field, D(0) if field in ("value", "cost") else 0)
    row["per_visit"] = _ratio(row["cost"], row["visits"])
    row["per_customer"] = _ratio(row["cost"], row["customers"])
    row["per_contract"] = _ratio(row["cost"], row["contracts"])
    return row


def _total(rows):
    total = {field: sum((r[field] for r in rows), D(0) if field in ("value", "cost") else 0) for field in FIELDS}
    return _finish(total)


def by_channel(project_id=None, start=None, end=None):
    """(rows, total): one row per channel of the visit-channel list (disabled ones only when they
    have figures), and one for visits naming no channel when there are such; seven queries."""
    merged = _merge(_visit_rows("channel", project_id, start, end), _deal_rows("channel", project_id, start, end),
                    _cost_rows("channel", project_id, start, end))
    values = (db.session.query(LookupValue).filter(LookupValue.list_code == "visit_channel")
              .order_by(LookupValue.sort_order, LookupValue.id).all())
    rows = []
    for value in values:
        if value.active or value.id in merged:
            rows.append(_finish(dict(merged.get(value.id, {}), key=value.id, name=value.name)))
    if None in merged:
        rows.append(_finish(dict(merged[None], key=None, name=None)))
    return rows, _total(rows)


def by_campaign(project_id=None, start=None, end=None):
    """(rows, total): one row per campaign (of the project), with its targets; six queries."""
    merged = _merge(_visit_rows("campaign", project_id, start, end), _deal_rows("campaign", project_id, start, end),
                    _cost_rows("campaign", project_id, start, end))
    query = db.session.query(Campaign).order_by(Campaign.start_date.desc(), Campaign.id)
    if project_id:
        query = query.filter(Campaign.project_id == project_id)
    rows = []
    for campaign in query.all():
        row = _finish(dict(merged.get(campaign.id, {}), key=campaign.id, name=campaign.name,
                           project=campaign.project.name, channel=campaign.channel.name if campaign.channel else None,
                           target_visits=campaign.target_visits, target_deals=campaign.target_deals))
        rows.append(row)
    return rows, _total(rows)
