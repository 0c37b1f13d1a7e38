import sqlalchemy as sa

from app.core import crypto
from app.extensions import db
from app.org import services
from app.org.models import Employee
from tests.conftest import api_token, login


def test_mask_formats():
    assert crypto.mask("13812341234") == "138****1234"
    assert crypto.mask("440106198506152312") == "4401**********2312"
    assert crypto.mask("138 1234 1234") == "138****1234"
    assert crypto.mask("") == ""


def test_phone_is_encrypted_at_rest_and_searchable(ctx):
    raw = db.session.execute(sa.text("SELECT phone, phone_hash FROM employee WHERE number = 'E1006'")).one()
    assert "13800138006" not in raw.phone
    assert raw.phone_hash == crypto.blind_index("13800138006")
    found = services.find_employee_by_phone("138-0013-8006")
    assert [e.number for e in found] == ["E1006"]


def test_hash_follows_a_changed_phone(ctx):
    emp = db.session.query(Employee).filter_by(number="E1006").one()
    emp.phone = "13700000000"
    db.session.commit()
    assert services.find_employee_by_phone("13700000000")[0].number == "E1006"
    assert services.find_employee_by_phone("13800138006") == []


def test_admin_sees_full_phone_and_a_role_without_the_right_sees_it_masked(client, app):
    from app.core import roles
    from app.core.personal_data import PERMISSION, VIEW_MENU
    login(client, "admin", "Admin12345")
    page = client.get("/employeeview/list/").get_data(as_text=True)
    assert "13800138006" in page
    # A role that may list employees but lacks the personal-data right sees masks.
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role(roles.MANAGER)
        pv = sm.find_permission_view_menu(PERMISSION, VIEW_MENU)
        role.permissions.remove(pv)
        db.session.commit()
    other = app.test_client()
    login(other, "manager")
    page = other.get("/employeeview/list/").get_data(as_text=True)
    assert "138****8006" in page and "13800138006" not in page
    headers = api_token(other, "manager")
    rows = other.get("/api/v1/employees/", headers=headers).json["result"]
    assert all("****" in r["phone"] for r in rows if r["phone"])
    assert all("*" in r["id_number"] for r in rows if r["id_number"])
