"""Inventory rules: rooms fit their building, areas and prices make sense, codes are unique per
project, statuses change only through services, and nothing a deal depends on is deleted."""
import contextlib
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.context import acting_as, current_user_obj
from app.core.errors import BusinessError
from app.core.services.records import taken
from app.extensions import db
from app.inventory.models import (PRICE_ROUNDINGS, ROOM_STATUSES, Building, Layout, Phase, PresalePermit,
                                  Project, PropertyType, Room, RoomStatus, Unit)

# code -> (default name, default colour): the names are msgids, translated when seeded.
DEFAULT_STATUSES = {
    "unreleased": (_l("Unreleased"), "#9e9e9e"),
    "available": (_l("Available"), "#4caf50"),
    "held": (_l("Held"), "#fbc02d"),
    "booked": (_l("Booked"), "#fb8c00"),
    "subscribed": (_l("Subscribed"), "#1e88e5"),
    "signed": (_l("Signed"), "#e53935"),
    "not_for_sale": (_l("Not for sale"), "#424242"),
}
DEVELOPER_KINDS = ("company", "group")
# Only these two may be swapped by an admin; every other status belongs to release and deals.
FOR_SALE_STATUSES = ("unreleased", "available")


def seed_statuses():
    """The seven statuses with their default names and colours; existing rows keep what admins set."""
    existing = {s.code for s in db.session.query(RoomStatus)}
    for order, code in enumerate(ROOM_STATUSES):
        if code not in existing:
            name, colour = DEFAULT_STATUSES[code]
            db.session.add(RoomStatus(code=code, name=str(name), colour=colour, sort_order=order * 10))
    db.session.commit()


def _id(obj, fk):
    return obj.id if obj is not None else fk


def _count(model, *conditions):
    return db.session.query(sa.func.count(model.id)).filter(*conditions).scalar()


def check_room_status(status):
    """Admins edit a status's name and colour; its code is fixed."""
    colour = (status.colour or "").strip()
    if not (len(colour) == 7 and colour.startswith("#") and
            all(c in "0123456789abcdefABCDEF" for c in colour[1:])):
        raise BusinessError(_("Enter the colour as # and six hexadecimal digits, e.g. #4caf50."))
    if not (status.name or "").strip():
        raise BusinessError(_("Enter the status name."))
    if status.code not in ROOM_STATUSES:
        raise BusinessError(_("Room status codes are fixed and cannot be changed."))
    status.colour = colour.lower()


def check_project(project):
    developer = project.developer
    if developer is None and project.developer_id is not None:
        from app.org.models import Department
        developer = db.session.get(Department, project.developer_id)
    if developer is None or developer.kind not in DEVELOPER_KINDS:
        raise BusinessError(_("The developer must be a company or the group, not a department or team."))
    if project.price_rounding not in PRICE_ROUNDINGS:
        raise BusinessError(_("Price rounding is to the fen or to the yuan."))
    if (project.hold_hours or 0) < 0 or (project.booking_days or 0) < 0:
        raise BusinessError(_("Hold and booking durations cannot be negative."))
    if taken(Project, project, code=project.code):
        raise BusinessError(_("The project code “%(code)s” is already used.", code=project.code))


def check_project_deletable(project):
    for model, message in (
        (Building, _l("“%(name)s” still has buildings; delete them first.")),
        (Phase, _l("“%(name)s” still has phases; delete them first.")),
        (PresalePermit, _l("“%(name)s” still has presale permits; delete them first.")),
        (Layout, _l("“%(name)s” still has layouts; delete them first.")),
        (PropertyType, _l("“%(name)s” still has property types; delete them first.")),
    ):
        if _count(model, model.project_id == project.id):
            raise BusinessError(str(message) % {"name": project.name})


def _same_project(child, project_id, message):
    if child is not None and child.project_id != project_id:
        raise BusinessError(message)


