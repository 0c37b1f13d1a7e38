from app.core.context import acting_as
from app.core.models import AuditLog
from app.extensions import db
from app.org.models import Department, Employee
from tests.conftest import form_token


def entries(table, row_id):
    return (db.session.query(AuditLog)
            .filter_by(table_name=table, row_id=str(row_id)).order_by(AuditLog.id).all())


def test_insert_update_delete_are_recorded_with_before_and_after(ctx):
    with acting_as(name="tester"):
        dept = Department(code="AUD", name="审计测试组", kind="sales_team", sort_order=1, active=True)
        db.session.add(dept)
        db.session.commit()
        dept.name = "审计测试二组"
        db.session.commit()
        pk = dept.id
        db.session.delete(dept)
        db.session.commit()
    log = entries("department", pk)
    assert [e.action for e in log] == ["insert", "update", "delete"]
    assert log[0].changes["name"] == [None, "审计测试组"]
    assert log[1].changes == {"name": ["审计测试组", "审计测试二组"]}
    assert log[2].changes["code"] == ["AUD", None]
    assert all(e.username == "tester" for e in log)


def test_personal_data_is_masked_in_the_log(ctx):
    emp = db.session.query(Employee).filter_by(number="E1006").one()
    emp.phone = "13912345678"
    db.session.commit()
    change = entries("employee", emp.id)[-1].changes
    assert change["phone"][1] == "139****5678"
    assert "13912345678" not in str(change)
    assert "phone_hash" not in change or change["phone_hash"] == [None, None]


def test_log_is_append_only(ctx):
    entry = db.session.query(AuditLog).first()
    entry.username = "forged"
    try:
        db.session.commit()
        raised = False
    except PermissionError:
        raised = True
        db.session.rollback()
    assert raised
    assert db.session.query(AuditLog).filter_by(username="forged").count() == 0


def test_change_through_the_page_records_user_and_address(admin_client, app):
    with app.app_context():
        dept = db.session.query(Department).filter_by(code="HZ-BJ").one()
        pk, parent = dept.id, dept.parent_id
    url = "/departmentview/edit/%d" % pk
    response = admin_client.post(url, data={
        "csrf_token": form_token(admin_client, url), "name": "杭州滨江·锦园销售中心", "code": "HZ-BJ",
        "kind": "sales_team", "parent": str(parent), "sort_order": "70", "active": "y",
    })
    assert response.status_code == 302
    with app.app_context():
        last = entries("department", pk)[-1]
        assert last.username == "admin"
        assert last.client_address == "127.0.0.1"
        assert last.changes["name"] == ["杭州滨江·锦园销售部", "杭州滨江·锦园销售中心"]
    history = admin_client.get("/auditlogview/history/department/%d" % pk).get_data(as_text=True)
    assert "杭州滨江·锦园销售中心" in history
    detail = admin_client.get("/departmentview/show/%d" % pk).get_data(as_text=True)
    assert "/auditlogview/history/department/%d" % pk in detail


def test_audit_log_list_filters_and_has_no_edit(admin_client):
    page = admin_client.get("/auditlogview/list/?_flt_0_table_name=department")
    assert page.status_code == 200
    assert admin_client.get("/auditlogview/edit/1").status_code in (302, 403, 404)
    assert admin_client.get("/auditlogview/history/no_such_table/1").status_code == 404


def test_sales_cannot_read_audit_log(client):
    from tests.conftest import login
    login(client, "sales")
    response = client.get("/auditlogview/list/")
    assert response.status_code in (302, 403)
