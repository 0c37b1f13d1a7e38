"""Complaints and service requests (投诉/客户服务): recorded, assigned (and told), worked on,
resolved and closed with the customer's satisfaction, reopened; scoped like customers (service
staff see all); and the supervisor's team view of overdue follow-ups."""
import datetime as dt
import logging
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask import g
from flask_login import login_user

from app.core.errors import BusinessError
from app.core.models import LookupValue, Notification
from app.crm.models import Customer, FollowUp, ServiceRequest, ServiceRequestNote
from app.crm.services import service_requests as service
from app.crm.services import team
from app.extensions import db
from tests.conftest import api_token, form_token, login
from tests.crm.helpers import employee, one_customer_of, project, today


@contextmanager
def acting(app, username):
    """A request of this user (services read who acts and what they may do from it)."""
    with app.test_request_context():
        # The tests' app context (and its g) outlives this request: forget what the last user
        # was allowed (a real request starts afresh).
        for key in [k for k in vars(g) if k.startswith("_loupan")]:
            g.pop(key)
        user = app.appbuilder.sm.find_user(username=username)
        login_user(user)
        g.user = user
        yield user


def complaint_type(name="工程质量"):
    return db.session.query(LookupValue).filter_by(list_code="complaint_type", name=name).one()


def service_type(name="产权证办理"):
    return db.session.query(LookupValue).filter_by(list_code="service_type", name=name).one()


def counts():
    return db.session.query(ServiceRequest).count(), db.session.query(ServiceRequestNote).count()


def record_for(app, username, customer, **kw):
    values = dict(kind="complaint", type_id=complaint_type().id, content="客户反映卫生间渗水", urgency="high")
    values.update(kw)
    with acting(app, username):
        item = service.record(customer.id, values.pop("kind"), values.pop("type_id"), values.pop("content"), **values)
        return item.id


def notes_of(pk):
    return [n.action for n in db.session.query(ServiceRequestNote).filter_by(request_id=pk)
            .order_by(ServiceRequestNote.id)]


# ---- the rules ------------------------------------------------------------------------------

def test_service_types_are_an_editable_lookup_list(app, ctx):
    names = [v.name for v in db.session.query(LookupValue).filter_by(list_code="service_type")]
    assert "产权证办理" in names and "维修报修" in names


def test_demo_has_requests_in_every_status_with_their_notes(app, ctx):
    statuses = dict(db.session.query(ServiceRequest.status, sa.func.count()).group_by(ServiceRequest.status).all())
    assert set(statuses) == {"open", "assigned", "in_progress", "resolved", "closed"}
    closed = db.session.query(ServiceRequest).filter_by(status="closed").all()
    assert all(r.satisfaction and r.closed_at for r in closed)
    assert all(notes_of(r.id)[-1] == "close" for r in closed)


def test_service_staff_record_for_any_customer_and_the_owner_is_told(app, ctx):
    customer = one_customer_of("E1009")            # 周杰's customer, in Shenzhen
    owner_user = customer.owner.user_id
    pk = record_for(app, "service", customer, project_id=project("SZ-HY").id)
    item = db.session.get(ServiceRequest, pk)
    assert item.status == "open" and item.received_by.number == "E1005" and item.project.code == "SZ-HY"
    assert notes_of(pk) == ["record"]
    if owner_user:
        assert db.session.query(Notification).filter_by(user_id=owner_user).count() >= 1


def test_whole_path_assign_start_note_resolve_close_reopen(app, ctx):
    customer = one_customer_of("E1003")
    pk = record_for(app, "service", customer)
    sales_user = employee("E1003").user_id
    before = db.session.query(Notification).filter_by(user_id=sales_user).count()
    with acting(app, "service"):
        item = db.session.get(ServiceRequest, pk)
        service.assign(item, employee("E1003").id)
        assert item.status == "assigned" and item.assigned_to.number == "E1003" and item.assigned_at
    notes = db.session.query(Notification).filter_by(user_id=sales_user).order_by(Notification.id.desc()).all()
    assert len(notes) == before + 1 and notes[0].link == "/servicerequestview/show/%d" % pk
    with acting(app, "sales"):                        # the assignee
        item = db.session.get(ServiceRequest, pk)
        assert "start" in service.actions_for(item) and "close" not in service.actions_for(item)
        service.start(item)
        service.add_note(item, "已联系工程部，周三上门查看")
        service.resolve(item, "更换防水层，客户确认不再渗水")
        assert item.status == "resolved" and item.resolved_at
    with acting(app, "service"):
        item = db.session.get(ServiceRequest, pk)
        for bad in (None, "", "0", "6", "很好"):
            with pytest.raises(BusinessError):
                service.close(item, bad)
            db.session.rollback()
        item = db.session.get(ServiceRequest, pk)
        assert item.status == "resolved" and item.satisfaction is None
        service.close(item, "4", "客户满意")
        assert item.status == "closed" and item.satisfaction == 4 and item.closed_at
        with pytest.raises(BusinessError):
            service.add_note(item, "补充")            # closed: reopen first
        db.session.rollback()
        item = db.session.get(ServiceRequest, pk)
        with pytest.raises(BusinessError):
            service.reopen(item, " ")                 # a reason is needed
        db.session.rollback()
        item = db.session.get(ServiceRequest, pk)
        service.reopen(item, "客户反映再次渗水")
        assert item.status == "assigned" and item.closed_at is None and item.satisfaction is None
    assert notes_of(pk) == ["record", "assign", "start", "note", "resolve", "close", "reopen"]


