"""Sell-through (去化分析): what has been sold of what was put on sale, by project, building,
layout, floor band and price band.

Snapshot, as of now (the rooms' statuses today, whatever the period):
- for each room group of `measures.ROOM_GROUPS` — unreleased (未推盘), available (可售), reserved
  (held or booked: 锁定/小订), sold (subscribed or signed: 认购/签约), not for sale (非售) — the
  number of rooms, their gross area and their value at list price (表价货值: the rooms' list total
  price, in every group, sold rooms included);
- the sell-through rate (去化率) = sold rooms ÷ (all rooms − unreleased − not for sale), empty when
  nothing was put on sale.

For the period: "sold in the period" = the deals subscribed in the period (measure subscribed,
whatever became of them later), their number, the gross area of their rooms and their deal total.

Rows: by project when no project is chosen; by building when a project is chosen, with further
tables by layout, floor band (ten storeys: 1–10, 11–20 …; below ground B) and price band (list unit
price in steps of ¥5,000/㎡). Rooms are those of the user's projects; the deals those the user may see.
Every figure is one SQL aggregate (GROUP BY); a page takes a fixed number of queries."""
from decimal import Decimal as D

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.extensions import db
from app.inventory.models import Building, Layout, Project, Room
from app.reports.services import measures
from app.sales.models import Deal

GROUPS = tuple(measures.ROOM_GROUPS)  # unreleased, available, reserved, sold, not_for_sale
CHART_GROUPS = ("sold", "reserved", "available", "unreleased")
DIMENSIONS = {
    "project": _l("Project"),
    "building": _l("Building"),
    "layout": _l("Layout"),
    "floor_band": _l("Floor band"),
    "price_band": _l("Price band"),
}
ZERO = D("0")


def _key_column(dimension, room):
    if dimension == "project":
        return room.project_id
    if dimension == "building":
        return room.building_id
    if dimension == "layout":
        return room.layout_id
    if dimension == "floor_band":
        return measures.floor_band(room.floor)
    return measures.price_band(room.list_unit_price)


def _empty_groups():
    return {g: {"count": 0, "area": ZERO, "value": ZERO} for g in GROUPS}


def _room_figures(filters, dimension):
    """{key: {group: {count, area, value}}} in one query."""
    inner = (sa.select(_key_column(dimension, Room).label("key"), measures.group_of_status().label("grp"),
                       Room.id.label("room_id"), Room.area_gross.label("area"), Room.list_total_price.label("value"))
             .where(*filters.room_conditions(Room)).subquery("rooms"))
    query = (sa.select(inner.c.key, inner.c.grp, sa.func.count(inner.c.room_id),
                       sa.func.coalesce(sa.func.sum(inner.c.area), 0), sa.func.coalesce(sa.func.sum(inner.c.value), 0))
             .group_by(inner.c.key, inner.c.grp))
    out = {}
    for key, group, count, area, value in db.session.execute(query):
        out.setdefault(key, _empty_groups())[group] = {"count": int(count), "area": D(area), "value": D(value)}
    return out


def _deal_figures(filters, dimension):
    """{key: {count, area, amount}}: the deals subscribed in the period, in one query."""
    conditions = measures.deal_measure("subscribed", filters.start, filters.end) + filters.deal_conditions(room=Room)
    key = Deal.project_id if dimension == "project" else _key_column(dimension, Room)
    inner = (sa.select(key.label("key"), Deal.id.label("deal_id"), Room.area_gross.label("area"),
                       Deal.total.label("amount"))
             .select_from(Deal).join(Room, Room.id == Deal.room_id).where(*conditions).subquery("deals"))
    query = (sa.select(inner.c.key, sa.func.count(inner.c.deal_id), sa.func.coalesce(sa.func.sum(inner.c.area), 0),
                       sa.func.coalesce(sa.func.sum(inner.c.amount), 0))
             .group_by(inner.c.key))
    return {key: {"count": int(count), "area": D(area), "amount": D(amount)}
            for key, count, area, amount in db.session.execute(query)}


