"""Batch generation (批量生成): every room of a building's units, floors and positions from one
description, previewed first and then inserted in one bulk statement.

A description names the building, the units (or none), the floor range, the floors to skip or
to rename, the numbering rule and, for each position on a floor, its layout, property type,
orientation, view, decoration, areas and an optional starting unit price. `plan()` checks it
and lists the rooms; `generate()` inserts them. Rooms whose code already exists in the project
are refused by name, unless the caller explicitly asks to skip them and create only the others.
"""
import dataclasses
import decimal
import json
import re

import sqlalchemy as sa
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from app.core.context import current_actor
from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.models.audit import AuditLog
from app.core.models.base import utcnow
from app.extensions import db
from app.inventory.models import Building, Layout, PropertyType, Room, Unit
from app.inventory.services import room_code, total_price

MAX_ROOMS = 20000
MAX_POSITIONS = 50
NUMBERING_RULES = {"floor_pos": "{floor}{pos:02}", "floor_unit_pos": "{floor}{unit}{pos:02}"}
TOKEN_RE = re.compile(r"\{(floor|unit|pos)(?::(0?)(\d))?\}")
LOOKUP_FIELDS = (("orientation_id", "orientation"), ("view_id", "view"), ("decoration_id", "decoration"))
AREA_LIMIT = decimal.Decimal("99999999")      # Numeric(10, 2)
PRICE_LIMIT = decimal.Decimal("9999999999")   # Numeric(12, 2)


@dataclasses.dataclass
class Position:
    """What every room at this position of a floor (01, 02, …) is like."""
    pos: int
    property_type_id: int = None
    layout_id: int = None
    orientation_id: int = None
    view_id: int = None
    decoration_id: int = None
    area_gross: object = None
    area_inner: object = None
    unit_price: object = None


@dataclasses.dataclass
class Request:
    building_id: int
    unit_ids: list = dataclasses.field(default_factory=list)   # Unit ids; None stands for "no unit"
    floor_from: int = None
    floor_to: int = None
    skip_floors: list = dataclasses.field(default_factory=list)
    floor_names: dict = dataclasses.field(default_factory=dict)  # physical floor -> name in the number
    numbering: str = "floor_pos"
    pattern: str = ""
    positions: list = dataclasses.field(default_factory=list)


@dataclasses.dataclass
class PlannedRoom:
    code: str
    unit: object
    floor: int
    number: str
    position: Position
    total: object = None
    exists: bool = False


@dataclasses.dataclass
class Plan:
    building: Building
    rooms: list
    layouts: dict
    property_types: dict
    lookups: dict

    @property
    def existing(self):
        return [r for r in self.rooms if r.exists]

    @property
    def new(self):
        return [r for r in self.rooms if not r.exists]


# --------------------------------------------------------------------------- parsing helpers
# The page, the API or a script hand over text; these turn it into the request's values.

def parse_int(text, label):
    text = ("" if text is None else str(text)).strip()
    try:
        return int(text)
    except ValueError:
        raise BusinessError(_("Enter %(field)s as a whole number (not “%(value)s”).", field=label, value=text))


def parse_floor_list(text):
    """'4, 13, 14' (commas, spaces or 、) -> [4, 13, 14]."""
    floors = []
    for part in re.split(r"[,，、;；\s]+", (text or "").strip()):
        if part:
            floors.append(parse_int(part, _("a floor to skip")))
    return floors


def parse_floor_names(text):
    """'13=12A, 14=12B' -> {13: '12A', 14: '12B'}."""
    names = {}
    for part in re.split(r"[,，、;；\s]+", (text or "").strip()):
        if not part:
            continue
        floor, sep, name = part.replace("＝", "=").partition("=")
        if not sep or not name.strip():
            raise BusinessError(_("Write each renamed floor as floor=name, e.g. 13=12A (not “%(value)s”).",
                                  value=part))
        names[parse_int(floor, _("a renamed floor"))] = name.strip()
    return names


def _decimal(value, pos, label, required=False):
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise BusinessError(_("Position %(pos)02d: enter the %(field)s.", pos=pos, field=label))
        return None
    try:
        number = decimal.Decimal(str(value).strip().replace(",", ""))
    except decimal.InvalidOperation:
        raise BusinessError(_("Position %(pos)02d: enter the %(field)s as a number (not “%(value)s”).",
                              pos=pos, field=label, value=value))
    if not number.is_finite():
        raise BusinessError(_("Position %(pos)02d: enter the %(field)s as a number (not “%(value)s”).",
                              pos=pos, field=label, value=value))
    return number.quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)


