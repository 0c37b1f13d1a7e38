"""Pricing (定价): a room's list prices from its project's factors, explained step by step, and the
preview of old and new prices for a selection of rooms.

How a room is priced from the factors (in this order, shown on the re-price page):
  1. the base unit price: the most specific active "base" factor that matches the room
     (building and property type > building > property type > the whole project);
  2. plus every matching amount per m² (floor table, floor step, orientation, view, layout, the
     admins' own factors, in that order and then by sort order);
  3. times every matching coefficient, in the same order;
  4. the unit price is rounded once, by the project's rule (to the fen or to the yuan);
  5. the total is gross area × that unit price, rounded by the same rule;
  6. the floor price (底价) is the total × a ratio, rounded by the same rule: the ratio of the most
     specific matching "floor_price" factor, else the room's current floor/total ratio (the gap the
     office set is kept), else 1.
A floor step from reference floor R adds value × (floor − R) per m² (amount), or multiplies by
1 + (value − 1) × (floor − R) (coefficient, e.g. 1.005 per floor).

Re-pricing by percentage or amount per m² starts from the room's current unit price instead of
steps 1–3 and rounds, totals and derives the floor price the same way."""
import decimal
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Building, Project, PropertyType, Room
from app.inventory.models.pricing import ADJUSTMENT_METHODS, FACTOR_KINDS, FACTOR_METHODS, PriceFactor
from app.inventory.services import round_price, total_price

D = decimal.Decimal
ACTIVE_DEAL = ("held", "booked", "subscribed", "signed")
# The order amounts and coefficients are applied in (step 2 and 3 above).
ADJUSTING_KINDS = ("floor", "floor_step", "orientation", "view", "layout", "custom")
KIND_LABELS = {
    "base": _l("Base unit price"), "floor": _l("Floor (table)"), "floor_step": _l("Floor (step per floor)"),
    "orientation": _l("Orientation"), "view": _l("View"), "layout": _l("Layout"), "custom": _l("Other factor"),
    "floor_price": _l("Floor price ratio"),
}
METHOD_LABELS = {"amount": _l("Amount per m²"), "coefficient": _l("Coefficient")}
ADJUSTMENT_METHOD_LABELS = {"percent": _l("By percentage"), "amount": _l("By amount per m²"),
                            "factors": _l("Re-apply the pricing factors")}
SKIP_LABELS = {"active_deal": _l("Active deal: keeps its price"), "changed": _l("Price changed since the preview"),
               "no_price": _l("No current price"), "no_base": _l("No base price factor matches"),
               "unchanged": _l("Price unchanged")}
FIELD_LABELS = {"project": _l("project"), "building": _l("building"), "property_type": _l("property type"),
                "orientation": _l("orientation"), "view": _l("view"), "layout": _l("layout")}
MAX_AMOUNT = D("1000000")
MAX_COEFFICIENT = D("10")


def number(value, message):
    """A Decimal from user input (text, number or Decimal); BusinessError(message) otherwise."""
    if isinstance(value, bool) or value is None:
        raise BusinessError(message)
    if isinstance(value, float):
        value = repr(value)
    try:
        result = D(str(value).strip().replace(",", ""))
    except (decimal.InvalidOperation, ValueError):
        raise BusinessError(message)
    if not result.is_finite():
        raise BusinessError(message)
    return result


def _fmt(value, places=2):
    return "{:,.{p}f}".format(D(value), p=places)


def _coef(value):
    return "×" + ("%s" % D(value).normalize() if D(value) == D(value).quantize(D("0.0001")) else str(value))


# ---------------------------------------------------------------- factors

