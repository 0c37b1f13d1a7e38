import datetime as dt
import logging

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.core.models import Notification
from app.crm.models import Customer, FollowUp, Opportunity, Visit
from app.crm.services import follow_ups, opportunities, validation, visits
from app.crm.services.customers import DuplicateCustomer, save_customer
from app.extensions import db
from tests.conftest import api_token, form_token, login
from tests.crm.helpers import OTHER_VALID_ID, VALID_ID, customers_of, employee, lookup, one_customer_of, project, today


# ---- validation ---------------------------------------------------------------------------

def test_id_checksum_is_validated():
    assert validation.valid_id_card(VALID_ID)
    assert validation.valid_id_card(OTHER_VALID_ID)
    assert not validation.valid_id_card("110105194912310021")  # wrong check digit
    assert not validation.valid_id_card("110105194913310028")  # no 13th month
    assert not validation.valid_id_card("11010519491231002")
    with pytest.raises(BusinessError):
        validation.clean_id_number("id_card", "110105194912310021")
    assert validation.clean_id_number("id_card", "11010519491231002x") == VALID_ID
    assert validation.clean_id_number("passport", "E12345678") == "E12345678"


def test_phone_is_a_chinese_mobile_or_landline():
    assert validation.clean_phone("138 0013 8000") == "13800138000"
    assert validation.clean_phone("+86 13800138000") == "13800138000"
    assert validation.clean_phone("020-87654321") == "02087654321"
    for bad in ("12800138000", "1380013800", "23800138000", "abc", "020-123"):
        with pytest.raises(BusinessError):
            validation.clean_phone(bad)


# ---- duplicates ---------------------------------------------------------------------------

def test_duplicate_phone_or_id_is_refused_and_names_the_existing_customer(app, ctx):
    existing = one_customer_of("E1003")
    before = db.session.query(Customer).count()
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(DuplicateCustomer) as refused:
            save_customer(Customer(name="新客户", kind="person", phone=existing.phone, owner=employee("E1006")))
        assert refused.value.existing.id == existing.id
        assert "林晓燕" in str(refused.value)
        db.session.rollback()
        with pytest.raises(DuplicateCustomer):
            save_customer(Customer(name="新客户", kind="person", phone="13711112222", id_number=existing.id_number,
                                   owner=employee("E1006")))
        db.session.rollback()
    assert db.session.query(Customer).count() == before


def test_duplicate_page_shows_masked_customer_and_owner_and_offers_a_visit(client, app):
    with app.app_context():
        other = one_customer_of("E1009")
        phone, name, owner = other.phone, other.name, other.owner.name
        before = db.session.query(Customer).count()
    login(client, "sales")
    client.get("/lang/en")
    token = form_token(client, "/customerview/add")
    html = client.post("/customerview/add", data={"csrf_token": token, "name": "王小明", "kind": "person",
                                                  "phone": phone}, follow_redirects=True).get_data(as_text=True)
    assert "already exists" in html and owner in html
    assert phone[:3] + "****" + phone[-4:] in html and phone not in html.replace("phone=" + phone, "")
    assert name not in html or len(name) == 1
    assert "/crm/register/?phone=" + phone in html
    with app.app_context():
        assert db.session.query(Customer).count() == before


# ---- confidentiality ----------------------------------------------------------------------

def test_salesperson_lists_only_own_customers(client, app):
    with app.app_context():
        mine = one_customer_of("E1003").name
    login(client, "sales")
    html = client.get("/customerview/list/?psize_CustomerView=100").get_data(as_text=True)
    assert mine in html and "周杰" not in html and "林晓燕" in html


def test_other_salespersons_customer_by_url_is_refused_and_logged(client, app, caplog):
    with app.app_context():
        other = one_customer_of("E1009")
        pk, name = other.id, other.name
    login(client, "sales")
    client.get("/lang/en")
    with caplog.at_level(logging.WARNING, logger="app.crm"):
        html = client.get("/customerview/show/%d" % pk, follow_redirects=True).get_data(as_text=True)
        edit = client.get("/customerview/edit/%d" % pk, follow_redirects=True).get_data(as_text=True)
    assert "belongs to another salesperson" in html and "belongs to another salesperson" in edit
    assert "refused customer %d" % pk in caplog.text
    assert client.get("/customerview/show/999999").status_code in (302, 404)