# --------------------------------------------------------------------------- checks

def _floor_label(floor, names):
    if floor in names:
        return names[floor]
    return "B%d" % -floor if floor < 0 else str(floor)


def _unit_number(unit, ordinal):
    """The unit's number for {unit}: the digits its name starts with (1单元 → 1), else its order."""
    if unit is None:
        return ""
    match = re.match(r"\s*(\d+)", unit.name)
    return match.group(1) if match else str(ordinal)


def render_number(template, floor_label, unit_number, pos):
    def token(match):
        name, _zero, width = match.groups()
        value = {"floor": floor_label, "unit": unit_number, "pos": str(pos)}[name]
        return value.rjust(int(width), "0") if width else value
    return TOKEN_RE.sub(token, template)


def _template(req):
    if req.numbering in NUMBERING_RULES:
        return NUMBERING_RULES[req.numbering]
    if req.numbering != "pattern":
        raise BusinessError(_("Choose a numbering rule."))
    pattern = (req.pattern or "").strip()
    if not pattern:
        raise BusinessError(_("Enter the numbering pattern, e.g. {floor}{pos:02}."))
    leftover = TOKEN_RE.sub("", pattern)
    if "{" in leftover or "}" in leftover:
        raise BusinessError(_("The numbering pattern “%(pattern)s” has an unknown token; use {floor}, {unit}, "
                              "{pos} or {pos:02}.", pattern=pattern))
    if "{pos" not in pattern:
        raise BusinessError(_("The numbering pattern must contain the position, {pos} or {pos:02}."))
    return pattern


def _check_positions(req, project):
    if not req.positions:
        raise BusinessError(_("Enter at least one room per floor."))
    if len(req.positions) > MAX_POSITIONS:
        raise BusinessError(_("At most %(max)d rooms per floor per unit.", max=MAX_POSITIONS))
    layouts = {l.id: l for l in db.session.query(Layout).filter(Layout.project_id == project.id)}
    ptypes = {p.id: p for p in db.session.query(PropertyType).filter(PropertyType.project_id == project.id)}
    values = {(v.list_code, v.id): v for v in db.session.query(LookupValue).filter(
        LookupValue.list_code.in_([code for _f, code in LOOKUP_FIELDS]), LookupValue.active.is_(True))}
    seen = set()
    for p in req.positions:
        if p.pos in seen:
            raise BusinessError(_("Position %(pos)02d appears twice.", pos=p.pos))
        seen.add(p.pos)
        if p.pos < 1 or p.pos > 99:
            raise BusinessError(_("Positions are numbered 1 to 99."))
        if p.property_type_id is None:
            raise BusinessError(_("Position %(pos)02d: choose the property type.", pos=p.pos))
        if p.property_type_id not in ptypes:
            raise BusinessError(_("Position %(pos)02d: the property type is not one of “%(project)s”.",
                                  pos=p.pos, project=project.name))
        if p.layout_id is not None and p.layout_id not in layouts:
            raise BusinessError(_("Position %(pos)02d: the layout is not one of “%(project)s”.",
                                  pos=p.pos, project=project.name))
        for field, code in LOOKUP_FIELDS:
            value_id = getattr(p, field)
            if value_id is not None and (code, value_id) not in values:
                raise BusinessError(_("Position %(pos)02d: choose the %(field)s from its list.", pos=p.pos,
                                      field=_lookup_label(code)))
        p.area_gross = _decimal(p.area_gross, p.pos, _("gross area"), required=True)
        p.area_inner = _decimal(p.area_inner, p.pos, _("inner area"))
        p.unit_price = _decimal(p.unit_price, p.pos, _("unit price"))
        if p.area_gross <= 0 or (p.area_inner is not None and p.area_inner <= 0):
            raise BusinessError(_("Position %(pos)02d: areas must be greater than zero.", pos=p.pos))
        if p.area_gross > AREA_LIMIT or (p.area_inner or 0) > AREA_LIMIT:
            raise BusinessError(_("Position %(pos)02d: the area is too large.", pos=p.pos))
        if p.area_inner is not None and p.area_inner > p.area_gross:
            raise BusinessError(_("Position %(pos)02d: the inner area (%(inner)s㎡) cannot be larger than the "
                                  "gross area (%(gross)s㎡).", pos=p.pos, inner=p.area_inner, gross=p.area_gross))
        if p.unit_price is not None and (p.unit_price <= 0 or p.unit_price > PRICE_LIMIT):
            raise BusinessError(_("Position %(pos)02d: the unit price must be greater than zero.", pos=p.pos))
    lookups = {value_id: v for (_code, value_id), v in values.items()}
    return layouts, ptypes, lookups


