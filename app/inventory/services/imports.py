"""Excel import and export of rooms (批量导入/导出).

The template has one header row of fixed Chinese column titles (the file format, the same in
every interface language), drop-down choices from a hidden sheet and a sheet of filling rules.
An upload is checked as a whole — every bad cell named by row, column, value and reason — and
imported all rows or none, in one transaction, with one bulk insert. Rooms whose code already
exists in the project are refused as duplicates: an import only adds rooms (batch edit changes
existing ones). The project's buildings, units, layouts, lookups and codes are loaded once."""
import datetime as dt
import decimal
import io
import json
import os
import re
import threading
import time
import types
import uuid
import zipfile

import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from app.core.errors import BusinessError
from app.core.models import AuditLog, LookupValue
from app.core.models.base import utcnow
from app.core.services import custom_fields as cf
from app.extensions import db
from app.inventory import services
from app.inventory.models import Building, Layout, Project, PropertyType, Room, Unit
from app.inventory.models.imports import RUNNING_STATUSES, RoomImport

D = decimal.Decimal
MB = 1024 * 1024
DEFAULT_MAX_BYTES = 20 * MB
DEFAULT_MAX_ROWS = 20000
# Bigger than this once unpacked is not a room list but a zip bomb.
MAX_UNPACKED_BYTES = 400 * MB
MAX_STORED_ERRORS = 1000
# Progress is written at most twice a second (a commit each).
PROGRESS_EVERY = 100
# A running job that has not reported for this long was cut off (the process stopped).
STALE_AFTER = dt.timedelta(minutes=10)

DATA_SHEET = "房间"
RULES_SHEET = "填写说明"
LISTS_SHEET = "选项"

# key, column title, required, description (for the rules sheet)
COLUMNS = [
    ("building", "楼栋", True, _l("The building, by name, as in the project (choose from the list).")),
    ("unit", "单元", False, _l("The unit of the building, by name; leave empty for a building without units.")),
    ("floor", "楼层", True, _l("A whole number within the building's floors; basements are negative (-1), "
                              "there is no floor 0.")),
    ("number", "房号", True, _l("The room number on its floor, e.g. 1201 (at most 20 characters).")),
    ("code", "房间编码", False, _l("Leave empty to compose it from building, unit and number (1栋-1单元-1201). "
                                 "Must be new in the project and in the file.")),
    ("layout", "户型", False, _l("A layout of the project, by name.")),
    ("property_type", "业态", True, _l("A property type of the project, by name or code.")),
    ("orientation", "朝向", False, _l("A value of the lookup list of orientations.")),
    ("view", "景观", False, _l("A value of the lookup list of views.")),
    ("decoration", "装修标准", False, _l("A value of the lookup list of decoration standards.")),
    ("area_gross", "建筑面积", True, _l("In square metres, greater than zero, at most two decimals.")),
    ("area_inner", "套内面积", False, _l("In square metres, greater than zero and not larger than the gross area.")),
    ("list_unit_price", "表价单价", False, _l("Yuan per square metre, not negative, at most two decimals.")),
    ("list_total_price", "表价总价", False, _l("Yuan; leave empty to compute it as gross area × unit price, "
                                           "rounded by the project's rule.")),
    ("floor_price", "底价", False, _l("Yuan, not negative.")),
]
TITLES = {key: title for key, title, _req, _desc in COLUMNS}
# Read-only columns of an export: the importer checks the project and ignores the status.
EXPORT_EXTRA = [("project", "项目"), ("status", "状态")]
OPTIONAL_COLUMNS = {"code"}
LOOKUP_COLUMNS = {"orientation": "orientation", "view": "view", "decoration": "decoration"}
# The largest values the columns hold (Numeric(10,2), (12,2), (14,2)).
LIMITS = {"area_gross": D("99999999.99"), "area_inner": D("99999999.99"), "list_unit_price": D("9999999999.99"),
          "list_total_price": D("999999999999.99"), "floor_price": D("999999999999.99")}
AMOUNT_COLUMNS = ("area_gross", "area_inner", "list_unit_price", "list_total_price", "floor_price")
YES, NO = "是", "否"


