"""Excel import and export of rooms (批量导入/导出): the template, the check that names every bad
cell, all-or-nothing import, refused files, the export round trip and who may do it."""
import io
import re
import zipfile

import openpyxl
import pytest
import sqlalchemy as sa

from app.core.models import AuditLog, CustomFieldDef
from app.extensions import db
from app.inventory.models import Building, Room, Unit
from app.inventory.models.imports import RoomImport
from app.inventory.services import imports
from tests.conftest import form_token, login
from tests.inventory.helpers import D, building, lookup, project, room, room_count

TITLES = ["楼栋", "单元", "楼层", "房号", "房间编码", "户型", "业态", "朝向", "景观", "装修标准", "建筑面积", "套内面积",
          "表价单价", "表价总价", "底价"]
B = "B户型 两室两厅一卫"
GOOD = [
    ["2栋", "1单元", 10, "1003", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, 35000, None, 3000000],
    ["2栋", "2单元", 9, 903, "", B, "住宅", "东南", "园林景观", "精装", "89.50", "71.80", 33333.33, None, None],
    ["2栋", None, -1, "B010", "2栋-P-B010", None, "PARK", None, None, None, 12.5, 12.5, None, 180000, 165000],
]


@pytest.fixture(autouse=True)
def sync_jobs(app, tmp_path, monkeypatch):
    """The work runs inside the request here; the browser test runs it in its thread."""
    monkeypatch.setitem(app.config, "LOUPAN_IMPORT_SYNC", True)
    monkeypatch.setitem(app.config, "LOUPAN_IMPORT_DIR", str(tmp_path))