def _lookup_label(code):
    return {"orientation": _("orientation"), "view": _("view"), "decoration": _("decoration standard")}[code]


def _floors(req, building):
    low, high = -(building.floors_below or 0), building.floors_above
    if req.floor_from is None or req.floor_to is None:
        raise BusinessError(_("Enter the floor range."))
    if req.floor_from > req.floor_to:
        raise BusinessError(_("The first floor (%(first)d) is above the last floor (%(last)d).",
                              first=req.floor_from, last=req.floor_to))
    for floor in (req.floor_from, req.floor_to):
        if floor == 0 or floor < low or floor > high:
            raise BusinessError(_("Floor %(floor)s is outside “%(building)s” (floors %(low)d to %(high)d, no floor 0).",
                                  floor=floor, building=building.name, low=low, high=high))
    for floor in list(req.skip_floors) + list(req.floor_names):
        if floor == 0 or floor < req.floor_from or floor > req.floor_to:
            raise BusinessError(_("Floor %(floor)d to skip or rename is not within floors %(first)d to %(last)d.",
                                  floor=floor, first=req.floor_from, last=req.floor_to))
    skip = set(req.skip_floors)
    floors = [f for f in range(req.floor_from, req.floor_to + 1) if f != 0 and f not in skip]
    if not floors:
        raise BusinessError(_("Every floor of the range is skipped; there is nothing to generate."))
    return floors


def _units(req, building):
    units = (db.session.query(Unit).filter(Unit.building_id == building.id)
             .order_by(Unit.sort_order, Unit.id).all())
    ordinals = {u.id: i for i, u in enumerate(units, 1)}
    by_id = {u.id: u for u in units}
    if not req.unit_ids:
        if units:
            raise BusinessError(_("Choose the units to generate, or “without a unit”."))
        return [(None, "")]
    chosen = []
    for unit_id in dict.fromkeys(req.unit_ids):
        if unit_id is None:
            chosen.append((None, ""))
        elif unit_id in by_id:
            chosen.append((by_id[unit_id], _unit_number(by_id[unit_id], ordinals[unit_id])))
        else:
            raise BusinessError(_("The unit chosen is not in “%(building)s”.", building=building.name))
    return chosen


def plan(req):
    """Check the description and list every room it makes, marking those whose code exists."""
    ok = isinstance(req.building_id, int) and 0 < req.building_id < 2 ** 31
    building = db.session.get(Building, req.building_id) if ok else None
    if building is None:
        raise BusinessError(_("Choose the building."))
    project = building.project
    template = _template(req)
    floors = _floors(req, building)
    units = _units(req, building)
    count = len(floors) * len(units) * len(req.positions)
    if count > MAX_ROOMS:
        raise BusinessError(_("This would make %(count)d rooms; at most %(max)d can be generated at once.",
                              count=count, max=MAX_ROOMS))
    layouts, ptypes, lookups = _check_positions(req, project)
    positions = sorted(req.positions, key=lambda p: p.pos)
    totals = {p.pos: total_price(p.area_gross, p.unit_price, project.price_rounding) for p in positions}
    rooms, codes = [], {}
    for unit, unit_number in units:
        for floor in floors:
            label = _floor_label(floor, req.floor_names)
            for p in positions:
                number = render_number(template, label, unit_number, p.pos).strip()
                if not number or len(number) > 20:
                    raise BusinessError(_("The numbering rule gives the room number “%(number)s”; a room number "
                                          "has 1 to 20 characters.", number=number))
                code = room_code(building, unit, number)
                if len(code) > 80:
                    raise BusinessError(_("The room code “%(code)s” is longer than 80 characters.", code=code))
                if code in codes:
                    raise BusinessError(_("The numbering rule gives the room code “%(code)s” twice (floors %(a)s and "
                                          "%(b)s); add the floor and the position to the rule.",
                                          code=code, a=codes[code], b=floor))
                codes[code] = floor
                rooms.append(PlannedRoom(code=code, unit=unit, floor=floor, number=number, position=p,
                                         total=totals[p.pos]))
    existing = set(db.session.execute(sa.select(Room.code).where(Room.project_id == project.id)).scalars())
    for room in rooms:
        room.exists = room.code in existing
    return Plan(building=building, rooms=rooms, layouts=layouts, property_types=ptypes, lookups=lookups)


