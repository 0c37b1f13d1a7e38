from app.extensions import db
from app.org import services
from app.org.models import Department
from app.core.errors import BusinessError
import pytest

from tests.conftest import form_token


def dept(code):
    return db.session.query(Department).filter_by(code=code).one()


def test_department_cannot_move_under_its_own_child(ctx):
    region = dept("HN")
    with pytest.raises(BusinessError) as err:
        services.move_department(region, dept("GZ-TH"))
    assert "华南区域公司" in str(err.value)
    db.session.rollback()
    assert dept("HN").parent.code == "GROUP"


def test_department_with_employees_cannot_be_deleted(ctx):
    with pytest.raises(BusinessError):
        services.delete_department(dept("SH-PD"))
    db.session.rollback()
    assert dept("SH-PD") is not None


def test_moving_to_own_subtree_is_refused_in_the_browser_form(admin_client, app):
    with app.app_context():
        hn, child = dept("HN").id, dept("GZ-TH").id
    url = "/departmentview/edit/%d" % hn
    token = form_token(admin_client, url)
    response = admin_client.post(url, data={
        "csrf_token": token, "name": "华南区域公司", "code": "HN", "kind": "company",
        "parent": str(child), "sort_order": "10", "active": "y",
    }, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "不能" in html or "cannot" in html
    with app.app_context():
        assert dept("HN").parent.code == "GROUP"


def test_delete_with_employees_is_refused_over_api(client, app):
    from tests.conftest import api_token
    headers = api_token(client, "admin")
    with app.app_context():
        pk = dept("SZ-QH").id
    response = client.delete("/api/v1/departments/%d" % pk, headers=headers)
    assert response.status_code == 422
    with app.app_context():
        assert db.session.get(Department, pk) is not None


def test_empty_department_can_be_deleted(ctx):
    empty = Department(code="TMP", name="临时组", kind="sales_team", parent=dept("HD"))
    db.session.add(empty)
    db.session.commit()
    services.delete_department(empty)
    assert db.session.query(Department).filter_by(code="TMP").first() is None


def test_department_can_be_deactivated_by_unticking_the_box(admin_client, app):
    with app.app_context():
        d = dept("HZ-BJ")
        pk, parent = d.id, d.parent_id
    url = "/departmentview/edit/%d" % pk
    response = admin_client.post(url, data={
        "csrf_token": form_token(admin_client, url), "name": "杭州滨江·锦园销售部", "code": "HZ-BJ",
        "kind": "sales_team", "parent": str(parent), "sort_order": "70",
    })
    assert response.status_code == 302
    with app.app_context():
        assert dept("HZ-BJ").active is False