def check_factor(factor):
    """Before a factor is saved (page and API)."""
    # An unknown id sent to the API arrives as a new, unsaved object: refuse it.
    for name in ("project", "building", "property_type", "orientation", "view", "layout"):
        obj = getattr(factor, name)
        if obj is not None and not sa.inspect(obj).has_identity:
            raise BusinessError(_("The chosen %(field)s does not exist.", field=str(FIELD_LABELS[name])))
    if any(not sa.inspect(r).has_identity for r in factor.rooms or []):
        raise BusinessError(_("Some of the chosen rooms do not exist."))
    project_id = factor.project.id if factor.project is not None else factor.project_id
    if project_id is None:
        raise BusinessError(_("Choose the project of the pricing factor."))
    if factor.kind not in FACTOR_KINDS:
        raise BusinessError(_("Choose the kind of pricing factor."))
    value = number(factor.value, _("Enter the value of the factor as a number."))
    if factor.kind == "base":
        factor.method = "amount"
        if value <= 0 or value > MAX_AMOUNT:
            raise BusinessError(_("A base unit price must be greater than zero and at most %(max)s.",
                                  max=_fmt(MAX_AMOUNT)))
    elif factor.kind == "floor_price":
        factor.method = "coefficient"
        if value <= 0 or value > 1:
            raise BusinessError(_("The floor price ratio must be greater than 0 and at most 1 (e.g. 0.97)."))
    else:
        if factor.method not in FACTOR_METHODS:
            raise BusinessError(_("Choose whether the factor is an amount per m² or a coefficient."))
        if factor.method == "coefficient" and (value <= 0 or value > MAX_COEFFICIENT):
            raise BusinessError(_("A coefficient must be greater than 0 and at most %(max)s (e.g. 1.02).",
                                  max=MAX_COEFFICIENT))
        if factor.method == "amount" and abs(value) > MAX_AMOUNT:
            raise BusinessError(_("An amount per m² may be at most %(max)s.", max=_fmt(MAX_AMOUNT)))
    factor.value = value
    for obj, message in ((factor.building, _("The building belongs to another project.")),
                         (factor.property_type, _("The property type belongs to another project.")),
                         (factor.layout, _("The layout belongs to another project."))):
        if obj is not None and obj.project_id != project_id:
            raise BusinessError(message)
    for room in factor.rooms or []:
        if room.project_id != project_id:
            raise BusinessError(_("Room %(code)s belongs to another project.", code=room.code))
    if factor.orientation is not None and factor.orientation.list_code != "orientation":
        raise BusinessError(_("Choose an orientation from its list."))
    if factor.view is not None and factor.view.list_code != "view":
        raise BusinessError(_("Choose a view from its list."))
    if factor.floor_from is not None and factor.floor_to is not None and factor.floor_to < factor.floor_from:
        raise BusinessError(_("The last floor cannot be below the first floor."))
    required = {
        "floor": (factor.floor_from is not None, _("A floor factor needs its floor (from, and to for a range).")),
        "floor_step": (factor.ref_floor is not None, _("A step per floor needs its reference floor.")),
        "orientation": (factor.orientation is not None or factor.orientation_id is not None,
                        _("Choose the orientation the factor applies to.")),
        "view": (factor.view is not None or factor.view_id is not None, _("Choose the view the factor applies to.")),
        "layout": (factor.layout is not None or factor.layout_id is not None,
                   _("Choose the layout the factor applies to.")),
        "custom": (bool((factor.name or "").strip()), _("Give the factor a name, e.g. 临街 or 边套.")),
    }
    if factor.kind in required and not required[factor.kind][0]:
        raise BusinessError(required[factor.kind][1])
    factor.name = (factor.name or "").strip() or None
    factor.number_suffix = (factor.number_suffix or "").strip() or None
    if factor.sort_order is None:
        factor.sort_order = 0
    if factor.active is None:
        factor.active = True


ROOM_CODES_MAX = 2000


def rooms_by_codes(project_id, text):
    """The rooms of a project named in `text` (codes separated by commas, 、, spaces or new lines),
    in the order given; BusinessError naming the codes the project has no room for."""
    if project_id is None:
        raise BusinessError(_("Choose the project of the pricing factor."))
    codes = []
    for code in re.split(r"[,，、;；\s]+", text or ""):
        if code and code not in codes:
            codes.append(code)
    if len(codes) > ROOM_CODES_MAX:
        raise BusinessError(_("Name at most %(max)d rooms.", max=ROOM_CODES_MAX))
    if not codes:
        return []
    found = {r.code: r for r in db.session.query(Room).filter(Room.project_id == project_id,
                                                             Room.code.in_(codes))}
    missing = [c for c in codes if c not in found]
    if missing:
        raise BusinessError(_("The project has no room with these codes: %(codes)s.",
                              codes="、".join(missing[:20]) + ("…" if len(missing) > 20 else "")))
    return [found[c] for c in codes]


