"""The public pool (公客池): the daily return, claims with their daily limit, giving up, the
pages and the API, on SQLite and PostgreSQL."""
import datetime as dt
import logging
import threading

import pytest
import sqlalchemy as sa

from app.core.models import AuditLog, Notification
from app.crm.models import Customer, CrmPoolSetting, Opportunity, PoolEvent
from app.crm.services import follow_ups, pool, timeline, visits
from app.extensions import db
from tests.conftest import api_token, form_token, login
from tests.crm.helpers import as_user, employee, project, today


def open_opportunity(number="E1003", exclude=()):
    """An opportunity in the potential or intent stage owned by `number`, whose customer they own
    and who has no other opportunity."""
    owner = employee(number)
    others = sa.select(Opportunity.customer_id).group_by(Opportunity.customer_id).having(sa.func.count() > 1)
    return (db.session.query(Opportunity).join(Customer, Customer.id == Opportunity.customer_id)
            .filter(Opportunity.owner_id == owner.id, Customer.owner_id == owner.id,
                    Opportunity.stage.in_(pool.RETURNABLE_STAGES), Opportunity.pooled_at.is_(None),
                    Opportunity.customer_id.not_in(others), Opportunity.id.not_in(list(exclude) or [0]))
            .order_by(Opportunity.id).first())


def neglect(opp, days=20):
    """Make the opportunity's last contact `days` days old."""
    db.session.execute(Opportunity.__table__.update().where(Opportunity.id == opp.id)
                       .values(last_contact_at=pool.utc_start_of(today() - dt.timedelta(days=days))))
    db.session.commit()


def freshen_all():
    """Every opportunity contacted just now: only what a test neglects returns."""
    db.session.execute(Opportunity.__table__.update().values(last_contact_at=pool.utc_start_of(today())))
    db.session.commit()


def pooled(number="E1003", count=1):
    """`count` opportunities of `number` put in the pool by the job; their ids."""
    freshen_all()
    ids = []
    for _n in range(count):
        opp = open_opportunity(number, exclude=ids)
        ids.append(opp.id)
        neglect(opp)
    assert pool.return_neglected() == count
    return ids


def state(opp_id):
    opp = db.session.get(Opportunity, opp_id)
    db.session.refresh(opp)
    customer = db.session.get(Customer, opp.customer_id)
    db.session.refresh(customer)
    return opp.owner_id, opp.pooled_at is not None, customer.owner_id


def set_rules(project_id, **values):
    """The project's pool settings (the demo gives one project its own)."""
    setting = db.session.query(CrmPoolSetting).filter_by(project_id=project_id).one_or_none()
    if setting is None:
        setting = CrmPoolSetting(project_id=project_id, return_days=15, daily_claim_limit=5, reclaim_wait_days=7,
                                 enabled=True)
        db.session.add(setting)
    for key, value in values.items():
        setattr(setting, key, value)
    db.session.commit()
    return setting


def events(kind=None):
    query = db.session.query(PoolEvent)
    return (query.filter(PoolEvent.kind == kind) if kind else query).count()


# ---- the daily return ---------------------------------------------------------------------

def test_job_returns_neglected_opportunities_once_and_the_old_owner_loses_the_customer(app, ctx):
    freshen_all()
    opp = open_opportunity()
    opp_id, customer_id, sales = opp.id, opp.customer_id, employee("E1003")
    sales_id, sales_user = sales.id, sales.user_id
    neglect(opp, days=16)
    notes = db.session.query(Notification).filter_by(user_id=sales_user).count()
    assert pool.return_neglected() == 1
    assert state(opp_id) == (None, True, None)
    opp = db.session.get(Opportunity, opp_id)
    assert opp.pooled_from_id == sales_id
    event = db.session.query(PoolEvent).filter_by(opportunity_id=opp_id).one()
    assert (event.kind, event.employee_id, event.customer_id) == ("returned", sales_id, customer_id)
    assert db.session.query(Notification).filter_by(user_id=sales_user).count() == notes + 1
    audit = db.session.query(AuditLog).filter_by(table_name="customer", row_id=str(customer_id)).all()
    assert any(a.changes.get("owner_id") == [sales_id, None] for a in audit)
    # Idempotent: a second run (or one the next day) returns nothing more.
    assert pool.return_neglected() == 0
    assert pool.return_neglected(today() + dt.timedelta(days=1)) == 0
    assert events("returned") == 1


