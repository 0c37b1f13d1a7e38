"""No query per row: every customer list page runs the same number of SQL statements with 5
rows on it as with 50, for a salesperson (林晓燕), her supervisor (陈志明) and the admin."""
import datetime as dt
import re

import pytest
import sqlalchemy as sa

from app.crm.models import Customer, FollowUp
from app.extensions import db
from tests.conftest import login
from tests.crm.helpers import employee, today

USERS = ("sales", "manager", "admin")
# FAB list pages: (URL path, view name for the page size argument).
LISTS = [
    ("customerview", "CustomerView"),
    ("visitview", "VisitView"),
    ("opportunityview", "OpportunityView"),
    ("followupview", "FollowUpView"),
]


class Statements:
    """Counts the SQL statements sent to the database while it is open."""

    def __init__(self, app):
        with app.app_context():
            self.engine = db.engine
        self.count = 0

    def _seen(self, *_args):
        self.count += 1

    def __enter__(self):
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *_exc):
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)


def _get(app, client, url):
    """(statements run, page) of one GET that must answer 200."""
    with Statements(app) as statements:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return statements.count, response.get_data(as_text=True)


def _shown(html, path):
    """How many records the FAB list shows (each row links to its detail page)."""
    return len(set(re.findall(r'href="/%s/show/(\d+)' % path, html)))


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("path,view", LISTS)
def test_list_page_runs_as_many_queries_for_50_rows_as_for_5(app, client, username, path, view):
    login(client, username)
    url = "/%s/list/?psize_%s=%%d" % (path, view)
    client.get(url % 5)  # the login's first page fills what a session caches
    few, few_html = _get(app, client, url % 5)
    many, many_html = _get(app, client, url % 50)
    assert (_shown(few_html, path), _shown(many_html, path)) == (5, 50)
    assert few == many, "%s as %s: %d statements for 5 rows, %d for 50" % (path, username, few, many)


def _make_due(count):
    """Exactly `count` open follow-ups due (half overdue, half today), all of 林晓燕's customers:
    she, her supervisor and the admin all see them."""
    db.session.execute(sa.update(FollowUp).where(FollowUp.open.is_(True)).values(open=False))
    ids = db.session.execute(
        sa.select(FollowUp.id).join(Customer, FollowUp.customer_id == Customer.id)
        .where(Customer.owner_id == employee("E1003").id).order_by(FollowUp.id).limit(count)).scalars().all()
    assert len(ids) == count
    for n, pk in enumerate(ids):
        db.session.execute(sa.update(FollowUp).where(FollowUp.id == pk).values(
            open=True, next_date=today() - dt.timedelta(days=n % 2 * 3)))
    db.session.commit()


@pytest.mark.parametrize("username", USERS)
def test_follow_ups_due_runs_as_many_queries_for_50_rows_as_for_5(app, client, username):
    login(client, username)
    counts = []
    for rows in (5, 50):
        with app.app_context():
            _make_due(rows)
            db.session.remove()
        client.get("/followupview/due/")
        statements, html = _get(app, client, "/followupview/due/")
        assert len(re.findall(r'<tr class="(?:danger|warning)"', html)) == rows
        counts.append(statements)
    assert counts[0] == counts[1], "due page as %s: %d statements for 5 rows, %d for 50" % (username, *counts)


# ---- the pages of transfers, complaints and service, text messages and the public pool ----------

def _rows(html, css_class):
    """Rows of the table with this class (the "nothing here" row does not count)."""
    start = html.index(' %s"' % css_class)
    body = html[start:html.index("</table>", start)].split("<tbody>", 1)[1]
    return len(re.findall(r"<tr[ >]", body)) - body.count('class="text-muted"')


def _customers_of_sales(count):
    ids = db.session.execute(sa.select(Customer.id).where(Customer.owner_id == employee("E1003").id)
                             .order_by(Customer.id).limit(count)).scalars().all()
    assert len(ids) == count
    return ids


def _transfers(count):
    from app.crm.models import CustomerTransfer
    db.session.execute(CustomerTransfer.__table__.insert(), [
        {"batch": "bench%03d" % n, "customer_id": pk, "from_employee_id": employee("E1006").id,
         "to_employee_id": employee("E1003").id, "reason": "离职交接", "at": dt.datetime(2026, 1, 1, 9, n % 60),
         "opportunities_moved": 0} for n, pk in enumerate(_customers_of_sales(count))])


def _service_requests(count):
    from app.core.models import LookupValue
    from app.crm.models import ServiceRequest
    kind = db.session.query(LookupValue).filter_by(list_code="complaint_type").first()
    db.session.execute(ServiceRequest.__table__.insert(), [
        {"customer_id": pk, "kind": "complaint", "type_id": kind.id, "content": "样板间空调不制冷", "urgency": "normal",
         "status": "assigned", "received_at": dt.datetime(2026, 1, 1, 9, n % 60),
         "assigned_to_id": employee("E1003").id, "received_by_id": employee("E1003").id}
        for n, pk in enumerate(_customers_of_sales(count))])


