"""The approval detail page links to what the request is about (a kind's link() hook): an
employee transfer to the employee; the link is a button the template builds, never raw HTML from
the kind, and only safe URLs are kept."""
import datetime as dt

from flask import current_app

from app.core.services import approvals
from app.extensions import db
from app.org import approvals as org_approvals
from app.org.models import Department, Employee
from tests.conftest import login


def _transfer():
    manager = current_app.appbuilder.sm.find_user(username="manager")
    employee = db.session.query(Employee).filter_by(number="E1006").one()
    target = db.session.query(Department).filter_by(code="SZ-QH").one()
    req = org_approvals.request_transfer(manager, employee.id, target.id, dt.date(2026, 7, 1), "支援")
    return req.id, employee.id


def test_transfer_approval_page_links_to_the_employee(app):
    with app.app_context():
        req_id, employee_id = _transfer()
    client = app.test_client()
    login(client, "admin")
    html = client.get("/approvals/show/%d" % req_id).get_data(as_text=True)
    assert 'href="/employeeview/show/%d"' % employee_id in html
    assert "查看员工" in html
    assert client.get("/employeeview/show/%d" % employee_id).status_code == 200
    token = client.post("/api/v1/security/login", json={"username": "admin", "password": "Admin12345",
                                                       "provider": "db"}).get_json()["access_token"]
    data = client.get("/api/v1/approvals/%d" % req_id, headers={"Authorization": "Bearer " + token}).get_json()
    assert data["result"]["links"] == [{"label": "查看员工", "url": "/employeeview/show/%d" % employee_id}]


def test_unsafe_or_broken_links_are_dropped(app, ctx):
    req_id, _employee_id = _transfer()
    req = db.session.get(approvals.ApprovalRequest, req_id)
    kind = approvals.get_kind(req.kind)
    try:
        for answer, expected in [
                (("x", "javascript:alert(1)"), []), (("x", "//evil.example/"), []),
                ([("a", "/ok"), ("b", "data:text/html,x")], [("a", "/ok")]), (None, [])]:
            approvals.register_kind(kind.code, kind.label, kind.apply, kind.approver_roles, kind.describe,
                                    kind.validate, kind.scope, kind.on_close, link=lambda r, a=answer: a)
            assert approvals.links(req) == expected

        def broken(r):
            raise RuntimeError("bug")
        approvals.register_kind(kind.code, kind.label, kind.apply, kind.approver_roles, kind.describe,
                                kind.validate, kind.scope, kind.on_close, link=broken)
        assert approvals.links(req) == []
    finally:
        approvals.register_kind(kind.code, kind.label, kind.apply, kind.approver_roles, kind.describe,
                                kind.validate, kind.scope, kind.on_close, link=kind.link)