def test_only_older_than_the_projects_days_return_and_a_turned_off_pool_keeps_all(app, ctx):
    freshen_all()
    first = open_opportunity()
    second = open_opportunity(exclude=[first.id])
    neglect(first, days=14)  # 14 days without follow-up: one day to go (default 15)
    assert pool.return_neglected() == 0
    assert pool.return_neglected(today() + dt.timedelta(days=1)) == 1
    neglect(second, days=20)
    set_rules(second.project_id, return_days=30)
    assert pool.return_neglected() == 0
    set_rules(second.project_id, return_days=10, enabled=False)
    assert pool.return_neglected() == 0
    set_rules(second.project_id, enabled=True)
    assert pool.return_neglected() == 1


def test_later_stages_never_return(app, ctx):
    freshen_all()
    opp = db.session.query(Opportunity).filter(Opportunity.stage.in_(("reserved", "signed", "won", "lost")),
                                                Opportunity.owner_id.is_not(None)).first()
    neglect(opp, days=100)
    assert pool.return_neglected() == 0


def test_a_follow_up_or_visit_keeps_the_opportunity(app, ctx):
    freshen_all()
    opp = open_opportunity()
    other = open_opportunity(exclude=[opp.id])
    neglect(opp)
    neglect(other)
    with as_user(app, "sales"):
        follow_ups.record_follow_up(opp.customer, "电话回访")
        visits.register_visit(other.customer.phone, other.project_id, user=None)
    assert pool.return_neglected() == 0
    assert state(opp.id)[1] is False and state(other.id)[1] is False


def test_a_follow_up_of_one_opportunity_keeps_only_that_one(app, ctx):
    freshen_all()
    opp = open_opportunity()
    customer = opp.customer
    second = Opportunity(customer=customer, project=project("HZ-JY"), owner=employee("E1003"), stage="intent")
    db.session.add(second)
    db.session.commit()
    neglect(opp)
    neglect(second)
    with as_user(app, "sales"):
        follow_ups.record_follow_up(customer, "微信沟通", opportunity=second)
    assert pool.return_neglected() == 1
    # The customer still has an opportunity of their owner: they stay with them.
    assert state(opp.id) == (None, True, employee("E1003").id)
    assert state(second.id) == (employee("E1003").id, False, employee("E1003").id)


def test_the_customer_passes_to_whoever_still_owns_one_of_their_opportunities(app, ctx):
    freshen_all()
    opp = open_opportunity()
    colleague = employee("E1006")
    db.session.add(Opportunity(customer=opp.customer, project=project("HZ-JY"), owner=colleague, stage="intent"))
    db.session.commit()
    neglect(opp)
    assert pool.return_neglected() == 1
    assert state(opp.id) == (None, True, colleague.id)


def test_the_return_is_a_fixed_number_of_statements(app, ctx):
    statements = []

    def count(*args):
        statements.append(args[2])

    def run(n):
        pooled_ids = []
        freshen_all()
        for number in ("E1003", "E1006", "E1009", "E1011", "E1012")[:n]:
            opp = open_opportunity(number)
            pooled_ids.append(opp.id)
            neglect(opp)
        statements.clear()
        sa.event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert pool.return_neglected() == n
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", count)
        writes = [s for s in statements if not s.lstrip().upper().startswith("SELECT")]
        return len(statements) - len(writes) + len([w for w in writes if "notification" not in w])

    one = run(1)
    db.session.execute(Opportunity.__table__.update().where(Opportunity.pooled_at.is_not(None))
                       .values(pooled_at=None, owner_id=Opportunity.pooled_from_id))
    db.session.commit()
    assert run(5) == one


# ---- claims -------------------------------------------------------------------------------

def test_a_colleague_claims_and_owns_the_customer(app, ctx):
    (opp_id,) = pooled()
    sales2 = employee("E1006")
    with as_user(app, "sales2"):
        result = pool.claim(opp_id)
    assert result.customer_taken and result.claimed_today == 1
    assert state(opp_id) == (sales2.id, False, sales2.id)
    assert events("claimed") == 1
    assert db.session.get(Opportunity, opp_id).last_contact_at >= pool.utc_start_of(today())


