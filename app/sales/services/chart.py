"""The sales-control chart (销控图): every room of a building (or of all buildings of a phase) laid
out by floor and unit position, coloured by status, with the legend; the room card; and the
version that lets open charts redraw what changed.

Who sees what:
- users who may act on deals (salespeople, managers, admins) see the projects they may sell
  (permissions.sellable_projects); a project granted building by building shows those buildings;
- users who may open the chart but not act on deals (finance, service) see every project, read
  only: the card lists no action.

The chart is built in a fixed number of queries whatever the number of rooms (statuses,
buildings, rooms with their unit, layout and lookups joined). Its version is a digest of each
room's (id, status, list prices): nothing every deal must update, so deals of one project never
wait for one another."""
import decimal
import hashlib

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.core.crypto import mask
from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.crm.services import scope
from app.crm.services.customers import mask_name
from app.extensions import db
from app.inventory.models import Building, Layout, Phase, Project, Room, RoomStatus, Unit
from app.inventory.models.pricing import PriceHistory
from app.sales.services import deals, permissions

D = decimal.Decimal
HISTORY_LIMIT = 50


class NotVisible(BusinessError):
    """No such project, building or room for this user: the pages answer 404."""


# ---------------------------------------------------------------- who sees which project

class Scope:
    """The projects and buildings a user may open on the chart."""

    def __init__(self, user, read_only):
        self.user = user
        self.read_only = read_only
        self.grants = permissions.grants_for(user)

    def projects(self):
        if self.read_only:
            return db.session.query(Project).order_by(Project.code).all()
        return permissions.sellable_projects(self.user)

    def project(self, project_id):
        project = _get(Project, project_id)
        if project is None:
            raise NotVisible(_("There is no such project."))
        if not self.read_only:
            ids = self.grants.project_ids()
            if ids is not None and project.id not in ids:
                raise NotVisible(_("There is no such project."))
        return project

    def building_ids(self, project_id):
        """None: every building of the project; else the buildings granted one by one."""
        if self.read_only or self.grants.everywhere or project_id in self.grants.projects:
            return None
        return {b for p, b in self.grants.buildings if p == project_id}

    def may_open(self, project_id, building_id):
        try:
            self.project(project_id)
        except NotVisible:
            return False
        allowed = self.building_ids(project_id)
        return allowed is None or building_id in allowed


def _get(model, pk):
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return db.session.get(model, pk) if 0 < pk < 2 ** 31 else None


# ---------------------------------------------------------------- buildings and phases

def buildings(project, chart_scope):
    """The buildings the user may open, in order, with their phase: [(building, phase)]."""
    query = (db.session.query(Building.id, Building.name, Building.phase_id, Phase.name.label("phase_name"))
             .outerjoin(Phase, Phase.id == Building.phase_id).filter(Building.project_id == project.id)
             .order_by(Phase.sort_order, Building.sort_order, Building.name, Building.id))
    allowed = chart_scope.building_ids(project.id)
    if allowed is not None:
        query = query.filter(Building.id.in_(sorted(allowed) or [0]))
    return query.all()


def selection(project, chart_scope, building_id=None, phase_id=None):
    """(rows of the buildings offered, ids of the ones shown): one building, or every building of a
    phase; by default the first building."""
    rows = buildings(project, chart_scope)
    if phase_id not in (None, ""):
        try:
            phase_id = int(phase_id)
        except (TypeError, ValueError):
            raise NotVisible(_("There is no such phase."))
        chosen = [r.id for r in rows if r.phase_id == phase_id]
        if not chosen:
            raise NotVisible(_("There is no such phase."))
        return rows, chosen
    if building_id not in (None, ""):
        try:
            building_id = int(building_id)
        except (TypeError, ValueError):
            raise NotVisible(_("There is no such building."))
        if building_id not in {r.id for r in rows}:
            raise NotVisible(_("There is no such building."))
        return rows, [building_id]
    return rows, [rows[0].id] if rows else []