def xlsx(rows, headers=TITLES, merge=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "房间"
    ws.append(headers)
    for row in rows:
        ws.append(row)
    if merge:
        ws.merge_cells(merge)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def project_id(app):
    with app.app_context():
        return project().id


def upload(client, app, data, filename="rooms.xlsx"):
    pid = project_id(app)
    token = form_token(client, "/roomimport/?project=%d" % pid)
    return client.post("/roomimport/upload?project=%d" % pid, data={
        "csrf_token": token, "project": str(pid), "file": (io.BytesIO(data), filename)},
        content_type="multipart/form-data", follow_redirects=True)


def last_job():
    return db.session.query(RoomImport).order_by(RoomImport.id.desc()).first()


def flashes(html):
    return " ".join(" ".join(re.sub(r"<[^>]+>", " ", m).split())
                    for m in re.findall(r'class="alert[^"]*"[^>]*>(.*?)</div>', html, re.S))


def run_import(client, job_id):
    with client.application.app_context():
        pid = db.session.get(RoomImport, job_id).project_id
    token = form_token(client, "/roomimport/?project=%d" % pid)
    return client.post("/roomimport/run/%d" % job_id, data={"csrf_token": token}, follow_redirects=True)


# ---- template -----------------------------------------------------------------------------------


def test_template_has_the_columns_drop_downs_and_rules(admin_client, app):
    with app.app_context():
        db.session.add(CustomFieldDef(entity="room", name="sea_grade", label="海景等级", field_type="choice",
                                      lookup_list_code="view", active=True, sort_order=1, required=False))
        db.session.add(CustomFieldDef(entity="room", name="note", label="备注", field_type="text",
                                      active=True, sort_order=2, required=True))
        db.session.commit()
    response = admin_client.get("/roomimport/template/%d" % project_id(app))
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    wb = openpyxl.load_workbook(io.BytesIO(response.data))
    assert wb.sheetnames == ["房间", "填写说明", "选项"]
    ws, lists = wb["房间"], wb["选项"]
    assert [c.value for c in ws[1]] == TITLES + ["海景等级", "备注"]
    assert ws.max_row == 1
    assert lists.sheet_state == "hidden"
    columns = {lists.cell(row=1, column=c).value: [lists.cell(row=r, column=c).value
                                                    for r in range(2, lists.max_row + 1)
                                                    if lists.cell(row=r, column=c).value is not None]
               for c in range(1, lists.max_column + 1)}
    assert columns["楼栋"] == ["1栋", "2栋"]
    assert columns["单元"] == ["1单元", "2单元"]
    assert columns["户型"] == ["A户型 三室两厅两卫", B, "C户型 四室两厅两卫"]
    assert columns["业态"] == ["住宅", "车位"]
    assert "南" in columns["朝向"] and "江景" in columns["景观"] and "精装" in columns["装修标准"]
    assert columns["海景等级"] == columns["景观"]
    validations = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    assert validations["A2:A20001"].formula1 == "'选项'!$A$2:$A$3"
    assert validations["B2:B20001"].type == "list"
    assert validations["F2:F20001"].formula1 == "'选项'!$C$2:$C$4"
    assert validations["G2:G20001"].formula1 == "'选项'!$D$2:$D$3"
    assert validations["P2:P20001"].type == "list"
    assert validations["K2:K20001"].type == "decimal"
    rules = [[c.value for c in row] for row in wb["填写说明"].iter_rows()]
    assert ["建筑面积", "是", "单位平方米，大于0，最多两位小数。"] in rules
    assert ["备注", "是", "自定义字段：文本。"] in rules
    assert any(r[0] and "不要合并单元格" in r[0] for r in rules)


# ---- a good import ------------------------------------------------------------------------------


def test_a_good_file_is_checked_then_imported_with_exact_rows(admin_client, app):
    with app.app_context():
        before = room_count()
    html = upload(admin_client, app, xlsx(GOOD)).get_data(as_text=True)
    assert "全部3行检查无误" in html and "导入3个房间" in html
    with app.app_context():
        job = last_job()
        assert (job.status, job.total_rows, job.error_count) == ("valid", 3, 0)
        assert room_count() == before  # nothing before the Import button
        job_id = job.id
    html = run_import(admin_client, job_id).get_data(as_text=True)
    assert "已向云璟花园导入3个房间" in html
    with app.app_context():
        assert room_count() == before + 3
        first = room("2栋-1单元-1003")
        assert (first.floor, first.number, first.layout.name, first.property_type.name) == (10, "1003", B, "住宅")
        assert (first.orientation.name, first.view.name, first.decoration.name) == ("南", "江景", "精装")
        assert (first.area_gross, first.area_inner, first.area_shared) == (D("89.50"), D("71.80"), D("17.70"))
        # No total given: 89.50 × 35000 rounded to the yuan (the project's rule).
        assert (first.list_unit_price, first.list_total_price, first.floor_price) == (
            D("35000.00"), D("3132500.00"), D("3000000.00"))
        assert first.status == "unreleased" and first.release_batch is None
        second = room("2栋-2单元-903")
        assert second.list_total_price == D("2983333.00")  # 89.50 × 33333.33 = 2983333.0035
        assert second.floor_price is None
        parking = room("2栋-P-B010")
        assert parking.unit is None and parking.floor == -1 and parking.property_type.code == "PARK"
        assert (parking.list_unit_price, parking.list_total_price) == (None, D("180000.00"))
        job = db.session.get(RoomImport, job_id)
        assert (job.status, job.imported_count, job.stored_path) == ("done", 3, None)
        logged = db.session.query(AuditLog).filter_by(table_name="room", row_id=str(first.id), action="insert").one()
        assert logged.username == "admin" and logged.changes["code"] == [None, "2栋-1单元-1003"]
    # Importing the same job twice is refused.
    html = run_import(admin_client, job_id).get_data(as_text=True)
    assert "此文件不能（再）导入" in html
    with app.app_context():
        assert room_count() == before + 3


def test_custom_fields_are_imported(admin_client, app):
    with app.app_context():
        db.session.add(CustomFieldDef(entity="room", name="sea_grade", label="海景等级", field_type="choice",
                                      lookup_list_code="view", active=True, sort_order=1, required=False))
        db.session.add(CustomFieldDef(entity="room", name="corner", label="边套", field_type="boolean",
                                      active=True, sort_order=2, required=False))
        db.session.commit()
        river = lookup("view", "江景").id
    rows = [GOOD[0] + ["江景", "是"], GOOD[1] + ["天空", "也许"]]
    html = upload(admin_client, app, xlsx(rows, TITLES + ["海景等级", "边套"])).get_data(as_text=True)
    assert "不是“海景等级”选项中的值，请从下拉列表中选择。" in html and "也许" in html
    with app.app_context():
        assert [(e["row"], e["column"], e["value"]) for e in last_job().errors] == [
            (3, "海景等级", "天空"), (3, "边套", "也许")]
    html = upload(admin_client, app, xlsx(rows[:1], TITLES + ["海景等级", "边套"])).get_data(as_text=True)
    with app.app_context():
        job_id = last_job().id
    run_import(admin_client, job_id)
    with app.app_context():
        assert room("2栋-1单元-1003").custom == {"sea_grade": river, "corner": True}


# ---- bad cells ----------------------------------------------------------------------------------


BAD = [
    # row 2: fine
    ["2栋", "1单元", 10, "1003", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, 35000, None, 3000000],
    # row 3: non-numeric gross, negative price
    ["2栋", "1单元", 10, "1004", None, B, "住宅", "南", "江景", "精装", "八十九", 71.8, -35000, None, None],
    # row 4: inner larger than gross
    ["2栋", "1单元", 10, "1005", None, B, "住宅", "南", "江景", "精装", 89.5, 95.2, None, None, None],
    # row 5: duplicate of row 2 inside the file
    ["2栋", "1单元", 10, "1003", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, None, None, None],
    # row 6: the code exists in the project
    ["1栋", "1单元", 10, "1001", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, None, None, None],
    # row 7: unknown building, layout and lookup
    ["9栋", "1单元", 3, "301", None, "Z户型", "住宅", "西北偏北", "江景", "精装", 89.5, 71.8, None, None, None],
    # row 8: unknown unit, floor above the building, unknown property type
    ["2栋", "5单元", 31, "3101", None, None, "别墅", None, None, None, 89.5, None, None, None, None],
    # row 9: required cells empty, floor 0 and not a whole number
    [None, None, 0, None, None, None, None, None, None, None, None, None, None, None, None],
    ["2栋", "1单元", "3楼", "3X2", None, None, "住宅", None, None, None, 89.555, 0, None, None, None],
]


def test_every_bad_cell_is_named_and_nothing_is_imported(admin_client, app):
    with app.app_context():
        before = room_count()
    html = upload(admin_client, app, xlsx(BAD)).get_data(as_text=True)
    with app.app_context():
        job = last_job()
        assert job.status == "invalid" and job.total_rows == 9
        found = {(e["row"], e["column"], e["value"], e["message"]) for e in job.errors}
        assert room_count() == before and job.stored_path is None
    expected = {
        (3, "建筑面积", "八十九", "不是数字。"),
        (3, "表价单价", "-35000", "不能为负数。"),
        (4, "套内面积", "95.2", "套内面积（95.20㎡）不能大于建筑面积（89.50㎡）。"),
        (5, "房间编码", "2栋-1单元-1003", "房间编码“2栋-1单元-1003”与本文件第2行重复。"),
        (6, "房间编码", "1栋-1单元-1001", "房间编码“1栋-1单元-1001”在本项目中已存在。"),
        (7, "楼栋", "9栋", "本项目没有这个楼栋。"),
        (7, "户型", "Z户型", "本项目没有这个户型。"),
        (7, "朝向", "西北偏北", "不是“朝向”选项中的值，请从下拉列表中选择。"),
        (8, "单元", "5单元", "“2栋”没有这个单元。"),
        (8, "业态", "别墅", "本项目没有这个业态。"),
        (9, "楼栋", "", "必填，不能为空。"),
        (9, "房号", "", "必填，不能为空。"),
        (9, "业态", "", "必填，不能为空。"),
        (9, "建筑面积", "", "必填，不能为空。"),
        (10, "楼层", "3楼", "楼层须为整数。"),
        (10, "建筑面积", "89.555", "最多两位小数。"),
        (10, "套内面积", "0", "套内面积必须大于零。"),
    }
    assert expected <= found, expected - found
    floor_errors = {(r, c) for r, c, _v, m in found if c == "楼层"}
    assert floor_errors == {(8, "楼层"), (10, "楼层")}
    assert any(r == 8 and c == "楼层" and "31" in v and "-1" in m and "10" in m for r, c, v, m in found)
    assert len(found) == job.error_count == 18, sorted(found - expected)
    # The page names them (row, column, value, reason) and offers no Import button.
    assert "2栋-1单元-1003" in html and "与本文件第2行重复" in html and "八十九" in html
    assert "18处错误" in html and "导入" in html and "loupan-import-run" not in html


def test_the_error_list_is_paged_and_capped(admin_client, app, monkeypatch):
    rows = [["2栋", "1单元", 5, "X%04d" % i, None, None, "住宅", None, None, None, "x", None, None, None, None]
            for i in range(1200)]
    html = upload(admin_client, app, xlsx(rows)).get_data(as_text=True)
    with app.app_context():
        job = last_job()
        assert job.error_count == 1200 and len(job.errors) == imports.MAX_STORED_ERRORS
    assert "1200处错误" in html and "下面列出前1000处" in html
    assert html.count("<td>不是数字。</td>") == 100
    page = admin_client.get("/roomimport/job/%d?page=10" % job.id).get_data(as_text=True)
    assert "<td>1001</td>" in page and page.count("<td>不是数字。</td>") == 100
    assert admin_client.get("/roomimport/job/%d?page=abc" % job.id).status_code == 200


def test_the_check_runs_a_fixed_number_of_queries(app):
    def count_queries(rows):
        path = app.config["LOUPAN_IMPORT_DIR"] + "/q.xlsx"
        open(path, "wb").write(xlsx(rows))
        statements = []
        listener = lambda *a, **k: statements.append(1)  # noqa: E731
        with app.test_request_context():
            sa.event.listen(db.engine, "before_cursor_execute", listener)
            try:
                records, errors, _count, _total = imports.read_rows(path, project())
            finally:
                sa.event.remove(db.engine, "before_cursor_execute", listener)
        assert not errors, errors
        return len(statements)

    def rows(n):
        return [["2栋", "1单元" if i % 2 else "2单元", 1 + i % 10, "9%03d" % i, None, B, "住宅", "南", "江景", "精装",
                 89.5, 71.8, 35000, None, None] for i in range(n)]

    assert count_queries(rows(5)) == count_queries(rows(200))


# ---- bad files ----------------------------------------------------------------------------------


def refused(client, app, data, filename, message):
    with app.app_context():
        before = room_count()
        jobs_before = db.session.query(RoomImport).count()
    html = upload(client, app, data, filename).get_data(as_text=True)
    assert message in html, flashes(html)
    with app.app_context():
        assert room_count() == before
        job = last_job()
        if db.session.query(RoomImport).count() > jobs_before:
            assert job.status == "failed" and message in job.message and job.stored_path is None
    return html


NOT_XLSX = "这不是Excel工作簿（.xlsx）文件"


def test_an_empty_file_is_refused(admin_client, app):
    refused(admin_client, app, b"", "rooms.xlsx", "文件是空的。")


def test_a_csv_random_bytes_and_other_files_are_refused(admin_client, app):
    csv = "楼栋,单元,楼层\n2栋,1单元,10\n".encode("utf-8")
    refused(admin_client, app, csv, "rooms.xlsx", NOT_XLSX)
    refused(admin_client, app, bytes(range(256)) * 40, "rooms.xlsx", NOT_XLSX)
    refused(admin_client, app, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "rooms.xls", NOT_XLSX)
    other_zip = io.BytesIO()
    with zipfile.ZipFile(other_zip, "w") as z:
        z.writestr("word/document.xml", "<w:document/>")
    refused(admin_client, app, other_zip.getvalue(), "rooms.xlsx", NOT_XLSX)
    broken = io.BytesIO()
    with zipfile.ZipFile(broken, "w") as z:
        z.writestr("xl/workbook.xml", "not xml at all")
    refused(admin_client, app, broken.getvalue(), "rooms.xlsx", NOT_XLSX)


def test_a_50_mb_file_is_refused_before_it_is_read(admin_client, app):
    html = refused(admin_client, app, b"\0" * (50 * 1024 * 1024), "rooms.xlsx",
                   "文件超过20 MB，请拆分成几个文件分别导入。")
    assert "data-error-code" not in html
    with app.app_context():
        assert db.session.query(RoomImport).count() == 0


def test_a_body_above_max_content_length_gets_a_message_not_an_error_page(admin_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "MAX_CONTENT_LENGTH", 1024 * 1024)
    token = form_token(admin_client, "/layoutview/add")
    response = admin_client.post("/layoutview/add", data={"csrf_token": token, "name": "X",
                                                         "floor_plan_upload": (io.BytesIO(b"\0" * 2 * 1024 * 1024),
                                                                               "plan.png")},
                                 content_type="multipart/form-data",
                                 headers={"Referer": "http://localhost/layoutview/add"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/layoutview/add")
    html = admin_client.get("/layoutview/add").get_data(as_text=True)
    assert "文件太大：最多只能上传1 MB。" in html


def test_missing_and_extra_columns_are_refused(admin_client, app):
    headers = [t for t in TITLES if t not in ("楼层", "建筑面积")] + ["销售备注"]
    rows = [[v for t, v in zip(TITLES, GOOD[0]) if t not in ("楼层", "建筑面积")] + ["x"]]
    html = refused(admin_client, app, xlsx(rows, headers), "rooms.xlsx", "缺少列：楼层、建筑面积。")
    assert "多出模板以外的列：销售备注。" in html
    refused(admin_client, app, xlsx([GOOD[0] + ["stray"]]), "rooms.xlsx", "第P列有数据但没有列标题（第2行）")
    refused(admin_client, app, xlsx([GOOD[0] + [1]], TITLES + ["楼层"]), "rooms.xlsx", "重复的列：楼层。")


def test_merged_cells_are_refused(admin_client, app):
    rows = [GOOD[0], ["2栋", "1单元", 10, "1004", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, None, None, None]]
    refused(admin_client, app, xlsx(rows, merge="A2:A3"), "rooms.xlsx",
            "工作表中有合并单元格（A2:A3）。请取消合并，并填写每个单元格。")


def test_more_rows_than_allowed_and_no_rows_are_refused(admin_client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_IMPORT_MAX_ROWS", 2)
    refused(admin_client, app, xlsx(GOOD), "rooms.xlsx", "文件超过2行，请拆分成几个文件分别导入。")
    refused(admin_client, app, xlsx([]), "rooms.xlsx", "文件中没有房间数据")
    refused(admin_client, app, xlsx([], headers=[None]), "rooms.xlsx", "第1行应为模板的列标题")


def test_no_file_or_no_project_is_refused(admin_client, app):
    pid = project_id(app)
    token = form_token(admin_client, "/roomimport/?project=%d" % pid)
    html = admin_client.post("/roomimport/upload?project=%d" % pid, data={"csrf_token": token, "project": str(pid)},
                             content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "请选择要上传的Excel文件。" in html
    html = admin_client.post("/roomimport/upload", data={"csrf_token": token, "project": "999999",
                                                         "file": (io.BytesIO(xlsx(GOOD)), "a.xlsx")},
                             content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "请选择要导入的项目。" in html
    html = admin_client.post("/roomimport/upload?project=%d" % pid, data={"project": str(pid),
                                                                         "file": (io.BytesIO(xlsx(GOOD)), "a.xlsx")},
                             content_type="multipart/form-data", follow_redirects=True).get_data(as_text=True)
    assert "表单已过期" in html or "过期" in html
    with app.app_context():
        assert db.session.query(RoomImport).count() == 0
    assert admin_client.get("/roomimport/job/999999").status_code == 404
    assert admin_client.get("/roomimport/template/999999").status_code == 404
    assert admin_client.get("/roomimport/?project=abc").status_code == 200


def test_the_status_endpoint_reports_progress(admin_client, app):
    upload(admin_client, app, xlsx(GOOD))
    with app.app_context():
        job_id = last_job().id
    data = admin_client.get("/roomimport/status/%d" % job_id).json
    assert data == {"id": job_id, "status": "valid", "total_rows": 3, "rows_processed": 3, "percent": 100,
                    "error_count": 0, "imported_count": 0, "message": None, "finished": True, "label": "可以导入"}


def test_a_room_added_meanwhile_makes_the_import_refuse_everything(admin_client, app):
    upload(admin_client, app, xlsx(GOOD))
    with app.app_context():
        job_id = last_job().id
        from app.inventory import services
        from tests.inventory.helpers import new_room
        services.add_room(new_room(building=building("2栋"), unit=db.session.query(Unit).filter_by(
            building_id=building("2栋").id, name="1单元").one(), floor=10, number="1003"))
        before = room_count()
    html = run_import(admin_client, job_id).get_data(as_text=True)
    assert "房间编码“2栋-1单元-1003”在本项目中已存在。" in html
    with app.app_context():
        assert room_count() == before and db.session.get(RoomImport, job_id).status == "invalid"


# ---- export round trip --------------------------------------------------------------------------


def test_export_uses_the_template_columns_and_honours_the_filter(admin_client, app):
    with app.app_context():
        second = building("2栋").id
    response = admin_client.get("/roomview/export/?_flt_0_building=%d" % second)
    assert response.status_code == 200
    ws = openpyxl.load_workbook(io.BytesIO(response.data))["房间"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == TITLES + ["项目", "状态"]
    assert len(rows) == 1 + 43  # 2栋: 2 units × 10 floors × 2 rooms + 3 parking spaces
    by_code = {r[4]: r for r in rows[1:]}
    assert by_code["2栋-1单元-1001"] == ["2栋", "1单元", 10, "1001", "2栋-1单元-1001", "A户型 三室两厅两卫", "住宅",
                                        "南", "江景", "精装", 118.6, 95.2, 34950, 4145070, 4020718, "云璟花园", "未推盘"]
    assert by_code["2栋-B001"][:4] == ["2栋", None, -1, "B001"]


def test_an_exported_file_comes_back_as_duplicates_or_edited_as_new_rooms(admin_client, app):
    with app.app_context():
        second = building("2栋")
        third = Building(project_id=second.project_id, phase_id=second.phase_id, name="3栋", floors_above=10,
                         floors_below=1, units_count=2, sort_order=30)
        db.session.add(third)
        db.session.flush()
        db.session.add_all([Unit(building_id=third.id, name="1单元", sort_order=10),
                            Unit(building_id=third.id, name="2单元", sort_order=20)])
        db.session.commit()
        second_id, before = second.id, room_count()
    exported = admin_client.get("/roomview/export/?_flt_0_building=%d" % second_id).data
    # As it is: every room is already there.
    upload(admin_client, app, exported)
    with app.app_context():
        job = last_job()
        assert job.status == "invalid" and job.error_count == 43
        assert {e["column"] for e in job.errors} == {"房间编码"}
        assert room_count() == before
    # Moved to 3栋 with the codes cleared: 43 new rooms, the same in every other respect.
    wb = openpyxl.load_workbook(io.BytesIO(exported))
    ws = wb["房间"]
    for row in ws.iter_rows(min_row=2):
        row[0].value = "3栋"
        row[4].value = None
    out = io.BytesIO()
    wb.save(out)
    upload(admin_client, app, out.getvalue())
    with app.app_context():
        job_id = last_job().id
        assert last_job().status == "valid"
    run_import(admin_client, job_id)
    with app.app_context():
        assert room_count() == before + 43
        copy, original = room("3栋-1单元-1001"), room("2栋-1单元-1001")
        for field in ("floor", "number", "layout_id", "property_type_id", "orientation_id", "view_id",
                      "decoration_id", "area_gross", "area_inner", "list_unit_price", "list_total_price",
                      "floor_price"):
            assert getattr(copy, field) == getattr(original, field), field
        assert copy.status == "unreleased" and room("3栋-B003").unit is None


def test_a_row_of_another_project_is_refused(admin_client, app):
    headers = TITLES + ["项目", "状态"]
    upload(admin_client, app, xlsx([GOOD[0] + ["翠湖天地", "待售"]], headers))
    with app.app_context():
        job = last_job()
        assert [(e["row"], e["column"], e["message"]) for e in job.errors] == [
            (2, "项目", "此行属于其他项目，不属于“云璟花园”。")]


# ---- rights -------------------------------------------------------------------------------------


def test_manager_may_import_and_sales_may_not(client, app):
    pid = project_id(app)
    assert login(client, "manager").status_code == 302
    assert client.get("/roomimport/?project=%d" % pid).status_code == 200
    assert client.get("/roomimport/template/%d" % pid).status_code == 200
    html = upload(client, app, xlsx(GOOD[:1])).get_data(as_text=True)
    assert "全部1行检查无误" in html
    client.get("/logout/")
    assert login(client, "sales").status_code == 302
    for url in ("/roomimport/?project=%d" % pid, "/roomimport/template/%d" % pid, "/roomimport/job/1",
                "/roomimport/status/1"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "/roomimport" not in response.headers.get("Location", "/login")
    with app.app_context():
        jobs = db.session.query(RoomImport).count()
        before = room_count()
    response = client.post("/roomimport/upload?project=%d" % pid,
                           data={"project": str(pid), "file": (io.BytesIO(xlsx(GOOD)), "a.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code in (302, 403)
    response = client.post("/roomimport/run/1")
    assert response.status_code in (302, 400, 403)
    with app.app_context():
        assert db.session.query(RoomImport).count() == jobs and room_count() == before
    # Sales see no import button on the room list; admins do.
    assert "Excel批量导入" not in client.get("/roomview/list/").get_data(as_text=True)


def test_the_room_list_links_to_the_import(admin_client):
    html = admin_client.get("/roomview/list/").get_data(as_text=True)
    assert "/roomimport/" in html and "Excel批量导入" in html


def test_the_import_reads_the_file_again_when_the_checked_rows_are_gone(admin_client, app, tmp_path):
    upload(admin_client, app, xlsx(GOOD))
    for leftover in tmp_path.glob("*.checked.json"):
        leftover.unlink()
    with app.app_context():
        job_id, before = last_job().id, room_count()
    assert "已向云璟花园导入3个房间" in run_import(admin_client, job_id).get_data(as_text=True)
    with app.app_context():
        assert room_count() == before + 3 and room("2栋-1单元-1003").area_gross == D("89.50")
    assert not list(tmp_path.iterdir())  # nothing left behind
