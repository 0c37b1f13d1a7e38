"""Price list (价目表 / 一房一价): the current list prices of a project or one building, as an
Excel workbook (one sheet per building, the plain table a sales office posts on the wall) and as
the context of the "price_list" print kind (record = a building: one wall sheet per building).

Rooms not for sale (非售) are left out; the floor price is internal and never printed."""
import io

import openpyxl
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Building, Room, RoomStatus, Unit

KIND = "price_list"
LISTED = ("unreleased", "available", "held", "booked", "subscribed", "signed")


def _rooms(project_id, building_id=None):
    query = (db.session.query(Room).filter(Room.project_id == project_id, Room.status.in_(LISTED)))
    if building_id is not None:
        query = query.filter(Room.building_id == building_id)
    return (query.outerjoin(Unit, Room.unit_id == Unit.id)
            .order_by(Room.building_id, Unit.sort_order, Room.floor.desc(), Room.number).all())


def building_sheet(building, rooms, statuses):
    """One building's rooms as wall rows and as a floor × position grid."""
    rows = []
    for r in rooms:
        rows.append({
            "code": r.code, "unit": r.unit.name if r.unit else "", "floor": r.floor, "number": r.number,
            "layout": r.layout.name if r.layout else "", "property_type": r.property_type.name,
            "orientation": r.orientation.name if r.orientation else "", "view": r.view.name if r.view else "",
            "area_gross": r.area_gross, "area_inner": r.area_inner, "unit_price": r.list_unit_price,
            "total_price": r.list_total_price, "status": r.status, "status_label": statuses.get(r.status, r.status),
        })
    # Grid: one column per (unit, position on the floor), floors from the top down; rooms below
    # ground (parking, storage) are listed under it.
    above = [row for row in rows if row["floor"] > 0]
    units = list(dict.fromkeys(row["unit"] for row in above))
    columns, cells = [], {}
    for row in above:
        key = (row["unit"], row["number"][-2:])
        if key not in columns:
            columns.append(key)
        cells[(row["floor"], key)] = row
    columns.sort(key=lambda k: (units.index(k[0]), k[1]))
    floors = sorted({row["floor"] for row in above}, reverse=True)
    grid = [{"floor": f, "cells": [cells.get((f, key)) for key in columns]} for f in floors]
    return {"name": building.name, "rooms": rows, "room_count": len(rows),
            "columns": [("%s %s" % key).strip() for key in columns], "grid": grid,
            "panels": _panels(columns, cells, units),
            "below_ground": [row for row in rows if row["floor"] <= 0]}


# Columns of one printed grid: ten positions (plus the floor) are what fits across A4 landscape
# with every total readable; wider buildings print one grid per unit (or per ten positions).
PANEL_COLUMNS = 10


def _panels(columns, cells, units):
    """The grid cut into printable panels: whole units side by side while they fit in
    PANEL_COLUMNS columns, a unit wider than that cut into slices of PANEL_COLUMNS."""
    groups = []
    for name in units:
        keys = [key for key in columns if key[0] == name]
        for start in range(0, len(keys), PANEL_COLUMNS):
            groups.append(keys[start:start + PANEL_COLUMNS])
    panels, current = [], []
    for keys in groups:
        if current and len(current) + len(keys) > PANEL_COLUMNS:
            panels.append(current)
            current = []
        current = current + keys
    if current:
        panels.append(current)
    result = []
    for keys in panels:
        floors = sorted({f for (f, key) in cells if key in keys}, reverse=True)
        result.append({"units": list(dict.fromkeys(key[0] for key in keys)),
                       "columns": [("%s %s" % key).strip() for key in keys],
                       "grid": [{"floor": f, "cells": [cells.get((f, key)) for key in keys]} for f in floors]})
    return result


def sheets(project, building_id=None):
    buildings = db.session.query(Building).filter(Building.project_id == project.id)
    if building_id is not None:
        buildings = buildings.filter(Building.id == building_id)
    buildings = buildings.order_by(Building.sort_order, Building.id).all()
    statuses = dict(db.session.query(RoomStatus.code, RoomStatus.name))
    by_building = {}
    for room in _rooms(project.id, building_id):
        by_building.setdefault(room.building_id, []).append(room)
    return [building_sheet(b, by_building.get(b.id, []), statuses) for b in buildings]


HEADERS = (_l("Room"), _l("Floor"), _l("Layout"), _l("Orientation"), _l("Gross area (㎡)"), _l("Inner area (㎡)"),
           _l("Unit price (¥/㎡)"), _l("Total price (¥)"), _l("Status"))


