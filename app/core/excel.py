"""Excel output shared by every export: one sheet, bold header, values as typed."""
import datetime as dt
import decimal
import io

from openpyxl import Workbook
from openpyxl.styles import Font


def workbook_bytes(title, headers, rows):
    wb = Workbook()
    ws = wb.active
    ws.title = (title or "Sheet1")[:31]
    ws.append(headers)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in rows:
        ws.append([_cell(v) for v in row])
    for index, header in enumerate(headers, start=1):
        ws.column_dimensions[ws.cell(row=1, column=index).column_letter].width = max(10, len(str(header)) * 2 + 2)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(value):
    if value is None or isinstance(value, (int, float, str, dt.date, dt.datetime, decimal.Decimal)):
        return value
    if isinstance(value, bool):
        return value
    return str(value)
