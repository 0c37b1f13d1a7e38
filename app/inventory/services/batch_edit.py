"""Batch edit (批量修改): set the layout, property type, orientation, view, decoration or areas of
many rooms at once, all of them or none. Only the fields given change; the audit log records each
room's change (the rooms are updated through the ORM, so the session listener logs them).

Rooms with an active deal (held, booked, subscribed, signed) describe what a buyer is paying for:
their areas, layout, property type and decoration are refused here; their orientation and view
(facts of the building, corrected when mis-entered) may still be set."""
import contextlib
import decimal

from flask_babel import gettext as _

from app.core.context import acting_as, current_user_obj
from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.extensions import db
from app.inventory.models import Layout, PropertyType, Room
from app.inventory.services import _check_amounts, total_price

FIELDS = ("layout_id", "property_type_id", "orientation_id", "view_id", "decoration_id", "area_gross", "area_inner")
LOOKUP_LISTS = {"orientation_id": "orientation", "view_id": "view", "decoration_id": "decoration"}
ACTIVE_DEAL_STATUSES = ("held", "booked", "subscribed", "signed")
# What a room with an active deal keeps: what the buyer pays for and the contract describes.
FROZEN_BY_DEALS = ("layout_id", "property_type_id", "decoration_id", "area_gross", "area_inner")
MAX_ROOMS = 20000
AREA_LIMIT = decimal.Decimal("99999999")


def _names(codes, limit=20):
    shown = "、".join(codes[:limit])
    if len(codes) > limit:
        shown += _(" and %(count)d more", count=len(codes) - limit)
    return shown


def _area(value, label):
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = decimal.Decimal(str(value).strip().replace(",", ""))
    except decimal.InvalidOperation:
        number = None
    if number is None or not number.is_finite():
        raise BusinessError(_("Enter the %(field)s as a number (not “%(value)s”).", field=label, value=value))
    if number <= 0:
        raise BusinessError(_("The %(field)s must be greater than zero.", field=label))
    if number > AREA_LIMIT:
        raise BusinessError(_("The %(field)s is too large.", field=label))
    return number.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


def clean_changes(changes):
    """{field: value} → only the filled fields, ids as ints, areas as Decimals; unknown fields refused."""
    cleaned = {}
    for field, value in (changes or {}).items():
        if field not in FIELDS:
            raise BusinessError(_("The field “%(field)s” cannot be changed in a batch.", field=field))
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        if field in ("area_gross", "area_inner"):
            cleaned[field] = _area(value, _("gross area") if field == "area_gross" else _("inner area"))
        else:
            try:
                cleaned[field] = int(value)
            except (TypeError, ValueError):
                cleaned[field] = -1
            if not 0 < cleaned[field] < 2 ** 31:
                raise BusinessError(_("Choose the values from their lists."))
    if not cleaned:
        raise BusinessError(_("Fill at least one field to change."))
    return cleaned


def _check_targets(changes, rooms):
    """The chosen layout and property type belong to the rooms' project; lookups to their lists."""
    for field, model, message in (
        ("layout_id", Layout, _("The layout belongs to another project than rooms %(codes)s.")),
        ("property_type_id", PropertyType, _("The property type belongs to another project than rooms %(codes)s.")),
    ):
        if field not in changes:
            continue
        target = db.session.get(model, changes[field])
        if target is None:
            raise BusinessError(_("The layout or property type chosen no longer exists."))
        others = [r.code for r in rooms if r.project_id != target.project_id]
        if others:
            raise BusinessError(message % {"codes": _names(others)})
    for field, list_code in LOOKUP_LISTS.items():
        if field not in changes:
            continue
        value = db.session.get(LookupValue, changes[field])
        if value is None or value.list_code != list_code or not value.active:
            raise BusinessError({"orientation": _("Choose an orientation from its list."),
                                 "view": _("Choose a view from its list."),
                                 "decoration": _("Choose a decoration standard from its list.")}[list_code])


def apply(room_ids, changes, user=None):
    """Set the given fields on every room of room_ids, or refuse and change nothing.
    Returns the number of rooms whose values changed."""
    ids = sorted({int(i) for i in room_ids or []})
    if any(not 0 < i < 2 ** 31 for i in ids):
        raise BusinessError(_("Some of the selected rooms no longer exist; select them again."))
    if not ids:
        raise BusinessError(_("Select at least one room."))
    if len(ids) > MAX_ROOMS:
        raise BusinessError(_("At most %(max)d rooms can be changed at once.", max=MAX_ROOMS))
    changes = clean_changes(changes)
    try:
        # Lock the rows: a deal service may be changing the same rooms at this moment.
        rooms = db.session.query(Room).filter(Room.id.in_(ids)).order_by(Room.id).with_for_update(of=Room).all()
        if len(rooms) != len(ids):
            raise BusinessError(_("Some of the selected rooms no longer exist; select them again."))
        _check_targets(changes, rooms)
        frozen = [f for f in changes if f in FROZEN_BY_DEALS]
        if frozen:
            dealt = [r.code for r in rooms if r.status in ACTIVE_DEAL_STATUSES]
            if dealt:
                raise BusinessError(_("These rooms have an active deal; their areas, layout, property type and "
                                      "decoration cannot be changed: %(codes)s.", codes=_names(dealt)))
        gross, inner = changes.get("area_gross"), changes.get("area_inner")
        if gross is not None or inner is not None:
            bad = [r.code for r in rooms
                   if (inner if inner is not None else r.area_inner) is not None
                   and (inner if inner is not None else r.area_inner) > (gross if gross is not None else r.area_gross)]
            if bad:
                raise BusinessError(_("The inner area would be larger than the gross area for rooms %(codes)s.",
                                      codes=_names(bad)))
        changed = 0
        acting = acting_as(user) if user is not None and user is not current_user_obj() else contextlib.nullcontext()
        with acting:
            for room in rooms:
                before = tuple(getattr(room, f) for f in FIELDS)
                for field, value in changes.items():
                    setattr(room, field, value)
                if gross is not None and room.list_unit_price is not None:
                    room.list_total_price = total_price(room.area_gross, room.list_unit_price,
                                                        room.project.price_rounding)
                _check_amounts(room)
                if tuple(getattr(room, f) for f in FIELDS) != before:
                    changed += 1
            db.session.commit()
    except BusinessError:
        db.session.rollback()
        raise
    return changed