def check_phase(phase):
    if taken(Phase, phase, project_id=_id(phase.project, phase.project_id), name=phase.name):
        raise BusinessError(_("The phase “%(name)s” already exists in this project.", name=phase.name))


def check_phase_deletable(phase):
    if _count(Building, Building.phase_id == phase.id):
        raise BusinessError(_("“%(name)s” still has buildings; move or delete them first.", name=phase.name))


def check_building(building):
    project_id = _id(building.project, building.project_id)
    if project_id is None:
        raise BusinessError(_("Choose the project of the building."))
    _same_project(building.phase, project_id, _("The phase belongs to another project."))
    if building.floors_above is None or building.floors_above < 1:
        raise BusinessError(_("A building has at least one floor above ground."))
    if building.floors_below is None or building.floors_below < 0:
        raise BusinessError(_("Floors below ground cannot be negative."))
    if building.units_count is None or building.units_count < 0:
        raise BusinessError(_("The number of units cannot be negative."))
    if taken(Building, building, project_id=project_id, name=building.name):
        raise BusinessError(_("The building “%(name)s” already exists in this project.", name=building.name))
    if building.id is not None:
        low, high = db.session.query(sa.func.min(Room.floor), sa.func.max(Room.floor)).filter(
            Room.building_id == building.id).one()
        if low is not None and (low < -building.floors_below or high > building.floors_above):
            raise BusinessError(_("Rooms of “%(name)s” lie on floors %(low)d to %(high)d; the building must "
                                  "include those floors.", name=building.name, low=low, high=high))


def check_building_deletable(building):
    if _count(Unit, Unit.building_id == building.id):
        raise BusinessError(_("“%(name)s” still has units; delete them first.", name=building.name))
    if _count(Room, Room.building_id == building.id):
        raise BusinessError(_("“%(name)s” still has rooms; delete them first.", name=building.name))
    permits = db.session.query(PresalePermit).filter(PresalePermit.buildings.any(Building.id == building.id)).count()
    if permits:
        raise BusinessError(_("“%(name)s” is covered by a presale permit; remove it from the permit first.",
                              name=building.name))


def check_unit(unit):
    building_id = _id(unit.building, unit.building_id)
    if building_id is None:
        raise BusinessError(_("Choose the building of the unit."))
    if taken(Unit, unit, building_id=building_id, name=unit.name):
        raise BusinessError(_("The unit “%(name)s” already exists in this building.", name=unit.name))
    if unit.id is not None and _count(Room, Room.unit_id == unit.id, Room.building_id != building_id):
        raise BusinessError(_("“%(name)s” has rooms; it cannot move to another building.", name=unit.name))


def check_unit_deletable(unit):
    if _count(Room, Room.unit_id == unit.id):
        raise BusinessError(_("“%(name)s” still has rooms; delete them first.", name=unit.name))


def check_permit(permit):
    project_id = _id(permit.project, permit.project_id)
    if permit.issue_date and permit.valid_to and permit.valid_to < permit.issue_date:
        raise BusinessError(_("A presale permit cannot expire before it is issued."))
    for building in permit.buildings or []:
        if building.project_id != project_id:
            raise BusinessError(_("“%(name)s” belongs to another project.", name=building.name))
    if taken(PresalePermit, permit, project_id=project_id, number=permit.number):
        raise BusinessError(_("The presale permit “%(number)s” is already recorded.", number=permit.number))


def check_layout(layout):
    for value in (layout.bedrooms, layout.living_rooms, layout.bathrooms):
        if value is not None and value < 0:
            raise BusinessError(_("Numbers of rooms cannot be negative."))
    if layout.typical_area is not None and layout.typical_area <= 0:
        raise BusinessError(_("The area must be greater than zero."))
    if taken(Layout, layout, project_id=_id(layout.project, layout.project_id), name=layout.name):
        raise BusinessError(_("The layout “%(name)s” already exists in this project.", name=layout.name))


