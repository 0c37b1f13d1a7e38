"""Transfers (客户转交): a supervisor or an admin moves customers and their opportunities, with a
reason and a history; every refusal changes nothing. Services, pages and API, both databases."""
import logging

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core.models import AuditLog, Notification
from app.crm.models import Customer, CustomerTransfer, Opportunity
from app.crm.services import pool, timeline, transfers
from app.extensions import db
from app.org.models import Employee
from tests.conftest import api_token, form_token, login
from tests.crm.helpers import customers_of, employee
from tests.crm.test_pool import as_user, open_opportunity


def snapshot():
    """Who owns every customer and opportunity, the history and the notifications."""
    return (sorted(db.session.execute(sa.select(Customer.id, Customer.owner_id)).all()),
            sorted(db.session.execute(sa.select(Opportunity.id, Opportunity.owner_id)).all()),
            db.session.query(CustomerTransfer).count(), db.session.query(Notification).count())


def with_opportunities(number, n=2):
    """Ids of `n` customers of `number` who have an opportunity their owner owns."""
    owner = employee(number)
    rows = (db.session.query(Customer.id).join(Opportunity, Opportunity.customer_id == Customer.id)
            .filter(Customer.owner_id == owner.id, Opportunity.owner_id == owner.id)
            .order_by(Customer.id).limit(n).all())
    return [r.id for r in rows]


def give_login(number, username="zhoujie"):
    from app.core import roles
    from app.core.services.setup import ensure_user
    from app.demo import DEMO_PASSWORD
    person = employee(number)
    user, _created = ensure_user(username, person.name[1:], person.name[0], username + "@loupan.local",
                                 [roles.SALES], DEMO_PASSWORD)
    db.session.execute(Employee.__table__.update().where(Employee.id == person.id).values(user_id=user.id))
    db.session.commit()
    return person.id


# ---- the service --------------------------------------------------------------------------

def test_manager_transfers_customers_with_their_opportunities(app, ctx):
    ids = with_opportunities("E1003", 2)
    plain = (customers_of("E1003").filter(~Customer.id.in_(sa.select(Opportunity.customer_id)))
             .order_by(Customer.id).first().id)
    sales, sales2 = employee("E1003"), employee("E1006")
    sales_id, sales2_id, sales_user, sales2_user = sales.id, sales2.id, sales.user_id, sales2.user_id
    moving = db.session.query(Opportunity.id).filter(Opportunity.customer_id.in_(ids),
                                                     Opportunity.owner_id == sales_id).count()
    notes = db.session.query(Notification).filter_by(user_id=sales2_user).count()
    with as_user(app, "manager") as user:
        manager_id = user.id
        result = transfers.transfer(ids + [plain], sales2_id, "林晓燕休产假，客户交由张伟跟进")
    assert (result.customers, result.opportunities) == (3, moving) and moving >= 2
    assert {c.owner_id for c in db.session.query(Customer).filter(Customer.id.in_(ids + [plain]))} == {sales2_id}
    assert {o.owner_id for o in db.session.query(Opportunity).filter(Opportunity.customer_id.in_(ids))} == {sales2_id}
    rows = db.session.query(CustomerTransfer).filter_by(batch=result.batch).order_by(CustomerTransfer.customer_id).all()
    assert [r.customer_id for r in rows] == sorted(ids + [plain])
    assert {(r.from_employee_id, r.to_employee_id, r.by_user_id, r.reason) for r in rows} == \
        {(sales_id, sales2_id, manager_id, "林晓燕休产假，客户交由张伟跟进")}
    assert sum(r.opportunities_moved for r in rows) == moving
    assert [r.opportunities_moved for r in rows if r.customer_id == plain] == [0]
    assert db.session.query(Notification).filter_by(user_id=sales2_user).count() == notes + 1
    told = db.session.query(Notification).filter_by(user_id=sales_user).order_by(Notification.id.desc()).first()
    assert " 3 " in told.title and "张伟" in told.title and "休产假" in told.body
    audit = db.session.query(AuditLog).filter_by(table_name="customer", row_id=str(ids[0])).all()
    assert any(a.changes.get("owner_id") == [sales_id, sales2_id] and a.username == "manager" for a in audit)
    # The customer's history shows the transfer.
    assert transfers.timeline_entries in timeline._sources
    with as_user(app, "manager"), force_locale("en"):
        entries = transfers.timeline_entries(db.session.get(Customer, ids[0]))
    assert len(entries) == 1 and "林晓燕" in entries[0].title and "张伟" in entries[0].title
    assert "休产假" in entries[0].detail and entries[0].who == "陈志明"