def workbook(project, building_id=None):
    """The price list as .xlsx bytes: one sheet per building."""
    data = sheets(project, building_id)
    if not data:
        raise BusinessError(_("This project has no buildings."))
    book = openpyxl.Workbook()
    book.remove(book.active)
    thin = Side(style="thin", color="999999")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for sheet in data:
        ws = book.create_sheet(title=sheet["name"][:31].replace("/", "-"))
        ws.append(["%s %s · %s" % (project.name, sheet["name"], _("Price list"))])
        ws.append([_("Date: %(date)s · prices in yuan, areas in square metres", date=clock.local_today().isoformat())])
        ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
        ws["A1"].font = Font(size=14, bold=True)
        ws["A1"].alignment = Alignment(horizontal="center")
        ws.append([str(h) for h in HEADERS])
        for cell in ws[3]:
            cell.font = Font(bold=True)
            cell.fill = PatternFill("solid", fgColor="EEEEEE")
            cell.border = border
        for r in sheet["rooms"]:
            ws.append([r["code"], r["floor"], r["layout"], r["orientation"], r["area_gross"], r["area_inner"],
                       r["unit_price"], r["total_price"], r["status_label"]])
            for cell in ws[ws.max_row]:
                cell.border = border
            for col, fmt in ((5, "0.00"), (6, "0.00"), (7, "#,##0.00"), (8, "#,##0.00")):
                ws.cell(row=ws.max_row, column=col).number_format = fmt
        for index, width in enumerate((22, 6, 22, 8, 12, 12, 14, 16, 8), start=1):
            ws.column_dimensions[get_column_letter(index)].width = width
        ws.freeze_panes = "A4"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


# ---------------------------------------------------------------- printing

PLACEHOLDERS = [
    ("project.name, .code, .city, .address", _l("The project")),
    ("building.name", _l("The building printed")),
    ("panels", _l("The grid cut to fit the page: a list of panels (printed one per page), each with units, "
                  "columns and grid like below")),
    ("price_places", _l("Decimals to print prices with: 0 when the project rounds to the yuan, else 2; "
                        "the second argument of the money filter")),
    ("columns", _l("Column headings of the grid: unit and position on the floor")),
    ("grid", _l("Floors from the top down; each has floor and cells (one per column, empty where there is "
                "no room) with number, layout, area_gross, unit_price, total_price, status, status_label")),
    ("rooms", _l("The same rooms as a plain list: code, unit, floor, number, layout, property_type, "
                 "orientation, view, area_gross, area_inner, unit_price, total_price, status_label")),
    ("below_ground", _l("Rooms below ground (parking spaces, storage), listed like rooms")),
    ("room_count", _l("How many rooms are listed")),
]

PRICE_LIST_HTML = """<html>
<head>
<meta charset="utf-8">
<title>{{ project.name }} {{ building.name }} 价目表</title>
<style>
  @page { margin: 1cm 1cm 1.4cm 1cm;
    @frame footer { -pdf-frame-content: page-footer; bottom: 0.5cm; margin-left: 1cm; margin-right: 1cm; height: 0.7cm; } }
  body { font-size: 8pt; color: #222222; }
  h1 { font-size: 16pt; text-align: center; margin: 0 0 2pt 0; }
  h2 { font-size: 11pt; margin: 0 0 3pt 0; }
  .sub { text-align: center; color: #555555; margin-bottom: 6pt; font-size: 9pt; }
  table.grid { width: 100%; }
  table.grid th, table.grid td { border: 0.5pt solid #777777; padding: 2pt 1pt 1pt 1pt; text-align: center; vertical-align: top; line-height: 1.2; }
  table.grid th { background-color: #eeeeee; font-size: 9pt; }
  td.floor, th.floor { background-color: #f5f5f5; font-weight: bold; width: 4%; font-size: 9pt; }
  .no { font-size: 10pt; font-weight: bold; }
  .layout { font-size: 7pt; color: #555555; }
  .total { font-size: 9pt; font-weight: bold; }
  .sold { color: #999999; }
  .status { font-size: 7pt; color: #c62828; }
  #page-footer { font-size: 7pt; color: #777777; }
</style>
</head>
<body>
{% for panel in panels %}
{% if not loop.first %}<pdf:nextpage />{% endif %}
<h1>{{ project.name }} · {{ building.name }} 一房一价表</h1>
<div class="sub">{% if panels|length > 1 %}{{ panel.units|join('、') }} · {% endif %}每格：房号 户型 / 建筑面积 / 单价（元/㎡）/ 总价（元）· 共 {{ room_count }} 套 · 公示日期 {{ today|date_cn }}</div>
<table class="grid" repeat="1">
  <thead><tr><th class="floor">楼层</th>{% for c in panel.columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for row in panel.grid %}
  <tr><td class="floor">{{ row.floor }}F</td>
  {% for r in row.cells %}<td{% if r and r.status in ['booked', 'subscribed', 'signed'] %} class="sold"{% endif %}>{% if r %}<span class="no">{{ r.number }}</span>{% if r.status not in ['available', 'unreleased'] %} <span class="status">{{ r.status_label }}</span>{% endif %}<br><span class="layout">{{ r.layout }}</span><br>{{ r.area_gross|area }}<br>{{ r.unit_price|money('', price_places) }}<br><span class="total">{{ r.total_price|money('', price_places) }}</span>{% endif %}</td>{% endfor %}
  </tr>
  {% endfor %}
  </tbody>
</table>
{% endfor %}
{% if below_ground %}
{% if panels %}<h2 style="margin-top: 8pt; -pdf-keep-with-next: true;">地下室 / 车位</h2>{% else %}<h1>{{ project.name }} · {{ building.name }} 一房一价表</h1>{% endif %}
<table class="grid">
  <thead><tr><th>房号</th><th>楼层</th><th>类型</th><th>建筑面积</th><th>单价（元/㎡）</th><th>总价（元）</th><th>状态</th></tr></thead>
  <tbody>
  {% for r in below_ground %}
  <tr><td>{{ r.number }}</td><td>{{ r.floor }}F</td><td>{{ r.property_type }}</td><td>{{ r.area_gross|area }}</td><td>{{ r.unit_price|money('', price_places) }}</td><td class="total">{{ r.total_price|money('', price_places) }}</td><td>{{ r.status_label }}</td></tr>
  {% endfor %}
  </tbody>
</table>
{% endif %}
<div id="page-footer">本价目表为一房一价公示，价格以签约时为准 · 打印人：{{ printed_by }} · {{ now|date('%Y-%m-%d %H:%M') }} · 第 <pdf:pagenumber> 页 / 共 <pdf:pagecount> 页</div>
</body>
</html>
"""


