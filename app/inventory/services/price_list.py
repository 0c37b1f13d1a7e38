"""Price list (价目表 / 一房一价): the current list prices of a project or one building, as an
Excel workbook (one sheet per building, the plain table a sales office posts on the wall) and as
the context of the "price_list" print kind (record = a building: one wall sheet per building).

Rooms not for sale (非售) are left out; the floor price is internal and never printed."""
import datetime as dt
import io

import openpyxl
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter

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
            "below_ground": [row for row in rows if row["floor"] <= 0]}


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
        ws.append([_("Date: %(date)s · prices in yuan, areas in square metres", date=dt.date.today().isoformat())])
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
  @page { margin: 1.2cm 1.2cm 1.6cm 1.2cm;
    @frame footer { -pdf-frame-content: page-footer; bottom: 0.6cm; margin-left: 1.2cm; margin-right: 1.2cm; height: 0.7cm; } }
  body { font-size: 8pt; color: #222222; }
  h1 { font-size: 18pt; text-align: center; margin: 0 0 2pt 0; }
  .sub { text-align: center; color: #555555; margin-bottom: 8pt; font-size: 9pt; }
  table.grid { width: 100%; }
  table.grid th, table.grid td { border: 0.5pt solid #777777; padding: 2pt 2pt 1pt 2pt; text-align: center; vertical-align: top; }
  table.grid th { background-color: #eeeeee; }
  td.floor { background-color: #f5f5f5; font-weight: bold; width: 5%; }
  .no { font-size: 10pt; font-weight: bold; }
  .total { font-weight: bold; }
  .sold { color: #999999; }
  .status { font-size: 7pt; color: #c62828; }
  #page-footer { font-size: 7pt; color: #777777; }
</style>
</head>
<body>
<h1>{{ project.name }} · {{ building.name }} 一房一价表</h1>
<div class="sub">单价：元/㎡（按建筑面积）· 总价：元 · 共 {{ room_count }} 套 · 公示日期 {{ today|date_cn }}</div>
<table class="grid" repeat="1">
  <thead><tr><th>楼层</th>{% for c in columns %}<th>{{ c }}</th>{% endfor %}</tr></thead>
  <tbody>
  {% for row in grid %}
  <tr><td class="floor">{{ row.floor }}F</td>
  {% for r in row.cells %}<td{% if r and r.status in ['booked', 'subscribed', 'signed'] %} class="sold"{% endif %}>{% if r %}<span class="no">{{ r.number }}</span> {{ r.layout }}<br>{{ r.area_gross|area }} · {{ r.unit_price|money('') }}<br><span class="total">{{ r.total_price|money }}</span>{% if r.status not in ['available', 'unreleased'] %} <span class="status">{{ r.status_label }}</span>{% endif %}{% endif %}</td>{% endfor %}
  </tr>
  {% endfor %}
  </tbody>
</table>
{% if below_ground %}
<h3 style="font-size: 11pt; margin: 8pt 0 3pt 0; -pdf-keep-with-next: true;">地下室 / 车位</h3>
<table class="grid">
  <thead><tr><th>房号</th><th>楼层</th><th>类型</th><th>建筑面积</th><th>单价（元/㎡）</th><th>总价</th><th>状态</th></tr></thead>
  <tbody>
  {% for r in below_ground %}
  <tr><td>{{ r.number }}</td><td>{{ r.floor }}F</td><td>{{ r.property_type }}</td><td>{{ r.area_gross|area }}</td><td>{{ r.unit_price|money('') }}</td><td class="total">{{ r.total_price|money }}</td><td>{{ r.status_label }}</td></tr>
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
            "rooms": rooms, "room_count": len(rooms), "below_ground": []}


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
            "rooms": sheet["rooms"], "room_count": sheet["room_count"], "below_ground": sheet["below_ground"]}


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
