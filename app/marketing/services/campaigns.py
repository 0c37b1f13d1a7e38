"""Campaigns (营销活动), their cost plan (费用计划) and spending (费用支出).

A spending entry is dated within its campaign and has a positive amount. It counts at once when
the counted spending of its expense type, with it, stays within the plan for that type; beyond
the plan it is kept as "pending" and goes to approval (kind "marketing_overspend", approvers:
admins); approval makes it count, rejection marks it rejected. Nothing is lost either way."""
import datetime as dt
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles
from app.core.context import current_user_obj
from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.services import approvals
from app.core.services.records import taken
from app.extensions import db
from app.marketing.models import CAMPAIGN_KINDS, Campaign, CampaignBudget, CampaignCost, CampaignVisit

D = decimal.Decimal
CENT = D("0.01")
MAX_AMOUNT = D("1e12")
APPROVAL_KIND = "marketing_overspend"

KIND_LABELS = {"opening": _l("Opening event"), "warm_up": _l("Warm-up event"), "advertising": _l("Advertising"),
               "channel": _l("Channel partnership"), "referral": _l("Owner referral"),
               "exhibition": _l("Exhibition"), "other": _l("Other")}
STATUS_LABELS = {"counted": _l("Counted"), "pending": _l("Awaiting approval"), "rejected": _l("Rejected")}


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind or ""))


def status_label(status):
    return str(STATUS_LABELS.get(status, status or ""))


def _amount(value, label):
    if value is None:
        raise BusinessError(_("Enter the %(field)s.", field=label))
    try:
        value = D(str(value))
    except decimal.InvalidOperation:
        raise BusinessError(_("%(field)s must be a number.", field=label))
    if not value.is_finite() or value >= MAX_AMOUNT:
        raise BusinessError(_("%(field)s must be a number.", field=label))
    if value <= 0:
        raise BusinessError(_("%(field)s must be more than zero, not %(value)s.", field=label, value=value))
    return value.quantize(CENT, rounding=decimal.ROUND_HALF_UP)


def check_campaign(campaign):
    if not (campaign.name or "").strip():
        raise BusinessError(_("Enter the campaign's name."))
    campaign.name = campaign.name.strip()
    if campaign.project is None and campaign.project_id is None:
        raise BusinessError(_("Choose the campaign's project."))
    if campaign.kind not in CAMPAIGN_KINDS:
        raise BusinessError(_("Choose the kind of campaign."))
    if campaign.start_date is None or campaign.end_date is None:
        raise BusinessError(_("Enter the campaign's first and last day."))
    if campaign.end_date < campaign.start_date:
        raise BusinessError(_("The campaign ends before it starts."))
    if campaign.channel is not None and campaign.channel.list_code != "visit_channel":
        raise BusinessError(_("Choose the channel from the visit channels."))
    for field, label in (("target_visits", _("Target visits")), ("target_deals", _("Target deals"))):
        value = getattr(campaign, field)
        if value is not None and value < 0:
            raise BusinessError(_("%(field)s cannot be negative.", field=label))
    project_id = campaign.project.id if campaign.project is not None else campaign.project_id
    if taken(Campaign, campaign, project_id=project_id, name=campaign.name):
        raise BusinessError(_("The project already has a campaign named “%(name)s”.", name=campaign.name))
    if campaign.id is not None:
        outside = db.session.query(sa.func.count(CampaignCost.id)).filter(
            CampaignCost.campaign_id == campaign.id,
            sa.or_(CampaignCost.spent_on < campaign.start_date, CampaignCost.spent_on > campaign.end_date)).scalar()
        if outside:
            raise BusinessError(_("%(n)d spending entries would fall outside the new dates; change them first.",
                                  n=outside))


def check_budget(line):
    if line.campaign is None:
        raise BusinessError(_("Choose the campaign."))
    if line.cost_type is None or line.cost_type.list_code != "sales_cost_type":
        raise BusinessError(_("Choose the expense type."))
    line.amount = _amount(line.amount, _("planned amount"))
    if taken(CampaignBudget, line, campaign_id=line.campaign.id, cost_type_id=line.cost_type.id):
        raise BusinessError(_("The campaign's plan already has a line for “%(type)s”; change that line instead.",
                              type=line.cost_type.name))


def planned(campaign_id, cost_type_id):
    return db.session.query(sa.func.coalesce(sa.func.sum(CampaignBudget.amount), 0)).filter(
        CampaignBudget.campaign_id == campaign_id, CampaignBudget.cost_type_id == cost_type_id).scalar()


def counted(campaign_id, cost_type_id, exclude_id=None):
    query = db.session.query(sa.func.coalesce(sa.func.sum(CampaignCost.amount), 0)).filter(
        CampaignCost.campaign_id == campaign_id, CampaignCost.cost_type_id == cost_type_id,
        CampaignCost.status == "counted")
    if exclude_id is not None:
        query = query.filter(CampaignCost.id != exclude_id)
    return query.scalar()


