"""Approvals (审批): the generic request life cycle, its rules, the browser pages and the API,
with the organisation's employee transfer as the real kind."""
import datetime as dt
import re

import pytest
import sqlalchemy as sa
from flask import current_app

from app.core import roles
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest, AuditLog, Notification
from app.core.services import approvals
from app.extensions import db
from app.org import approvals as org_approvals
from app.org.models import Department, Employee
from tests.conftest import api_token, form_token, login


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def emp(number):
    return db.session.query(Employee).filter_by(number=number).one()


def dept(code):
    return db.session.query(Department).filter_by(code=code).one()


def transfer(requester="manager", number="E1006", to="SZ-QH", reason="支援前海开盘"):
    return org_approvals.request_transfer(user(requester), emp(number).id, dept(to).id,
                                          dt.date(2026, 7, 1), reason)


def notes_of(name, after=0):
    """The user's notifications, oldest first; with `after`, only those newer than that id."""
    return (db.session.query(Notification).filter_by(user_id=user(name).id)
            .filter(Notification.id > after).order_by(Notification.id).all())


def last_note_id():
    """The newest notification so far (the demo data has some), to count only newer ones."""
    return db.session.query(sa.func.max(Notification.id)).scalar() or 0


def fresh(req_id):
    db.session.expire_all()
    return db.session.get(ApprovalRequest, req_id)


@pytest.fixture
def test_kinds(app):
    """Two extra kinds: one approved by managers (like discounts), one whose apply() changes
    a row and then refuses."""
    applied = []

    def apply_discount(req):
        applied.append(req.id)

    def apply_partial(req):
        employee = db.session.get(Employee, req.payload["employee_id"])
        employee.position = "CHANGED"
        db.session.flush()
        raise BusinessError("The price list changed meanwhile.")

    approvals.register_kind("test_discount", "Test discount", apply=apply_discount,
                            approver_roles=(roles.MANAGER,))
    approvals.register_kind("test_partial", "Test partial", apply=apply_partial,
                            approver_roles=(roles.MANAGER,))
    yield applied
    approvals._kinds.pop("test_discount", None)
    approvals._kinds.pop("test_partial", None)


# ---------------------------------------------------------------- services

def test_submit_notifies_admins_and_approval_moves_the_employee(ctx):
    baseline = last_note_id()
    req = transfer()
    assert req.status == "pending" and req.target_table == "employee"
    assert req.payload["from_department"] == "云璟销售一组"
    assert "张伟" in req.summary and "深圳前海·海悦项目部" in req.summary
    admin_notes = notes_of("admin", baseline)
    assert len(admin_notes) == 1 and admin_notes[0].link == "/approvals/show/%d" % req.id
    assert notes_of("manager", baseline) == [] and notes_of("sales", baseline) == []

    approvals.approve(req.id, user("admin"), "同意")
    req = fresh(req.id)
    assert req.status == "approved" and req.decider.username == "admin" and req.comment == "同意"
    assert req.decided_at is not None
    assert emp("E1006").department.code == "SZ-QH"

    # The audit log has the move, made by the approver.
    entry = (db.session.query(AuditLog)
             .filter_by(table_name="employee", row_id=str(emp("E1006").id), action="update")
             .order_by(AuditLog.id.desc()).first())
    assert entry is not None and entry.username == "admin"
    assert entry.changes["department_id"] == [dept("GZ-TH-S1").id, dept("SZ-QH").id]
    decision = (db.session.query(AuditLog)
                .filter_by(table_name="approval_request", row_id=str(req.id), action="update").first())
    assert decision.changes["status"] == ["pending", "approved"]
    # The requester hears about it.
    manager_notes = notes_of("manager", baseline)
    assert len(manager_notes) == 1 and "同意" in manager_notes[0].body
    assert manager_notes[0].link == "/approvals/show/%d" % req.id


def test_refusal_in_apply_rolls_back_everything_and_leaves_the_request_pending(ctx, test_kinds):
    e = emp("E1007")
    req = approvals.submit("test_partial", user("sales"), "employee", e.id, {"employee_id": e.id},
                           "test", None)
    with pytest.raises(BusinessError) as err:
        approvals.approve(req.id, user("manager"), "ok")
    assert "price list changed" in str(err.value)
    req = fresh(req.id)
    assert req.status == "pending" and req.decider_id is None and req.decided_at is None
    assert emp("E1007").position == "置业顾问"
    assert notes_of("sales") == []
    assert db.session.query(AuditLog).filter_by(table_name="employee", action="update").count() == 0


