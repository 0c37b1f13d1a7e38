"""The price list (价目表 / 一房一价): Excel with one sheet per building, and the printed PDF of a
building from the "price_list" print template (Chinese, embedded font)."""
import io
import os
import shutil
import subprocess

import openpyxl
import pytest

from app.extensions import db
from app.inventory.services import price_list
from app.printing import services as printing
from tests.conftest import login
from tests.inventory.helpers import D, building, project

ARTIFACTS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "artifacts")
needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="poppler-utils not installed")


def sheet_rows(data, name):
    book = openpyxl.load_workbook(io.BytesIO(data))
    return book, [list(r) for r in book[name].iter_rows(values_only=True)]


def test_workbook_has_one_sheet_per_building_with_wall_figures(ctx):
    book, rows = sheet_rows(price_list.workbook(project()), "1栋")
    assert book.sheetnames == ["1栋", "2栋"]
    assert rows[0][0] == "云璟花园 1栋 · 价目表" or rows[0][0].startswith("云璟花园 1栋")
    body = {r[0]: r for r in rows[3:]}
    assert len(body) == 42  # 40 apartments and 2 parking spaces; 1栋-B003 is not for sale
    assert "1栋-B003" not in body
    room = body["1栋-1单元-1001"]
    assert room[1:4] == [10, "A户型 三室两厅两卫", "南"]
    assert (D(str(room[4])), D(str(room[6])), D(str(room[7]))) == (D("118.6"), D("34950"), D("4145070"))
    # Floor prices are internal: never on the wall.
    assert all(D("4020718") not in (D(str(c)) for c in r if isinstance(c, (int, float))) for r in rows[3:])


def test_workbook_of_one_building(ctx):
    book = openpyxl.load_workbook(io.BytesIO(price_list.workbook(project(), building("2栋").id)))
    assert book.sheetnames == ["2栋"]


def test_excel_download_for_sales_and_404_for_unknown_project(client, app):
    login(client, "sales")
    with app.app_context():
        pid = project().id
    response = client.get("/pricelist/%d.xlsx" % pid)
    assert response.status_code == 200 and response.data[:2] == b"PK"
    assert client.get("/pricelist/999999.xlsx").status_code == 404
    assert client.get("/pricelist/%d.xlsx?building=abc" % pid).status_code == 200


def test_grid_has_floors_from_the_top_and_a_column_per_position(ctx):
    context = price_list.print_context(building("1栋").id)
    assert context["columns"] == ["1单元 01", "1单元 02", "2单元 01", "2单元 02"]
    assert [row["floor"] for row in context["grid"]] == list(range(10, 0, -1))
    assert [r["code"] for r in context["below_ground"]] == ["1栋-B001", "1栋-B002"]
    top = context["grid"][0]["cells"]
    assert top[0]["code"] == "1栋-1单元-1001" and top[0]["total_price"] == D("4145070")
    assert price_list.print_context(999999) is None


@needs_poppler
def test_price_list_prints_in_chinese(client, app, tmp_path):
    with app.app_context():
        printing.seed_templates()
        db.session.remove()
        bid = building("1栋").id
    login(client, "manager")
    response = client.get("/printtemplateview/print/price_list/%d" % bid)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "price-list.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True,
                          text=True).stdout
    assert "云璟花园 · 1栋 一房一价表" in text
    assert "¥4,145,070.00" in text and "118.60㎡" in text and "34,950.00" in text
    assert "4,020,718" not in text  # no floor price
    assert "打印人：陈志明" in text
    os.makedirs(ARTIFACTS, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", str(path),
                    os.path.join(ARTIFACTS, "pricing-price-list")], check=True)
    assert client.get("/printtemplateview/print/price_list/999999").status_code == 404


def test_price_list_print_needs_the_room_list_right(client, app):
    with app.app_context():
        printing.seed_templates()
        db.session.remove()
        bid = building("1栋").id
        from app.core import roles
        sm = app.appbuilder.sm
        role = sm.find_role(roles.SERVICE)
        role.permissions = [p for p in role.permissions
                            if not (p.permission.name == "can_list" and p.view_menu.name == "RoomView")]
        db.session.commit()
    login(client, "service")
    assert client.get("/printtemplateview/print/price_list/%d" % bid).status_code == 403


def test_the_sample_renders(ctx):
    data = printing.preview_draft(price_list.KIND, price_list.PRICE_LIST_HTML, "a4_landscape", printed_by="测试")
    assert data[:4] == b"%PDF"
