"""Customer 360: one page with the customer's details (masked as on every page), lifecycle,
opportunities and whole history in time order; someone else's customer refused and logged; a
fixed number of queries however long the history."""
import datetime as dt
import logging

import sqlalchemy as sa

from app.core.models.base import utcnow
from app.crm.models import Customer, FollowUp, Opportunity, ServiceRequest, Visit
from app.extensions import db
from tests.conftest import login
from tests.crm.helpers import employee, lookup, one_customer_of, project


def new_customer(name, phone, owner="E1003"):
    customer = Customer(kind="person", name=name, phone=phone, owner=employee(owner), id_type="id_card",
                        id_number="11010519491231002X")
    db.session.add(customer)
    db.session.commit()
    return customer


def history(customer, n, start=None):
    """n follow-ups and n visits, one day apart, and one complaint in the middle."""
    start = start or utcnow() - dt.timedelta(days=2 * n + 5)
    for i in range(n):
        db.session.add(FollowUp(customer=customer, content="第%d次回访" % i, contact_type="call",
                                followed_at=start + dt.timedelta(days=2 * i), employee=employee("E1003")))
        db.session.add(Visit(customer=customer, project=project(), kind="visit", is_first=i == 0,
                             visited_at=start + dt.timedelta(days=2 * i + 1), received_by=employee("E1003")))
    db.session.add(ServiceRequest(customer=customer, kind="complaint", content="样板间与交付不符",
                                  type=lookup("complaint_type", "工程质量"), received_by=employee("E1005"),
                                  received_at=start + dt.timedelta(days=n)))
    db.session.commit()


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


def test_360_shows_details_lifecycle_opportunities_and_history_in_order(client, app):
    with app.app_context():
        customer = new_customer("韩梅梅", "13700001111")
        history(customer, 3)
        db.session.add(Opportunity(customer=customer, project=project(), stage="subscribed", owner=employee("E1003")))
        db.session.add(Opportunity(customer=customer, project=project("SZ-HY"), stage="lost",
                                   lost_reason=lookup("lost_reason", "区位不满意"), owner=employee("E1003")))
        db.session.commit()
        pk = customer.id
    login(client, "sales")
    client.get("/lang/en")
    html = client.get("/crm/customer360/%d" % pk).get_data(as_text=True)
    assert "韩梅梅" in html and "Subscribed customer" in html        # lifecycle: the highest live stage
    assert "137****1111" in html and "13700001111" not in html         # masked for a salesperson
    assert "11010519491231002X" not in html
    assert "区位不满意" in html and "云璟花园" in html
    timeline = html[html.index("loupan-timeline"):]
    order = [timeline.index(text) for text in ("第2次回访", "Complaint · 工程质量 recorded", "第1次回访",
                                               "First visit to", "第0次回访")]
    assert order == sorted(order)                                       # newest first
    client.get("/logout/")
    login(client, "manager")                                           # may see personal data in full
    assert "13700001111" in client.get("/crm/customer360/%d" % pk).get_data(as_text=True)


def test_360_is_linked_from_the_customer_list_and_page(client, app):
    with app.app_context():
        pk = one_customer_of("E1003").id
    login(client, "sales")
    assert "/crm/customer360/%d" % pk in client.get("/customerview/list/?psize_CustomerView=100") \
        .get_data(as_text=True)
    assert "/crm/customer360/%d" % pk in client.get("/customerview/show/%d" % pk).get_data(as_text=True)


def test_someone_elses_customer_360_is_refused_and_logged(client, app, caplog):
    with app.app_context():
        other = one_customer_of("E1009")
        pk, name = other.id, other.name
    login(client, "sales")
    client.get("/lang/en")
    with caplog.at_level(logging.WARNING, logger="app.crm"):
        html = client.get("/crm/customer360/%d" % pk, follow_redirects=True).get_data(as_text=True)
    assert "belongs to another salesperson" in html and "loupan-timeline" not in html
    assert "refused customer %d" % pk in caplog.text
    assert client.get("/crm/customer360/999999").status_code == 404
    assert client.get("/crm/customer360/abc").status_code == 404
    assert client.get("/crm/customer360/99999999999999").status_code == 404
    client.get("/logout/")
    login(client, "manager")                                           # another department's: refused too
    assert client.get("/crm/customer360/%d" % pk).status_code == 302
    client.get("/logout/")
    login(client, "admin")
    assert name in client.get("/crm/customer360/%d" % pk).get_data(as_text=True)


def test_360_runs_the_same_number_of_queries_for_5_or_50_entries(client, app):
    with app.app_context():
        short = new_customer("短历史", "13700002222")
        history(short, 2)                   # 2 + 2 + 1 = 5 entries
        long = new_customer("长历史", "13700003333")
        history(long, 25)                   # 25 + 25 + 1 = 51 entries
        ids = short.id, long.id
    login(client, "sales")
    few = _count(app, client, "/crm/customer360/%d" % ids[0])
    many = _count(app, client, "/crm/customer360/%d" % ids[1])
    html = client.get("/crm/customer360/%d" % ids[1]).get_data(as_text=True)
    assert html.count('data-kind="follow_up"') == 25 and html.count('data-kind="visit"') == 25
    assert few == many


def test_stage_changes_of_an_opportunity_are_in_the_history(client, app):
    with app.app_context():
        customer = new_customer("李雷", "13700004444")
        opp = Opportunity(customer=customer, project=project(), stage="intent", owner=employee("E1003"))
        db.session.add(opp)
        db.session.commit()
        opp.stage = "lost"
        opp.lost_reason = lookup("lost_reason", "价格因素")
        db.session.commit()
        pk = customer.id
    login(client, "sales")
    client.get("/lang/en")
    html = client.get("/crm/customer360/%d" % pk).get_data(as_text=True)
    assert "Opportunity for 云璟花园 created" in html and "Opportunity for 云璟花园 lost" in html
    assert "Potential customer" in html                                 # lost ones do not count
