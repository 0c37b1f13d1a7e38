"""Visit and call registration (来访/来电登记): phone first, then the customer is found or made."""
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.models.base import utcnow
from app.core.services import notifications
from app.crm.models import Customer, Opportunity, Visit
from app.crm.models.visit import VISIT_KINDS
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.crm.services.validation import clean_phone
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee


def _decimal(value, label):
    if value in (None, ""):
        return None
    try:
        number = decimal.Decimal(str(value).strip().replace(",", ""))
    except decimal.InvalidOperation:
        raise BusinessError(_("%(field)s must be a number, not “%(value)s”.", field=label, value=str(value)[:30]))
    if not number.is_finite() or number < 0 or number >= decimal.Decimal("1e12"):
        raise BusinessError(_("%(field)s must be a number, not “%(value)s”.", field=label, value=str(value)[:30]))
    return number


def _range(low, high, label):
    low, high = _decimal(low, label), _decimal(high, label)
    if low is not None and high is not None and low > high:
        raise BusinessError(_("%(field)s: the lower bound is above the upper bound.", field=label))
    return low, high


def is_first_visit(customer_id, project_id):
    return db.session.query(Visit.id).filter(Visit.customer_id == customer_id,
                                             Visit.project_id == project_id).first() is None


def _get(model, pk, message):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        raise BusinessError(message)
    item = db.session.get(model, pk)
    if item is None:
        raise BusinessError(message)
    return item


def register_visit(phone, project_id, name=None, kind="visit", channel_id=None, received_by_id=None,
                   gender=None, layout_wanted=None, area_min=None, area_max=None, budget_min=None,
                   budget_max=None, floors_wanted=None, notes=None, visited_at=None, user=None):
    """Record a visit or a call. The phone finds the customer (whoever owns them: the visit is
    theirs to know about) or a new customer is made, owned by whoever received the visitor.
    Returns (visit, created_customer)."""
    phone = clean_phone(phone)
    if not phone:
        raise BusinessError(_("Enter the visitor's phone number."))
    if kind not in VISIT_KINDS:
        raise BusinessError(_("Choose whether this is a visit or a call."))
    project = _get(Project, project_id, _("Choose the project visited."))
    channel = None
    if channel_id not in (None, ""):
        channel = _get(LookupValue, channel_id, _("Choose the visit channel."))
        if channel.list_code != "visit_channel":
            raise BusinessError(_("Choose the visit channel."))
    received_by = None
    if received_by_id not in (None, ""):
        received_by = _get(Employee, received_by_id, _("Choose who received the visitor."))
        if received_by.status != "active":
            raise BusinessError(_("%(name)s no longer works here; choose someone else.", name=received_by.name))
    received_by = received_by or scope.current_employee()
    area = _range(area_min, area_max, _("Area wanted"))
    budget = _range(budget_min, budget_max, _("Budget"))

    customer = customer_service.find_by_phone(phone)
    created = customer is None
    if created:
        customer = Customer(kind="person", name=(name or "").strip(), phone=phone, gender=gender or None,
                            owner=received_by, source=channel)
        with db.session.no_autoflush:
            customer_service.check_customer(customer)
        db.session.add(customer)
        db.session.flush()
    visit = Visit(customer=customer, project=project, kind=kind, channel=channel, received_by=received_by,
                  visited_at=visited_at or utcnow(), is_first=is_first_visit(customer.id, project.id),
                  layout_wanted=(layout_wanted or "").strip()[:50] or None, area_min=area[0], area_max=area[1],
                  budget_min=budget[0], budget_max=budget[1], floors_wanted=(floors_wanted or "").strip()[:50] or None,
                  notes=(notes or "").strip()[:500] or None, registered_by_id=getattr(user, "id", None))
    db.session.add(visit)
    if customer.owner_id is not None and db.session.query(Opportunity.id).filter(
            Opportunity.customer_id == customer.id, Opportunity.project_id == project.id).first() is None:
        # A first visit or call about a project opens the customer's opportunity there (商机),
        # owned by the customer's salesperson.
        db.session.add(Opportunity(customer_id=customer.id, project_id=project.id, owner_id=customer.owner_id,
                                   stage="potential", created_at=visit.visited_at,
                                   last_contact_at=visit.visited_at))
    from app.crm.services import pool
    pool.record_contact(customer.id, at=visit.visited_at, project_id=project.id)  # keeps it out of the pool
    owner = customer.owner
    if not created and owner is not None and owner.user_id and owner.user_id != getattr(user, "id", None):
        with notifications.default_language():
            notifications.notify(owner.user_id, _("%(customer)s came again: %(kind)s for %(project)s",
                                                   customer=customer.name, kind=kind_label(kind), project=project.name),
                                 link="/customerview/show/%d" % customer.id, commit=False)
    db.session.commit()
    return visit, created


def kind_label(kind):
    return _("Visit") if kind == "visit" else _("Call")


def visit_counts(project_id=None):
    """(first visits, repeat visits) — what the reports count."""
    query = db.session.query(Visit.is_first, sa.func.count(Visit.id)).group_by(Visit.is_first)
    if project_id:
        query = query.filter(Visit.project_id == project_id)
    counts = dict(query.all())
    return counts.get(True, 0), counts.get(False, 0)


