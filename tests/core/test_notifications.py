"""The notification centre: only one's own notifications, marking read, the navbar bell."""
import re

import sqlalchemy as sa
from flask import current_app

from app.core.models import Notification
from app.core.services import notifications
from app.extensions import db
from tests.conftest import api_token, form_token, login


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def _client(app, username):
    client = app.test_client()
    assert login(client, username).status_code == 302
    return client


def _notes(app):
    """Three for sales (one with a link), one for manager; returns their ids."""
    with app.app_context():
        sales = [notifications.notify(user("sales"), "客户回访提醒 %d" % i, "请跟进", "/approvals/mine/")
                 for i in range(3)]
        manager = notifications.notify(user("manager"), "经理的通知", None, None)
        return [n.id for n in sales], manager.id


def test_notify_count_and_mark_read(ctx):
    sales, manager = user("sales"), user("manager")
    manager_unread = notifications.unread_count(manager)  # the demo data has one for the manager
    ids = [notifications.notify(sales, "t%d" % i).id for i in range(3)]
    other = notifications.notify(manager.id, "m").id
    assert notifications.unread_count(sales) == 3 and notifications.unread_count(manager) == manager_unread + 1
    assert notifications.mark_read(sales, [ids[0], other]) == 1  # manager's id is ignored
    assert notifications.unread_count(sales) == 2 and notifications.unread_count(manager) == manager_unread + 1
    assert notifications.mark_read(sales, notifications.ALL) == 2
    assert notifications.unread_count(sales) == 0 and notifications.unread_count(manager) == manager_unread + 1
    assert db.session.get(Notification, other).read_at is None
    total, items = notifications.list_for(sales)
    assert total == 3 and [n.id for n in items] == list(reversed(ids))
    assert notifications.get_for(sales, other) is None
    assert notifications.open_for(sales, other) is None


def test_links_stay_inside_the_application(ctx):
    for bad in ("https://evil.example/", "//evil.example/x", "/\\evil.example", "javascript:alert(1)", "x"):
        assert notifications.safe_link(bad) is None
    assert notifications.safe_link("/approvals/show/3") == "/approvals/show/3"
    note = notifications.notify(user("sales"), "x" * 300, "y" * 3000, "https://evil.example/")
    assert note.link is None and len(note.title) == 200 and len(note.body) == 2000