def test_transfer_rechecks_the_department_when_approved(ctx):
    req = transfer(to="HZ-BJ")
    target = dept("HZ-BJ")
    target.active = False
    db.session.commit()
    with pytest.raises(BusinessError) as err:
        approvals.approve(req.id, user("admin"))
    assert "锦园" in str(err.value)
    assert fresh(req.id).status == "pending"
    assert emp("E1006").department.code == "GZ-TH-S1"


def test_transfer_request_is_validated(ctx):
    before = db.session.query(ApprovalRequest).count()
    with pytest.raises(BusinessError):
        transfer(to="GZ-TH-S1")  # already there
    with pytest.raises(BusinessError):
        org_approvals.request_transfer(user("manager"), 99999, dept("HD").id, dt.date(2026, 7, 1))
    with pytest.raises(BusinessError):
        org_approvals.request_transfer(user("manager"), "x", dept("HD").id, dt.date(2026, 7, 1))
    with pytest.raises(BusinessError):
        org_approvals.request_transfer(user("manager"), emp("E1006").id, dept("HD").id, "not a date")
    assert db.session.query(ApprovalRequest).count() == before
    assert db.session.query(ApprovalRequest).filter_by(target_table="employee").count() == 0


def test_a_second_pending_request_for_the_same_target_is_refused(ctx):
    first = transfer()
    with pytest.raises(BusinessError):
        transfer(to="HD")
    approvals.reject(first.id, user("admin"), "人手不够")
    second = transfer(to="HD")
    assert second.status == "pending"