def test_refusals_change_nothing(app, ctx):
    mine = one_customer_of("E1003")
    other = one_customer_of("E1009")
    before = counts()
    bad = [
        ("sales", other, {}),                                             # not their customer
        ("service", mine, {"content": "  "}),                             # nothing written
        ("service", mine, {"type_id": service_type().id}),                # a service type for a complaint
        ("service", mine, {"urgency": "whenever"}),
        ("service", mine, {"due_date": (today() - dt.timedelta(days=1)).isoformat()}),
        ("service", mine, {"due_date": "next week"}),
        ("service", mine, {"project_id": "abc"}),
        ("sales", mine, {"assigned_to_id": employee("E1006").id}),        # salespeople do not assign
    ]
    for username, customer, kw in bad:
        with pytest.raises(BusinessError):
            record_for(app, username, customer, **kw)
        db.session.rollback()
    assert counts() == before
    pk = record_for(app, "service", mine)
    left = employee("E1007")
    db.session.execute(sa.update(type(left)).where(type(left).id == left.id).values(status="left"))
    db.session.commit()
    before = counts()
    with acting(app, "service"):
        item = db.session.get(ServiceRequest, pk)
        with pytest.raises(BusinessError) as refused:
            service.assign(item, left.id)                # no longer works here
        assert left.name in str(refused.value)
        db.session.rollback()
        item = db.session.get(ServiceRequest, pk)
        with pytest.raises(BusinessError):
            service.close(item, 5)                       # not resolved yet
        db.session.rollback()
    with acting(app, "sales2"):                          # neither assignee nor coordinator
        item = db.session.get(ServiceRequest, pk)
        with pytest.raises(BusinessError):
            service.resolve(item, "已处理")
        db.session.rollback()
    assert counts() == before
    assert db.session.get(ServiceRequest, pk).status == "open"


# ---- who sees what --------------------------------------------------------------------------

def test_scope_salesperson_own_supervisor_department_service_all(app, ctx):
    gz = record_for(app, "service", one_customer_of("E1003"))
    sz = record_for(app, "service", one_customer_of("E1009"))
    for username, visible, hidden in (("sales", {gz}, {sz}), ("sales2", set(), {gz, sz}),
                                      ("manager", {gz}, {sz}), ("service", {gz, sz}, set()),
                                      ("admin", {gz, sz}, set())):
        with acting(app, username):
            ids = {r.id for r in service.visible_requests()}
            assert visible <= ids and not (hidden & ids), username


def test_request_assigned_to_someone_is_theirs_to_see(app, ctx):
    pk = record_for(app, "service", one_customer_of("E1009"), assigned_to_id=employee("E1006").id)
    with acting(app, "sales2"):
        assert service.get_visible(pk).id == pk
        assert pk in [r.id for r in service.assigned_to(employee("E1006"))]


# ---- pages ----------------------------------------------------------------------------------

def test_service_staff_record_a_complaint_on_the_page(client, app):
    with app.app_context():
        customer = one_customer_of("E1009")
        phone, name, type_id = customer.phone, customer.name, complaint_type("交付延期").id
        before = counts()
    login(client, "service")
    client.get("/lang/en")
    found = client.get("/servicerequestview/add?phone=" + phone).get_data(as_text=True)
    assert name in found and phone[:3] + "****" + phone[-4:] in found
    assert phone not in found.replace('value="%s"' % phone, "")      # only where they typed it
    data = {"csrf_token": form_token(client, "/servicerequestview/add"), "phone": phone, "kind": "complaint",
            "type": str(type_id), "urgency": "urgent", "content": "交房时间一再推迟", "action": "record"}
    response = client.post("/servicerequestview/add", data=data)
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "交房时间一再推迟" in page and "Urgent" in page and "Recorded" in page
    with app.app_context():
        assert counts() == (before[0] + 1, before[1] + 1)
    bad = dict(data, content="", csrf_token=form_token(client, "/servicerequestview/add"))
    assert client.post("/servicerequestview/add", data=bad).status_code == 422
    with app.app_context():
        assert counts()[0] == before[0] + 1