def check_layout_deletable(layout):
    if _count(Room, Room.layout_id == layout.id):
        raise BusinessError(_("“%(name)s” is used by rooms; it cannot be deleted.", name=layout.name))


def check_property_type(ptype):
    if taken(PropertyType, ptype, project_id=_id(ptype.project, ptype.project_id), code=ptype.code):
        raise BusinessError(_("The property type code “%(code)s” is already used in this project.", code=ptype.code))


def check_property_type_deletable(ptype):
    if _count(Room, Room.property_type_id == ptype.id):
        raise BusinessError(_("“%(name)s” is used by rooms; it cannot be deleted.", name=ptype.name))


ROUNDING_QUANTUM = {"fen": decimal.Decimal("0.01"), "yuan": decimal.Decimal("1")}


def round_price(value, rounding):
    """Round an amount by a project's rule (to the fen or to the yuan), half up, once."""
    quantum = ROUNDING_QUANTUM.get(rounding or "fen", ROUNDING_QUANTUM["fen"])
    return decimal.Decimal(value).quantize(quantum, rounding=decimal.ROUND_HALF_UP)


def total_price(area, unit_price, rounding):
    """A room's list total: gross area × unit price, rounded by the project's rule."""
    if area is None or unit_price is None:
        return None
    return round_price(decimal.Decimal(area) * decimal.Decimal(unit_price), rounding)


def room_code(building, unit, number):
    """1栋-1单元-1201, or 1栋-1201 for a building without units."""
    parts = [building.name] + ([unit.name] if unit is not None else []) + [number]
    return "-".join(p.strip() for p in parts)


def _lookup(value, list_code, message):
    if value is not None and value.list_code != list_code:
        raise BusinessError(message)


def check_floor(building, floor):
    """A room's floor lies within its building: 1..floors above, -1..-floors below, no floor 0."""
    if floor is None or floor == 0 or floor > building.floors_above or floor < -building.floors_below:
        raise BusinessError(_("Floor %(floor)s is outside “%(building)s” (floors %(low)d to %(high)d, no floor 0).",
                              floor=floor if floor is not None else "", building=building.name,
                              low=-building.floors_below, high=building.floors_above))


def check_room(room):
    """Called before a room is saved (autoflush off); completes project and code."""
    building = room.building
    if building is None and room.building_id is not None:
        building = db.session.get(Building, room.building_id)
    if building is None:
        raise BusinessError(_("Choose the building of the room."))
    project_id = building.project_id
    if room.id is not None and _id(room.project, room.project_id) not in (None, project_id):
        raise BusinessError(_("A room cannot move to another project."))
    room.project_id = project_id
    room.project = building.project
    _check_price_edit(room)
    unit = room.unit
    if unit is None and room.unit_id is not None:
        unit = db.session.get(Unit, room.unit_id)
    if unit is not None and unit.building_id != building.id:
        raise BusinessError(_("The unit “%(unit)s” is not in “%(building)s”.", unit=unit.name, building=building.name))
    _same_project(room.layout, project_id, _("The layout belongs to another project."))
    if room.property_type is None and room.property_type_id is None:
        raise BusinessError(_("Choose the property type of the room."))
    _same_project(room.property_type, project_id, _("The property type belongs to another project."))
    _lookup(room.orientation, "orientation", _("Choose an orientation from its list."))
    _lookup(room.view, "view", _("Choose a view from its list."))
    _lookup(room.decoration, "decoration", _("Choose a decoration standard from its list."))

    check_floor(building, room.floor)
    room.number = (room.number or "").strip()
    if not room.number:
        raise BusinessError(_("Enter the room number."))
    _check_amounts(room)
    if not (room.code or "").strip():
        room.code = room_code(building, unit, room.number)
    room.code = room.code.strip()
    if taken(Room, room, project_id=project_id, code=room.code):
        raise BusinessError(_("The room code “%(code)s” is already used in this project.", code=room.code))
    if room.status is None:
        room.status = "unreleased"


