import pytest

from app import create_app
from app.extensions import db
from tests.conftest import csrf_token, form_token, login


def test_login_page_is_chinese_by_default(client):
    page = client.get("/login/").get_data(as_text=True)
    assert "登录" in page
    assert 'name="csrf_token"' in page


def test_english_can_be_chosen(client):
    client.get("/lang/en")
    page = client.get("/login/").get_data(as_text=True)
    assert "Login" in page or "Sign In" in page


def test_wrong_password_is_refused(client):
    response = login(client, "admin", "wrong-password-1")
    assert response.status_code == 302
    assert client.get("/employeeview/list/").status_code in (302, 401, 403)


def test_form_without_csrf_token_changes_nothing(admin_client, app):
    from app.org.models import Department
    with app.app_context():
        pk = db.session.query(Department).filter_by(code="HD").one().id
    response = admin_client.post("/departmentview/edit/%d" % pk, data={"name": "被篡改", "code": "HD"})
    assert response.status_code == 400
    assert "表单" in response.get_data(as_text=True) or "form" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Department, pk).name == "华东区域公司"


@pytest.mark.parametrize("password", ["short1", "onlyletters", "12345678", "aaaa1111"])
def test_weak_passwords_are_refused(password):
    from flask_appbuilder.exceptions import PasswordComplexityValidationError
    from app.security import password_policy
    from flask import Flask
    from flask_babel import Babel
    app = Flask(__name__)
    Babel(app)
    with app.test_request_context():
        with pytest.raises(PasswordComplexityValidationError):
            password_policy(password)


def test_adding_a_user_with_a_weak_password_is_refused(admin_client, app):
    token = form_token(admin_client, "/users/add")
    with app.app_context():
        role = app.appbuilder.sm.find_role("置业顾问")
    response = admin_client.post("/users/add", data={
        "csrf_token": token, "first_name": "测", "last_name": "试", "username": "weak",
        "email": "weak@loupan.local", "active": "y", "roles": str(role.id),
        "password": "123", "conf_password": "123",
    })
    assert response.status_code == 200
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="weak") is None


def test_repeated_failed_logins_are_rate_limited(app, database_url):
    limited = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=database_url,
                         RATELIMIT_ENABLED=True, AUTH_RATE_LIMIT="3 per minute")
    client = limited.test_client()
    codes = []
    for _ in range(5):
        token = csrf_token(client.get("/login/").get_data(as_text=True))
        codes.append(client.post("/login/", data={"username": "admin", "password": "nope-1234",
                                                  "csrf_token": token}).status_code)
    assert codes[:3] == [302, 302, 302]
    assert codes[-1] == 429
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()


def test_api_login_works_without_csrf_and_api_is_protected(client):
    assert client.get("/api/v1/employees/").status_code == 401
    response = client.post("/api/v1/security/login",
                           json={"username": "admin", "password": "Admin12345", "provider": "db"})
    assert response.status_code == 200
    headers = {"Authorization": "Bearer " + response.json["access_token"]}
    assert client.get("/api/v1/employees/", headers=headers).status_code == 200


def test_openapi_document_is_served(client):
    from tests.conftest import api_token
    headers = api_token(client, "admin")
    spec = client.get("/api/v1/_openapi", headers=headers)
    assert spec.status_code == 200
    assert "/employees/" in spec.get_data(as_text=True)


def test_role_without_permission_gets_refused_over_api(client):
    from tests.conftest import api_token
    headers = api_token(client, "sales")
    assert client.get("/api/v1/employees/", headers=headers).status_code == 403


def test_unknown_record_is_a_clean_404(admin_client):
    response = admin_client.get("/employeeview/show/999999")
    assert response.status_code in (302, 404)
    response = admin_client.get("/no/such/page")
    assert response.status_code == 404
    assert "不存在" in response.get_data(as_text=True)


@pytest.mark.parametrize("url", ["/employeeview/show/99999999999", "/employeeview/edit/-1",
                                 "/customerview/show/1e9", "/api/v1/employees/99999999999",
                                 "/history/employee/99999999999999"])
def test_an_id_no_record_can_have_is_a_404(admin_client, url):
    """PostgreSQL refuses integers past 2**31-1: such ids must not reach the database."""
    response = admin_client.get(url)
    assert response.status_code == 404
    if url.startswith("/api/"):
        assert response.get_json()["message"]


def test_login_limit_is_shared_by_workers_through_redis(app, database_url):
    """Two app instances (two gunicorn workers) count failed logins together."""
    import uuid
    prefix = "loupan-test-" + uuid.uuid4().hex
    apps = [create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=database_url, RATELIMIT_ENABLED=True,
                       AUTH_RATE_LIMIT="3 per minute", RATELIMIT_STORAGE_URI="redis://127.0.0.1:6379/0",
                       RATELIMIT_KEY_PREFIX=prefix) for _ in range(2)]
    codes = []
    for i in range(4):
        client = apps[i % 2].test_client()
        token = csrf_token(client.get("/login/").get_data(as_text=True))
        codes.append(client.post("/login/", data={"username": "admin", "password": "nope-1234",
                                                  "csrf_token": token}).status_code)
    assert codes == [302, 302, 302, 429]
    for worker in apps:
        with worker.app_context():
            db.session.remove()
            db.engine.dispose()
