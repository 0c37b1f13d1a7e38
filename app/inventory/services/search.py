"""Room search (房源查询): what a salesperson types when a customer asks for "a three-bedroom
facing south, 100 to 130㎡, under 4 million" — parsed, checked, and answered in a fixed number
of queries whatever the number of rooms."""
import dataclasses
import decimal

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import ROOM_STATUSES, Room
from app.inventory.services.release import natural_order

PAGE_SIZE = 20
PRICE_KINDS = ("unit", "total")
FIELD_LABELS = {
    "floor_min": _l("Lowest floor"), "floor_max": _l("Highest floor"),
    "area_min": _l("Smallest area"), "area_max": _l("Largest area"),
    "price_min": _l("Lowest price"), "price_max": _l("Highest price"),
}
LIMIT = decimal.Decimal("1e12")


@dataclasses.dataclass
class Criteria:
    project_id: int = None
    building_ids: list = dataclasses.field(default_factory=list)
    layout_ids: list = dataclasses.field(default_factory=list)
    property_type_id: int = None
    orientation_ids: list = dataclasses.field(default_factory=list)
    view_ids: list = dataclasses.field(default_factory=list)
    floor_min: int = None
    floor_max: int = None
    area_min: decimal.Decimal = None
    area_max: decimal.Decimal = None
    price_kind: str = "total"
    price_min: decimal.Decimal = None
    price_max: decimal.Decimal = None
    statuses: list = dataclasses.field(default_factory=lambda: ["available"])
    page: int = 0


def _ids(values):
    out = []
    for value in values:
        value = (value or "").strip()
        if value.isdigit():
            out.append(int(value))
        elif value:
            raise BusinessError(_("That choice is not in the list; choose again."))
    return out


def _number(form, key, integer=False):
    raw = (form.get(key) or "").strip().replace(",", "").replace("，", "")
    if not raw:
        return None
    try:
        value = decimal.Decimal(raw)
    except decimal.InvalidOperation:
        value = None
    if value is None or not value.is_finite() or abs(value) >= LIMIT or (integer and value != value.to_integral()):
        message = _("“%(field)s” must be a whole number, not “%(value)s”.") if integer else \
            _("“%(field)s” must be a number, not “%(value)s”.")
        raise BusinessError(message % {"field": FIELD_LABELS[key], "value": raw[:30]})
    if not integer and value < 0:
        raise BusinessError(_("“%(field)s” cannot be negative.", field=FIELD_LABELS[key]))
    return int(value) if integer else value


def parse(form):
    """Criteria from a search form (a MultiDict, e.g. request.args); a bad value raises
    BusinessError naming the field."""
    c = Criteria()
    project = _ids([form.get("project", "")])
    c.project_id = project[0] if project else None
    c.building_ids = _ids(form.getlist("building"))
    c.layout_ids = _ids(form.getlist("layout"))
    ptype = _ids([form.get("property_type", "")])
    c.property_type_id = ptype[0] if ptype else None
    c.orientation_ids = _ids(form.getlist("orientation"))
    c.view_ids = _ids(form.getlist("view"))
    c.floor_min, c.floor_max = _number(form, "floor_min", True), _number(form, "floor_max", True)
    c.area_min, c.area_max = _number(form, "area_min"), _number(form, "area_max")
    c.price_kind = form.get("price_kind") if form.get("price_kind") in PRICE_KINDS else "total"
    c.price_min, c.price_max = _number(form, "price_min"), _number(form, "price_max")
    # A submitted form with no status ticked means every status; a first visit means 待售.
    if "status" in form or form.get("searched"):
        c.statuses = [s for s in form.getlist("status") if s in ROOM_STATUSES]
    page = (form.get("page") or "0").strip()
    c.page = min(int(page), 100000) if page.isdigit() else 0
    for low, high in (("floor_min", "floor_max"), ("area_min", "area_max"), ("price_min", "price_max")):
        if getattr(c, low) is not None and getattr(c, high) is not None and getattr(c, low) > getattr(c, high):
            raise BusinessError(_("“%(low)s” is greater than “%(high)s”.", low=FIELD_LABELS[low],
                                  high=FIELD_LABELS[high]))
    return c


def parse_leniently(form):
    """The choices of a form that `parse` refused, without the bad values: the page shows the
    message and keeps what the user chose."""
    digits = lambda key: [int(v) for v in form.getlist(key) if (v or "").strip().isdigit()]  # noqa: E731
    c = Criteria()
    c.project_id = (digits("project") or [None])[0]
    c.building_ids, c.layout_ids = digits("building"), digits("layout")
    c.orientation_ids, c.view_ids = digits("orientation"), digits("view")
    c.property_type_id = (digits("property_type") or [None])[0]
    c.price_kind = form.get("price_kind") if form.get("price_kind") in PRICE_KINDS else "total"
    if "status" in form or form.get("searched"):
        c.statuses = [s for s in form.getlist("status") if s in ROOM_STATUSES]
    return c


def search(criteria, page_size=PAGE_SIZE):
    """(count, rooms of the requested page) in natural order: two queries, rooms loaded with
    their building, unit, layout, type, lookups and status."""
    c = criteria
    query = db.session.query(Room)
    if c.project_id is not None:
        query = query.filter(Room.project_id == c.project_id)
    if c.building_ids:
        query = query.filter(Room.building_id.in_(c.building_ids))
    if c.layout_ids:
        query = query.filter(Room.layout_id.in_(c.layout_ids))
    if c.property_type_id is not None:
        query = query.filter(Room.property_type_id == c.property_type_id)
    if c.orientation_ids:
        query = query.filter(Room.orientation_id.in_(c.orientation_ids))
    if c.view_ids:
        query = query.filter(Room.view_id.in_(c.view_ids))
    if c.floor_min is not None:
        query = query.filter(Room.floor >= c.floor_min)
    if c.floor_max is not None:
        query = query.filter(Room.floor <= c.floor_max)
    if c.area_min is not None:
        query = query.filter(Room.area_gross >= c.area_min)
    if c.area_max is not None:
        query = query.filter(Room.area_gross <= c.area_max)
    price = Room.list_unit_price if c.price_kind == "unit" else Room.list_total_price
    if c.price_min is not None:
        query = query.filter(price >= c.price_min)
    if c.price_max is not None:
        query = query.filter(price <= c.price_max)
    if c.statuses:
        query = query.filter(Room.status.in_(c.statuses))
    count = query.order_by(None).count()
    rooms = query.order_by(*natural_order()).offset(c.page * page_size).limit(page_size).all()
    return count, rooms
