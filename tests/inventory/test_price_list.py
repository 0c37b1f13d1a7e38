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
    # The demo project rounds to the yuan: prices without ¥ and decimals, so the columns stay narrow.
    assert "4,145,070" in text and "118.60㎡" in text and "34,950" in text
    assert "4,145,070.00" not in text and "¥" not in text
    assert "4,020,718" not in text  # no floor price
    assert "打印人：陈志明" in text
    os.makedirs(ARTIFACTS, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(path),
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


# ---------------------------------------------------------------- a wide building: 2 units × 10 rooms a floor

def _wide_building(floors=18):
    """9栋: 2 units of 10 rooms a floor, big totals (¥4,446,551 at the top)."""
    from app.inventory.models import Building, Room, Unit
    from tests.inventory.helpers import homes
    p = project()
    b = Building(project=p, name="9栋", floors_above=floors, floors_below=0, units_count=2, sort_order=9)
    db.session.add(b)
    for u_index in (1, 2):
        u = Unit(building=b, name="%d单元" % u_index, sort_order=u_index)
        db.session.add(u)
        for floor in range(1, floors + 1):
            for pos in range(1, 11):
                number = "%d%02d" % (floor, pos)
                area = D("118.60") if pos in (1, 10) else D("89.47")
                unit_price = D("37492") - (floors - floor) * 100 - pos + 1
                db.session.add(Room(project=p, building=b, unit=u, floor=floor, number=number,
                                    code="9栋-%s-%s" % (u.name, number), property_type=homes(),
                                    area_gross=area, list_unit_price=unit_price,
                                    list_total_price=(area * unit_price).quantize(D("1")),
                                    status="available"))
    db.session.commit()
    return b.id


def test_a_wide_building_prints_one_grid_of_ten_columns_per_unit(ctx):
    context = price_list.print_context(_wide_building())
    assert [panel["units"] for panel in context["panels"]] == [["1单元"], ["2单元"]]
    assert context["panels"][1]["columns"] == ["2单元 %02d" % n for n in range(1, 11)]
    assert [row["floor"] for row in context["panels"][0]["grid"]] == list(range(18, 0, -1))
    assert context["panels"][0]["grid"][0]["cells"][0]["total_price"] == D("4446551")
    assert context["price_places"] == 0
    # The demo building still fits on one panel: both units side by side.
    assert [panel["units"] for panel in price_list.print_context(building("1栋").id)["panels"]] == [["1单元", "2单元"]]


def _words(pdf):
    """Words of each page with their boxes, from pdftotext -bbox."""
    import re
    html = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    pages = []
    for page in html.split("<page ")[1:]:
        pages.append([(float(a), float(b), float(c), float(d), w) for a, b, c, d, w in re.findall(
            r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)</word>', page)])
    return pages


@needs_poppler
def test_a_wide_building_prints_readable_totals_that_do_not_overlap(client, app, tmp_path):
    with app.app_context():
        printing.seed_templates()
        bid = _wide_building()
        db.session.remove()
    login(client, "manager")
    response = client.get("/printtemplateview/print/price_list/%d" % bid)
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    path = tmp_path / "wide.pdf"
    path.write_bytes(response.data)
    pages = _words(path)
    words = [w for page in pages for w in page]
    texts = [w[4] for w in words]
    # Every room number and every total is there, as a word of its own.
    for floor in range(1, 19):
        for pos in range(1, 11):
            assert texts.count("%d%02d" % (floor, pos)) == 2  # once per unit
    assert "4,446,551" in texts and "37,492" in texts
    # No two words on a page overlap.
    for page in pages:
        for i, a in enumerate(page):
            for b in page[i + 1:]:
                overlap_x = min(a[2], b[2]) - max(a[0], b[0])
                overlap_y = min(a[3], b[3]) - max(a[1], b[1])
                assert not (overlap_x > 0.5 and overlap_y > 0.5), (a, b)
    # Unit 2 starts on a page of its own.
    first_of_unit2 = next(i for i, page in enumerate(pages) if any(w[4] == "2单元" for w in page))
    assert not any(w[4] == "1单元" for w in pages[first_of_unit2])
    os.makedirs(ARTIFACTS, exist_ok=True)
    subprocess.run(["pdftoppm", "-png", "-r", "110", "-f", "1", "-l", "1", "-singlefile", str(path),
                    os.path.join(ARTIFACTS, "price-list-wide")], check=True)