def _text_messages(count):
    from app.crm.models import SmsMessage, SmsRecipient, SmsTemplate
    sales = employee("E1003")
    db.session.execute(SmsTemplate.__table__.insert(), [
        {"name": "模板%03d" % n, "content": "{客户姓名}您好，周末暖场活动欢迎光临", "active": True,
         "created_at": dt.datetime(2026, 1, 1)} for n in range(count)])
    db.session.execute(SmsMessage.__table__.insert(), [
        {"sender_id": sales.user_id, "sender_employee_id": sales.id, "text": "周末暖场活动", "gateway": "outbox",
         "recipient_count": 1, "sent_count": 1, "created_at": dt.datetime(2026, 1, 1, 9, n % 60)}
        for n in range(count)])
    messages = db.session.execute(sa.select(SmsMessage.id).order_by(SmsMessage.id.desc()).limit(count)).scalars().all()
    db.session.execute(SmsRecipient.__table__.insert(), [
        {"message_id": message, "customer_id": pk, "text": "周末暖场活动", "status": "sent", "gateway": "outbox"}
        for message, pk in zip(messages, _customers_of_sales(count))])


# FAB list pages of the other parts: (URL path, view name, what writes 60 rows 林晓燕 may see).
MORE_LISTS = [
    ("customertransferview", "CustomerTransferView", _transfers),
    ("servicerequestview", "ServiceRequestView", _service_requests),
    ("smsmessageview", "SmsMessageView", _text_messages),
    ("smstemplateview", "SmsTemplateView", _text_messages),
    ("smsoutboxview", "SmsOutboxView", _text_messages),
]


@pytest.mark.parametrize("username", USERS)
@pytest.mark.parametrize("path,view,make", MORE_LISTS, ids=[p for p, _v, _m in MORE_LISTS])
def test_other_list_pages_run_as_many_queries_for_50_rows_as_for_5(app, client, username, path, view, make):
    with app.app_context():
        make(60)
        db.session.commit()
        db.session.remove()
    login(client, username)
    url = "/%s/list/?psize_%s=%%d" % (path, view)
    if client.get(url % 5).status_code != 200:
        pytest.skip("%s may not open %s" % (username, path))
    few, few_html = _get(app, client, url % 5)
    many, many_html = _get(app, client, url % 50)
    assert (_shown(few_html, path), _shown(many_html, path)) == (5, 50)
    assert few == many, "%s as %s: %d statements for 5 rows, %d for 50" % (path, username, few, many)


def _pooled(count):
    """Exactly `count` opportunities of 林晓燕's customers in the public pool."""
    from app.core.models.base import utcnow
    from app.crm.models import Opportunity
    opp = Opportunity.__table__
    db.session.execute(opp.update().where(opp.c.pooled_at.is_not(None))
                       .values(owner_id=opp.c.pooled_from_id, pooled_at=None, pooled_from_id=None))
    ids = db.session.execute(sa.select(opp.c.id).where(opp.c.owner_id == employee("E1003").id)
                             .order_by(opp.c.id).limit(count)).scalars().all()
    assert len(ids) == count
    db.session.execute(opp.update().where(opp.c.id.in_(ids)).values(
        pooled_from_id=opp.c.owner_id, owner_id=None, pooled_at=utcnow(), stage="intent"))


def _at_risk(count):
    """Exactly `count` open opportunities (potential or intent) that can return to the pool, all
    林晓燕's: every other one is further on."""
    from app.crm.models import Opportunity
    opp = Opportunity.__table__
    ids = db.session.execute(sa.select(opp.c.id).where(opp.c.owner_id == employee("E1003").id)
                             .order_by(opp.c.id).limit(count)).scalars().all()
    assert len(ids) == count
    db.session.execute(opp.update().where(opp.c.id.not_in(ids)).values(stage="signed", lost_reason_id=None))
    db.session.execute(opp.update().where(opp.c.id.in_(ids)).values(stage="intent", pooled_at=None))


def _overdue(count):
    _make_due(count)
    db.session.execute(sa.update(FollowUp).where(FollowUp.open.is_(True), FollowUp.next_date >= today())
                       .values(next_date=today() - dt.timedelta(days=2)))


def _assigned(count):
    from app.crm.models import ServiceRequest
    db.session.execute(sa.update(ServiceRequest).values(assigned_to_id=None))
    db.session.execute(sa.delete(ServiceRequest).where(ServiceRequest.content == "样板间空调不制冷"))
    _service_requests(count)


# Pages of their own: (URL, table class, what makes exactly n rows, users who open it).
PAGES = [
    ("/crm/pool/", "loupan-pool", _pooled, ("sales", "manager")),
    ("/crm/pool/mine/", "loupan-pool-mine", _at_risk, ("sales", "manager")),
    ("/followupview/team/", "loupan-team-overdue", _overdue, ("manager",)),
    ("/servicerequestview/mine/", "loupan-service-mine", _assigned, ("sales",)),
]


@pytest.mark.parametrize("url,css,make,users", PAGES, ids=[u for u, _c, _m, _u in PAGES])
def test_other_pages_run_as_many_queries_for_50_rows_as_for_5(app, client, url, css, make, users):
    for username in users:
        client.get("/logout/")
        login(client, username)
        counts = []
        for rows in (5, 50):
            with app.app_context():
                make(rows)
                db.session.commit()
                db.session.remove()
            client.get(url)
            statements, html = _get(app, client, url)
            assert _rows(html, css) == rows, (url, username)
            counts.append(statements)
        assert counts[0] == counts[1], "%s as %s: %d statements for 5 rows, %d for 50" % (url, username, *counts)