def test_notification_centre_shows_only_ones_own(app):
    with app.app_context():
        manager_unread = notifications.unread_count(user("manager"))  # the demo data's, if any
    sales_ids, manager_id = _notes(app)
    sales = _client(app, "sales")
    page = sales.get("/notifications/list/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "客户回访提醒 2" in html and "经理的通知" not in html
    # Another user's notification: 404, and it stays unread.
    assert sales.get("/notifications/open/%d" % manager_id).status_code == 404
    token = form_token(sales, "/notifications/list/")
    assert sales.post("/notifications/read/%d" % manager_id, data={"csrf_token": token}).status_code == 404
    assert sales.get("/notifications/open/99999").status_code == 404
    with app.app_context():
        assert db.session.get(Notification, manager_id).read_at is None
    # Opening one's own marks it read and follows its link.
    opened = sales.get("/notifications/open/%d" % sales_ids[0])
    assert opened.status_code == 302 and opened.headers["Location"].endswith("/approvals/mine/")
    assert sales.post("/notifications/read/%d" % sales_ids[1], data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert notifications.unread_count(user("sales")) == 1
    assert sales.post("/notifications/read-all/", data={"csrf_token": token}).status_code == 302
    with app.app_context():
        assert notifications.unread_count(user("sales")) == 0
        assert notifications.unread_count(user("manager")) == manager_unread + 1
        assert db.session.get(Notification, manager_id).read_at is None


def test_unread_count_in_the_navbar(app):
    with app.app_context():
        manager_unread = notifications.unread_count(user("manager"))  # the demo data's, if any
    _notes(app)
    sales = _client(app, "sales")
    html = sales.get("/approvals/mine/").get_data(as_text=True)
    match = re.search(r'class="badge loupan-unread-count" data-unread="(\d+)"', html)
    assert match and match.group(1) == "3"
    home = sales.get("/").get_data(as_text=True)
    assert "客户回访提醒 1" in home  # the home page panel
    token = form_token(sales, "/notifications/list/")
    sales.post("/notifications/read-all/", data={"csrf_token": token})
    html = sales.get("/approvals/mine/").get_data(as_text=True)
    assert "loupan-bell" in html and "loupan-unread-count" not in html
    manager = _client(app, "manager")
    html = manager.get("/approvals/mine/").get_data(as_text=True)
    assert 'data-unread="%d"' % (manager_unread + 1) in html


def test_the_unread_count_costs_one_query_per_page(app):
    _notes(app)
    sales = _client(app, "sales")
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    with app.app_context():
        engine = db.engine
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        assert sales.get("/approvals/mine/").status_code == 200
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)
    assert len([s for s in statements if "FROM notification" in s]) == 1


def test_language_flag_defaults_to_chinese(app, client):
    from flask import render_template, session
    flag = re.compile(r'<div class="f16"><i class="flag (\w+)"></i><b class="caret">')
    with app.test_request_context("/"):
        assert "locale" not in session
        html = render_template("appbuilder/navbar_right.html", languages=app.config["LANGUAGES"],
                               appbuilder=app.appbuilder)
        assert flag.search(html).group(1) == "cn"
    html = client.get("/login/").get_data(as_text=True)
    toggle = re.search(r'<div class="f16"><i class="flag (\w+)"></i><b class="caret">', html)
    assert toggle and toggle.group(1) == "cn"
    with client.session_transaction() as session:
        session["locale"] = "en"
    html = client.get("/login/").get_data(as_text=True)
    toggle = re.search(r'<div class="f16"><i class="flag (\w+)"></i><b class="caret">', html)
    assert toggle and toggle.group(1) == "gb"


def test_notifications_api(client, app):
    sales_ids, manager_id = _notes(app)
    sales = api_token(client, "sales")
    listing = client.get("/api/v1/notifications/?unread=1", headers=sales)
    assert listing.status_code == 200 and listing.json["count"] == 3 and listing.json["unread"] == 3
    assert {n["id"] for n in listing.json["result"]} == set(sales_ids)
    assert client.get("/api/v1/notifications/unread_count", headers=sales).json["count"] == 3
    # Someone else's: 404; unknown: 404.
    assert client.post("/api/v1/notifications/%d/read" % manager_id, headers=sales).status_code == 404
    assert client.post("/api/v1/notifications/99999/read", headers=sales).status_code == 404
    one = client.post("/api/v1/notifications/%d/read" % sales_ids[0], headers=sales)
    assert one.status_code == 200 and one.json["result"]["read_at"]
    many = client.post("/api/v1/notifications/read", headers=sales, json={"ids": [sales_ids[1], manager_id]})
    assert many.status_code == 200 and many.json["count"] == 1 and many.json["unread"] == 1
    # Bad input: 400, never 500.
    for body in ({}, {"ids": "1"}, {"ids": ["a"]}, {"ids": [True]}, {"all": "yes"}, [1, 2]):
        assert client.post("/api/v1/notifications/read", headers=sales, json=body).status_code == 400
    assert client.get("/api/v1/notifications/?page=-1", headers=sales).status_code == 400
    assert client.get("/api/v1/notifications/?page_size=x", headers=sales).status_code == 400
    everything = client.post("/api/v1/notifications/read", headers=sales, json={"all": True})
    assert everything.status_code == 200 and everything.json["unread"] == 0
    with app.app_context():
        assert db.session.get(Notification, manager_id).read_at is None
    assert client.get("/api/v1/notifications/").status_code == 401
