"""批量导入 in Chromium: from the room list to the import page, download the project's template,
fill it with openpyxl, upload it, read the named errors, fix them, import, see the rooms.
The check and the import run in their background thread and the page polls for the result.
Screenshots: tests/artifacts/import-*.png."""
import openpyxl

from tests.browser.conftest import login_as, shot
from tests.browser.test_paths import alerts, no_errors

B = "B户型 两室两厅一卫"


def wait_for_result(page):
    """The job page reloads itself when the background work is over."""
    page.wait_for_selector(".loupan-import-job:not([data-status=validating]):not([data-status=importing])",
                           timeout=60_000)


def test_manager_imports_rooms_from_the_template(page, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_IMPORT_DIR", str(tmp_path / "uploads"))
    login_as(page, "manager")

    # From the room list to the import page.
    page.goto("/roomview/list/")
    with page.expect_navigation():
        page.click("a.loupan-list-link[href*='/roomimport/']")
    with page.expect_navigation():
        page.select_option("#project", label="云璟花园 (GZ-YJ)")
    shot(page, "import-upload-page")
    no_errors(page)

    # The template, with its drop-down lists.
    with page.expect_download() as download:
        page.click("a.loupan-import-template")
    template = tmp_path / "template.xlsx"
    download.value.save_as(template)
    wb = openpyxl.load_workbook(template)
    ws = wb["房间"]
    assert [c.value for c in ws[1]][:4] == ["楼栋", "单元", "楼层", "房号"]
    assert "2栋" in [c.value for c in wb["选项"]["A"]]
    ws.append(["2栋", "1单元", 10, "1003", None, B, "住宅", "南", "江景", "精装", 89.5, 95.8, 35000, None, None])
    ws.append(["2栋", "2单元", 10, "1003", None, "D户型", "住宅", "南", "江景", "精装", 89.5, 71.8, 35000, None, None])
    ws.append(["2栋", "2单元", 12, "1203", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, 35000, None, None])
    filled = tmp_path / "云璟花园-加推.xlsx"
    wb.save(filled)

    # Upload: the check names every bad cell, nothing is imported.
    page.set_input_files("#file", str(filled))
    with page.expect_navigation():
        page.click("form.loupan-import-upload button[type=submit]")
    wait_for_result(page)
    shot(page, "import-preview-with-errors")
    assert page.get_attribute(".loupan-import-job", "data-status") == "invalid"
    rows = page.eval_on_selector_all("table.loupan-import-errors tbody tr",
                                     "trs => trs.map(tr => Array.from(tr.cells).map(td => td.innerText.trim()))")
    assert ["2", "套内面积", "95.8", "套内面积（95.80㎡）不能大于建筑面积（89.50㎡）。"] in rows, rows
    assert ["3", "户型", "D户型", "本项目没有这个户型。"] in rows, rows
    assert ["4", "楼层", "12", "12 层不在“2栋”的楼层范围内（-1 层到 10 层，没有 0 层）。"] in rows, rows
    assert len(rows) == 3
    assert not page.locator("form.loupan-import-run").count()

    # Fixed: the check passes and offers the Import button.
    ws.delete_rows(2, 3)
    ws.append(["2栋", "1单元", 10, "1003", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, 35000, None, None])
    ws.append(["2栋", "2单元", 10, "1003", None, "C户型 四室两厅两卫", "住宅", "东南", "园林景观", "精装", 142.3,
               114.6, 36000, None, 4950000])
    ws.append(["2栋", "2单元", 9, "903", None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, 35000, None, None])
    wb.save(filled)
    with page.expect_navigation():
        page.click("a:has-text('上传另一个文件')")
    page.set_input_files("#file", str(filled))
    with page.expect_navigation():
        page.click("form.loupan-import-upload button[type=submit]")
    wait_for_result(page)
    shot(page, "import-preview-ready")
    assert page.get_attribute(".loupan-import-job", "data-status") == "valid"
    assert "全部3行检查无误" in page.inner_text(".loupan-import-summary")

    with page.expect_navigation():
        page.click("form.loupan-import-run button[type=submit]")
    wait_for_result(page)
    shot(page, "import-done")
    assert page.get_attribute(".loupan-import-job", "data-status") == "done"
    assert "已向云璟花园导入3个房间" in page.inner_text(".loupan-import-summary")
    assert not alerts(page)

    # The rooms are there, unreleased, with the total computed by the project's rule.
    with page.expect_navigation():
        page.click("a:has-text('查看房间')")
    project_rooms = page.url  # the list filtered on the project
    page.goto(project_rooms + "&_flt_0_code=2栋-2单元-1003")
    shot(page, "import-rooms-in-the-list")
    no_errors(page)
    body = page.inner_text("body")
    assert "2栋-2单元-1003" in body and "142.30㎡" in body and "¥5,122,800.00" in body and "未推盘" in body
    page.goto(project_rooms + "&_flt_0_code=2栋-1单元-1003")
    assert "¥3,132,500.00" in page.inner_text("body")


def test_a_large_file_shows_a_progress_bar(page, app, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_IMPORT_DIR", str(tmp_path / "uploads"))
    login_as(page, "admin")
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "房间"
    ws.append(["楼栋", "单元", "楼层", "房号", "房间编码", "户型", "业态", "朝向", "景观", "装修标准", "建筑面积", "套内面积",
               "表价单价", "表价总价", "底价"])
    for i in range(8000):
        ws.append(["2栋", "1单元", 1 + i % 10, "X%04d" % i, None, B, "住宅", "南", "江景", "精装", 89.5, 71.8, 35000,
                   None, None])
    big = tmp_path / "big.xlsx"
    wb.save(big)
    page.goto("/roomimport/")
    with page.expect_navigation():
        page.select_option("#project", label="云璟花园 (GZ-YJ)")
    page.set_input_files("#file", str(big))
    with page.expect_navigation():
        page.click("form.loupan-import-upload button[type=submit]")
    # Read the progress bar in one step: on a busy machine the check may finish (and the page move
    # on to the result) at any moment.
    progress = page.evaluate("() => { const el = document.querySelector('.loupan-import-progress');"
                             " return el && el.querySelector('.progress-bar') ? el.innerText : null; }")
    if progress is not None:
        shot(page, "import-progress")
        assert "正在检查" in progress
    wait_for_result(page)
    shot(page, "import-large-ready")
    assert page.get_attribute(".loupan-import-job", "data-status") == "valid"
    assert "全部8000行检查无误" in page.inner_text(".loupan-import-summary")
