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