def test_opportunities_in_the_pool_or_of_others_stay(app, ctx):
    opp = open_opportunity("E1003")
    customer_id = opp.customer_id
    with as_user(app, "sales"):
        pool.release(opp.id, "先放公池")
    # The customer kept no owner (their only opportunity went to the pool): the admin assigns them.
    assert db.session.get(Customer, customer_id).owner_id is None
    with as_user(app, "admin"):
        result = transfers.transfer([customer_id], employee("E1006").id, "重新分配")
    assert result.opportunities == 0
    opp = db.session.get(Opportunity, opp.id)
    assert opp.owner_id is None and opp.pooled_at is not None
    row = db.session.query(CustomerTransfer).filter_by(batch=result.batch).one()
    assert row.from_employee_id is None


@pytest.mark.parametrize("case", ["inactive", "no_login", "no_customer_rights", "same_owner", "other_department",
                                  "foreign_customer", "empty", "no_reason", "missing_customer", "salesperson"])
def test_every_refusal_changes_nothing(app, ctx, case, caplog):
    ids = with_opportunities("E1003", 2)
    target, reason, user = employee("E1006").id, "离职交接", "manager"
    if case == "inactive":
        db.session.execute(Employee.__table__.update().where(Employee.id == target).values(status="left"))
        db.session.commit()
    elif case == "no_login":
        target = employee("E1007").id  # 刘洋: same office, no login
    elif case == "no_customer_rights":
        target = employee("E1005").id  # 吴俊杰, 客服: may not open the customer list
    elif case == "same_owner":
        target = employee("E1003").id
    elif case == "other_department":
        target = give_login("E1009")  # 周杰, 深圳前海: outside the manager's 广州天河
    elif case == "foreign_customer":
        ids = ids + with_opportunities("E1009", 1)
    elif case == "empty":
        ids = []
    elif case == "no_reason":
        reason = "   "
    elif case == "missing_customer":
        ids = ids + [987654]
    elif case == "salesperson":
        user = "sales"
    before = snapshot()
    with as_user(app, user), force_locale("en"), caplog.at_level(logging.WARNING, logger="app.crm"):
        with pytest.raises(pool.Refusal) as refused:
            transfers.transfer(ids, target, reason)
    db.session.rollback()
    assert str(refused.value)
    assert snapshot() == before
    if case == "foreign_customer":
        assert isinstance(refused.value, pool.OutOfScope) and "refused customer" in caplog.text
    if case == "inactive":
        assert "not active" in str(refused.value)


def test_target_choices_are_active_salespeople_of_the_department(app, ctx):
    with as_user(app, "manager"):
        names = {e.number for e in transfers.targets()}
    assert {"E1002", "E1003", "E1006"} <= names
    assert not names & {"E1007", "E1005", "E1009", "E1004"}
    with as_user(app, "admin"):
        assert "E1009" not in {e.number for e in transfers.targets()}  # 周杰 has no login


# ---- pages --------------------------------------------------------------------------------

def test_transfer_page_moves_the_ticked_customers_and_shows_the_history(client, app):
    with app.app_context():
        ids = with_opportunities("E1003", 2)
        names = [db.session.get(Customer, i).name for i in ids]
        sz = customers_of("E1009").first().name
        sales2 = employee("E1006").id
        sales = employee("E1003").id
    login(client, "manager")
    client.get("/lang/en")
    page = client.get("/customertransferview/transfer/?owner=%d" % sales).get_data(as_text=True)
    assert "Transfer selected customers" in page and sz not in page
    token = form_token(client, "/customertransferview/transfer/")
    response = client.post("/customertransferview/transfer/", data={
        "csrf_token": token, "rowid": [str(i) for i in ids], "to_employee": str(sales2), "reason": "调岗交接",
        "owner": str(sales)})
    assert response.status_code == 302
    page = client.get(response.location, follow_redirects=True).get_data(as_text=True)
    assert "transferred to 张伟" in page
    import html as html_module
    import re
    link = html_module.unescape(re.search(r'href="(/customertransferview/list/\?[^"]+)"', page).group(1))
    batch = client.get(link).get_data(as_text=True)
    assert all(n in batch for n in names) and batch.count("调岗交接") == 2
    history = client.get("/customertransferview/list/").get_data(as_text=True)
    assert all(n in history for n in names) and "调岗交接" in history
    with app.app_context():
        assert {db.session.get(Customer, i).owner_id for i in ids} == {sales2}


def test_transfer_page_refuses_without_reason_and_keeps_the_selection(client, app):
    with app.app_context():
        ids = with_opportunities("E1003", 2)
        sales2 = employee("E1006").id
        before = snapshot()
    login(client, "manager")
    client.get("/lang/en")
    token = form_token(client, "/customertransferview/transfer/")
    response = client.post("/customertransferview/transfer/", data={
        "csrf_token": token, "rowid": [str(i) for i in ids], "to_employee": str(sales2), "reason": ""})
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Give the reason" in html
    assert 'value="%d" class="loupan-row" checked' % ids[0] in html
    with app.app_context():
        assert snapshot() == before