@dataclass
class Factor:
    """A factor as plain values, so that pricing 10,000 rooms touches no ORM object."""
    id: int
    kind: str
    name: str
    method: str
    value: D
    building_id: int = None
    property_type_id: int = None
    floor_from: int = None
    floor_to: int = None
    ref_floor: int = None
    orientation_id: int = None
    view_id: int = None
    layout_id: int = None
    number_suffix: str = None
    room_ids: frozenset = None
    sort_order: int = 0
    label: str = ""

    def applies(self, r):
        if self.building_id is not None and self.building_id != r.building_id:
            return False
        if self.property_type_id is not None and self.property_type_id != r.property_type_id:
            return False
        floor_to = self.floor_to if self.floor_to is not None or self.kind != "floor" else self.floor_from
        if self.floor_from is not None and r.floor < self.floor_from:
            return False
        if floor_to is not None and r.floor > floor_to:
            return False
        if self.kind == "orientation" and self.orientation_id != r.orientation_id:
            return False
        if self.kind == "view" and self.view_id != r.view_id:
            return False
        if self.kind == "layout" and self.layout_id != r.layout_id:
            return False
        if self.number_suffix and not (r.number or "").endswith(self.number_suffix):
            return False
        if self.room_ids and r.id not in self.room_ids:
            return False
        return True

    @property
    def specificity(self):
        return (2 if self.building_id is not None else 0) + (1 if self.property_type_id is not None else 0)


def load_factors(project_id):
    """The project's active factors as plain values, in the order they apply."""
    from app.inventory.models.pricing import price_factor_room
    names = {}
    rows = db.session.query(PriceFactor).filter(PriceFactor.project_id == project_id,
                                                PriceFactor.active.is_(True)).all()
    rooms = {}
    if rows:
        for factor_id, room_id in db.session.execute(
                sa.select(price_factor_room.c.factor_id, price_factor_room.c.room_id).where(
                    price_factor_room.c.factor_id.in_([f.id for f in rows]))):
            rooms.setdefault(factor_id, set()).add(room_id)
    factors = []
    for f in rows:
        names[f.id] = f
        factors.append(Factor(
            id=f.id, kind=f.kind, name=f.name, method=f.method, value=D(f.value), building_id=f.building_id,
            property_type_id=f.property_type_id, floor_from=f.floor_from, floor_to=f.floor_to,
            ref_floor=f.ref_floor, orientation_id=f.orientation_id, view_id=f.view_id, layout_id=f.layout_id,
            number_suffix=f.number_suffix, room_ids=frozenset(rooms.get(f.id, ())) or None,
            sort_order=f.sort_order or 0, label=factor_label(f)))
    order = {k: i for i, k in enumerate(FACTOR_KINDS)}
    factors.sort(key=lambda f: (order[f.kind], f.sort_order, f.id))
    return factors


