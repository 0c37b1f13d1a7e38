"""Lookup lists (选项字段): the choices offered across the system."""
import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.models import LookupList, LookupValue
from app.core.services.records import taken
from app.extensions import db


def active_values(code):
    """Query of a list's enabled values in their order, for form choices."""
    return (
        db.session.query(LookupValue)
        .filter(LookupValue.list_code == code, LookupValue.active.is_(True))
        .order_by(LookupValue.sort_order, LookupValue.id)
    )


def usage_count(value):
    """How many rows anywhere refer to this value (foreign keys and custom fields)."""
    total = 0
    target = LookupValue.__table__.c.id
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if fk.column is target:
                total += db.session.execute(
                    sa.select(sa.func.count()).select_from(table).where(fk.parent == value.id)
                ).scalar_one()
    from app.core.services import custom_fields
    total += custom_fields.lookup_value_usage(value)
    return total


def check_value_deletable(value):
    count = usage_count(value)
    if count:
        raise BusinessError(
            _("“%(name)s” is used by %(count)d records and cannot be deleted; disable it instead.",
              name=value.name, count=count)
        )


def check_list_deletable(lookup_list):
    if lookup_list.values:
        raise BusinessError(
            _("The list “%(name)s” still has values and cannot be deleted.", name=lookup_list.name)
        )


def check_value_unique(value):
    code = value.lookup_list.code if value.lookup_list is not None else value.list_code
    if taken(LookupValue, value, list_code=code, name=value.name):
        raise BusinessError(_("The list already has a value named “%(name)s”.", name=value.name))


def ensure_list(code, name, values, description=None):
    """Create a list and its seeded values if missing; safe to re-run."""
    lookup_list = db.session.query(LookupList).filter_by(code=code).one_or_none()
    if lookup_list is None:
        lookup_list = LookupList(code=code, name=name, description=description)
        db.session.add(lookup_list)
        db.session.flush()
    existing = {v.name for v in db.session.query(LookupValue).filter_by(list_code=code)}
    for order, value in enumerate(values, start=1):
        if value not in existing:
            db.session.add(LookupValue(list_code=code, name=value, sort_order=order * 10, active=True))
    return lookup_list