def test_salesperson_is_told_who_owns_a_phone_but_cannot_record_for_them(client, app):
    with app.app_context():
        customer = one_customer_of("E1009")
        phone, name = customer.phone, customer.name
        before = counts()
    login(client, "sales")
    client.get("/lang/en")
    html = client.get("/servicerequestview/add?phone=" + phone).get_data(as_text=True)
    assert "周杰" in html and name not in html
    data = {"csrf_token": form_token(client, "/servicerequestview/add"), "phone": phone, "kind": "complaint",
            "content": "试探", "action": "record"}
    with app.app_context():
        data["type"] = str(complaint_type().id)
    assert client.post("/servicerequestview/add", data=data).status_code == 422
    with app.app_context():
        assert counts() == before


def test_someone_elses_request_by_url_is_refused_and_logged(client, app, caplog):
    with app.app_context():
        pk = record_for(app, "service", one_customer_of("E1009"))
        content = db.session.get(ServiceRequest, pk).content
    login(client, "sales")
    client.get("/lang/en")
    with caplog.at_level(logging.WARNING, logger="app.crm"):
        html = client.get("/servicerequestview/show/%d" % pk, follow_redirects=True).get_data(as_text=True)
        token = form_token(client, "/servicerequestview/add")
        client.post("/servicerequestview/note/%d" % pk, data={"csrf_token": token, "text": "试探"})
    assert "you may not open it" in html and content not in html
    assert "refused service_request %d" % pk in caplog.text
    with app.app_context():
        assert notes_of(pk) == ["record"]
    assert client.get("/servicerequestview/show/999999").status_code == 404
    assert client.get("/servicerequestview/show/abc").status_code == 404


def test_steps_on_the_page_and_the_assignees_list(client, app):
    with app.app_context():
        pk = record_for(app, "service", one_customer_of("E1003"), urgency="urgent")
        assignee = employee("E1003").id
    login(client, "service")
    client.get("/lang/en")
    token = form_token(client, "/servicerequestview/show/%d" % pk)
    client.post("/servicerequestview/assign/%d" % pk, data={"csrf_token": token, "assigned_to": str(assignee)})
    client.get("/logout/")
    login(client, "sales")
    client.get("/lang/en")
    mine = client.get("/servicerequestview/mine/").get_data(as_text=True)
    assert "#%d" % pk in mine
    assert "#%d" % pk in client.get("/").get_data(as_text=True)       # home panel
    token = form_token(client, "/servicerequestview/show/%d" % pk)
    client.post("/servicerequestview/start/%d" % pk, data={"csrf_token": token})
    client.post("/servicerequestview/resolve/%d" % pk, data={"csrf_token": token, "resolution": ""})
    with app.app_context():
        assert db.session.get(ServiceRequest, pk).status == "in_progress"   # empty resolution refused
    html = client.post("/servicerequestview/resolve/%d" % pk, data={"csrf_token": token, "resolution": "已维修"},
                       follow_redirects=True).get_data(as_text=True)
    assert "已维修" in html
    # A salesperson may not close (customer service asks the customer's satisfaction).
    assert client.post("/servicerequestview/close/%d" % pk,
                       data={"csrf_token": token, "satisfaction": "5"}).status_code in (302, 403)
    with app.app_context():
        item = db.session.get(ServiceRequest, pk)
        assert item.status == "resolved" and item.assigned_to_id == assignee


def test_list_filters_by_status_and_urgency(client, app):
    with app.app_context():
        urgent = record_for(app, "service", one_customer_of("E1003"), urgency="urgent", content="紧急报修")
        low = record_for(app, "service", one_customer_of("E1006"), urgency="low", content="咨询")
    login(client, "service")
    html = client.get("/servicerequestview/list/?_flt_0_urgency=urgent").get_data(as_text=True)
    assert "#%d<" % urgent in html and "#%d<" % low not in html
    html = client.get("/servicerequestview/list/?_flt_0_status=open").get_data(as_text=True)
    assert "#%d<" % urgent in html and "#%d<" % low in html


def test_list_runs_a_fixed_number_of_queries(client, app):
    with app.app_context():
        for n in range(12):
            record_for(app, "service", one_customer_of("E1003" if n % 2 else "E1009"), content="第%d条" % n)
    login(client, "service")
    statements = []
    record = lambda *a: statements.append(a[2])  # noqa: E731
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        client.get("/servicerequestview/list/?psize_ServiceRequestView=2")
        few = len(statements)
        statements.clear()
        client.get("/servicerequestview/list/?psize_ServiceRequestView=12")
        many = len(statements)
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert few == many