def factor_label(f):
    """“朝向 南”, “楼层 11–20”, “临街” … for the step-by-step explanation and the lists."""
    kind = str(KIND_LABELS.get(f.kind, f.kind))
    if f.kind == "orientation" and f.orientation is not None:
        text = "%s %s" % (kind, f.orientation.name)
    elif f.kind == "view" and f.view is not None:
        text = "%s %s" % (kind, f.view.name)
    elif f.kind == "layout" and f.layout is not None:
        text = "%s %s" % (kind, f.layout.name)
    elif f.kind == "floor":
        low, high = f.floor_from, f.floor_to if f.floor_to is not None else f.floor_from
        text = "%s %s" % (kind, low if low == high else "%s–%s" % (low, high))
    elif f.kind == "floor_step":
        text = _("%(kind)s from floor %(floor)s", kind=kind, floor=f.ref_floor)
    elif f.kind == "custom":
        text = f.name or kind
    else:
        text = kind
    where = [x.name for x in (f.building, f.property_type) if x is not None]
    if f.kind != "floor" and (f.floor_from is not None or f.floor_to is not None):
        where.append(_("floors %(low)s–%(high)s", low=f.floor_from if f.floor_from is not None else "",
                       high=f.floor_to if f.floor_to is not None else ""))
    if f.number_suffix:
        where.append(_("numbers ending in %(suffix)s", suffix=f.number_suffix))
    if f.name and f.kind not in ("custom",):
        text = "%s（%s）" % (text, f.name)
    return "%s [%s]" % (text, "、".join(where)) if where else text


def factor_value_label(kind, method, value):
    if value is None:
        return ""
    if kind == "base":
        return "¥%s/㎡" % _fmt(value)
    if method == "coefficient":
        return _coef(value) + (_(" per floor") if kind == "floor_step" else "")
    return "%s%s/㎡" % ("+" if D(value) >= 0 else "−", _fmt(abs(D(value)))) + (
        _(" per floor") if kind == "floor_step" else "")


# ---------------------------------------------------------------- computing one room

@dataclass
class Facts:
    """What pricing needs of a room (read as columns, not as ORM objects)."""
    id: int
    code: str
    building_id: int
    property_type_id: int
    floor: int
    number: str
    orientation_id: int
    view_id: int
    layout_id: int
    area_gross: D
    unit: D
    total: D
    floor_price: D
    status: str


FACT_COLUMNS = (Room.id, Room.code, Room.building_id, Room.property_type_id, Room.floor, Room.number,
                Room.orientation_id, Room.view_id, Room.layout_id, Room.area_gross, Room.list_unit_price,
                Room.list_total_price, Room.floor_price, Room.status)


def room_facts(project_id, room_ids=None, lock=False):
    query = db.session.query(*FACT_COLUMNS).filter(Room.project_id == project_id)
    if room_ids is not None:
        query = query.filter(Room.id.in_(list(room_ids)))
    if lock:
        # A deal service may be changing the same rooms right now.
        query = query.with_for_update(of=Room)
    return [Facts(*row) for row in query.order_by(Room.id)]


@dataclass
class Result:
    """A room's new prices and how they were reached."""
    unit: D = None
    total: D = None
    floor_price: D = None
    steps: list = field(default_factory=list)
    skipped: str = None


def _floor_ratio(facts, factors, explain):
    best = None
    for f in factors:
        if f.kind == "floor_price" and f.applies(facts) and (best is None or f.specificity > best.specificity):
            best = f
    if best is not None:
        return best.value, best.label
    if facts.total and facts.floor_price is not None and D(facts.total) > 0:
        return D(facts.floor_price) / D(facts.total), explain and str(_l("current floor/total ratio"))
    return D(1), explain and str(_l("no floor price ratio: the total"))


def _finish(facts, raw_unit, rounding, factors, steps):
    """Steps 4–6. `steps` is a list to fill with the explanation, or None (a bulk preview: the
    texts are made only when someone asks how a room's price is computed)."""
    unit = round_price(raw_unit, rounding)
    if unit <= 0:
        raise BusinessError(_("The new unit price of room %(code)s would be zero or negative.", code=facts.code))
    total = total_price(facts.area_gross, unit, rounding)
    ratio, source = _floor_ratio(facts, factors, steps is not None)
    floor = round_price(total * ratio, rounding)
    if steps is not None:
        rule = str(_l("to the yuan") if rounding == "yuan" else _l("to the fen"))
        steps.append((_("Unit price rounded %(rule)s", rule=rule), "", unit))
        steps.append((_("Total = gross area × unit price"), "%s㎡ × %s" % (_fmt(facts.area_gross), _fmt(unit)),
                      total))
        steps.append((_("Floor price = total × ratio"), "%s × %s（%s）" % (
            _fmt(total), ratio.quantize(D("0.0001")), source), floor))
    return Result(unit, total, floor, steps or [])