# ---------------------------------------------------------------- the chart

def statuses():
    return [{"code": s.code, "name": s.name, "colour": s.colour}
            for s in db.session.query(RoomStatus).order_by(RoomStatus.sort_order, RoomStatus.id)]


def _version(rows, building_ids):
    """The version of the rooms shown, from (building, id, status, unit price, total) rows: one
    digest per building ("12-3fa0….13-9b1c…"), so that a change sends that building's rooms only."""
    parts = {bid: [] for bid in building_ids}
    for building_id, room_id, status, unit_price, total in rows:
        parts.setdefault(building_id, []).append("%d|%s|%s|%s" % (room_id, status, unit_price, total))
    return ".".join("%d-%s" % (bid, hashlib.blake2b(";".join(parts[bid]).encode(), digest_size=6).hexdigest())
                    for bid in parts)


def _known(version):
    """{building id: digest} of a version a page sent (nothing for what does not parse)."""
    known = {}
    for part in (version or "")[:20000].split("."):
        bid, _sep, digest = part.partition("-")
        if bid.isdigit() and digest:
            known[int(bid)] = digest
    return known


def _position(number, floor):
    """The room's position on its floor: 1001 on floor 10 → 01."""
    prefix = str(floor)
    if number.startswith(prefix) and len(number) > len(prefix):
        return number[len(prefix):]
    return number


def _text(value):
    return None if value is None else str(value)


def chart(project, building_ids):
    """Everything the page draws, in three queries whatever the number of rooms:

    buildings [{id, name, units: [[name, span]], columns: [label], floors: [top … bottom]}],
    rooms [[id, building index, column, floor, number, status, layout, orientation, view, area,
    unit price, total, code]] (layout/orientation/view index into their lists or -1; numbers as
    strings), statuses, legend [{code, name, colour, count, area}] (area a string), version."""
    status_rows = statuses()
    building_rows = (db.session.query(Building.id, Building.name).filter(Building.id.in_(list(building_ids) or [0]),
                                                                        Building.project_id == project.id).all())
    order = {bid: i for i, bid in enumerate(building_ids)}
    building_rows.sort(key=lambda r: order.get(r.id, 0))
    # Core tables and the connection: plain rows, without the ORM's per-row work.
    room, unit, layout = Room.__table__, Unit.__table__, Layout.__table__
    orientation, view = LookupValue.__table__.alias("orientation"), LookupValue.__table__.alias("view")
    rows = db.session.connection().execute(
        sa.select(room.c.id, room.c.building_id, room.c.unit_id, unit.c.name, unit.c.sort_order, room.c.floor,
                  room.c.number, room.c.code, room.c.status, layout.c.name, orientation.c.name, view.c.name,
                  room.c.area_gross, room.c.list_unit_price, room.c.list_total_price)
        .select_from(room.outerjoin(unit, unit.c.id == room.c.unit_id)
                     .outerjoin(layout, layout.c.id == room.c.layout_id)
                     .outerjoin(orientation, orientation.c.id == room.c.orientation_id)
                     .outerjoin(view, view.c.id == room.c.view_id))
        .where(room.c.project_id == project.id, room.c.building_id.in_([r.id for r in building_rows] or [0]))
        .order_by(room.c.id)).all()

    layouts, orientations, views = {}, {}, {}
    by_building = {r.id: [] for r in building_rows}
    for row in rows:
        # (id, building, unit, unit name, unit order, floor, number, code, status, layout, orientation,
        #  view, area, unit price, total) and the position on the floor
        by_building[row[1]].append(tuple(row) + (_position(row[6], row[5]),))
    out_buildings, out_rooms = [], []
    for b_index, b in enumerate(building_rows):
        mine = by_building[b.id]
        keys = sorted({(r[4], r[3], r[2], r[15]) for r in mine if r[2] is not None},
                      key=lambda k: (k[0], k[1], k[2], len(k[3]), k[3]))
        column = {(k[2], k[3]): i for i, k in enumerate(keys)}
        labels = [k[3] for k in keys]
        units = []
        for k in keys:
            if units and units[-1][2] == k[2]:
                units[-1][1] += 1
            else:
                units.append([k[1], 1, k[2]])
        # Rooms outside any unit (parking spaces) fill their floor's row from the left.
        loose = {}
        for r in sorted((r for r in mine if r[2] is None), key=lambda r: (len(r[6]), r[6])):
            loose.setdefault(r[5], []).append(r[0])
        loose_column = {}
        for items in loose.values():
            for i, room_id in enumerate(items):
                loose_column[room_id] = i
            labels.extend([""] * (len(items) - len(labels)))
        if len(labels) > len(keys):
            units.append(["", len(labels) - len(keys), None])
        out_buildings.append({"id": b.id, "name": b.name, "units": [[u[0], u[1]] for u in units],
                              "columns": labels, "floors": sorted({r[5] for r in mine}, reverse=True)})
        for (room_id, _b, unit_id, _un, _us, floor, number, code, status, layout, orient, view, area, unit_price,
             total, pos) in mine:
            out_rooms.append([
                room_id, b_index, loose_column[room_id] if unit_id is None else column[(unit_id, pos)], floor, number,
                status, -1 if layout is None else layouts.setdefault(layout, len(layouts)),
                -1 if orient is None else orientations.setdefault(orient, len(orientations)),
                -1 if view is None else views.setdefault(view, len(views)),
                _text(area), _text(unit_price), _text(total), code])
    return {
        "project": {"id": project.id, "name": project.name},
        "buildings": out_buildings,
        "rooms": out_rooms,
        "layouts": list(layouts), "orientations": list(orientations), "views": list(views),
        "statuses": status_rows,
        "legend": legend(status_rows, ((r[8], r[12]) for r in rows)),
        "version": _version(((r[1], r[0], r[8], r[13], r[14]) for r in rows), [b.id for b in building_rows]),
    }