def test_all_customers_of_a_leaver_in_one_go(client, app):
    with app.app_context():
        count = customers_of("E1003").count()
        sales, sales2 = employee("E1003").id, employee("E1006").id
    login(client, "manager")
    token = form_token(client, "/customertransferview/transfer/")
    response = client.post("/customertransferview/transfer/", data={
        "csrf_token": token, "all_matching": "1", "owner": str(sales), "to_employee": str(sales2),
        "reason": "林晓燕离职"})
    assert response.status_code == 302
    with app.app_context():
        assert customers_of("E1003").count() == 0
        assert db.session.query(CustomerTransfer).filter_by(to_employee_id=sales2).count() == count


def test_salespeople_cannot_transfer_and_see_only_their_transfers(client, app):
    with app.app_context():
        mine = with_opportunities("E1003", 1)
        sz = with_opportunities("E1009", 1)
        sales2 = employee("E1006").id
        before = snapshot()
    login(client, "sales")
    assert client.get("/customertransferview/transfer/").status_code in (302, 403)
    token = form_token(client, "/crm/register/")
    client.post("/customertransferview/transfer/", data={"csrf_token": token, "rowid": [str(mine[0])],
                                                          "to_employee": str(sales2), "reason": "私下转"})
    with app.app_context():
        assert snapshot() == before
        with as_user(app, "admin"):
            transfers.transfer(sz, sales2, "跨区调配")
            foreign = db.session.query(CustomerTransfer.id).filter_by(customer_id=sz[0]).scalar()
        with as_user(app, "manager"):
            transfers.transfer(mine, sales2, "调配")
    client.get("/lang/en")
    html = client.get("/customertransferview/list/").get_data(as_text=True)
    assert "调配" in html and "跨区调配" not in html  # 林晓燕 sees her own customer's transfer only
    refused = client.get("/customertransferview/show/%d" % foreign, follow_redirects=True).get_data(as_text=True)
    assert "you may not open it" in refused


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


def test_transfer_pages_run_a_fixed_number_of_queries(client, app):
    with app.app_context():
        sales = employee("E1003").id
        with as_user(app, "admin"):
            transfers.transfer(with_opportunities("E1003", 30), employee("E1006").id, "批量")
    login(client, "manager")
    few = _count(app, client, "/customertransferview/transfer/?q=%E7%8E%8B")
    many = _count(app, client, "/customertransferview/transfer/")
    assert few == many
    assert _count(app, client, "/customertransferview/list/?psize_CustomerTransferView=5") == \
        _count(app, client, "/customertransferview/list/?psize_CustomerTransferView=100")
    del sales


# ---- API ----------------------------------------------------------------------------------

def test_api_transfers_with_the_pages_rules(client, app, caplog):
    with app.app_context():
        ids = with_opportunities("E1003", 2)
        sz = with_opportunities("E1009", 1)
        sales2, inactive = employee("E1006").id, employee("E1007").id
        before = snapshot()
    manager = api_token(client, "manager")
    url = "/api/v1/crm/transfers/"
    assert client.post(url, json={"customer_ids": ids, "to_employee_id": sales2, "reason": "x"},
                       headers=api_token(client, "sales")).status_code in (401, 403)
    assert client.post(url, json=[1], headers=manager).status_code == 400
    assert client.post(url, json={"customer_ids": "1,2", "to_employee_id": sales2, "reason": "x"},
                       headers=manager).status_code == 400
    assert client.post(url, json={"customer_ids": [], "to_employee_id": sales2, "reason": "x"},
                       headers=manager).status_code == 422
    assert client.post(url, json={"customer_ids": ids, "to_employee_id": inactive, "reason": "x"},
                       headers=manager).status_code == 422
    assert client.post(url, json={"customer_ids": ids, "to_employee_id": 999999, "reason": "x"},
                       headers=manager).status_code == 404
    with caplog.at_level(logging.WARNING, logger="app.crm"):
        foreign = client.post(url, json={"customer_ids": ids + sz, "to_employee_id": sales2, "reason": "x"},
                              headers=manager)
    assert foreign.status_code == 403 and foreign.json["message"] and "refused customer %d" % sz[0] in caplog.text
    with app.app_context():
        assert snapshot() == before
    done = client.post(url, json={"customer_ids": ids, "to_employee_id": sales2, "reason": "API 转交"},
                       headers=manager)
    assert done.status_code == 200 and done.json["customers"] == 2
    history = client.get(url + "?batch=" + done.json["batch"], headers=manager).json
    assert history["count"] == 2 and {r["customer_id"] for r in history["result"]} == set(ids)
    # The receiver sees the transfers to them; a colleague elsewhere sees none of them.
    assert client.get(url + "?customer_id=%d" % ids[0], headers=api_token(client, "sales2")).json["count"] == 1
    assert client.get(url + "?customer_id=%d" % ids[0], headers=api_token(client, "sales")).json["count"] == 1
    assert client.get(url + "?customer_id=abc", headers=manager).status_code == 400