def compute_from_factors(facts, factors, rounding, explain=False):
    """Steps 1–6 of the module docstring for one room."""
    steps = [] if explain else None
    base = None
    for f in factors:
        if f.kind == "base" and f.applies(facts) and (base is None or f.specificity > base.specificity):
            base = f
    if base is None:
        return Result(steps=[(_("No base price factor matches this room."), "", None)] if explain else [],
                      skipped="no_base")
    price = base.value
    if explain:
        steps.append((base.label, "", price))
    adjusting = [f for f in factors if f.kind in ADJUSTING_KINDS and f.applies(facts)]
    for f in adjusting:
        if f.method != "amount":
            continue
        delta = f.value * (facts.floor - f.ref_floor) if f.kind == "floor_step" else f.value
        price += delta
        if explain:
            if f.kind == "floor_step":
                text = "%s × (%s − %s) = %s/㎡" % (_fmt(f.value), facts.floor, f.ref_floor, _fmt(delta))
            else:
                text = "%s%s/㎡" % ("+" if delta >= 0 else "", _fmt(delta))
            steps.append((f.label, text, price))
    for f in adjusting:
        if f.method != "coefficient":
            continue
        coef = 1 + (f.value - 1) * (facts.floor - f.ref_floor) if f.kind == "floor_step" else f.value
        price *= coef
        if explain:
            if f.kind == "floor_step":
                text = "1 + (%s − 1) × (%s − %s) = %s" % (f.value.normalize(), facts.floor, f.ref_floor, _coef(coef))
            else:
                text = _coef(coef)
            steps.append((f.label, text, price))
    return _finish(facts, price, rounding, factors, steps)


def compute_adjusted(facts, method, value, rounding, factors, explain=False):
    """A percentage or an amount per m² applied to the room's current unit price."""
    if facts.unit is None:
        return Result(steps=[(_("The room has no current unit price."), "", None)] if explain else [],
                      skipped="no_price")
    old = D(facts.unit)
    price = old * (1 + value / 100) if method == "percent" else old + value
    steps = None
    if explain:
        steps = [(_("Current unit price"), "", old)]
        if method == "percent":
            steps.append((_("Percentage"), "× (1 %s %s%%)" % ("+" if value >= 0 else "−", abs(value).normalize()),
                          price))
        else:
            steps.append((_("Amount per m²"), "%s%s/㎡" % ("+" if value >= 0 else "", _fmt(value)), price))
    return _finish(facts, price, rounding, factors, steps)


def compute(facts, method, value, rounding, factors, explain=False):
    if method == "factors":
        return compute_from_factors(facts, factors, rounding, explain)
    return compute_adjusted(facts, method, value, rounding, factors, explain)


# ---------------------------------------------------------------- selections and previews

def check_method(method, value):
    """The method and value of a re-pricing, cleaned; BusinessError for anything else."""
    if method not in ADJUSTMENT_METHODS:
        raise BusinessError(_("Choose how the prices change: by percentage, by amount per m² or by the factors."))
    if method == "factors":
        return method, None
    if value is None or (isinstance(value, str) and not value.strip()):
        raise BusinessError(_("Enter the percentage or the amount."))
    value = number(value, _("Enter the percentage or the amount as a number."))
    if value == 0:
        raise BusinessError(_("A change of zero changes nothing."))
    if method == "percent" and not (D("-50") <= value <= D("100")):
        raise BusinessError(_("A percentage change must lie between -50% and +100%."))
    if method == "amount" and abs(value) > D("100000"):
        raise BusinessError(_("An amount per m² may be at most 100,000."))
    return method, value.quantize(D("0.0001"))


def get_project(project_id):
    try:
        project = db.session.get(Project, int(project_id))
    except (TypeError, ValueError):
        project = None
    if project is None:
        raise BusinessError(_("This project does not exist."))
    return project


