"""Customers: validation, no duplicates by phone or ID number, and finding by phone."""
import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import personal_data
from app.core.crypto import blind_index
from app.core.errors import BusinessError
from app.crm.models import Customer
from app.crm.models.customer import CUSTOMER_KINDS, GENDERS, ID_TYPES
from app.crm.services import scope
from app.crm.services.validation import clean_id_number, clean_phone
from app.extensions import db


class DuplicateCustomer(BusinessError):
    """The phone or ID number belongs to a customer already; `existing` says which."""

    def __init__(self, message, existing):
        super().__init__(message)
        self.existing = existing


def mask_name(name):
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def summary(customer):
    """What a user may be told of a customer: everything if it is within their scope, else the
    masked name and phone and the owner's name (the customer itself stays hidden)."""
    visible = scope.may_see_owner(customer.owner_id)
    return {
        "id": customer.id if visible else None,
        "visible": visible,
        "name": customer.name if visible else mask_name(customer.name),
        "phone": personal_data.shown(customer.phone) if visible else personal_data.mask(customer.phone),
        "owner": customer.owner.name if customer.owner is not None else "",
        "owner_id": customer.owner_id,
    }


def find_by_phone(phone, exclude_id=None):
    digest = blind_index(phone)
    if not digest:
        return None
    # Two index lookups (with an OR of the two columns SQLite reads the whole table).
    found = []
    for column in (Customer.phone_hash, Customer.phone2_hash):
        query = db.session.query(Customer).filter(column == digest)
        if exclude_id:
            query = query.filter(Customer.id != exclude_id)
        row = query.order_by(Customer.id).first()
        if row is not None:
            found.append(row)
    return min(found, key=lambda c: c.id) if found else None


def find_by_id_number(id_number, exclude_id=None):
    digest = blind_index(id_number)
    if not digest:
        return None
    query = db.session.query(Customer).filter(Customer.id_number_hash == digest)
    if exclude_id:
        query = query.filter(Customer.id != exclude_id)
    return query.order_by(Customer.id).first()


def _duplicate(existing, what):
    info = summary(existing)
    if info["visible"]:
        message = _("A customer with this %(what)s already exists: %(name)s (%(phone)s), owned by %(owner)s. "
                    "Register the new visit or call against that customer.",
                    what=what, name=info["name"], phone=info["phone"], owner=info["owner"] or "—")
    else:
        message = _("A customer with this %(what)s already exists: %(name)s (%(phone)s), owned by %(owner)s. "
                    "The customer is not yours; you can register the new visit or call against them.",
                    what=what, name=info["name"], phone=info["phone"], owner=info["owner"] or "—")
    return DuplicateCustomer(message, existing)


def check_duplicates(customer):
    for field in ("phone", "phone2"):
        value = getattr(customer, field)
        existing = find_by_phone(value, exclude_id=customer.id) if value else None
        if existing is not None:
            raise _duplicate(existing, _("phone number"))
    if customer.phone and customer.phone2 and customer.phone == customer.phone2:
        customer.phone2 = None
    if customer.id_number:
        existing = find_by_id_number(customer.id_number, exclude_id=customer.id)
        if existing is not None:
            raise _duplicate(existing, _("ID number"))


def check_customer(customer):
    """Called before a customer is saved (autoflush off): clean and check every field."""
    customer.name = (customer.name or "").strip()
    if not customer.name:
        raise BusinessError(_("Enter the customer's name."))
    if customer.kind not in CUSTOMER_KINDS:
        raise BusinessError(_("A customer is a person or a company."))
    if customer.gender and customer.gender not in GENDERS:
        raise BusinessError(_("Unknown gender."))
    if customer.id_type and customer.id_type not in ID_TYPES:
        raise BusinessError(_("Unknown ID type."))
    customer.phone = clean_phone(customer.phone)
    customer.phone2 = clean_phone(customer.phone2)
    if not customer.phone:
        raise BusinessError(_("Enter the customer's phone number."))
    if customer.id_number and not customer.id_type:
        customer.id_type = "id_card" if customer.kind == "person" else "business_licence"
    customer.id_number = clean_id_number(customer.id_type, customer.id_number)
    if customer.owner_id is None and customer.owner is None:
        customer.owner = scope.current_employee()
    check_duplicates(customer)


def check_owner_may_be_changed(customer, user_is_scoped=True):
    """Only a supervisor or admin may give a customer to someone else (transfers come later)."""
    owner_id = customer.owner.id if customer.owner is not None else customer.owner_id
    if scope.mode() == scope.OWN:
        mine = scope.current_employee()
        if mine is None or owner_id != mine.id:
            raise BusinessError(_("You can only keep customers of your own; ask your supervisor to transfer them."))
    elif not scope.may_see_owner(owner_id):
        raise BusinessError(_("You can only give customers to salespeople of your own department."))


def save_customer(customer):
    """Check and save (pages, API and the registration form all come here)."""
    with db.session.no_autoflush:
        check_customer(customer)
        check_owner_may_be_changed(customer)
    db.session.add(customer)
    db.session.commit()
    return customer


def visible_customers():
    query = db.session.query(Customer)
    condition = scope.owner_condition(Customer.owner_id)
    return query.filter(condition) if condition is not None else query


def get_visible(customer_id):
    """The customer if the user may see it; None if there is no such customer; BusinessError
    (logged) if it belongs to someone the user may not see."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        return None
    if not scope.may_see_owner(customer.owner_id):
        scope.log_refusal("customer", customer_id)
        raise BusinessError(_("This customer belongs to another salesperson; you may not open it."))
    return customer
