import io

import pytest
from openpyxl import load_workbook

from app.core.errors import BusinessError
from app.core.models import CustomFieldDef, FieldLabel, LookupValue
from app.core.services import custom_fields as cf
from app.extensions import db
from app.org.models import Department, Employee
from tests.conftest import api_token, form_token


@pytest.fixture
def fields(app):
    with app.app_context():
        level = db.session.query(LookupValue).filter_by(list_code="customer_level").first()
        db.session.add_all([
            CustomFieldDef(entity="employee", name="wechat", label="微信号", field_type="text",
                           required=False, sort_order=1, show_in_list=True, active=True),
            CustomFieldDef(entity="employee", name="quota", label="月度指标(万元)", field_type="decimal",
                           required=True, sort_order=2, show_in_list=True, active=True),
            CustomFieldDef(entity="employee", name="rank", label="级别", field_type="choice",
                           lookup_list_code="customer_level", sort_order=3, show_in_list=False, active=True),
            CustomFieldDef(entity="employee", name="certified", label="持证上岗", field_type="boolean",
                           sort_order=4, active=True),
            CustomFieldDef(entity="employee", name="cert_date", label="取证日期", field_type="date",
                           sort_order=5, active=True),
        ])
        db.session.commit()
        return {"level_id": level.id, "level_name": level.name}


def employee(number):
    return db.session.query(Employee).filter_by(number=number).one()


def test_definition_name_rules(ctx):
    bad = CustomFieldDef(entity="employee", name="Bad Name", label="x", field_type="text")
    with pytest.raises(BusinessError):
        cf.validate_definition(bad)
    builtin = CustomFieldDef(entity="employee", name="position", label="x", field_type="text")
    with pytest.raises(BusinessError):
        cf.validate_definition(builtin)
    choice = CustomFieldDef(entity="employee", name="rank2", label="x", field_type="choice")
    with pytest.raises(BusinessError):
        cf.validate_definition(choice)


def test_clean_values_validates_types_and_required(ctx, fields):
    with pytest.raises(BusinessError):
        cf.clean_values("employee", {"wechat": "abc"})  # quota is required
    with pytest.raises(BusinessError):
        cf.clean_values("employee", {"quota": "not a number"})
    with pytest.raises(BusinessError):
        cf.clean_values("employee", {"quota": "1", "nonsense": 1})
    with pytest.raises(BusinessError):
        cf.clean_values("employee", {"quota": "1", "cert_date": "2026-13-45"})
    values = cf.clean_values("employee", {"quota": "120.50", "certified": "是", "cert_date": "2026-11-26",
                                          "rank": fields["level_id"]})
    assert values["quota"] == "120.50"
    assert values["certified"] is True
    assert values["cert_date"] == "2026-11-26"


def test_custom_fields_appear_in_forms_lists_and_detail(admin_client, app, fields):
    page = admin_client.get("/employeeview/add").get_data(as_text=True)
    assert 'name="cf_wechat"' in page and 'name="cf_quota"' in page and 'name="cf_rank"' in page
    with app.app_context():
        dept_id = db.session.query(Department).filter_by(code="GZ-TH").one().id
    token = form_token(admin_client, "/employeeview/add")
    data = {"csrf_token": token, "number": "E2001", "name": "测试员工", "department": str(dept_id),
            "status": "active", "cf_wechat": "wx_test", "cf_rank": str(fields["level_id"]),
            "cf_certified": "y", "cf_cert_date": "2026-11-20"}
    # quota is required: refused with the form re-shown, nothing saved
    response = admin_client.post("/employeeview/add", data=data)
    assert response.status_code == 200
    with app.app_context():
        assert db.session.query(Employee).filter_by(number="E2001").first() is None
    data["cf_quota"] = "88.8"
    response = admin_client.post("/employeeview/add", data=data, follow_redirects=True)
    assert response.status_code == 200
    with app.app_context():
        emp = employee("E2001")
        assert emp.custom == {"wechat": "wx_test", "quota": "88.8", "rank": fields["level_id"],
                              "certified": True, "cert_date": "2026-11-20"}
        pk = emp.id
    listing = admin_client.get("/employeeview/list/").get_data(as_text=True)
    assert "微信号" in listing and "wx_test" in listing
    detail = admin_client.get("/employeeview/show/%d" % pk).get_data(as_text=True)
    assert fields["level_name"] in detail and "2026-11-20" in detail
    edit = admin_client.get("/employeeview/edit/%d" % pk).get_data(as_text=True)
    assert 'value="wx_test"' in edit and 'value="2026-11-20"' in edit


def test_list_filter_on_custom_field(admin_client, app, fields):
    with app.app_context():
        emp = employee("E1006")
        emp.custom = {"wechat": "zhangwei88", "quota": "10"}
        db.session.commit()
    page = admin_client.get("/employeeview/list/?cf_wechat=zhangwei").get_data(as_text=True)
    assert "E1006" in page and "E1007" not in page
    page = admin_client.get("/employeeview/list/?cf_quota=abc").get_data(as_text=True)
    assert "E1006" not in page


def test_export_includes_custom_fields(admin_client, app, fields):
    with app.app_context():
        emp = employee("E1006")
        emp.custom = {"wechat": "zhangwei88", "quota": "10"}
        db.session.commit()
    response = admin_client.get("/employeeview/export/")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).active
    rows = list(sheet.values)
    assert "微信号" in rows[0]
    col = rows[0].index("微信号")
    assert any(r[col] == "zhangwei88" for r in rows[1:])
    numbers = [r[0] for r in rows[1:]]
    assert "E1006" in numbers and len(numbers) == 12


def test_api_reads_and_validates_custom(client, app, fields):
    headers = api_token(client, "admin")
    with app.app_context():
        pk = employee("E1006").id
    bad = client.put("/api/v1/employees/%d" % pk, json={"custom": {"quota": "abc"}}, headers=headers)
    assert bad.status_code == 422
    unknown = client.put("/api/v1/employees/%d" % pk, json={"custom": {"quota": "1", "x": 1}}, headers=headers)
    assert unknown.status_code == 422
    ok = client.put("/api/v1/employees/%d" % pk, json={"custom": {"quota": "66", "wechat": "wx"}}, headers=headers)
    assert ok.status_code == 200, ok.get_data(as_text=True)
    got = client.get("/api/v1/employees/%d" % pk, headers=headers).json["result"]
    assert got["custom"]["quota"] == "66" and got["custom"]["wechat"] == "wx"


def test_renamed_label_shows_in_list(admin_client, app):
    with app.app_context():
        db.session.add(FieldLabel(entity="employee", field="position", label="岗位职级"))
        db.session.commit()
    page = admin_client.get("/employeeview/list/").get_data(as_text=True)
    assert "岗位职级" in page


def test_field_with_data_cannot_be_deleted_or_retyped(ctx, fields):
    emp = employee("E1006")
    emp.custom = {"wechat": "abc", "quota": "1"}
    db.session.commit()
    defn = db.session.query(CustomFieldDef).filter_by(name="wechat").one()
    with pytest.raises(BusinessError):
        cf.check_definition_deletable(defn)
    defn.field_type = "integer"
    with pytest.raises(BusinessError):
        cf.check_definition_change(defn)
    db.session.rollback()


def test_lookup_value_used_by_custom_field_cannot_be_deleted(ctx, fields):
    from app.core.services import lookup
    emp = employee("E1006")
    emp.custom = {"rank": fields["level_id"], "quota": "1"}
    db.session.commit()
    value = db.session.get(LookupValue, fields["level_id"])
    with pytest.raises(BusinessError):
        lookup.check_value_deletable(value)