def _names(codes, limit=20):
    shown = "、".join(codes[:limit])
    if len(codes) > limit:
        shown += _(" and %(count)d more", count=len(codes) - limit)
    return shown


def generate(req, skip_existing=False):
    """Make the rooms of the description in one transaction, or none of them.

    Existing codes refuse the whole batch, naming them, unless skip_existing is set: then only
    the missing rooms are made. Returns (plan, created_count)."""
    result = plan(req)
    existing = [r.code for r in result.existing]
    if existing and not skip_existing:
        db.session.rollback()
        raise BusinessError(_("%(count)d of these rooms already exist: %(codes)s. Nothing was generated; choose "
                              "“skip the rooms that already exist” to create only the others.",
                              count=len(existing), codes=_names(existing)))
    new = result.new
    if not new:
        db.session.rollback()
        raise BusinessError(_("All %(count)d rooms already exist; there is nothing to generate.",
                              count=len(result.rooms)))
    building, project = result.building, result.building.project
    rows = []
    for r in new:
        p = r.position
        rows.append({
            "project_id": project.id, "building_id": building.id, "unit_id": r.unit.id if r.unit else None,
            "floor": r.floor, "number": r.number, "code": r.code, "layout_id": p.layout_id,
            "property_type_id": p.property_type_id, "orientation_id": p.orientation_id, "view_id": p.view_id,
            "decoration_id": p.decoration_id, "area_gross": p.area_gross, "area_inner": p.area_inner,
            "list_unit_price": p.unit_price,
            "list_total_price": r.total,
            "floor_price": None, "status": "unreleased", "custom": None,
        })
    table = Room.__table__
    try:
        _insert_rows(table, rows)
        ids = dict(db.session.execute(sa.select(Room.code, Room.id).where(Room.building_id == building.id)).all())
        _audit(rows, [ids[row["code"]] for row in rows])
        db.session.commit()
    except _integrity_errors():
        # Someone else generated or added some of these rooms since the preview.
        db.session.rollback()
        raise BusinessError(_("Some of these rooms were created by someone else meanwhile; preview again."))
    return result, len(rows)


def _integrity_errors():
    dbapi = getattr(db.engine.dialect, "dbapi", None)
    return (IntegrityError,) + ((dbapi.IntegrityError,) if dbapi is not None else ())


def _insert_rows(table, rows):
    """Many rows in one go, in the session's transaction: COPY on PostgreSQL (several times faster
    than an executemany there), a plain executemany elsewhere (RETURNING would slow both down)."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, sa.JSON)}
    statement = "COPY %s (%s) FROM STDIN" % (table.name, ", ".join('"%s"' % c for c in columns))
    with connection.connection.dbapi_connection.cursor() as cursor:
        # Statement listeners (logging, the tests' tracking of written tables) see the COPY too.
        connection.dispatch.before_cursor_execute(connection, cursor, statement, (), None, False)
        with cursor.copy(statement) as copy:
            for row in rows:
                copy.write_row([json.dumps(row[c]) if c in json_columns and row[c] is not None else row[c]
                                for c in columns])


def _audit(rows, ids):
    """One "created" entry per room, as the ORM would write, in one bulk insert."""
    user_id, username, address = current_actor()
    now = utcnow()
    entries = []
    for row, room_id in zip(rows, ids):
        changes = {k: [None, str(v) if isinstance(v, decimal.Decimal) else v]
                   for k, v in row.items() if v is not None}
        entries.append({"created_at": now, "user_id": user_id, "username": username, "client_address": address,
                        "action": "insert", "table_name": "room", "row_id": str(room_id), "changes": changes})
    _insert_rows(AuditLog.__table__, entries)