def test_claiming_beyond_the_daily_limit_is_refused_and_changes_nothing(app, ctx):
    ids = pooled(count=3)
    projects = {db.session.get(Opportunity, i).project_id for i in ids}
    for project_id in projects:
        set_rules(project_id, daily_claim_limit=2)
    with as_user(app, "sales2"):
        pool.claim(ids[0])
        pool.claim(ids[1])
        with pytest.raises(pool.Refusal) as refused:
            pool.claim(ids[2])
    assert "daily limit" in str(refused.value) or "上限" in str(refused.value)
    assert state(ids[2]) == (None, True, None)
    assert events("claimed") == 2
    # The next day the limit starts again (claims are counted per local day).
    assert pool.claims_today(employee("E1006").id, day=today() + dt.timedelta(days=1)) == {}


def test_a_claimed_opportunity_cannot_be_claimed_again(app, ctx):
    (opp_id,) = pooled()
    with as_user(app, "sales2"):
        pool.claim(opp_id)
    with as_user(app, "manager"), pytest.raises(pool.Taken):
        pool.claim(opp_id)
    assert state(opp_id)[0] == employee("E1006").id
    assert events("claimed") == 1


def test_the_previous_owner_waits_before_claiming_back(app, ctx):
    (opp_id,) = pooled()
    with as_user(app, "sales"), pytest.raises(pool.Refusal) as refused:
        pool.claim(opp_id)
    assert (today() + dt.timedelta(days=pool.DEFAULT_RECLAIM_WAIT_DAYS)).isoformat() in str(refused.value)
    assert state(opp_id) == (None, True, None)


def test_a_user_without_employee_cannot_claim(app, ctx):
    (opp_id,) = pooled()
    with as_user(app, "admin"), pytest.raises(pool.Refusal):
        pool.claim(opp_id)
    assert state(opp_id) == (None, True, None)