def _names(dimension, keys):
    """{key: (sort key, name)} for the rows' keys: one query for projects, buildings and layouts."""
    if dimension == "floor_band":
        return {k: ((k is None, k or 0), measures.floor_band_label(k)) for k in keys}
    if dimension == "price_band":
        return {k: ((k is None, k or 0), measures.price_band_label(k)) for k in keys}
    ids = [k for k in keys if k is not None]
    out = {}
    if dimension == "project":
        rows = db.session.query(Project.id, Project.name, Project.name).filter(Project.id.in_(ids)).all() if ids else []
    elif dimension == "building":
        rows = db.session.query(Building.id, Building.sort_order, Building.name).filter(Building.id.in_(ids)).all() \
            if ids else []
    else:
        rows = db.session.query(Layout.id, Layout.name, Layout.name).filter(Layout.id.in_(ids)).all() if ids else []
    for key, order, name in rows:
        out[key] = ((False, order or 0, key), name)
    for key in keys:
        if key not in out:
            out[key] = ((True, "", 0), str(_("No layout")) if key is None else "#%s" % key)
    return out


def rate(groups):
    """Sell-through: sold ÷ (all − unreleased − not for sale); None when nothing is on sale."""
    on_sale = sum(groups[g]["count"] for g in GROUPS) - groups["unreleased"]["count"] - groups["not_for_sale"]["count"]
    if on_sale <= 0:
        return None
    return D(groups["sold"]["count"]) / D(on_sale)


def _row(key, name, groups, period):
    total = {"count": sum(groups[g]["count"] for g in GROUPS), "area": sum((groups[g]["area"] for g in GROUPS), ZERO),
             "value": sum((groups[g]["value"] for g in GROUPS), ZERO)}
    return {"key": key, "name": name, "groups": groups, "total": total, "rate": rate(groups),
            "period": period or {"count": 0, "area": ZERO, "amount": ZERO}}


def link_key(key):
    """The value a drill-down link carries for a row's key ('none' for no layout or no price)."""
    return "none" if key is None else key


def table(filters, dimension):
    """{dimension, label, rows, total}: the figures by one dimension, in three queries at most."""
    rooms = _room_figures(filters, dimension)
    deals = _deal_figures(filters, dimension)
    keys = set(rooms) | set(deals)
    names = _names(dimension, keys)
    rows = [_row(k, names[k][1], rooms.get(k) or _empty_groups(), deals.get(k))
            for k in sorted(keys, key=lambda k: names[k][0])]
    groups = {g: {"count": sum(r["groups"][g]["count"] for r in rows),
                  "area": sum((r["groups"][g]["area"] for r in rows), ZERO),
                  "value": sum((r["groups"][g]["value"] for r in rows), ZERO)} for g in GROUPS}
    period = {"count": sum(r["period"]["count"] for r in rows), "area": sum((r["period"]["area"] for r in rows), ZERO),
              "amount": sum((r["period"]["amount"] for r in rows), ZERO)}
    return {"dimension": dimension, "label": DIMENSIONS[dimension], "rows": rows,
            "total": _row(None, _("Total"), groups, period)}


def report(filters):
    """The page's figures: the main table (by project, or by building when a project is chosen) and,
    for a project, the tables by layout, floor band and price band."""
    main = table(filters, "building" if filters.project_id else "project")
    more = [table(filters, d) for d in ("layout", "floor_band", "price_band")] if filters.project_id else []
    return {"main": main, "more": more, "as_of": clock.local_now(),
            "groups": [(g, measures.ROOM_GROUPS[g][0]) for g in GROUPS]}


def export(filters, data):
    """(headers, rows) of the tables shown, one after the other."""
    headers = [str(_("Row"))]
    for _code, label in data["groups"]:
        headers += ["%s %s" % (label, _("count")), "%s %s" % (label, _("area")), "%s %s" % (label, _("value"))]
    headers += [str(_("All rooms")), str(_("Area")), str(_("Value at list price")), str(_("Sell-through rate")),
                str(_("Subscribed in the period")), str(_("Area")), str(_("Amount"))]
    out = []
    for index, tab in enumerate([data["main"]] + data["more"]):
        if index:
            out.append([])
        out.append([str(tab["label"])])
        for row in tab["rows"] + [tab["total"]]:
            line = [row["name"]]
            for code, _label in data["groups"]:
                g = row["groups"][code]
                line += [g["count"], g["area"], g["value"]]
            line += [row["total"]["count"], row["total"]["area"], row["total"]["value"],
                     None if row["rate"] is None else float(round(row["rate"], 4)),
                     row["period"]["count"], row["period"]["area"], row["period"]["amount"]]
            out.append(line)
    return headers, out