def test_manager_sees_department_admin_sees_all(client, app):
    with app.app_context():
        gz = one_customer_of("E1006").id   # 云璟销售一组, under the manager's 广州天河 department
        sz = one_customer_of("E1009").id   # 深圳前海
    login(client, "manager")
    assert client.get("/customerview/show/%d" % gz).status_code == 200
    assert client.get("/customerview/show/%d" % sz).status_code == 302
    client.get("/logout/")
    login(client, "admin")
    assert client.get("/customerview/show/%d" % sz).status_code == 200


def test_api_token_sees_only_own_and_is_masked(client, app):
    with app.app_context():
        own = customers_of("E1003").count()
        other = one_customer_of("E1009").id
        mine = one_customer_of("E1003")
        mine_id, mine_phone = mine.id, mine.phone
    headers = api_token(client, "sales")
    listing = client.get("/api/v1/customers/?page_size=200", headers=headers).json
    assert listing["count"] == own
    assert client.get("/api/v1/customers/%d" % other, headers=headers).status_code == 403
    row = client.get("/api/v1/customers/%d" % mine_id, headers=headers).json["result"]
    assert row["phone"] == mine_phone[:3] + "****" + mine_phone[-4:]
    admin = api_token(client, "admin")
    assert client.get("/api/v1/customers/%d" % mine_id, headers=admin).json["result"]["phone"] == mine_phone
    assert client.put("/api/v1/customers/%d" % other, json={"notes": "x"}, headers=headers).status_code == 403


def test_phone_lookup_of_anothers_customer_says_who_owns_it(client, app):
    with app.app_context():
        other = one_customer_of("E1009")
        phone, name = other.phone, other.name
    headers = api_token(client, "sales")
    found = client.get("/api/v1/customers/lookup?phone=" + phone, headers=headers).json
    assert found["exists"] and found["owner"] == "周杰" and found["id"] is None and found["name"] != name
    login(client, "sales")
    html = client.get("/crm/register/?phone=" + phone).get_data(as_text=True)
    assert "周杰" in html and phone[:3] + "****" + phone[-4:] in html


# ---- visits -------------------------------------------------------------------------------

def test_first_and_repeat_visits_are_told_apart(app, ctx):
    with app.test_request_context():
        visit, created = visits.register_visit("13312345678", project().id, name="郑新", user=None,
                                               received_by_id=employee("E1003").id)
        assert created and visit.is_first and visit.customer.owner.number == "E1003"
        again, created = visits.register_visit("133 1234 5678", project().id, user=None)
        assert not created and not again.is_first and again.customer_id == visit.customer_id
        other, _c = visits.register_visit("13312345678", project("SZ-HY").id, user=None)
        assert other.is_first
        # Each project visited has one opportunity of the customer, owned by their salesperson.
        opportunities = db.session.query(Opportunity).filter_by(customer_id=visit.customer_id).all()
        assert sorted(o.project.code for o in opportunities) == ["GZ-YJ", "SZ-HY"]
        assert {o.owner.number for o in opportunities} == {"E1003"}
        assert {o.stage for o in opportunities} == {"potential"}


def test_visit_with_bad_phone_or_area_is_refused(app, ctx):
    before = db.session.query(Visit).count()
    with app.test_request_context():
        for kw in ({"phone": "123"}, {"phone": "13312345678", "area_min": "abc"},
                   {"phone": "13312345678", "area_min": "120", "area_max": "90"}):
            with pytest.raises(BusinessError):
                visits.register_visit(project_id=project().id, name="郑新", **kw)
            db.session.rollback()
    assert db.session.query(Visit).count() == before


def test_service_registers_a_walk_in_on_the_page(client, app):
    login(client, "service")
    with app.app_context():
        data = {"phone": "13612345678", "name": "钱多多", "project": str(project().id), "kind": "visit",
                "received_by": str(employee("E1003").id), "budget_min": "2000000", "budget_max": "3000000"}
    data["csrf_token"] = form_token(client, "/crm/register/")
    assert client.post("/crm/register/", data=data).status_code == 302
    with app.app_context():
        visit = db.session.query(Visit).order_by(Visit.id.desc()).first()
        assert visit.customer.name == "钱多多" and visit.is_first and visit.customer.owner.number == "E1003"


