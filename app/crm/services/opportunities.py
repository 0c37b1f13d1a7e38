"""Opportunities (商机): one per customer and project, owned by a salesperson."""
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.services.records import taken
from app.crm.models import Opportunity
from app.crm.models.opportunity import STAGES
from app.crm.services import scope


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
    if _id(opp, "owner") is None:
        opp.owner = scope.current_employee() or (opp.customer.owner if opp.customer is not None else None)
    customer = opp.customer
    if customer is not None and not scope.may_see_owner(customer.owner_id):
        raise BusinessError(_("This customer belongs to another salesperson; you may not open it."))
    if not scope.may_see_owner(_id(opp, "owner")):
        raise BusinessError(_("You can only give opportunities to salespeople of your own department."))