def max_bytes():
    return current_app.config.get("LOUPAN_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def max_rows():
    return current_app.config.get("LOUPAN_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS)


# --------------------------------------------------------------------------- the project's lists


class Lists:
    """Everything a row is checked against, loaded with a handful of queries."""

    def __init__(self, project):
        self.project = project
        self.buildings = {b.name: b for b in db.session.query(Building).filter(Building.project_id == project.id)
                          .order_by(Building.sort_order, Building.id)}
        ids = [b.id for b in self.buildings.values()]
        units = (db.session.query(Unit).filter(Unit.building_id.in_(ids)).order_by(Unit.sort_order, Unit.id).all()
                 if ids else [])
        self.units = {(u.building_id, u.name): u for u in units}
        self.unit_names = list(dict.fromkeys(u.name for u in units))
        self.layouts = dict(db.session.query(Layout.name, Layout.id).filter(Layout.project_id == project.id)
                            .order_by(Layout.name))
        ptypes = db.session.query(PropertyType).filter(PropertyType.project_id == project.id).order_by(
            PropertyType.sort_order, PropertyType.id).all()
        self.ptype_names = [p.name for p in ptypes]
        self.ptypes = {p.code: p.id for p in ptypes}
        self.ptypes.update({p.name: p.id for p in ptypes})
        self.defs = [d for d in cf.definitions("room") if d.label not in TITLES.values()
                     and d.label not in dict(EXPORT_EXTRA).values()]
        codes = set(LOOKUP_COLUMNS.values()) | {d.lookup_list_code for d in self.defs if d.field_type == "choice"}
        self.lookups = {code: {} for code in codes}
        for list_code, name, value_id in db.session.query(LookupValue.list_code, LookupValue.name, LookupValue.id).filter(
                LookupValue.list_code.in_(codes), LookupValue.active.is_(True)).order_by(
                LookupValue.sort_order, LookupValue.id):
            self.lookups[list_code][name] = value_id
        self.codes = {c for (c,) in db.session.query(Room.code).filter(Room.project_id == project.id)}


def titles(defs):
    """The template's column titles in order: the room's fields, then the admins' custom fields."""
    return [title for _key, title, _req, _desc in COLUMNS] + [d.label for d in defs]


# --------------------------------------------------------------------------- template and export


def _fill_lists_sheet(wb, lists, defs):
    """Drop-down values on a hidden sheet (a list typed into the validation is limited to 255
    characters); returns title → formula."""
    sheet = wb.create_sheet(LISTS_SHEET)
    columns = [("楼栋", list(lists.buildings)), ("单元", lists.unit_names), ("户型", list(lists.layouts)),
               ("业态", lists.ptype_names)]
    for key in ("orientation", "view", "decoration"):
        columns.append((TITLES[key], list(lists.lookups.get(LOOKUP_COLUMNS[key], {}))))
    for d in defs:
        if d.field_type == "choice":
            columns.append((d.label, list(lists.lookups.get(d.lookup_list_code, {}))))
        elif d.field_type == "boolean":
            columns.append((d.label, [YES, NO]))
    formulas = {}
    for index, (title, values) in enumerate(columns, start=1):
        sheet.cell(row=1, column=index, value=title).font = Font(bold=True)
        for row, value in enumerate(values, start=2):
            sheet.cell(row=row, column=index, value=value)
        if values:
            letter = get_column_letter(index)
            formulas[title] = "'%s'!$%s$2:$%s$%d" % (LISTS_SHEET, letter, letter, len(values) + 1)
    sheet.sheet_state = "hidden"
    return formulas


def _rules_sheet(wb, defs, lists):
    sheet = wb.create_sheet(RULES_SHEET)
    sheet.append([_("Column"), _("Required"), _("How to fill it")])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for key, title, required, description in COLUMNS:
        sheet.append([title, YES if required else "", str(description)])
    for d in defs:
        kind = str(cf.TYPE_LABELS.get(d.field_type, d.field_type))
        sheet.append([d.label, YES if d.required else "", _("Custom field: %(kind)s.", kind=kind)])
    sheet.append([])
    for line in (
        _("Fill one room per row from row 2 of the sheet “%(sheet)s”; keep the title row as it is and do not "
          "add, remove or rename columns.", sheet=DATA_SHEET),
        _("Do not merge cells. At most %(rows)d rows and %(mb)d MB per file.", rows=max_rows(),
          mb=max_bytes() // MB),
        _("Nothing is imported while any cell is wrong: the preview names every wrong cell."),
        _("Rooms whose code already exists in the project are refused; an import only adds new rooms."),
        _("Project: %(name)s (%(code)s); price rounding: %(rounding)s.", name=lists.project.name,
          code=lists.project.code, rounding=_("to the yuan") if lists.project.price_rounding == "yuan"
          else _("to the fen")),
    ):
        sheet.append([line])
    sheet.column_dimensions["A"].width = 16
    sheet.column_dimensions["B"].width = 8
    sheet.column_dimensions["C"].width = 90


def workbook(project, rooms=(), defs=None):
    """The template of a project (no rooms) or an export (rooms): same columns either way, so an
    exported file can be edited and imported again. `project` None: rooms of several projects,
    without drop-downs."""
    if defs is None:
        defs = cf.definitions("room")
    lists = Lists(project) if project is not None else None
    if lists is not None:
        defs = lists.defs
    wb = Workbook()
    ws = wb.active
    ws.title = DATA_SHEET
    headers = titles(defs)
    if rooms:
        headers = headers + [title for _key, title in EXPORT_EXTRA]
    ws.append(headers)
    required = {title for _key, title, req, _desc in COLUMNS if req} | {d.label for d in defs if d.required}
    for cell in ws[1]:
        cell.font = Font(bold=True, color="C62828" if cell.value in required else "000000")
        cell.fill = PatternFill("solid", fgColor="EEF3FA")
        cell.alignment = Alignment(horizontal="center")
        ws.column_dimensions[cell.column_letter].width = max(10, len(str(cell.value)) * 2 + 4)
    ws.freeze_panes = "A2"
    ws["A1"].comment = Comment(_("Titles in red are required. The rules are on the sheet “%(sheet)s”.",
                                 sheet=RULES_SHEET), "Loupan")
    position = {title: index for index, title in enumerate(headers, start=1)}
    last = max_rows() + 1
    if rooms:
        _export_rows(ws, rooms, defs, headers)
        last = max(last, len(rooms) + 1)
    if lists is not None:
        _rules_sheet(wb, defs, lists)
        formulas = _fill_lists_sheet(wb, lists, defs)
        for title, formula in formulas.items():
            dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=True,
                                errorTitle=_("Not in the list"),
                                error=_("Choose a value from the drop-down list."))
            letter = get_column_letter(position[title])
            dv.add("%s2:%s%d" % (letter, letter, last))
            ws.add_data_validation(dv)
        for title in ("建筑面积", "套内面积", "表价单价", "表价总价", "底价"):
            dv = DataValidation(type="decimal", operator="greaterThanOrEqual", formula1="0", allow_blank=True,
                                showErrorMessage=True, errorTitle=_("Not a number"),
                                error=_("Enter a number that is not negative."))
            letter = get_column_letter(position[title])
            dv.add("%s2:%s%d" % (letter, letter, last))
            ws.add_data_validation(dv)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_bytes(project):
    return workbook(project)


def _export_rows(ws, rooms, defs, headers):
    choice_ids = {(r.custom or {}).get(d.name) for r in rooms for d in defs if d.field_type == "choice"} - {None}
    names = dict(db.session.query(LookupValue.id, LookupValue.name).filter(LookupValue.id.in_(choice_ids))) \
        if choice_ids else {}

    def name(obj):
        return obj.name if obj is not None else None

    for room in rooms:
        custom = room.custom or {}
        row = [room.building.name, name(room.unit), room.floor, room.number, room.code, name(room.layout),
               name(room.property_type), name(room.orientation), name(room.view), name(room.decoration),
               room.area_gross, room.area_inner, room.list_unit_price, room.list_total_price, room.floor_price]
        for d in defs:
            value = custom.get(d.name)
            if value is None or value == "":
                value = None
            elif d.field_type == "choice":
                value = names.get(value)
            elif d.field_type == "boolean":
                value = YES if value else NO
            elif d.field_type == "decimal":
                value = D(str(value))
            elif d.field_type == "date":
                value = dt.date.fromisoformat(value)
            row.append(value)
        row += [room.project.name, room.status_info.name if room.status_info is not None else room.status]
        ws.append(row)
    number_columns = [headers.index(TITLES[k]) + 1 for k in AMOUNT_COLUMNS]
    for col in number_columns:
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "0.00"


def export_bytes(rooms):
    """Rooms under any filter, in the template's columns (+ project and status, read-only)."""
    rooms = list(rooms)
    projects = {r.project_id for r in rooms}
    project = rooms[0].project if len(projects) == 1 else None
    return workbook(project, rooms, defs=cf.definitions("room"))


# --------------------------------------------------------------------------- reading a file


def check_file(path):
    """The whole-file checks, before any row is read: BusinessError with the reason."""
    size = os.path.getsize(path)
    if size == 0:
        raise BusinessError(_("The file is empty."))
    if size > max_bytes():
        raise BusinessError(_("The file is larger than %(mb)d MB; split it into several files.",
                              mb=max_bytes() // MB))
    if not zipfile.is_zipfile(path):
        raise BusinessError(_("This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
                              "“Excel workbook (*.xlsx)” and upload it again."))
    try:
        with zipfile.ZipFile(path) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise BusinessError(_("The file is larger than %(mb)d MB; split it into several files.",
                                      mb=max_bytes() // MB))
            if "xl/workbook.xml" not in archive.namelist():
                raise zipfile.BadZipFile
    except (zipfile.BadZipFile, OSError):
        raise BusinessError(_("This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
                              "“Excel workbook (*.xlsx)” and upload it again."))


MERGE_RE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([^"]+)"')


def merged_ranges(path, sheet_path):
    """openpyxl's read-only mode does not see merged cells: scan the sheet's XML for them."""
    found = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(sheet_path.lstrip("/")) as stream:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            data = tail + chunk
            found.extend(m.decode() for m in MERGE_RE.findall(data))
            # Read the end of the chunk again with the next one: a tag may be cut in two
            # (a range found twice is listed once).
            tail = data[-300:]
    return list(dict.fromkeys(found))


def _open(path):
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except BusinessError:
        raise
    except Exception:  # openpyxl raises many kinds for a damaged or foreign file
        raise BusinessError(_("This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
                              "“Excel workbook (*.xlsx)” and upload it again."))
    sheets = [ws for ws in wb.worksheets if getattr(ws, "sheet_state", "visible") == "visible"] or wb.worksheets
    named = [ws for ws in wb.worksheets if ws.title == DATA_SHEET]
    if not sheets:
        wb.close()
        raise BusinessError(_("The workbook has no sheet."))
    return wb, (named or sheets)[0]


def _text(value):
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    text = str(value).strip()
    return text or None


class RowChecker:
    """Turns one row of cells into a room's values, naming each bad cell."""

    def __init__(self, lists, positions):
        self.lists = lists
        self.positions = positions  # key -> column index
        self.project = lists.project
        self.seen = {}  # code -> first row number
        self.custom_positions = [(d, positions.get("cf:" + d.name)) for d in lists.defs]
        self.project_column = positions.get("project")

    def check(self, number, cells):
        errors = []

        def bad(key, raw, message):
            title = TITLES.get(key, key)
            errors.append({"row": number, "column": title, "value": "" if raw is None else str(raw)[:100],
                           "message": str(message)})

        def cell(key):
            index = self.positions.get(key)
            return cells[index] if index is not None and index < len(cells) else None

        values = {key: _text(cell(key)) for key in ("building", "unit", "number", "code", "layout",
                                                   "property_type", "orientation", "view", "decoration")}
        for key, _title, required, _desc in COLUMNS:
            if required and _text(cell(key)) is None:
                bad(key, None, _("This cell is required."))
        if self.project_column is not None:
            raw = _text(cells[self.project_column]) if self.project_column < len(cells) else None
            if raw is not None and raw not in (self.project.name, self.project.code):
                errors.append({"row": number, "column": "项目", "value": raw[:100],
                               "message": _("This row belongs to another project, not to “%(name)s”.",
                                            name=self.project.name)})

        building = unit = None
        if values["building"] is not None:
            building = self.lists.buildings.get(values["building"])
            if building is None:
                bad("building", values["building"], _("The project has no building of this name."))
        if values["unit"] is not None and building is not None:
            unit = self.lists.units.get((building.id, values["unit"]))
            if unit is None:
                bad("unit", values["unit"], _("“%(building)s” has no unit of this name.", building=building.name))

        floor = None
        raw_floor = cell("floor")
        if _text(raw_floor) is not None:
            floor = _whole(raw_floor)
            if floor is None:
                bad("floor", raw_floor, _("Enter the floor as a whole number."))
            elif building is not None:
                try:
                    services.check_floor(building, floor)
                except BusinessError as e:
                    bad("floor", raw_floor, e)

        room_number = values["number"]
        if room_number is not None and len(room_number) > 20:
            bad("number", room_number, _("At most %(max)d characters.", max=20))
        layout_id = None
        if values["layout"] is not None:
            layout_id = self.lists.layouts.get(values["layout"])
            if layout_id is None:
                bad("layout", values["layout"], _("The project has no layout of this name."))
        ptype_id = None
        if values["property_type"] is not None:
            ptype_id = self.lists.ptypes.get(values["property_type"])
            if ptype_id is None:
                bad("property_type", values["property_type"], _("The project has no property type of this name."))
        lookups = {}
        for key, list_code in LOOKUP_COLUMNS.items():
            if values[key] is not None:
                lookups[key] = self.lists.lookups.get(list_code, {}).get(values[key])
                if lookups[key] is None:
                    bad(key, values[key], _("Not a value of the list “%(list)s”; choose one from the drop-down.",
                                            list=TITLES[key]))

        amounts = {}
        failed = set()
        for key in AMOUNT_COLUMNS:
            raw = cell(key)
            if _text(raw) is None:
                amounts[key] = None
                continue
            value, message = _amount(raw, LIMITS[key])
            if message is None and key in ("area_gross", "area_inner") and value == 0:
                message = (_("The gross area must be greater than zero.") if key == "area_gross"
                           else _("The inner area must be greater than zero."))
            if message is not None:
                bad(key, raw, message)
                failed.add(key)
            amounts[key] = value
        if amounts["area_gross"] is not None and "area_inner" not in failed:
            if amounts["list_total_price"] is None and amounts["list_unit_price"] is not None:
                amounts["list_total_price"] = services.total_price(amounts["area_gross"], amounts["list_unit_price"],
                                                                   self.project.price_rounding)
                if amounts["list_total_price"] > LIMITS["list_total_price"]:
                    bad("list_unit_price", cell("list_unit_price"), _("The number is too large."))
            try:
                services._check_amounts(types.SimpleNamespace(**amounts))
            except BusinessError as e:
                key = "area_inner" if amounts["area_inner"] is not None else "area_gross"
                bad(key, cell(key), e)

        custom = {}
        for defn, index in self.custom_positions:
            raw = cells[index] if index is not None and index < len(cells) else None
            text = _text(raw)
            try:
                if defn.field_type == "choice":
                    if text is None:
                        custom[defn.name] = cf.parse_value(defn, None)
                    else:
                        custom[defn.name] = self.lists.lookups.get(defn.lookup_list_code, {}).get(text)
                        if custom[defn.name] is None:
                            errors.append({"row": number, "column": defn.label, "value": text[:100],
                                           "message": _("Not a value of the list “%(list)s”; choose one from the "
                                                        "drop-down.", list=defn.label)})
                else:
                    if isinstance(raw, str):
                        raw = raw.strip()
                    elif isinstance(raw, dt.datetime):
                        raw = raw.date()
                    elif isinstance(raw, float) and defn.field_type == "decimal":
                        raw = str(raw)
                    custom[defn.name] = cf.parse_value(defn, raw)
            except BusinessError as e:
                errors.append({"row": number, "column": defn.label, "value": "" if text is None else text[:100],
                               "message": str(e)})

        code = None
        if building is not None and room_number is not None:
            code = values["code"] or services.room_code(building, unit, room_number)
            if len(code) > 80:
                bad("code", code, _("At most %(max)d characters.", max=80))
            elif code in self.lists.codes:
                bad("code", code, _("The room code “%(code)s” already exists in this project.", code=code))
            elif code in self.seen:
                bad("code", code, _("The room code “%(code)s” is already on row %(row)d of this file.",
                                    code=code, row=self.seen[code]))
            else:
                self.seen[code] = number
        if errors:
            return None, errors
        record = {
            "project_id": self.project.id, "building_id": building.id, "unit_id": unit.id if unit else None,
            "floor": floor, "number": room_number, "code": code, "layout_id": layout_id,
            "property_type_id": ptype_id, "orientation_id": lookups.get("orientation"),
            "view_id": lookups.get("view"), "decoration_id": lookups.get("decoration"),
            "status": "unreleased", "custom": custom or None, "_row": number,
        }
        record.update(amounts)
        return record, []


def _whole(raw):
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        return int(raw) if raw.is_integer() else None
    text = str(raw).strip()
    if re.fullmatch(r"[+-]?\d{1,6}", text):
        return int(text)
    return None


def _amount(raw, limit):
    """(Decimal, None) or (None, reason)."""
    if isinstance(raw, bool) or isinstance(raw, (dt.date, dt.datetime)):
        return None, _("Not a number.")
    text = repr(raw) if isinstance(raw, float) else str(raw).strip().replace(",", "")
    try:
        value = D(text)
    except decimal.InvalidOperation:
        return None, _("Not a number.")
    if not value.is_finite():
        return None, _("Not a number.")
    if value < 0:
        return None, _("Cannot be negative.")
    if value != value.quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP):
        if isinstance(raw, float) and abs(value - value.quantize(D("0.01"))) < D("0.000001"):
            value = value.quantize(D("0.01"))  # a float's binary tail, not a third decimal
        else:
            return None, _("At most two decimal places.")
    if value > limit:
        return None, _("The number is too large.")
    return value.quantize(D("0.01")), None


def _header_positions(headers, defs):
    """key → column index, or BusinessError naming missing, unknown and repeated columns."""
    by_title = {title: key for key, title, _req, _desc in COLUMNS}
    by_title.update({d.label: "cf:" + d.name for d in defs})
    by_title.update({title: key for key, title in EXPORT_EXTRA})
    positions, unknown, repeated = {}, [], []
    for index, raw in enumerate(headers):
        title = _text(raw)
        if title is None:
            continue
        key = by_title.get(title)
        if key is None:
            unknown.append(title)
        elif key in positions:
            repeated.append(title)
        else:
            positions[key] = index
    missing = [title for key, title, _req, _desc in COLUMNS if key not in positions and key not in OPTIONAL_COLUMNS]
    missing += [d.label for d in defs if d.required and "cf:" + d.name not in positions]
    problems = []
    if missing:
        problems.append(_("Missing columns: %(columns)s.", columns="、".join(missing)))
    if unknown:
        problems.append(_("Unknown columns: %(columns)s.", columns="、".join(unknown[:20])))
    if repeated:
        problems.append(_("Columns that appear twice: %(columns)s.", columns="、".join(repeated)))
    if problems:
        raise BusinessError(" ".join(problems) + " " + _("Use the columns of the template (download it again "
                                                         "if the custom fields changed)."))
    return positions


def read_rows(path, project, progress=None):
    """Check a stored upload against a project. Returns (records, errors, error_count, total);
    raises BusinessError for a problem with the whole file. `progress(done, total)` is called
    every few hundred rows."""
    check_file(path)
    lists = Lists(project)
    db.session.commit()  # nothing held open on the database while the file is read
    wb, ws = _open(path)
    try:
        merged = merged_ranges(path, ws._worksheet_path)
        if merged:
            raise BusinessError(_("The sheet has merged cells (%(ranges)s). Unmerge them and fill every cell.",
                                  ranges="、".join(merged[:10])))
        declared = ws.max_row or 0
        if declared - 1 > max_rows():
            raise BusinessError(_("The file has more than %(max)d rows; split it into several files.",
                                  max=max_rows()))
        rows = ws.iter_rows(values_only=True)
        headers = next(rows, None)
        if headers is None or all(_text(v) is None for v in headers):
            raise BusinessError(_("The first row must hold the column titles of the template; it is empty."))
        positions = _header_positions(headers, lists.defs)
        titled = {index for index, raw in enumerate(headers) if _text(raw) is not None}
        checker = RowChecker(lists, positions)
        records, errors, error_count, total = [], [], 0, 0
        expected = max(declared - 1, 1)
        reported = time.monotonic()
        for number, cells in enumerate(rows, start=2):
            if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in cells):
                continue
            total += 1
            if total > max_rows():
                raise BusinessError(_("The file has more than %(max)d rows; split it into several files.",
                                      max=max_rows()))
            stray = [i for i, v in enumerate(cells) if i not in titled and _text(v) is not None]
            if stray:
                raise BusinessError(_("Column %(column)s has values but no title (row %(row)d). Use the columns "
                                      "of the template.", column=get_column_letter(stray[0] + 1), row=number))
            record, row_errors = checker.check(number, cells)
            if row_errors:
                error_count += len(row_errors)
                if len(errors) < MAX_STORED_ERRORS:
                    errors.extend(row_errors[:MAX_STORED_ERRORS - len(errors)])
            elif not error_count:
                records.append(record)
            if progress is not None and total % PROGRESS_EVERY == 0 and time.monotonic() - reported > 0.5:
                reported = time.monotonic()
                progress(total, max(expected, total))
        if total == 0:
            raise BusinessError(_("The file has no rooms: fill them from row 2 under the column titles."))
        if error_count:
            records = []
        return records, errors, error_count, total
    finally:
        wb.close()


# --------------------------------------------------------------------------- writing


def insert_rooms(records, user=None):
    """One bulk insert of checked rooms, with their audit log entries; the caller commits."""
    table = Room.__table__
    records = [{k: v for k, v in record.items() if k != "_row"} for record in records]
    _bulk_insert(table, records)
    project_ids = {r["project_id"] for r in records}
    by_code = dict(db.session.query(Room.code, Room.id).filter(Room.project_id.in_(project_ids)))
    ids = [by_code[r["code"]] for r in records]
    now = utcnow()
    user_id = getattr(user, "id", None)
    username = getattr(user, "username", None)
    entries = []
    for room_id, record in zip(ids, records):
        changes = {k: [None, str(v) if isinstance(v, D) else v] for k, v in record.items() if v is not None}
        entries.append({"created_at": now, "user_id": user_id, "username": username, "client_address": None,
                        "action": "insert", "table_name": "room", "row_id": str(room_id), "changes": changes})
    _bulk_insert(AuditLog.__table__, entries)
    return len(ids)


def _bulk_insert(table, rows):
    """Many rows in the session's transaction. PostgreSQL: one statement with the rows as one JSON
    parameter (psycopg would spend seconds rewriting a 10,000-row multi-VALUES statement)."""
    if not rows:
        return
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        for start in range(0, len(rows), 1000):
            connection.execute(table.insert(), rows[start:start + 1000])
        return
    columns = ", ".join('"%s"' % c for c in rows[0])
    connection.execute(sa.text('INSERT INTO "%s" (%s) SELECT %s FROM json_populate_recordset(NULL::"%s", '
                               'CAST(:rows AS json))' % (table.name, columns, columns, table.name)),
                       {"rows": json.dumps(rows, default=str, ensure_ascii=False)})


# --------------------------------------------------------------------------- jobs


def import_dir():
    folder = current_app.config.get("LOUPAN_IMPORT_DIR") or os.path.join(current_app.instance_path, "imports")
    os.makedirs(folder, exist_ok=True)
    return folder


def store_upload(stream, file_name):
    """Copy an upload to the instance folder, refusing it as soon as it passes the limit."""
    path = os.path.join(import_dir(), "%s.xlsx" % uuid.uuid4().hex)
    size = 0
    with open(path, "wb") as out:
        while True:
            chunk = stream.read(1 << 20)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes():
                out.close()
                os.remove(path)
                raise BusinessError(_("The file is larger than %(mb)d MB; split it into several files.",
                                      mb=max_bytes() // MB))
            out.write(chunk)
    if size == 0:
        os.remove(path)
        raise BusinessError(_("The file is empty."))
    return path


def create_job(project, file_name, stream, user, locale):
    """A job for an upload: the file is stored and checked in the background (see start)."""
    if project is None:
        raise BusinessError(_("Choose the project to import into."))
    name = os.path.basename((file_name or "").replace("\\", "/")).strip() or "rooms.xlsx"
    path = store_upload(stream, name)
    job = RoomImport(project_id=project.id, file_name=name[:255], stored_path=path, status="validating",
                     created_by_fk=user.id, locale=locale)
    db.session.add(job)
    db.session.commit()
    return job


def _set(job_id, **values):
    """Progress on its own short transaction, so the page sees it while the job runs."""
    values["updated_at"] = utcnow()
    with db.engine.begin() as conn:
        conn.execute(RoomImport.__table__.update().where(RoomImport.__table__.c.id == job_id).values(**values))


def _discard(path):
    for name in (path, _checked_path(path) if path else None):
        if name and os.path.exists(name):
            try:
                os.remove(name)
            except OSError:
                pass


def run_validation(job_id):
    job = db.session.get(RoomImport, job_id)
    project, path = job.project, job.stored_path
    db.session.commit()
    try:
        _records, errors, error_count, total = read_rows(
            path, project, progress=lambda done, expected: _set(job_id, rows_processed=done, total_rows=expected))
    except BusinessError as e:
        _set(job_id, status="failed", message=str(e)[:2000], finished_at=utcnow(), stored_path=None)
        _discard(path)
        return
    if error_count:
        _set(job_id, status="invalid", errors=errors, error_count=error_count, total_rows=total,
             rows_processed=total, finished_at=utcnow(), stored_path=None)
        _discard(path)
    else:
        _save_checked(path, _records)
        _set(job_id, status="valid", errors=[], error_count=0, total_rows=total, rows_processed=total)


def _checked_path(path):
    return path + ".checked.json"


def _save_checked(path, records):
    """The checked rows next to the upload: the import does not read the spreadsheet again."""
    def plain(value):
        if isinstance(value, D):
            return str(value)
        raise TypeError(type(value))
    with open(_checked_path(path), "w", encoding="utf-8") as out:
        json.dump(records, out, default=plain, ensure_ascii=False)


def _load_checked(path):
    try:
        with open(_checked_path(path), encoding="utf-8") as src:
            records = json.load(src)
    except (OSError, ValueError):
        return None
    for record in records:
        for key in AMOUNT_COLUMNS:
            if record.get(key) is not None:
                record[key] = D(record[key])
    return records


def recheck(records, project):
    """What may have changed since the preview: codes taken by rooms added meanwhile, buildings,
    units, layouts, property types and lookup values renamed, resized or removed."""
    lists = Lists(project)
    db.session.commit()
    buildings = {b.id: b for b in lists.buildings.values()}
    units = {u.id for u in lists.units.values()}
    layouts, ptypes = set(lists.layouts.values()), set(lists.ptypes.values())
    lookups = {code: set(values.values()) for code, values in lists.lookups.items()}
    choices = [d for d in lists.defs if d.field_type == "choice"]
    errors = []

    def bad(record, key, message):
        errors.append({"row": record["_row"], "column": TITLES.get(key, key), "value": "", "message": str(message)})

    for record in records:
        building = buildings.get(record["building_id"])
        if building is None:
            bad(record, "building", _("The project has no building of this name."))
            continue
        try:
            services.check_floor(building, record["floor"])
        except BusinessError as e:
            bad(record, "floor", e)
        if record["unit_id"] is not None and record["unit_id"] not in units:
            bad(record, "unit", _("“%(building)s” has no unit of this name.", building=building.name))
        if record["layout_id"] is not None and record["layout_id"] not in layouts:
            bad(record, "layout", _("The project has no layout of this name."))
        if record["property_type_id"] not in ptypes:
            bad(record, "property_type", _("The project has no property type of this name."))
        for key, list_code in LOOKUP_COLUMNS.items():
            value = record[key + "_id"]
            if value is not None and value not in lookups.get(list_code, ()):
                bad(record, key, _("Not a value of the list “%(list)s”; choose one from the drop-down.",
                                   list=TITLES[key]))
        for defn in choices:
            value = (record["custom"] or {}).get(defn.name)
            if value is not None and value not in lookups.get(defn.lookup_list_code, ()):
                errors.append({"row": record["_row"], "column": defn.label, "value": "",
                               "message": _("Not a value of the list “%(list)s”; choose one from the drop-down.",
                                            list=defn.label)})
        if record["code"] in lists.codes:
            errors.append({"row": record["_row"], "column": TITLES["code"], "value": record["code"],
                           "message": _("The room code “%(code)s” already exists in this project.",
                                        code=record["code"])})
    return errors


def run_import(job_id, user_id):
    """Check the file again (rooms may have been added since the preview), then insert every row
    and mark the job done in the same transaction: all rows or none."""
    from flask_appbuilder.security.sqla.models import User
    job = db.session.get(RoomImport, job_id)
    project, path = job.project, job.stored_path
    user = db.session.get(User, user_id)
    db.session.commit()
    records = _load_checked(path)
    try:
        if records is None:  # checked by another server, or the check's file is gone: read it again
            records, errors, error_count, total = read_rows(
                path, project, progress=lambda done, expected: _set(job_id, rows_processed=done,
                                                                    total_rows=expected))
        else:
            total = len(records)
            errors = recheck(records, project)
            error_count = len(errors)
            errors = errors[:MAX_STORED_ERRORS]
    except BusinessError as e:
        _set(job_id, status="failed", message=str(e)[:2000], finished_at=utcnow(), stored_path=None)
        _discard(path)
        return
    if error_count:
        _set(job_id, status="invalid", errors=errors, error_count=error_count, total_rows=total,
             rows_processed=total, finished_at=utcnow(), stored_path=None)
        _discard(path)
        return
    _set(job_id, rows_processed=total // 2, total_rows=total)
    try:
        count = insert_rooms(records, user)
        db.session.execute(RoomImport.__table__.update().where(RoomImport.__table__.c.id == job_id).values(
            status="done", imported_count=count, rows_processed=total, total_rows=total, stored_path=None,
            finished_at=utcnow(), updated_at=utcnow()))
        db.session.commit()
    except sa.exc.IntegrityError:
        db.session.rollback()
        _set(job_id, status="failed", finished_at=utcnow(), stored_path=None,
             message=_("Some of these rooms were added by someone else meanwhile; nothing was imported. "
                       "Upload the file again to see which."))
    _discard(path)


def _work(app, job_id, action, locale, user_id):
    with app.app_context():
        try:
            with force_locale(locale or app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
                if action == "validate":
                    run_validation(job_id)
                else:
                    run_import(job_id, user_id)
        except Exception:  # the page must learn that the job stopped, whatever happened
            app.logger.exception("Room import %s failed", job_id)
            db.session.rollback()
            with force_locale(locale or "zh"):
                message = _("The import stopped on an unexpected error; nothing was imported.")
            _set(job_id, status="failed", message=message, finished_at=utcnow())
        finally:
            db.session.remove()


KEEP_FILES = dt.timedelta(days=7)
STORED_NAME = re.compile(r"^[0-9a-f]{32}\.xlsx(\.checked\.json)?$")


def remove_old_files(due_at=None):
    """The scheduled cleanup: delete the stored upload (and its checked rows) of every import
    finished, or abandoned (checked but never imported, or interrupted), more than 7 days ago. The
    job rows stay, with file_removed_at set; files of the import folder that no job names any more
    go too. Running it again removes nothing more."""
    now = due_at or utcnow()
    cutoff = now - KEEP_FILES
    table = RoomImport.__table__
    rows = db.session.execute(sa.select(table.c.id, table.c.stored_path).where(
        table.c.stored_path.isnot(None),
        sa.or_(table.c.finished_at < cutoff, sa.and_(table.c.finished_at.is_(None), table.c.updated_at < cutoff)),
    )).all()
    for job_id, path in rows:
        _discard(path)
        db.session.execute(table.update().where(table.c.id == job_id, table.c.stored_path == path).values(
            stored_path=None, file_removed_at=now))
    db.session.commit()
    kept = {os.path.basename(p) for (p,) in db.session.execute(
        sa.select(table.c.stored_path).where(table.c.stored_path.isnot(None)))}
    db.session.commit()
    folder, strays = import_dir(), 0
    for name in os.listdir(folder):
        path = os.path.join(folder, name)
        if not STORED_NAME.match(name) or name.split(".")[0] + ".xlsx" in kept:
            continue
        try:
            if dt.datetime.fromtimestamp(os.path.getmtime(path), dt.timezone.utc).replace(tzinfo=None) < cutoff:
                os.remove(path)
                strays += 1
        except OSError:
            pass
    return "%d import file(s) removed, %d stray file(s)" % (len(rows), strays)


def start(job, action, user):
    """Run a job's check ("validate") or import ("import") in a background thread with its own
    app context and session; synchronously when LOUPAN_IMPORT_SYNC is set (tests)."""
    app = current_app._get_current_object()
    args = (app, job.id, action, job.locale, user.id)
    if app.config.get("LOUPAN_IMPORT_SYNC"):
        _work(*args)
        return None
    thread = threading.Thread(target=_work, args=args, name="loupan-room-import-%d" % job.id, daemon=True)
    thread.start()
    return thread


def begin_import(job, user):
    """The preview found no error: import it (once)."""
    if job.status != "valid" or not job.stored_path:
        raise BusinessError(_("This file cannot be imported (any more); upload it again."))
    updated = db.session.execute(RoomImport.__table__.update().where(
        RoomImport.__table__.c.id == job.id, RoomImport.__table__.c.status == "valid").values(
        status="importing", rows_processed=0, updated_at=utcnow()))
    db.session.commit()
    if updated.rowcount != 1:
        raise BusinessError(_("This file is already being imported."))
    db.session.refresh(job)
    return job


def state(job):
    """What the progress endpoint answers."""
    status = job.status
    message = job.message
    if status in RUNNING_STATUSES and job.updated_at and utcnow() - job.updated_at > STALE_AFTER:
        status = "failed"
        message = _("The import was interrupted; nothing was imported. Upload the file again.")
    total = job.total_rows or 0
    done = min(job.rows_processed or 0, total) if total else 0
    percent = 100 if status in ("valid", "invalid", "done", "failed") else (int(done * 100 / total) if total else 0)
    return {"id": job.id, "status": status, "total_rows": total, "rows_processed": done, "percent": percent,
            "error_count": job.error_count or 0, "imported_count": job.imported_count or 0,
            "message": message, "finished": status not in RUNNING_STATUSES}


def recent_jobs(project_id=None, limit=10):
    query = db.session.query(RoomImport)
    if project_id:
        query = query.filter(RoomImport.project_id == project_id)
    return query.order_by(RoomImport.id.desc()).limit(limit).all()


def projects():
    return db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()
