"""Drill-down (层层钻取): the deals or rooms behind a report's figure, with the report's filters
kept. A link names the measure (a deal measure or a room group, see `measures`) and the keys of the
row or bar that was clicked (layout, floor band, price band, property type, building …); the list
uses the very conditions the report aggregated with, so its total is the figure.

Each list takes two queries whatever its length: the totals and the page of rows."""
from decimal import Decimal as D

import sqlalchemy as sa
from flask_babel import gettext as _

from app.crm.models import Customer
from app.extensions import db
from app.inventory.models import Building, Layout, Project, PropertyType, Room, RoomStatus
from app.org.models import Employee
from app.reports.services import measures
from app.reports.services.filters import Filters, parse_int, with_changes
from app.sales.models import Deal
from app.sales.services import deals as deal_service

PAGE_SIZE = 50
EXPORT_LIMIT = 20000


class Drill:
    """The filters of a drill-down list: a report's Filters plus the clicked row's keys."""

    def __init__(self, args):
        args = args or {}
        self.filters = Filters(args)
        self.errors = list(self.filters.errors)
        self.keys = {}
        for key in ("layout", "property_type", "plan", "policy", "channel"):
            raw = (args.get(key) or "").strip()
            if raw == "none":
                self.keys[key] = "none"
            elif raw:
                value = parse_int(raw)
                if value is None:
                    self.errors.append(_("A filter could not be read and was left out."))
                else:
                    self.keys[key] = value
        for key in ("floor_band", "price_band"):
            raw = (args.get(key) or "").strip()
            if raw == "none" and key == "price_band":
                self.keys[key] = "none"
            elif raw:
                try:
                    self.keys[key] = int(raw)
                except ValueError:
                    self.errors.append(_("A filter could not be read and was left out."))
        self.measure = (args.get("measure") or "").strip() or None
        if self.measure and self.measure not in measures.DEAL_MEASURES:
            self.errors.append(_("A filter could not be read and was left out."))
            self.measure = None
        self.group = (args.get("group") or "").strip() or None
        if self.group and self.group not in measures.ROOM_GROUPS:
            self.errors.append(_("A filter could not be read and was left out."))
            self.group = None
        raw_page = (args.get("page") or "").strip()
        self.page = max(0, int(raw_page)) if raw_page.isdigit() and len(raw_page) < 7 else 0

    def args(self, **changes):
        out = self.filters.args()
        out.update({k: v for k, v in self.keys.items()})
        if self.measure:
            out["measure"] = self.measure
        if self.group:
            out["group"] = self.group
        if self.page:
            out["page"] = self.page
        return with_changes(out, changes)

    def room_key_conditions(self, room=Room):
        conditions = []
        for key, column in (("layout", room.layout_id), ("property_type", room.property_type_id)):
            if key in self.keys:
                value = self.keys[key]
                conditions.append(column.is_(None) if value == "none" else column == value)
        if "floor_band" in self.keys:
            conditions += measures.floor_band_conditions(room.floor, self.keys["floor_band"])
        if "price_band" in self.keys:
            conditions += measures.price_band_conditions(room.list_unit_price, self.keys["price_band"])
        return conditions

    @property
    def title(self):
        if self.measure:
            return str(measures.DEAL_MEASURES[self.measure])
        if self.group:
            return str(measures.ROOM_GROUPS[self.group][0])
        return _("Rooms")


# -- deals -------------------------------------------------------------------------------------
def deal_query(drill, columns):
    """A query over Deal joined to its room, for the drill's measure, filters and keys."""
    f = drill.filters
    query = db.session.query(*columns).select_from(Deal).join(Room, Room.id == Deal.room_id)
    conditions = measures.deal_measure(drill.measure or "sold", f.start, f.end) or []
    conditions += f.deal_conditions(room=Room)
    conditions += drill.room_key_conditions()
    if "plan" in drill.keys:
        conditions.append(Deal.plan_id.is_(None) if drill.keys["plan"] == "none" else Deal.plan_id == drill.keys["plan"])
    if "policy" in drill.keys:
        conditions.append(measures.policy_condition(drill.keys["policy"]))
    if "channel" in drill.keys:
        conditions.append(measures.channel_condition(drill.keys["channel"]))
    return query.filter(*conditions)


def deal_totals(drill):
    count, area, amount = deal_query(drill, [sa.func.count(Deal.id), sa.func.coalesce(sa.func.sum(Room.area_gross), 0),
                                             sa.func.coalesce(sa.func.sum(Deal.total), 0)]).one()
    return {"count": int(count), "area": D(area), "amount": D(amount)}