def test_two_salespeople_claiming_at_once_one_wins(app, ctx):
    (opp_id,) = pooled()
    results, barrier = {}, threading.Barrier(2)

    def claim(username):
        with app.app_context(), as_user(app, username):
            barrier.wait()
            try:
                pool.claim(opp_id)
                results[username] = "won"
            except pool.Taken as e:
                results[username] = str(e)
            except Exception as e:  # noqa: BLE001 - the test reports it
                results[username] = "error: %r" % e
            finally:
                db.session.remove()

    threads = [threading.Thread(target=claim, args=(u,)) for u in ("sales2", "manager")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(v == "won" for v in results.values()) == [False, True], results
    assert events("claimed") == 1
    winner = employee("E1006" if results["sales2"] == "won" else "E1002")
    assert state(opp_id) == (winner.id, False, winner.id)


# ---- giving up ----------------------------------------------------------------------------

def test_a_salesperson_gives_up_their_own_opportunity(app, ctx):
    opp = open_opportunity()
    opp_id, customer_id = opp.id, opp.customer_id
    with as_user(app, "sales"):
        pool.release(opp_id, "客户已在别处购房")
    assert state(opp_id) == (None, True, None)
    event = db.session.query(PoolEvent).filter_by(opportunity_id=opp_id).one()
    assert (event.kind, event.note) == ("released", "客户已在别处购房")
    assert pool.timeline_entries in timeline._sources
    with as_user(app, "sales"):
        entries = pool.timeline_entries(db.session.get(Customer, customer_id))
    assert [(e.kind, e.who) for e in entries] == [("pool", "林晓燕")] and "客户已在别处购房" in entries[0].detail


def test_a_supervisor_gives_up_a_team_opportunity_and_the_owner_is_told(app, ctx):
    opp = open_opportunity("E1006")
    user_id = employee("E1006").user_id
    notes = db.session.query(Notification).filter_by(user_id=user_id).count()
    with as_user(app, "manager"):
        pool.release(opp.id, "客户要求换顾问")
    assert state(opp.id) == (None, True, None)
    assert db.session.query(Notification).filter_by(user_id=user_id).count() == notes + 1


def test_giving_up_anothers_or_a_late_stage_opportunity_is_refused(app, ctx, caplog):
    other = open_opportunity("E1009")
    late = (db.session.query(Opportunity).filter(Opportunity.owner_id == employee("E1003").id,
                                                 Opportunity.stage.in_(("reserved", "subscribed", "signed")))
            .first())
    with as_user(app, "sales"):
        with caplog.at_level(logging.WARNING, logger="app.crm"), pytest.raises(pool.OutOfScope):
            pool.release(other.id)
        db.session.rollback()
        with pytest.raises(pool.Refusal):
            pool.release(late.id)
    assert "refused opportunity %d" % other.id in caplog.text
    assert state(other.id)[1] is False and state(late.id)[1] is False
    assert events() == 0


# ---- pages --------------------------------------------------------------------------------

def test_pool_page_shows_masked_phones_and_a_claim_makes_the_customer_visible(client, app):
    with app.app_context():
        (opp_id,) = pooled()
        opp = db.session.get(Opportunity, opp_id)
        customer_id, name, phone = opp.customer_id, opp.customer.name, opp.customer.phone
    login(client, "sales2")
    client.get("/lang/en")
    html = client.get("/crm/pool/").get_data(as_text=True)
    assert name in html and phone[:3] + "****" + phone[-4:] in html and phone not in html
    assert client.get("/customerview/show/%d" % customer_id).status_code == 302  # not theirs yet
    token = form_token(client, "/crm/pool/")
    response = client.post("/crm/pool/claim/%d" % opp_id, data={"csrf_token": token})
    assert response.status_code == 302 and "/customerview/show/%d" % customer_id in response.location
    assert client.get("/customerview/show/%d" % customer_id).status_code == 200
    html = client.get("/crm/pool/").get_data(as_text=True)
    assert name not in html
    # Claiming it again says so and changes nothing.
    html = client.post("/crm/pool/claim/%d" % opp_id, data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "yours already" in html


def test_old_owner_no_longer_sees_a_returned_customer(client, app):
    with app.app_context():
        (opp_id,) = pooled()
        opp = db.session.get(Opportunity, opp_id)
        customer_id, name = opp.customer_id, opp.customer.name
    login(client, "sales")
    listing = client.get("/customerview/list/?psize_CustomerView=100&_flt_0_name=%s" % name).get_data(as_text=True)
    assert "/customerview/show/%d\"" % customer_id not in listing
    assert client.get("/customerview/show/%d" % customer_id).status_code == 302


def test_claim_limit_on_the_page_gives_a_clear_message(client, app):
    with app.app_context():
        ids = pooled(count=2)
        for project_id in {db.session.get(Opportunity, i).project_id for i in ids}:
            set_rules(project_id, daily_claim_limit=1)
    login(client, "sales2")
    client.get("/lang/en")
    token = form_token(client, "/crm/pool/")
    assert client.post("/crm/pool/claim/%d" % ids[0], data={"csrf_token": token}).status_code == 302
    html = client.post("/crm/pool/claim/%d" % ids[1], data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "daily limit" in html
    with app.app_context():
        assert state(ids[1]) == (None, True, None)


def test_returning_soon_page_and_giving_up_on_the_page(client, app):
    with app.app_context():
        freshen_all()
        opp = open_opportunity()
        neglect(opp, days=14)
        opp_id, name = opp.id, opp.customer.name
        other = open_opportunity("E1009").id
    login(client, "sales")
    client.get("/lang/en")
    html = client.get("/crm/pool/mine/").get_data(as_text=True)
    assert name in html and "Tonight" in html, html[-3000:]
    token = form_token(client, "/crm/pool/release/%d" % opp_id)
    assert client.post("/crm/pool/release/%d" % opp_id, data={"csrf_token": token, "reason": "联系不上"}) \
        .status_code == 302
    html = client.get("/crm/pool/release/%d" % other, follow_redirects=True).get_data(as_text=True)
    assert "belongs to another salesperson" in html
    with app.app_context():
        assert state(opp_id)[1] is True and state(other)[1] is False


def test_settings_are_for_admins_and_checked(client, app):
    with app.app_context():
        project_id = project("SZ-HY").id
    login(client, "sales")
    assert client.get("/poolsettingview/list/").status_code in (302, 403)
    client.get("/logout/")
    login(client, "admin")
    client.get("/lang/en")
    token = form_token(client, "/poolsettingview/add")
    data = {"csrf_token": token, "project": str(project_id), "enabled": "y", "return_days": "0",
            "daily_claim_limit": "5", "reclaim_wait_days": "7"}
    client.post("/poolsettingview/add", data=data)
    with app.app_context():
        assert db.session.query(CrmPoolSetting).filter_by(project_id=project_id).count() == 0
    data["return_days"] = "20"
    client.post("/poolsettingview/add", data=data)
    html = client.post("/poolsettingview/add", data=data, follow_redirects=True).get_data(as_text=True)
    assert "already" in html
    with app.app_context():
        assert db.session.query(CrmPoolSetting).filter_by(project_id=project_id).one().return_days == 20


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


def test_pool_pages_run_a_fixed_number_of_queries(client, app):
    with app.app_context():
        pooled(count=1)
    login(client, "sales2")
    few = _count(app, client, "/crm/pool/")
    with app.app_context():
        db.session.execute(Opportunity.__table__.update().where(Opportunity.stage.in_(pool.RETURNABLE_STAGES))
                           .values(pooled_at=pool.utc_start_of(today()), owner_id=None))
        db.session.commit()
        assert pool.pool_query().count() > 20
    assert _count(app, client, "/crm/pool/") == few
    client.get("/logout/")
    login(client, "manager")
    assert _count(app, client, "/crm/pool/mine/") == _count(app, client, "/crm/pool/mine/?page=1")


# ---- API ----------------------------------------------------------------------------------

def test_api_lists_claims_and_releases_with_clear_refusals(client, app):
    with app.app_context():
        (opp_id,) = pooled()
        phone = db.session.get(Opportunity, opp_id).customer.phone
        foreign = open_opportunity("E1009").id
    sales2 = api_token(client, "sales2")
    listing = client.get("/api/v1/crm/pool/?page_size=200", headers=sales2).json
    row = next(r for r in listing["result"] if r["id"] == opp_id)
    assert row["phone"] == phone[:3] + "****" + phone[-4:] and row["previous_owner"] == "林晓燕"
    assert client.get("/api/v1/crm/pool/?page_size=0", headers=sales2).status_code == 400
    claimed = client.post("/api/v1/crm/pool/%d/claim" % opp_id, headers=sales2)
    assert claimed.status_code == 200 and claimed.json["customer_taken"] is True
    again = client.post("/api/v1/crm/pool/%d/claim" % opp_id, headers=api_token(client, "manager"))
    assert again.status_code == 409 and again.json["message"]
    assert client.post("/api/v1/crm/pool/99999999/claim", headers=sales2).status_code == 404
    assert client.post("/api/v1/crm/pool/%d/claim" % opp_id, headers=api_token(client, "admin")).status_code == 403
    # Giving up: one's own, yes; someone else's, no (403, logged); malformed, 400.
    assert client.post("/api/v1/crm/pool/%d/release" % foreign, headers=sales2).status_code == 403
    assert client.post("/api/v1/crm/pool/%d/release" % opp_id, headers=sales2, data="[1]",
                       content_type="application/json").status_code == 400
    released = client.post("/api/v1/crm/pool/%d/release" % opp_id, headers=sales2, json={"reason": "客户不考虑了"})
    assert released.status_code == 200
    assert client.post("/api/v1/crm/pool/%d/release" % opp_id, headers=sales2).status_code == 422
    # Finance may not use the pool at all.
    assert client.get("/api/v1/crm/pool/", headers=api_token(client, "finance")).status_code in (401, 403)
    with app.app_context():
        assert state(foreign)[1] is False
        assert state(opp_id) == (None, True, None)


def test_api_claim_limit_is_refused(client, app):
    with app.app_context():
        ids = pooled(count=2)
        for project_id in {db.session.get(Opportunity, i).project_id for i in ids}:
            set_rules(project_id, daily_claim_limit=1)
    headers = api_token(client, "sales2")
    assert client.post("/api/v1/crm/pool/%d/claim" % ids[0], headers=headers).status_code == 200
    refused = client.post("/api/v1/crm/pool/%d/claim" % ids[1], headers=headers)
    assert refused.status_code == 422 and refused.json["message"]
    with app.app_context():
        assert state(ids[1]) == (None, True, None)