def check_cost(cost):
    """Check a spending entry and decide whether it counts at once or needs approval."""
    campaign = cost.campaign
    if campaign is None:
        raise BusinessError(_("Choose the campaign."))
    if cost.cost_type is None or cost.cost_type.list_code != "sales_cost_type":
        raise BusinessError(_("Choose the expense type."))
    cost.amount = _amount(cost.amount, _("amount"))
    if cost.spent_on is None:
        raise BusinessError(_("Enter the date of the spending."))
    if not campaign.start_date <= cost.spent_on <= campaign.end_date:
        raise BusinessError(_("The spending is dated %(date)s, outside the campaign “%(name)s” "
                              "(%(start)s to %(end)s).", date=cost.spent_on.isoformat(), name=campaign.name,
                              start=campaign.start_date.isoformat(), end=campaign.end_date.isoformat()))
    if not (cost.payee or "").strip():
        raise BusinessError(_("Enter who was paid."))
    cost.payee = cost.payee.strip()
    cost.invoice_no = (cost.invoice_no or "").strip() or None
    if cost.id is not None and cost.status != "counted":
        raise BusinessError(_("Only spending that counts can be changed; this entry is %(status)s.",
                              status=status_label(cost.status)))
    plan = D(planned(campaign.id, cost.cost_type.id))
    spent = D(counted(campaign.id, cost.cost_type.id, exclude_id=cost.id))
    beyond = spent + cost.amount > plan
    if beyond and cost.id is not None:
        raise BusinessError(_("This change would take “%(type)s” beyond its plan of %(plan)s; record the extra "
                              "spending as a new entry, which goes to approval.", type=cost.cost_type.name,
                              plan=_money(plan)))
    cost.status = "pending" if beyond else "counted"
    if cost.id is None and cost.created_by_id is None:
        cost.created_by_id = getattr(current_user_obj(), "id", None)
    return cost


def _money(value):
    from app.core.display import money
    return money(value)


def check_cost_deletable(cost):
    if cost.status == "pending":
        raise BusinessError(_("This spending is awaiting approval; withdraw the request first."))


def after_cost_saved(cost, user):
    """A pending entry goes to approval (the entry itself is already saved)."""
    if cost.status != "pending" or cost.approval_id is not None:
        return None
    plan = D(planned(cost.campaign_id, cost.cost_type_id))
    spent = D(counted(cost.campaign_id, cost.cost_type_id))
    payload = {"cost_id": cost.id, "campaign_id": cost.campaign_id, "amount": "%.2f" % cost.amount,
               "plan": "%.2f" % plan, "spent": "%.2f" % spent}
    summary = _("Spending beyond plan: %(campaign)s · %(type)s · %(amount)s", campaign=cost.campaign.name,
                type=cost.cost_type.name, amount=_money(cost.amount))
    request = approvals.submit(APPROVAL_KIND, user, CampaignCost.__tablename__, cost.id, payload, summary)
    cost = db.session.get(CampaignCost, payload["cost_id"])
    cost.approval_id = request.id
    db.session.commit()
    return request


def _cost_of(request):
    cost = db.session.get(CampaignCost, int(request.target_id or 0))
    if cost is None:
        raise BusinessError(_("The spending entry of this request no longer exists."))
    return cost


def _apply_overspend(request):
    cost = _cost_of(request)
    if cost.status != "pending":
        raise BusinessError(_("This spending entry is no longer awaiting approval."))
    cost.status = "counted"


def _close_overspend(request):
    cost = db.session.get(CampaignCost, int(request.target_id or 0))
    if cost is not None and cost.status == "pending":
        cost.status = "rejected"


def _describe_overspend(request):
    payload = request.payload or {}
    cost = db.session.get(CampaignCost, int(request.target_id or 0))
    rows = []
    if cost is not None:
        rows += [(_("Campaign"), cost.campaign.name), (_("Expense type"), cost.cost_type.name),
                 (_("Date"), cost.spent_on.isoformat()), (_("Payee"), cost.payee),
                 (_("Invoice number"), cost.invoice_no or "")]
    rows += [(_("Amount"), _money(payload.get("amount"))), (_("Planned"), _money(payload.get("plan"))),
             (_("Already spent"), _money(payload.get("spent")))]
    return rows


def _link_overspend(request):
    return (_("Spending entry"), "/campaigncostview/show/%s" % request.target_id)


def register():
    approvals.register_kind(APPROVAL_KIND, _l("Marketing spending beyond plan"), apply=_apply_overspend,
                            approver_roles=(roles.ADMIN,), describe=_describe_overspend, on_close=_close_overspend,
                            link=_link_overspend)