DEAL_COLUMNS = (Deal.id, Deal.stage, Deal.state, Deal.subscribed_on, Deal.signed_on, Deal.ended_at, Deal.total,
                Deal.list_total, Deal.unit_price, Room.id.label("room_id"), Room.code.label("room"),
                Room.area_gross, Project.name.label("project"), Building.name.label("building"),
                Customer.name.label("customer"), Employee.name.label("salesperson"))


def _deal_rows(drill, offset, limit):
    query = (deal_query(drill, DEAL_COLUMNS)
             .join(Project, Project.id == Deal.project_id)
             .join(Building, Building.id == Room.building_id)
             .join(Customer, Customer.id == Deal.customer_id)
             .join(Employee, Employee.id == Deal.employee_id))
    return query.order_by(Deal.id.desc()).offset(offset).limit(limit).all()


def deals(drill):
    """{rows, totals, page, pages}: one page of the deals behind a figure."""
    totals = deal_totals(drill)
    rows = _deal_rows(drill, drill.page * PAGE_SIZE, PAGE_SIZE)
    return {"rows": rows, "totals": totals, "page": drill.page, "pages": -(-totals["count"] // PAGE_SIZE),
            "stage": deal_service.stage_label, "state": deal_service.state_label}


def export_deals(drill):
    from app.core.excel import workbook_bytes
    from app.core import clock
    headers = [_("Deal"), _("Project"), _("Building"), _("Room"), _("Customer"), _("Salesperson"), _("Stage"),
               _("State"), _("Subscribed on"), _("Signed on"), _("Cancelled on"), _("Area"), _("List total"),
               _("Deal total"), _("Unit price")]
    rows = [(r.id, r.project, r.building, r.room, r.customer, r.salesperson, str(deal_service.stage_label(r.stage)),
             str(deal_service.state_label(r.state)), r.subscribed_on, r.signed_on,
             clock.local_date(r.ended_at) if r.state == "cancelled" else None, r.area_gross, r.list_total, r.total,
             r.unit_price) for r in _deal_rows(drill, 0, EXPORT_LIMIT)]
    return workbook_bytes(drill.title, headers, rows)


# -- rooms -------------------------------------------------------------------------------------
def room_query(drill, columns):
    f = drill.filters
    query = db.session.query(*columns).select_from(Room)
    conditions = f.room_conditions(Room) + drill.room_key_conditions()
    if drill.group:
        conditions.append(Room.status.in_(measures.room_group(drill.group)))
    return query.filter(*conditions)


def room_totals(drill):
    count, area, value = room_query(drill, [sa.func.count(Room.id), sa.func.coalesce(sa.func.sum(Room.area_gross), 0),
                                            sa.func.coalesce(sa.func.sum(Room.list_total_price), 0)]).one()
    return {"count": int(count), "area": D(area), "value": D(value)}


def _room_rows(drill, offset, limit):
    active = sa.and_(Deal.room_id == Room.id, Deal.state == "active")
    query = (room_query(drill, [Room.id, Room.code, Room.floor, Room.area_gross, Room.list_unit_price,
                                Room.list_total_price, Room.status, RoomStatus.name.label("status_name"),
                                Building.name.label("building"), Layout.name.label("layout"),
                                PropertyType.name.label("property_type"), Project.name.label("project"),
                                Deal.id.label("deal_id"), Deal.total.label("deal_total")])
             .join(RoomStatus, RoomStatus.code == Room.status)
             .join(Building, Building.id == Room.building_id)
             .join(Project, Project.id == Room.project_id)
             .outerjoin(Layout, Layout.id == Room.layout_id)
             .outerjoin(PropertyType, PropertyType.id == Room.property_type_id)
             .outerjoin(Deal, active))
    return query.order_by(Room.project_id, Building.sort_order, Room.building_id, Room.floor.desc(), Room.number) \
        .offset(offset).limit(limit).all()


def rooms(drill):
    totals = room_totals(drill)
    rows = _room_rows(drill, drill.page * PAGE_SIZE, PAGE_SIZE)
    return {"rows": rows, "totals": totals, "page": drill.page, "pages": -(-totals["count"] // PAGE_SIZE)}


def export_rooms(drill):
    from app.core.excel import workbook_bytes
    headers = [_("Project"), _("Building"), _("Room"), _("Floor"), _("Layout"), _("Property type"), _("Status"),
               _("Area"), _("List unit price"), _("List total"), _("Deal"), _("Deal total")]
    rows = [(r.project, r.building, r.code, r.floor, r.layout, r.property_type, r.status_name, r.area_gross,
             r.list_unit_price, r.list_total_price, r.deal_id, r.deal_total) for r in _room_rows(drill, 0, EXPORT_LIMIT)]
    return workbook_bytes(drill.title, headers, rows)