def test_the_database_refuses_a_second_pending_request_too(ctx):
    first = transfer()
    clone = ApprovalRequest(kind=first.kind, target_table="employee", target_id=first.target_id,
                            payload={}, summary="x", status="pending", requester_id=user("admin").id)
    db.session.add(clone)
    with pytest.raises(sa.exc.IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_reject_needs_a_comment(ctx):
    req = transfer()
    for empty in (None, "", "   "):
        with pytest.raises(BusinessError):
            approvals.reject(req.id, user("admin"), empty)
    assert fresh(req.id).status == "pending"
    approvals.reject(req.id, user("admin"), "编制已满")
    req = fresh(req.id)
    assert req.status == "rejected" and req.comment == "编制已满" and req.decider.username == "admin"
    assert emp("E1006").department.code == "GZ-TH-S1"
    note = notes_of("manager")[-1]
    assert "编制已满" in note.body and note.link == "/approvals/show/%d" % req.id


def test_a_decided_request_cannot_be_decided_again(ctx):
    req = transfer()
    approvals.approve(req.id, user("admin"))
    with pytest.raises(BusinessError):
        approvals.approve(req.id, user("admin"))
    with pytest.raises(BusinessError):
        approvals.reject(req.id, user("admin"), "晚了")
    with pytest.raises(BusinessError):
        approvals.withdraw(req.id, user("manager"))
    assert fresh(req.id).status == "approved"


def test_nobody_approves_their_own_request_not_even_an_admin(ctx):
    from app.core.services.setup import ensure_user
    req = transfer(requester="admin")
    with pytest.raises(BusinessError) as err:
        approvals.approve(req.id, user("admin"))
    assert "own" in str(err.value) or "自己" in str(err.value)
    with pytest.raises(BusinessError):
        approvals.reject(req.id, user("admin"), "no")
    assert req.id not in [r.id for r in approvals.pending_for(user("admin"))]
    second, _created = ensure_user("admin2", "二", "管理员", "admin2@loupan.local", [roles.ADMIN], "Admin12345")
    db.session.commit()
    assert req.id in [r.id for r in approvals.pending_for(second)]
    approvals.approve(req.id, second)
    assert fresh(req.id).status == "approved"


def test_only_the_requester_withdraws(ctx):
    req = transfer()
    with pytest.raises(BusinessError):
        approvals.withdraw(req.id, user("admin"))
    approvals.withdraw(req.id, user("manager"))
    assert fresh(req.id).status == "withdrawn"
    with pytest.raises(BusinessError):
        approvals.withdraw(req.id, user("manager"))
    with pytest.raises(BusinessError):
        approvals.approve(req.id, user("admin"))


def test_sales_cannot_approve_and_managers_approve_only_their_kinds(ctx, test_kinds):
    baseline = last_note_id()
    transfer_req = transfer()
    discount = approvals.submit("test_discount", user("sales"), "deal", 1, {"rate": "0.95"}, "95折", "老客户")
    with pytest.raises(BusinessError):
        approvals.approve(discount.id, user("sales"))  # own request
    other = approvals.submit("test_discount", user("finance"), "deal", 2, {"rate": "0.9"}, "9折", None)
    with pytest.raises(BusinessError):
        approvals.approve(other.id, user("sales"))  # not an approver
    with pytest.raises(BusinessError):
        approvals.approve(transfer_req.id, user("manager"))  # transfers are for admins
    assert approvals.pending_for(user("sales")) == []
    assert {r.id for r in approvals.pending_for(user("manager"))} == {discount.id, other.id}
    assert {r.id for r in approvals.pending_for(user("admin"))} == {transfer_req.id, discount.id, other.id}
    # Managers were told about the discounts, not about the transfer.
    assert {n.link for n in notes_of("manager", baseline)} == {"/approvals/show/%d" % discount.id,
                                                     "/approvals/show/%d" % other.id}
    approvals.approve(discount.id, user("manager"), "可以")
    assert test_kinds == [discount.id]
    assert fresh(other.id).status == "pending"


def test_remind_overdue_is_idempotent(ctx):
    old = transfer()
    young = transfer(number="E1007", to="HD")
    db.session.execute(sa.update(ApprovalRequest).where(ApprovalRequest.id == old.id)
                       .values(created_at=dt.datetime.utcnow() - dt.timedelta(hours=30)))
    db.session.commit()
    before = len(notes_of("admin"))
    assert approvals.remind_overdue(24) == 1
    assert approvals.remind_overdue(24) == 0
    admin_notes = notes_of("admin")
    assert len(admin_notes) == before + 1 and admin_notes[-1].link == "/approvals/show/%d" % old.id
    assert fresh(old.id).reminded_at is not None and fresh(young.id).reminded_at is None
    # A day later it is due again.
    db.session.execute(sa.update(ApprovalRequest).where(ApprovalRequest.id == old.id)
                       .values(reminded_at=dt.datetime.utcnow() - dt.timedelta(hours=25)))
    db.session.commit()
    assert approvals.remind_overdue(24) == 1
    # Decided requests are never reminded.
    approvals.approve(old.id, user("admin"))
    db.session.execute(sa.update(ApprovalRequest).values(
        created_at=dt.datetime.utcnow() - dt.timedelta(hours=50), reminded_at=None))
    db.session.commit()
    assert approvals.remind_overdue(24) == 1  # only the young one
    with pytest.raises(ValueError):
        approvals.remind_overdue(0)


def test_two_approvers_at_the_same_instant_decide_once(app, test_kinds):
    """The request row is locked (SELECT ... FOR UPDATE): the second approver waits, then
    finds the request decided. SQLite serialises writers itself, so this runs on PostgreSQL."""
    import threading
    import time

    with app.app_context():
        if db.engine.dialect.name != "postgresql":
            pytest.skip("row locks are a PostgreSQL matter")
        slow = approvals.get_kind("test_discount")
        req_id = approvals.submit("test_discount", user("sales"), "deal", 7, {}, "慢审批", None).id

    def apply_slowly(req):
        test_kinds.append(req.id)
        time.sleep(0.5)

    approvals.register_kind("test_discount", slow.label, apply=apply_slowly, approver_roles=slow.approver_roles)
    outcomes = []

    def decide(name):
        with app.app_context():
            try:
                approvals.approve(req_id, user(name), name)
                outcomes.append("approved")
            except BusinessError as e:
                outcomes.append(str(e))
            finally:
                db.session.remove()

    threads = [threading.Thread(target=decide, args=(n,)) for n in ("manager", "admin")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert len(outcomes) == 2 and outcomes.count("approved") == 1, outcomes
    assert test_kinds == [req_id]


# ---------------------------------------------------------------- browser

def _new_client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _request_id(location):
    return int(re.search(r"/approvals/show/(\d+)", location).group(1))


def test_transfer_requested_and_approved_in_the_browser(app):
    with app.app_context():
        employee_id, target_id = emp("E1009").id, dept("HD").id
    manager = _new_client(app, "manager")
    url = "/employeetransfer/request/"
    page = manager.get(url + "?employee=%d" % employee_id)
    assert page.status_code == 200
    token = form_token(manager, url)
    response = manager.post(url, data={"csrf_token": token, "employee": str(employee_id),
                                       "to_department": str(target_id), "effective_date": "2026-08-01",
                                       "reason": "华东支援"})
    assert response.status_code == 302, response.get_data(as_text=True)
    req_id = _request_id(response.headers["Location"])
    mine = manager.get("/approvals/mine/").get_data(as_text=True)
    assert 'data-request-id="%d"' % req_id in mine
    detail = manager.get("/approvals/show/%d" % req_id).get_data(as_text=True)
    assert "周杰" in detail and "华东区域公司" in detail and "loupan-approve" not in detail
    assert "loupan-withdraw" in detail

    admin = _new_client(app, "admin")
    inbox = admin.get("/approvals/inbox/").get_data(as_text=True)
    assert 'data-request-id="%d"' % req_id in inbox
    detail = admin.get("/approvals/show/%d" % req_id).get_data(as_text=True)
    assert "loupan-approve" in detail and "loupan-reject" in detail and "2026-08-01" in detail
    token = form_token(admin, "/approvals/show/%d" % req_id)
    # Rejecting without a comment is refused with a message and changes nothing.
    refused = admin.post("/approvals/reject/%d" % req_id, data={"csrf_token": token, "comment": ""},
                         follow_redirects=True)
    assert refused.status_code == 200 and 'data-status="pending"' in refused.get_data(as_text=True)
    done = admin.post("/approvals/approve/%d" % req_id, data={"csrf_token": token, "comment": "同意"})
    assert done.status_code == 302
    with app.app_context():
        assert emp("E1009").department.code == "HD"
        assert db.session.get(ApprovalRequest, req_id).status == "approved"
    # The requester sees the outcome.
    assert 'data-status="approved"' in manager.get("/approvals/show/%d" % req_id).get_data(as_text=True)


def test_refusal_from_apply_is_shown_in_the_browser(app):
    with app.app_context():
        req_id = transfer(to="HZ-BJ").id
        dept("HZ-BJ").active = False
        db.session.commit()
    admin = _new_client(app, "admin")
    token = form_token(admin, "/approvals/show/%d" % req_id)
    page = admin.post("/approvals/approve/%d" % req_id, data={"csrf_token": token}, follow_redirects=True)
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "锦园" in html and 'data-status="pending"' in html


def test_who_sees_what_in_the_browser(app):
    with app.app_context():
        req_id = transfer().id
    sales = _new_client(app, "sales")
    assert sales.get("/approvals/inbox/").status_code == 200
    assert sales.get("/approvals/mine/").status_code == 200
    assert sales.get("/approvals/show/%d" % req_id).status_code == 404
    token = form_token(sales, "/notifications/list/")
    assert sales.post("/approvals/approve/%d" % req_id, data={"csrf_token": token}).status_code == 404
    assert sales.post("/approvals/withdraw/%d" % req_id, data={"csrf_token": token}).status_code == 404
    assert sales.get("/approvalrequestview/list/").status_code == 403
    assert sales.get("/employeetransfer/request/").status_code == 403
    assert sales.get("/approvals/show/99999").status_code == 404
    assert sales.get("/approvals/show/abc").status_code == 404

    manager = _new_client(app, "manager")
    listing = manager.get("/approvalrequestview/list/")
    assert listing.status_code == 200 and "张伟" in listing.get_data(as_text=True)
    assert manager.get("/approvalrequestview/show/%d" % req_id).status_code == 302
    # The manager asked but may not decide a transfer: no decision forms, and a POST is refused.
    detail = manager.get("/approvals/show/%d" % req_id).get_data(as_text=True)
    assert "loupan-approve" not in detail
    token = form_token(manager, "/notifications/list/")
    manager.post("/approvals/approve/%d" % req_id, data={"csrf_token": token})
    with app.app_context():
        assert db.session.get(ApprovalRequest, req_id).status == "pending"
    # The menu shows the Approvals category to every role.
    home = sales.get("/").get_data(as_text=True)
    assert "/approvals/inbox/" in home and "/approvals/mine/" in home


def test_withdraw_in_the_browser(app):
    with app.app_context():
        req_id = transfer().id
    manager = _new_client(app, "manager")
    token = form_token(manager, "/approvals/show/%d" % req_id)
    assert manager.post("/approvals/withdraw/%d" % req_id, data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert db.session.get(ApprovalRequest, req_id).status == "withdrawn"


# ---------------------------------------------------------------- API

def test_api_approve_with_jwt(client, app):
    with app.app_context():
        req_id = transfer().id
    admin = api_token(client, "admin")
    inbox = client.get("/api/v1/approvals/inbox", headers=admin)
    assert inbox.status_code == 200 and [r["id"] for r in inbox.json["result"]] == [req_id]
    one = client.get("/api/v1/approvals/%d" % req_id, headers=admin)
    assert one.status_code == 200 and one.json["result"]["details"][0]["value"].startswith("张伟")

    response = client.post("/api/v1/approvals/%d/approve" % req_id, headers=admin, json={"comment": "同意"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.json["result"]["status"] == "approved"
    with app.app_context():
        assert emp("E1006").department.code == "SZ-QH"
        entry = db.session.query(AuditLog).filter_by(table_name="employee", action="update").one()
        assert entry.username == "admin"
    again = client.post("/api/v1/approvals/%d/approve" % req_id, headers=admin, json={})
    assert again.status_code == 422 and again.json["message"]
    assert client.post("/api/v1/approvals/99999/approve", headers=admin, json={}).status_code == 404
    assert client.post("/api/v1/approvals/abc/approve", headers=admin, json={}).status_code == 404


def test_api_refusals_and_bad_input(client, app):
    with app.app_context():
        req_id = transfer().id
    admin = api_token(client, "admin")
    sales = api_token(client, "sales")
    manager = api_token(client, "manager")
    url = "/api/v1/approvals/%d" % req_id
    # Someone who may not see it gets 404, whatever they try.
    for action in ("approve", "reject", "withdraw"):
        assert client.post(url + "/" + action, headers=sales, json={"comment": "x"}).status_code == 404
    assert client.get(url, headers=sales).status_code == 404
    assert client.get("/api/v1/approvals/inbox", headers=sales).json["result"] == []
    # Business refusals: 422 with the message.
    no_comment = client.post(url + "/reject", headers=admin, json={})
    assert no_comment.status_code == 422 and no_comment.json["message"]
    assert client.post(url + "/withdraw", headers=admin).status_code == 422
    assert client.post(url + "/approve", headers=manager, json={}).status_code == 422  # own request
    # Bad input: 400, never 500.
    assert client.post(url + "/reject", headers=admin, json={"comment": 5}).status_code == 400
    assert client.post(url + "/reject", headers=admin, json=["x"]).status_code == 400
    assert client.post(url + "/reject", headers=admin, data="{not json",
                       content_type="application/json").status_code == 400
    assert client.get("/api/v1/approvals/mine?page=x", headers=manager).status_code == 400
    assert client.get("/api/v1/approvals/mine?status=nope", headers=manager).status_code == 400
    mine = client.get("/api/v1/approvals/mine?status=pending", headers=manager)
    assert mine.status_code == 200 and mine.json["count"] == 1
    # Without a token: 401.
    assert client.post(url + "/approve", json={}).status_code == 401
    with app.app_context():
        assert db.session.get(ApprovalRequest, req_id).status == "pending"
    # Reject with a comment, then the requester withdraws nothing any more.
    done = client.post(url + "/reject", headers=admin, json={"comment": "预算不足"})
    assert done.status_code == 200 and done.json["result"]["status"] == "rejected"
    assert client.post(url + "/withdraw", headers=manager).status_code == 422