def legend(status_rows, rooms):
    """Rooms and gross area per status (every status listed, also those with no room), from
    (status, gross area) pairs."""
    count = {s["code"]: 0 for s in status_rows}
    area = {s["code"]: D("0.00") for s in status_rows}
    for status, gross in rooms:
        count[status] = count.get(status, 0) + 1
        area[status] = area.get(status, D("0.00")) + (gross or 0)
    return [{"code": s["code"], "name": s["name"], "colour": s["colour"], "count": count[s["code"]],
             "area": str(area[s["code"]].quantize(D("0.01")))} for s in status_rows]


def state(project, building_ids, known=None):
    """(version, [[id, status, unit price, total]]): what the page polls. The rooms are those of the
    buildings whose digest differs from the version the page has (`known`), in one query."""
    room = Room.__table__
    rows = db.session.connection().execute(
        sa.select(room.c.building_id, room.c.id, room.c.status, room.c.list_unit_price, room.c.list_total_price)
        .where(room.c.project_id == project.id, room.c.building_id.in_(list(building_ids) or [0]))
        .order_by(room.c.id)).all()
    version = _version(rows, list(building_ids))
    if known == version:
        return version, []
    had = _known(known)
    changed = {int(bid) for bid, digest in (p.split("-", 1) for p in version.split(".") if "-" in p)
               if had.get(int(bid)) != digest}
    return version, [[r[1], r[2], _text(r[3]), _text(r[4])] for r in rows if r[0] in changed]


# ---------------------------------------------------------------- the room card

def _name(user):
    if user is None:
        return ""
    return ((user.last_name or "") + (user.first_name or "")) or user.username


def _day(value):
    return value.isoformat() if value is not None else None


def _moment(value):
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M") if value is not None else None