# ---- opportunities and follow-ups ---------------------------------------------------------

def test_lost_opportunity_needs_a_reason(app, ctx):
    customer = one_customer_of("E1003")
    opp = Opportunity(customer=customer, project=project("HZ-JY"), stage="lost", owner=employee("E1003"))
    with app.test_request_context(), pytest.raises(BusinessError):
        with db.session.no_autoflush:
            opportunities.check_opportunity(opp)
    opp.lost_reason = lookup("lost_reason", "价格因素")
    with db.session.no_autoflush:
        opportunities.check_opportunity(opp)


def test_follow_up_in_the_past_is_refused(app, ctx):
    customer = one_customer_of("E1003")
    before = db.session.query(FollowUp).count()
    with pytest.raises(BusinessError):
        follow_ups.record_follow_up(customer, "电话回访", next_date=today() - dt.timedelta(days=1))
    db.session.rollback()
    assert db.session.query(FollowUp).count() == before
    item = follow_ups.record_follow_up(customer, "电话回访", next_date=today() + dt.timedelta(days=3))
    assert item.open
    assert db.session.query(FollowUp).filter_by(customer_id=customer.id, open=True).count() == 1


def test_overdue_job_notifies_once_per_day(app, ctx):
    sales_user = employee("E1003").user_id
    notes = lambda: db.session.query(Notification).filter_by(user_id=sales_user).count()  # noqa: E731
    before = notes()
    owners, count = follow_ups.remind_overdue()
    assert owners >= 2 and count > 0
    assert notes() == before + 1
    assert follow_ups.remind_overdue() == (0, 0)
    assert notes() == before + 1
    assert follow_ups.remind_overdue(today() + dt.timedelta(days=1))[1] >= count


def test_home_page_shows_overdue_and_due_today(client, app):
    login(client, "sales")
    client.get("/lang/en")
    html = client.get("/").get_data(as_text=True)
    assert "Follow-ups due:" in html and "Overdue since" in html and "Due today" in html


# ---- queries ------------------------------------------------------------------------------

def _count(app, client, url):
    statements = []
    record = lambda *a: statements.append(a[2])  # noqa: E731
    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(url).status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_customer_list_runs_a_fixed_number_of_queries(admin_client, app):
    few = _count(app, admin_client, "/customerview/list/?psize_CustomerView=5")
    many = _count(app, admin_client, "/customerview/list/?psize_CustomerView=100")
    assert few == many
    for url in ("/followupview/list/?psize_FollowUpView=100", "/opportunityview/list/?psize_OpportunityView=100",
                "/visitview/list/?psize_VisitView=100"):
        assert _count(app, admin_client, url) == _count(app, admin_client, url.split("?")[0] + "?psize_x=1")


def test_api_refuses_follow_up_on_anothers_customer_and_lost_without_reason(client, app):
    with app.app_context():
        other = one_customer_of("E1009").id
        mine = one_customer_of("E1003")
        mine_id = mine.id
        hz = project("HZ-JY").id
        before = db.session.query(FollowUp).count(), db.session.query(Opportunity).count()
    headers = api_token(client, "sales")
    refused = client.post("/api/v1/follow-ups/", json={"customer": other, "contact_type": "call", "content": "试探"},
                          headers=headers)
    assert refused.status_code in (404, 422)
    past = client.post("/api/v1/follow-ups/", json={"customer": mine_id, "contact_type": "call", "content": "回访",
                                                    "next_date": (today() - dt.timedelta(days=2)).isoformat()},
                       headers=headers)
    assert past.status_code == 422
    lost = client.post("/api/v1/opportunities/", json={"customer": mine_id, "project": hz, "stage": "lost"},
                       headers=headers)
    assert lost.status_code == 422
    with app.app_context():
        assert (db.session.query(FollowUp).count(), db.session.query(Opportunity).count()) == before
