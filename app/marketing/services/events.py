"""Event sign-up (活动报名): attendees of a campaign's event, found in CRM by phone or made as new
customers (with the campaign's channel as their source), and their attendance, which registers
their visit (through the CRM) as one that came through the campaign."""
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.crm.models import Customer
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.crm.services import visits as visit_service
from app.crm.services.validation import clean_phone
from app.extensions import db
from app.marketing.models import CampaignAttendee
from app.marketing.services import campaigns


def sign_up(campaign, phone=None, name=None, user=None):
    """Register an attendee: the customer with this phone, or a new one. Returns the row."""
    created = False
    phone = clean_phone(phone)
    if not phone:
        raise BusinessError(_("Enter the attendee's phone number."))
    customer = customer_service.find_by_phone(phone)
    if customer is None:
        if not (name or "").strip():
            raise BusinessError(_("No customer has this phone number yet: enter the attendee's name to add them."))
        customer = Customer(kind="person", name=name.strip(), phone=phone, owner=scope.current_employee(),
                            source=campaign.channel)
        with db.session.no_autoflush:
            customer_service.check_customer(customer)
        db.session.add(customer)
        db.session.flush()
        created = True
    existing = db.session.query(CampaignAttendee).filter_by(campaign_id=campaign.id,
                                                            customer_id=customer.id).one_or_none()
    if existing is not None:
        db.session.rollback()
        raise BusinessError(_("%(name)s has already signed up for this campaign.", name=customer.name))
    attendee = CampaignAttendee(campaign_id=campaign.id, customer_id=customer.id, new_customer=created,
                                registered_at=utcnow(), registered_by_id=getattr(user, "id", None))
    db.session.add(attendee)
    db.session.commit()
    return attendee


def mark_attended(attendee, user=None):
    """The attendee came: their visit to the project is registered and linked to the campaign."""
    if attendee.attended_at is not None:
        raise BusinessError(_("%(name)s's attendance is already recorded.", name=attendee.customer.name))
    campaign = attendee.campaign
    customer = attendee.customer
    if not customer.phone:
        raise BusinessError(_("%(name)s has no phone number; add it on the customer's page first.",
                              name=customer.name))
    visit, _created = visit_service.register_visit(
        customer.phone, campaign.project_id, channel_id=campaign.channel_id, user=user,
        notes=_("Event: %(name)s", name=campaign.name))
    attendee = db.session.get(CampaignAttendee, attendee.id)
    campaigns.link_visit(visit, attendee.campaign)
    attendee.attended_at = visit.visited_at
    attendee.visit_id = visit.id
    db.session.commit()
    return attendee


def attendees(campaign):
    return (db.session.query(CampaignAttendee).filter(CampaignAttendee.campaign_id == campaign.id)
            .order_by(CampaignAttendee.registered_at, CampaignAttendee.id).all())
