"""The untranslated-English detector itself (no browser): what it flags and what it lets pass."""
import pytest

from tests.browser.i18n import PERMISSION_NAME, english_runs, offending


@pytest.mark.parametrize("text", [
    "Search", "Record Count: 8", "Add a new record", "OK", "Welcome, 陈志明", "Organisation chart",
    "Every hour(s)", "请选择 Department",
])
def test_interface_text_in_english_is_flagged(text):
    assert english_runs(text)


@pytest.mark.parametrize("text", [
    "Loupan 售楼管理", "导出到 Excel", "API 文档", "用户名将被用于数据库或LDAP认证", "A级（重点）", "时间",
    "2026-03-01 10:00:00", "第 1 页，共 3 页", "", "字段的内部名称，例如 position 或 hire_date。",
    "调度器尚未运行过。请用“flask scheduler run”启动。", "{% for x in list %}…{% endfor %} 循环，CSS 写在 head 中",
])
def test_chinese_interface_text_passes(text):
    assert not english_runs(text)


@pytest.mark.parametrize("text", [
    "admin", "manager@loupan.local", "GZ-TH", "E1001", "127.0.0.1", "::1", "Asia/Shanghai",
    "2026-03-02", "139****5678", "sales_team", "https://example.com/a b",
])
def test_user_data_in_cells_passes(text):
    assert not english_runs(text, data=True, known_data={"admin"})


@pytest.mark.parametrize("text", ["True", "None", "__None", "Regional company", "Yes/No", "Employed"])
def test_interface_words_in_cells_are_flagged(text):
    assert english_runs(text, data=True)


def test_fab_permission_names_are_identifiers():
    assert PERMISSION_NAME.match("can list on DepartmentView")
    assert PERMISSION_NAME.match("menu access on Organisation chart")
    assert not PERMISSION_NAME.match("Add a new record")


def test_offending_lists_each_string_once_with_where_it_was_seen():
    segments = [
        {"text": "Code", "kind": "text", "data": False, "hidden": True},
        {"text": "Code", "kind": "text", "data": False, "hidden": False},
        {"text": "Add", "kind": "screen-reader text", "data": False, "hidden": False},
        {"text": "True", "kind": "text", "data": True, "hidden": False},
        {"text": "华南区域公司", "kind": "text", "data": True, "hidden": False},
    ]
    found = offending(segments)
    assert [e["text"] for e in found] == ["Code", "Add", "True"]
    assert found[0]["notes"] == []          # visible somewhere: not "hidden"
    assert found[1]["notes"] == ["screen-reader text"]
    assert found[2]["notes"] == ["data"]