# ---- API ------------------------------------------------------------------------------------

def test_api_records_steps_and_is_scoped(client, app):
    with app.app_context():
        mine, other = one_customer_of("E1003").id, one_customer_of("E1009").id
        type_id = service_type().id
        foreign = record_for(app, "service", db.session.get(Customer, other))
        before = counts()
    sales = api_token(client, "sales")
    created = client.post("/api/v1/service-requests/", headers=sales,
                          json={"customer_id": mine, "kind": "service", "type_id": type_id, "content": "办理产权证"})
    assert created.status_code == 201, created.get_data(as_text=True)
    pk = created.json["id"]
    assert client.post("/api/v1/service-requests/", headers=sales,
                       json={"customer_id": other, "kind": "service", "type_id": type_id,
                             "content": "试探"}).status_code == 422
    assert client.post("/api/v1/service-requests/", headers=sales, data="not json").status_code == 400
    listing = client.get("/api/v1/service-requests/?page_size=100", headers=sales).json
    ids = {row["id"] for row in listing["result"]}
    assert pk in ids and foreign not in ids
    assert client.get("/api/v1/service-requests/%d" % foreign, headers=sales).status_code == 403
    assert client.get("/api/v1/service-requests/999999", headers=sales).status_code == 404
    assert client.post("/api/v1/service-requests/%d/notes" % foreign, headers=sales,
                       json={"text": "试探"}).status_code == 403
    assert client.post("/api/v1/service-requests/%d/assign" % pk, headers=sales,
                       json={"employee_id": 1}).status_code in (401, 403)
    staff = api_token(client, "service")
    with app.app_context():
        assignee = employee("E1003").id
    assert client.post("/api/v1/service-requests/%d/assign" % pk, headers=staff,
                       json={"employee_id": assignee}).json["status"] == "assigned"
    assert client.post("/api/v1/service-requests/%d/resolve" % pk, headers=sales,
                       json={"resolution": "已办结"}).json["status"] == "resolved"
    assert client.post("/api/v1/service-requests/%d/close" % pk, headers=staff, json={}).status_code == 422
    assert client.post("/api/v1/service-requests/%d/close" % pk, headers=staff,
                       json={"satisfaction": 5}).json["status"] == "closed"
    one = client.get("/api/v1/service-requests/%d" % pk, headers=sales).json
    assert one["result"]["satisfaction"] == 5
    assert [n["action"] for n in one["notes"]] == ["record", "assign", "resolve", "close"]
    with app.app_context():
        assert counts()[0] == before[0] + 1


# ---- the supervisor's team ------------------------------------------------------------------

def _overdue_per_owner(department_codes):
    from app.org.models import Department, Employee
    rows = (db.session.query(Employee.id, sa.func.count(FollowUp.id))
            .join(Customer, Customer.owner_id == Employee.id).join(FollowUp, FollowUp.customer_id == Customer.id)
            .join(Department, Employee.department_id == Department.id)
            .filter(FollowUp.open.is_(True), FollowUp.next_date < today(), Department.code.in_(department_codes))
            .group_by(Employee.id))
    return dict(rows.all())


def test_team_counts_are_the_departments_overdue_follow_ups(app, ctx):
    expected = _overdue_per_owner(["GZ-TH", "GZ-TH-S1"])
    assert expected
    with acting(app, "manager"):
        rows = team.overdue_by_salesperson()
        assert {pk: n for pk, _name, n, _oldest in rows} == expected
        listed = team.overdue_follow_ups()
        assert len(listed) == sum(expected.values())
        assert all(team.days_overdue(f) > 0 for f in listed)
    with acting(app, "sales"):
        assert team.home_panel(app.appbuilder.sm.find_user(username="sales")) is None


def test_supervisor_home_panel_and_team_page(client, app):
    with app.app_context():
        expected = _overdue_per_owner(["GZ-TH", "GZ-TH-S1"])
        sales_id = employee("E1003").id
    login(client, "manager")
    client.get("/lang/en")
    home = client.get("/").get_data(as_text=True)
    assert "My team: %d follow-ups overdue" % sum(expected.values()) in home and "林晓燕" in home
    page = client.get("/followupview/team/?employee=%d" % sales_id).get_data(as_text=True)
    assert "Overdue follow-ups of 林晓燕" in page
    assert page.count('class="loupan-days"') == expected[sales_id]
    assert client.get("/followupview/team/?employee=abc").status_code == 200
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/followupview/team/").status_code in (302, 403)