PRICE_FIELDS = ("list_unit_price", "list_total_price", "floor_price")


def _check_price_edit(room):
    """Prices are typed in while a room is unreleased; once it is on sale they change only through
    an approved price adjustment, which keeps the room's price history."""
    if room.id is None or room.status in (None, "unreleased"):
        return
    state = sa.inspect(room)
    if any(state.attrs[field].history.has_changes() for field in PRICE_FIELDS):
        raise BusinessError(_("Prices of released rooms change only through a price adjustment (%(codes)s).",
                              codes=room.code))


def _check_amounts(room):
    gross, inner = room.area_gross, room.area_inner
    for value in (gross, inner, room.list_unit_price, room.list_total_price, room.floor_price):
        if value is not None and not decimal.Decimal(value).is_finite():
            raise BusinessError(_("Enter areas and prices as numbers."))
    if gross is None or gross <= 0:
        raise BusinessError(_("The gross area must be greater than zero."))
    if inner is not None and inner <= 0:
        raise BusinessError(_("The inner area must be greater than zero."))
    if inner is not None and inner > gross:
        raise BusinessError(_("The inner area (%(inner)s㎡) cannot be larger than the gross area (%(gross)s㎡).",
                              inner=inner, gross=gross))
    for value in (room.list_unit_price, room.list_total_price, room.floor_price):
        if value is not None and value < 0:
            raise BusinessError(_("Prices cannot be negative."))


def check_room_deletable(room):
    if room.status != "unreleased":
        raise BusinessError(_("Room %(code)s is no longer unreleased; it cannot be deleted.", code=room.code))


def _change_status(rooms, user, allowed, target):
    rooms = list(rooms)
    if not rooms:
        raise BusinessError(_("Select at least one room."))
    names = dict(db.session.query(RoomStatus.code, RoomStatus.name))
    # Lock the rows: a deal service may be changing the same rooms at this moment.
    ids = [r.id for r in rooms]
    locked = db.session.query(Room).filter(Room.id.in_(ids)).order_by(Room.id).with_for_update(of=Room).all()
    refused = [r for r in locked if r.status not in allowed]
    if refused:
        db.session.rollback()
        raise BusinessError(_("These rooms are %(statuses)s and cannot be changed here: %(codes)s.",
                              statuses="、".join(sorted({names.get(r.status, r.status) for r in refused})),
                              codes=", ".join(r.code for r in refused[:20])))
    # In a request the logged-in user acts already; elsewhere (CLI, jobs) the given user does.
    with acting_as(user) if user is not None and user is not current_user_obj() else contextlib.nullcontext():
        for room in locked:
            room.status = target(room)
        db.session.commit()
    return locked


def mark_not_for_sale(rooms, user=None):
    """An admin takes unreleased or available rooms off the market (非售)."""
    return _change_status(rooms, user, FOR_SALE_STATUSES + ("not_for_sale",), lambda room: "not_for_sale")


def mark_for_sale(rooms, user=None):
    """Back from 非售: to available if the room was released in a batch, else to unreleased."""
    return _change_status(rooms, user, FOR_SALE_STATUSES + ("not_for_sale",),
                          lambda room: room.status if room.status in FOR_SALE_STATUSES else
                          ("available" if room.release_batch_id else "unreleased"))


def load_status(room, status, release_batch=None):
    """Demo and import loading only: put a new room straight into a status (and its ReleaseBatch)
    before it is saved."""
    if status not in ROOM_STATUSES:
        raise BusinessError(_("Unknown room status."))
    room.status = status
    if release_batch is not None:
        room.release_batch = release_batch
    return room


def add_room(room):
    with db.session.no_autoflush:
        check_room(room)
    db.session.add(room)
    db.session.commit()
    return room


def delete_room(room):
    check_room_deletable(room)
    db.session.delete(room)
    db.session.commit()