def plan_vs_actual(project_id=None, campaign_id=None):
    """Rows (project, campaign, expense type, planned, counted, pending, left) in two queries."""
    plan_q = (db.session.query(CampaignBudget.campaign_id, CampaignBudget.cost_type_id,
                               sa.func.sum(CampaignBudget.amount))
              .join(Campaign, Campaign.id == CampaignBudget.campaign_id)
              .group_by(CampaignBudget.campaign_id, CampaignBudget.cost_type_id))
    cost_q = (db.session.query(CampaignCost.campaign_id, CampaignCost.cost_type_id, CampaignCost.status,
                               sa.func.sum(CampaignCost.amount))
              .join(Campaign, Campaign.id == CampaignCost.campaign_id)
              .group_by(CampaignCost.campaign_id, CampaignCost.cost_type_id, CampaignCost.status))
    plan_q, cost_q = _within(plan_q, project_id, campaign_id), _within(cost_q, project_id, campaign_id)
    figures = {}
    for cid, tid, amount in plan_q.all():
        figures.setdefault((cid, tid), {"planned": D(0), "counted": D(0), "pending": D(0)})["planned"] += D(amount)
    for cid, tid, status, amount in cost_q.all():
        if status in ("counted", "pending"):
            figures.setdefault((cid, tid), {"planned": D(0), "counted": D(0), "pending": D(0)})[status] += D(amount)
    if not figures:
        return []
    campaigns = {c.id: c for c in db.session.query(Campaign).filter(
        Campaign.id.in_({k[0] for k in figures}))}
    types = {v.id: v for v in db.session.query(LookupValue).filter(LookupValue.id.in_({k[1] for k in figures}))}
    rows = []
    for (cid, tid), f in figures.items():
        campaign = campaigns[cid]
        rows.append({"project": campaign.project.name, "project_id": campaign.project_id, "campaign": campaign.name,
                     "campaign_id": cid, "cost_type": types[tid].name, "cost_type_order": types[tid].sort_order,
                     "planned": f["planned"], "actual": f["counted"], "pending": f["pending"],
                     "left": f["planned"] - f["counted"]})
    rows.sort(key=lambda r: (r["project"], r["campaign"], r["cost_type_order"], r["cost_type"]))
    return rows


def _within(query, project_id, campaign_id):
    if project_id:
        query = query.filter(Campaign.project_id == project_id)
    if campaign_id:
        query = query.filter(Campaign.id == campaign_id)
    return query


def totals(rows, key):
    """Sum plan-vs-actual rows by a key ("project", "campaign", "cost_type")."""
    result = {}
    for row in rows:
        t = result.setdefault(row[key], {"planned": D(0), "actual": D(0), "pending": D(0), "left": D(0)})
        for field in ("planned", "actual", "pending", "left"):
            t[field] += row[field]
    return result


def link_matching_visits(campaign, commit=True):
    """Link the visits of the campaign's project, channel and dates that no campaign claims yet;
    returns how many. One select and one insert."""
    from app.core import clock
    from app.crm.models import Visit
    if campaign.channel_id is None:
        raise BusinessError(_("The campaign names no channel, so no visit can be matched to it."))
    after = clock.utc_start_of(campaign.end_date + dt.timedelta(days=1))
    ids = db.session.execute(
        sa.select(Visit.id).outerjoin(CampaignVisit, CampaignVisit.visit_id == Visit.id)
        .where(Visit.project_id == campaign.project_id, Visit.channel_id == campaign.channel_id,
               Visit.visited_at >= clock.utc_start_of(campaign.start_date), Visit.visited_at < after,
               CampaignVisit.visit_id.is_(None))).scalars().all()
    if ids:
        db.session.execute(sa.insert(CampaignVisit), [{"visit_id": i, "campaign_id": campaign.id} for i in ids])
    if commit:
        db.session.commit()
    return len(ids)


def link_visit(visit, campaign):
    """Record that a visit came through a campaign (of the visit's project)."""
    if campaign.project_id != visit.project_id:
        raise BusinessError(_("The campaign “%(name)s” belongs to another project.", name=campaign.name))
    row = db.session.get(CampaignVisit, visit.id)
    if row is None:
        db.session.add(CampaignVisit(visit_id=visit.id, campaign_id=campaign.id))
    else:
        row.campaign_id = campaign.id


MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = {".pdf": "application/pdf", ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
                    ".ofd": "application/ofd", ".xml": "application/xml"}


def set_attachment(cost, filename, data):
    """Attach an invoice or receipt (PDF, OFD, XML, PNG or JPEG); an empty upload keeps the current one."""
    if not data:
        return cost
    import os
    extension = os.path.splitext(filename or "")[1].lower()
    if extension not in ATTACHMENT_TYPES:
        raise BusinessError(_("The attachment must be a PDF, OFD, XML, PNG or JPEG file."))
    if len(data) > MAX_ATTACHMENT_BYTES:
        raise BusinessError(_("The attachment is larger than %(mb)d MB.", mb=MAX_ATTACHMENT_BYTES // 1048576))
    cost.attachment = data
    cost.attachment_name = os.path.basename(filename)[:200]
    cost.attachment_type = ATTACHMENT_TYPES[extension]
    return cost