def _sample_room(number, layout, area, unit, status="available", label="待售"):
    from decimal import Decimal as D
    area, unit = D(area), D(unit)
    return {"code": "1栋-1单元-" + number, "unit": "1单元", "floor": int(number[:-2]), "number": number,
            "layout": layout, "property_type": "住宅", "orientation": "南", "view": "江景", "area_gross": area,
            "area_inner": (area * D("0.8")).quantize(D("0.01")), "unit_price": unit,
            "total_price": (area * unit).quantize(D("1")), "status": status, "status_label": label}


def sample_context():
    rooms = [_sample_room("301", "A户型", "118.60", "33100"), _sample_room("302", "B户型", "89.50", "32300"),
             _sample_room("201", "A户型", "118.60", "32950", "signed", "签约"),
             _sample_room("202", "B户型", "89.50", "32150")]
    return {"project": {"name": "示例花园", "code": "DEMO", "city": "广州", "address": "广州市示例路 1 号"},
            "building": {"name": "1栋"}, "columns": ["1单元 01", "1单元 02"],
            "grid": [{"floor": 3, "cells": rooms[:2]}, {"floor": 2, "cells": rooms[2:]}],
            "panels": [{"units": ["1单元"], "columns": ["1单元 01", "1单元 02"],
                        "grid": [{"floor": 3, "cells": rooms[:2]}, {"floor": 2, "cells": rooms[2:]}]}],
            "rooms": rooms, "room_count": len(rooms), "below_ground": [], "price_places": 0}


def print_context(pk):
    """The building `pk` and its rooms, or None when it does not exist."""
    building = db.session.get(Building, pk)
    if building is None:
        return None
    project = building.project
    sheet = sheets(project, building.id)[0]
    return {"project": {"name": project.name, "code": project.code, "city": project.city or "",
                        "address": project.address or ""},
            "building": {"name": building.name}, "columns": sheet["columns"], "grid": sheet["grid"],
            "panels": sheet["panels"], "rooms": sheet["rooms"], "room_count": sheet["room_count"],
            "below_ground": sheet["below_ground"], "price_places": price_places(project, sheet["rooms"])}


def price_places(project, rows):
    """Decimals printed for prices: none when the project rounds to the yuan and every price
    listed is whole (the wall sheet stays narrow), else two."""
    if project.price_rounding != "yuan":
        return 2
    for row in rows:
        for value in (row["unit_price"], row["total_price"]):
            if value is not None and value != value.to_integral_value():
                return 2
    return 0


def print_choices():
    rows = db.session.query(Building).order_by(Building.project_id, Building.sort_order, Building.id).all()
    return [(b.id, "%s · %s" % (b.project.name, b.name)) for b in rows]


def register():
    from app.printing import services as printing
    printing.register_kind(
        KIND, _l("Price list"), sample_context, PLACEHOLDERS, record_context=print_context,
        record_choices=print_choices, record_label=_l("Building"), permission=("can_list", "RoomView"),
        default_template={"name": "一房一价表", "html": PRICE_LIST_HTML, "paper": "a4_landscape",
                          "description": "按楼栋打印的价目表：楼层 × 房号，含户型、面积、单价、总价"},
    )
