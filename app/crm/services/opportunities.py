"""Opportunities (商机): one per customer and project, owned by a salesperson.

The stage hook for deals (the sales module calls these; they join the caller's transaction:
they flush, never commit, and check no confidentiality: the deal's own rules have decided):

- `advance(customer_id, project_id, stage, employee=None)`: a deal reached `stage` (a room held
  → "reserved", subscribed → "subscribed", contract signed → "signed", handed over → "won"). The
  customer's opportunity for the project moves forward to it, never backwards; it is created
  when there is none (owned by `employee`, the salesperson acting, else the customer's owner).
  A lost opportunity comes back to life; one in the public pool is taken out of it by the deal
  and owned by the acting salesperson.
- `set_back(customer_id, project_id, stage)`: a deal was cancelled (e.g. a subscription
  cancelled → "intent"): the opportunity moves back to `stage`, never forward. A lost or
  missing opportunity is left as it is.
- `reopen(opportunity, stage="intent")`: a lost opportunity becomes live again at `stage`
  (the customer came back), its lost reason cleared.
"""
import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services.records import taken
from app.crm.models import Customer, Opportunity
from app.crm.models.opportunity import STAGES
from app.crm.services import scope
from app.extensions import db

# The order of the live stages; "lost" is not on it (it is no step forward or back).
ORDER = ("potential", "intent", "reserved", "subscribed", "signed", "won")
RANK = {stage: n for n, stage in enumerate(ORDER, start=1)}
# The chance of closing an opportunity reaches when a deal moves it to a stage.
STAGE_CHANCE = {"potential": 10, "intent": 30, "reserved": 60, "subscribed": 80, "signed": 95, "won": 100}


def _id(obj, rel):
    other = getattr(obj, rel)
    return other.id if other is not None else getattr(obj, rel + "_id")


def check_opportunity(opp):
    """Called before an opportunity is saved (autoflush off)."""
    customer_id, project_id = _id(opp, "customer"), _id(opp, "project")
    if customer_id is None or project_id is None:
        raise BusinessError(_("Choose the customer and the project."))
    if opp.stage not in STAGES:
        raise BusinessError(_("Unknown stage."))
    if opp.chance is not None and not 0 <= opp.chance <= 100:
        raise BusinessError(_("The chance of closing is a percentage from 0 to 100."))
    if opp.stage == "lost":
        if _id(opp, "lost_reason") is None:
            raise BusinessError(_("Give the reason why the opportunity was lost."))
    else:
        opp.lost_reason = None
        opp.lost_reason_id = None
    if taken(Opportunity, opp, customer_id=customer_id, project_id=project_id):
        raise BusinessError(_("This customer already has an opportunity for this project."))
    if _id(opp, "owner") is None and opp.pooled_at is None:
        opp.owner = scope.current_employee() or (opp.customer.owner if opp.customer is not None else None)
    if _id(opp, "owner") is not None:
        # Given an owner by hand: no longer in the public pool.
        opp.pooled_at = None
    customer = opp.customer
    if customer is not None and not scope.may_see_owner(customer.owner_id):
        raise BusinessError(_("This customer belongs to another salesperson; you may not open it."))
    if not scope.may_see_owner(_id(opp, "owner")):
        raise BusinessError(_("You can only give opportunities to salespeople of your own department."))


def rank(stage):
    """Position of a stage on the way to a sale (0 for lost or unknown)."""
    return RANK.get(stage, 0)


def _locked(customer_id, project_id):
    """The customer's opportunity for the project, locked until the caller's transaction ends
    (two deals of one customer at once move it one after the other)."""
    return (db.session.query(Opportunity)
            .filter(Opportunity.customer_id == customer_id, Opportunity.project_id == project_id)
            .options(sa.orm.lazyload("*"))
            .with_for_update(of=Opportunity)
            .populate_existing()
            .one_or_none())


def _touch(opp):
    # A deal is a contact with the customer: the public pool counts from it.
    opp.last_contact_at = utcnow()


def _live_stage(stage, message):
    if stage not in RANK:
        raise BusinessError(message)
    return stage


def advance(customer_id, project_id, stage, employee=None):
    """Move the customer's opportunity for the project forward to `stage` (never backwards),
    creating it when there is none. Returns (opportunity, changed). Flushes; the caller commits."""
    stage = _live_stage(stage, _("Unknown stage."))
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise BusinessError(_("There is no such customer."))
    from app.inventory.models import Project
    if db.session.get(Project, project_id) is None:
        raise BusinessError(_("There is no such project."))
    opp = _locked(customer_id, project_id)
    if opp is None:
        owner_id = employee.id if employee is not None else customer.owner_id
        opp = Opportunity(customer_id=customer_id, project_id=project_id, owner_id=owner_id, stage=stage,
                          chance=STAGE_CHANCE[stage], created_at=utcnow())
        _touch(opp)
        db.session.add(opp)
        db.session.flush()
        return opp, True
    changed = False
    if opp.stage == "lost" or rank(stage) > rank(opp.stage):
        opp.stage = stage
        opp.lost_reason_id = None
        opp.chance = max(opp.chance or 0, STAGE_CHANCE[stage])
        changed = True
    if opp.owner_id is None:
        # Back in the public pool (or never owned): the deal gives it to whoever made it.
        opp.owner_id = employee.id if employee is not None else customer.owner_id
        opp.pooled_at = None
        if customer.owner_id is None:
            # A customer nobody owned (the pool had them) belongs to the deal's salesperson.
            customer.owner_id = opp.owner_id
        changed = True
    _touch(opp)
    db.session.flush()
    return opp, changed


def set_back(customer_id, project_id, stage):
    """A cancelled deal: move the opportunity back to `stage` (never forward). Returns
    (opportunity or None, changed). Flushes; the caller commits."""
    stage = _live_stage(stage, _("Unknown stage."))
    opp = _locked(customer_id, project_id)
    if opp is None or opp.stage == "lost" or rank(opp.stage) <= rank(stage):
        return opp, False
    opp.stage = stage
    opp.chance = min(opp.chance if opp.chance is not None else 100, STAGE_CHANCE[stage])
    db.session.flush()
    return opp, True


def reopen(opportunity, stage="intent"):
    """A lost opportunity is live again at `stage` (its lost reason cleared). Flushes."""
    stage = _live_stage(stage, _("Unknown stage."))
    if opportunity.stage != "lost":
        raise BusinessError(_("Only a lost opportunity can be reopened."))
    opportunity.stage = stage
    opportunity.lost_reason_id = None
    opportunity.chance = STAGE_CHANCE[stage]
    _touch(opportunity)
    db.session.flush()
    return opportunity