def clean_room_ids(project, room_ids):
    """Ids as integers, each a room of `project`; BusinessError naming what is wrong."""
    if room_ids is None or isinstance(room_ids, (str, bytes, dict)) or not hasattr(room_ids, "__iter__"):
        raise BusinessError(_("Select at least one room."))
    ids = []
    for value in room_ids:
        if isinstance(value, bool):
            raise BusinessError(_("Room ids must be whole numbers."))
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            raise BusinessError(_("Room ids must be whole numbers."))
    ids = sorted(set(ids))
    if not ids:
        raise BusinessError(_("Select at least one room."))
    found = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        found.update(db.session.query(Room.id, Room.project_id).filter(Room.id.in_(chunk)).all())
    unknown = [i for i in ids if i not in found]
    if unknown:
        raise BusinessError(_("These rooms do not exist: %(ids)s.", ids=", ".join(map(str, unknown[:20]))))
    other = [i for i in ids if found[i] != project.id]
    if other:
        codes = [c for (c,) in db.session.query(Room.code).filter(Room.id.in_(other[:20])).order_by(Room.code)]
        raise BusinessError(_("These rooms belong to another project: %(codes)s.", codes=", ".join(codes)))
    return ids


def select_rooms(project, building_ids=None, floor_from=None, floor_to=None, property_type_ids=None,
                 statuses=None, codes=None):
    """Room ids of a project by the re-price page's filter."""
    query = db.session.query(Room.id).filter(Room.project_id == project.id)
    if building_ids:
        query = query.filter(Room.building_id.in_(building_ids))
    if property_type_ids:
        query = query.filter(Room.property_type_id.in_(property_type_ids))
    if floor_from is not None:
        query = query.filter(Room.floor >= floor_from)
    if floor_to is not None:
        query = query.filter(Room.floor <= floor_to)
    if statuses:
        query = query.filter(Room.status.in_(statuses))
    if codes:
        query = query.filter(Room.code.in_(codes))
    return [i for (i,) in query.order_by(Room.id)]


@dataclass
class Line:
    facts: Facts
    result: Result

    @property
    def skipped(self):
        if self.facts.status in ACTIVE_DEAL:
            return "active_deal"
        r = self.result
        if r.skipped is None and (r.unit, r.total, r.floor_price) == (self.facts.unit, self.facts.total,
                                                                      self.facts.floor_price):
            return "unchanged"
        return r.skipped

    def as_row(self):
        r = self.result
        return {"room_id": self.facts.id, "old_unit_price": self.facts.unit, "old_total_price": self.facts.total,
                "old_floor_price": self.facts.floor_price, "new_unit_price": r.unit, "new_total_price": r.total,
                "new_floor_price": r.floor_price, "skipped": self.skipped}


def preview(project, room_ids, method, value):
    """Old and new prices of every selected room, nothing changed. Rooms with an active deal are
    computed but marked to keep their price."""
    method, value = check_method(method, value)
    ids = clean_room_ids(project, room_ids)
    factors = load_factors(project.id)
    if method == "factors" and not any(f.kind == "base" for f in factors):
        raise BusinessError(_("The project has no base unit price yet: add one under its pricing factors."))
    lines = []
    for start in range(0, len(ids), 5000):
        for facts in room_facts(project.id, ids[start:start + 5000]):
            lines.append(Line(facts, compute(facts, method, value, project.price_rounding, factors)))
    return lines


def explain(project, room_id, method="factors", value=None):
    """The step-by-step computation of one room: (facts, Result)."""
    method, value = check_method(method, value)
    ids = clean_room_ids(project, [room_id])
    facts = room_facts(project.id, ids)[0]
    return facts, compute(facts, method, value, project.price_rounding, load_factors(project.id), explain=True)


def choices(project):
    """What the re-price page filters by: buildings and property types of the project."""
    buildings = db.session.query(Building).filter_by(project_id=project.id).order_by(Building.sort_order,
                                                                                      Building.id).all()
    types = db.session.query(PropertyType).filter_by(project_id=project.id).order_by(PropertyType.sort_order).all()
    return buildings, types