def card(room, chart_scope, see_floor_price=False, ticket=None):
    """What the card of one room shows to this user (a dict for JSON)."""
    from app.sales.views.deal_urls import actions_for
    if not chart_scope.may_open(room.project_id, room.building_id):
        raise NotVisible(_("There is no such room."))
    deal = deals.active_deal(room.id)
    status = room.status_info
    out = {
        "id": room.id, "code": room.code, "project": room.project.name, "building": room.building.name,
        "unit": room.unit.name if room.unit is not None else "", "floor": room.floor, "number": room.number,
        "layout": room.layout.name if room.layout is not None else "",
        "property_type": room.property_type.name,
        "area_gross": _text(room.area_gross), "area_inner": _text(room.area_inner),
        "area_shared": _text(room.area_shared),
        "orientation": room.orientation.name if room.orientation is not None else "",
        "view": room.view.name if room.view is not None else "",
        "decoration": room.decoration.name if room.decoration is not None else "",
        "status": room.status, "status_name": status.name, "colour": status.colour,
        "unit_price": _text(room.list_unit_price), "total_price": _text(room.list_total_price),
        "floor_price": _text(room.floor_price) if see_floor_price else None,
        "prices": [], "deal": None, "history": [], "actions": [],
    }
    for h in (db.session.query(PriceHistory).filter(PriceHistory.room_id == room.id)
              .order_by(PriceHistory.changed_at.desc(), PriceHistory.id.desc()).limit(HISTORY_LIMIT)):
        out["prices"].append({"at": _moment(h.changed_at), "by": _name(h.changed_by),
                              "old_unit": _text(h.old_unit_price), "new_unit": _text(h.new_unit_price),
                              "old_total": _text(h.old_total_price), "new_total": _text(h.new_total_price),
                              "old_floor": _text(h.old_floor_price) if see_floor_price else None,
                              "new_floor": _text(h.new_floor_price) if see_floor_price else None})
    pending = None
    if deal is not None:
        from app.sales.services import deal_changes
        out["deal"] = deal_card(deal)
        pending = deal_changes.pending_request(deal.id)
        out["deal"]["pending"] = deal_changes.pending_label(pending) if pending is not None else ""
    for ev in deals.room_history(room.id)[:HISTORY_LIMIT]:
        out["history"].append({"at": _moment(ev.at), "action": deals.action_label(ev.action), "by": _name(ev.user)})
    if not chart_scope.read_only:
        out["actions"] = [{"code": c, "label": label, "url": url} for c, label, url in actions_for(room, deal)
                          if pending is None or c not in ("rename", "change_room", "cancel")]
        if ticket is not None and room.status == "available" and out["actions"]:
            out["actions"].append({"code": "pick", "label": _("Choose this room for queue number"),
                                   "url": "/sales/queue/tickets/%d/pick?room=%d" % (ticket, room.id)})
    return out


def deal_card(deal):
    """The active deal as the card shows it: the customer only within the user's rights."""
    from app.sales.views.deal_urls import deal_url
    visible = scope.may_see_owner(deal.employee_id)
    since = {"held": deal.held_at and _moment(deal.held_at), "booked": _day(deal.booked_on),
             "subscribed": _day(deal.subscribed_on), "signed": _day(deal.signed_on)}.get(deal.stage)
    customer = deal.customer
    return {
        "id": deal.id, "stage": deal.stage, "stage_name": deals.stage_label(deal.stage), "since": since,
        "hold_until": _moment(deal.hold_until) if deal.stage == "held" else None,
        "booking_until": _day(deal.booking_until) if deal.stage == "booked" else None,
        "sign_by": _day(deal.sign_by) if deal.stage == "subscribed" else None,
        "contract_no": deal.contract_no, "subscription_no": deal.subscription_no,
        "total": _text(deal.total) if visible else None,
        "salesperson": deal.employee.name if deal.employee is not None else "",
        "customer": customer.name if visible else mask_name(customer.name),
        "phone": mask(customer.phone) if visible and customer.phone else None,
        "visible": visible, "url": deal_url(deal.id) if visible else None,
    }

