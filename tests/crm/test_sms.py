"""Text messages (短信群发): templates and placeholders, the recipient list (filters, scope,
opt-out), the send log, the outbox and HTTP gateways, and the dispatch job."""
import datetime as dt
import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.crm.models import Customer, Opportunity, SmsMessage, SmsRecipient, SmsTemplate, Visit
from app.crm.services import sms
from app.crm.services import sms_gateways as gateways
from app.extensions import db
from app.jobs import services as jobs
from tests.conftest import api_token, form_token, login
from tests.crm.helpers import customers_of, employee, lookup, one_customer_of, project


# ---- helpers ------------------------------------------------------------------------------

class FakeGateway:
    """A local HTTP server standing in for an SMS provider (never a real one): it answers by
    `mode` ("ok", "fail", "slow", "noid") and refuses any key but `key`."""

    def __init__(self, mode="ok", key="good-key", delay=1.0):
        self.mode, self.key, self.delay = mode, key, delay
        self.requests = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8"))
                fake.requests.append({"auth": self.headers.get("Authorization"), "body": body})
                if self.headers.get("Authorization") != "Bearer " + fake.key:
                    return self._answer(401, {"error": "bad key"})
                if fake.mode == "fail":
                    return self._answer(500, {"error": "provider down"})
                if fake.mode == "slow":
                    time.sleep(fake.delay)
                if fake.mode == "noid":
                    return self._answer(200, {"ok": True})
                return self._answer(200, {"id": "gw-%d" % len(fake.requests)})

            def _answer(self, status, data):
                raw = json.dumps(data).encode()
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(raw)))
                    self.end_headers()
                    self.wfile.write(raw)
                except OSError:
                    pass  # the client gave up waiting (the timeout test)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return "http://127.0.0.1:%d/sms" % self.server.server_address[1]

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def http_gateway(app, monkeypatch):
    """The HTTP gateway configured against a fake provider."""
    with FakeGateway() as fake:
        monkeypatch.setitem(app.config, "LOUPAN_SMS_GATEWAY", "http")
        monkeypatch.setitem(app.config, "LOUPAN_SMS_URL", fake.url)
        monkeypatch.setitem(app.config, "LOUPAN_SMS_KEY", "good-key")
        monkeypatch.setitem(app.config, "LOUPAN_SMS_TIMEOUT", 0.5)
        yield fake


def template(name="到访邀约"):
    return db.session.query(SmsTemplate).filter_by(name=name).one()


def stored():
    return db.session.query(SmsMessage).count(), db.session.query(SmsRecipient).count()


def sendable_of(number, count):
    """`count` customers of the employee who can receive a message."""
    return (customers_of(number).filter(Customer.sms_opt_out.is_(False), Customer.phone.is_not(None))
            .order_by(Customer.id).limit(count).all())


def masked(phone):
    return phone[:3] + "****" + phone[-4:]


# ---- templates and placeholders -------------------------------------------------------------

def test_placeholders_render_in_chinese_and_english_names(app, ctx):
    parts = sms.parse("{客户姓名}您好，{项目}见。{置业顾问}（{salesperson_phone}）｛称呼｝")
    text = sms.render(parts, {"customer_name": "王伟", "project": "云璟花园", "salesperson": "林晓燕",
                              "salesperson_phone": "13800138003", "customer_title": "王先生"})
    assert text == "王伟您好，云璟花园见。林晓燕（13800138003）王先生"
    assert sms.title_of("李娜", "female") == "李女士" and sms.title_of("李娜", None) == "李娜"
    assert sms.segments("字" * 70) == 1 and sms.segments("字" * 71) == 2 and sms.segments("字" * 135) == 3


@pytest.mark.parametrize("content, words", [
    ("{客户名}您好", ["{客户名}", "{客户姓名}"]),
    ("{客户姓名}您好，{foo}和{bar}", ["{foo}", "{bar}"]),
    ("{客户姓名您好", ["not closed"]),
    ("客户姓名}您好", ["has no"]),
    ("{}您好", ["empty"]),
    ("{客户{姓名}}", ["not closed"]),
])
def test_malformed_placeholders_are_refused_with_a_clear_message(app, content, words):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(BusinessError) as refused:
            sms.check_content(content)
        for word in words:
            assert word in str(refused.value)


def test_template_with_unknown_placeholder_is_not_saved_and_a_good_one_is_previewed(client, app):
    with app.app_context():
        before = db.session.query(SmsTemplate).count()
    login(client, "manager")
    client.get("/lang/en")
    token = form_token(client, "/smstemplateview/add")
    html = client.post("/smstemplateview/add", data={"csrf_token": token, "name": "开盘", "active": "y",
                                                     "content": "{姓名}您好，{项目}开盘"},
                       follow_redirects=True).get_data(as_text=True)
    assert "Unknown placeholder {姓名}" in html and "{客户姓名}" in html
    with app.app_context():
        assert db.session.query(SmsTemplate).count() == before
    client.post("/smstemplateview/add", data={"csrf_token": token, "name": "开盘", "active": "y",
                                              "content": "尊敬的｛称呼｝，{项目}下周开盘"})
    with app.app_context():
        saved = db.session.query(SmsTemplate).filter_by(name="开盘").one()
        assert saved.content == "尊敬的{称呼}，{项目}下周开盘"
        pk = saved.id
    page = client.get("/smstemplateview/show/%d" % pk).get_data(as_text=True)
    assert "尊敬的王先生，云璟花园下周开盘" in page


def test_a_used_template_cannot_be_deleted_and_salespeople_do_not_manage_templates(client, app):
    with app.app_context():
        used = template().id
    login(client, "manager")
    client.get("/lang/en")
    token = form_token(client, "/smstemplateview/list/")
    html = client.post("/smstemplateview/delete/%d" % used, data={"csrf_token": token},
                       follow_redirects=True).get_data(as_text=True)
    assert "make it inactive" in html
    with app.app_context():
        assert db.session.get(SmsTemplate, used) is not None
    client.get("/logout/")
    login(client, "sales")
    assert client.get("/smstemplateview/list/").status_code in (302, 403)
    assert client.get("/smsoutboxview/list/").status_code in (302, 403)


# ---- the recipient list ---------------------------------------------------------------------

def test_not_visited_for_n_days_reads_the_visit_table(app, ctx):
    sales, gz, sz = employee("E1003"), project("GZ-YJ"), project("SZ-HY")
    criteria = sms.Criteria(owner_id=sales.id, not_visited_days=30)

    def matching(c=criteria):
        return {i for (i,) in db.session.query(Customer.id).filter(*sms.conditions(c))}

    now = utcnow()
    recent = {v.customer_id for v in db.session.query(Visit).filter(Visit.visited_at >= now - dt.timedelta(days=30))}
    mine = {c.id for c in customers_of("E1003")}
    assert matching() == mine - recent and matching()
    target = sorted(matching())[0]
    db.session.add(Visit(customer_id=target, project=gz, kind="visit", visited_at=now - dt.timedelta(days=40)))
    db.session.commit()
    assert target in matching()  # a visit 40 days ago is not "in the last 30 days"
    db.session.add(Visit(customer_id=target, project=sz, kind="visit", visited_at=now - dt.timedelta(days=5)))
    db.session.commit()
    assert target not in matching()
    # Not visited *this project* for 30 days: the visit to another project does not count.
    assert target in matching(sms.Criteria(owner_id=sales.id, project_id=gz.id, not_visited_days=30))


def test_grade_stage_and_project_filter_the_opportunities(app, ctx):
    gz, grade_a = project("GZ-YJ"), lookup("opportunity_grade", "A")
    criteria = sms.Criteria(project_id=gz.id, grade_id=grade_a.id)
    got = {i for (i,) in db.session.query(Customer.id).filter(*sms.conditions(criteria))}
    expected = {o.customer_id for o in db.session.query(Opportunity).filter_by(project_id=gz.id, grade_id=grade_a.id)}
    assert got == expected and got
    other = db.session.query(Opportunity).filter(Opportunity.project_id == gz.id,
                                                  Opportunity.grade_id != grade_a.id).first()
    assert other.customer_id not in got
    stage = sms.Criteria(project_id=gz.id, stage="intent")
    got = {i for (i,) in db.session.query(Customer.id).filter(*sms.conditions(stage))}
    assert got == {o.customer_id for o in db.session.query(Opportunity).filter_by(project_id=gz.id, stage="intent")}


def test_bad_filter_values_get_clear_messages(app):
    with app.test_request_context(), force_locale("en"):
        level_not_grade = lookup("customer_level", "A级（重点）").id
        cases = (({"project_id": "abc"}, "project"), ({"grade_id": level_not_grade}, "grade"),
                 ({"stage": "won-ish"}, "stage"), ({"not_visited_days": "0"}, "days"),
                 ({"not_visited_days": "-3"}, "days"), ({"owner_id": "99999"}, "salesperson"), ({}, "at least one"))
        for values, word in cases:
            with pytest.raises(BusinessError) as refused:
                sms.criteria_from(values)
            assert word in str(refused.value), values


# ---- sending --------------------------------------------------------------------------------

def test_opted_out_and_phoneless_customers_are_skipped_and_counted(app, ctx):
    chosen = sendable_of("E1003", 5)
    table = Customer.__table__
    db.session.execute(table.update().where(table.c.id == chosen[0].id).values(sms_opt_out=True))
    db.session.execute(table.update().where(table.c.id == chosen[1].id).values(phone=None, phone2=None))
    # A landline cannot receive a text; a landline with a second, mobile phone gets it there.
    db.session.execute(table.update().where(table.c.id == chosen[2].id).values(phone="02087654321", phone2=None))
    db.session.execute(table.update().where(table.c.id == chosen[3].id).values(phone="02087654322",
                                                                                phone2="13912345678"))
    db.session.commit()
    ids = [c.id for c in chosen]
    preview = sms.plan(sms.Criteria(customer_ids=ids, project_id=project().id), template().id)
    assert (preview.found, preview.sendable, preview.opted_out, preview.no_phone) == (5, 2, 1, 2)
    message = sms.send(sms.Criteria(customer_ids=ids, project_id=project().id), template().id)
    rows = {r.customer_id: r for r in db.session.query(SmsRecipient).filter_by(message_id=message.id)}
    assert (rows[ids[0]].status, rows[ids[0]].skip_reason) == ("skipped", "opted_out")
    assert (rows[ids[1]].status, rows[ids[1]].skip_reason) == ("skipped", "no_phone")
    assert (rows[ids[2]].status, rows[ids[2]].skip_reason) == ("skipped", "no_phone")
    assert (rows[ids[3]].status, rows[ids[3]].phone) == ("sent", "13912345678")
    assert rows[ids[4]].status == "sent" and rows[ids[4]].phone == chosen[4].phone
    assert (message.recipient_count, message.sent_count, message.skipped_count, message.failed_count) == (5, 2, 3, 0)
    # The text names the customer, the project and their salesperson.
    assert rows[ids[4]].text.startswith(chosen[4].name + "您好，云璟") and "林晓燕" in rows[ids[4]].text


def test_an_empty_list_is_refused_and_nothing_is_stored(client, app):
    with app.app_context():
        before = stored()
        tid, gz = template().id, project().id
        nobody = sms.Criteria(owner_id=employee("E1003").id, level_id=lookup("customer_level", "A级（重点）").id,
                              source_id=lookup("visit_channel", "自然到访").id, not_visited_days=1, stage="won",
                              project_id=gz)
        assert db.session.query(Customer.id).filter(*sms.conditions(nobody)).count() == 0
        with force_locale("en"), pytest.raises(sms.EmptyList) as refused:
            sms.send(nobody, tid)
        assert "No customer matches" in str(refused.value)
        db.session.rollback()
        # Everyone found opted out: nobody to send to either.
        one = sendable_of("E1003", 1)[0]
        db.session.execute(Customer.__table__.update().where(Customer.id == one.id).values(sms_opt_out=True))
        db.session.commit()
        with force_locale("en"), pytest.raises(sms.EmptyList) as refused:
            sms.send(sms.Criteria(customer_ids=[one.id]), template("节日问候").id)
        assert "None of the 1 customers" in str(refused.value)
        db.session.rollback()
        assert stored() == before
    login(client, "sales")
    client.get("/lang/en")
    token = form_token(client, "/crm/sms/compose")
    for action in ("preview", "send"):
        response = client.post("/crm/sms/compose", data={
            "csrf_token": token, "template_id": tid, "project_id": gz, "stage": "won", "not_visited_days": "1",
            "level_id": nobody.level_id, "source_id": nobody.source_id, "action": action, "expected": "3"})
        assert response.status_code == 422 and "No customer matches these conditions" in response.get_data(as_text=True)
    api = client.post("/api/v1/crm/sms/", json={"template_id": tid, "filter": nobody.as_dict()},
                      headers=api_token(client, "sales"))
    assert api.status_code == 422 and "No customer matches" in api.json["message"]
    with app.app_context():
        assert stored() == before


def test_preview_page_shows_counts_and_first_messages_then_sends(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_SMS_SYNC_LIMIT", 100000)  # however many demo customers she has
    with app.app_context():
        tid, gz, sales = template("加推通知").id, project().id, employee("E1003")
        mine = {c.id for c in customers_of("E1003")}
        first = (customers_of("E1003").filter(Customer.sms_opt_out.is_(False)).order_by(Customer.id).first())
        opted = customers_of("E1003").filter(Customer.sms_opt_out.is_(True)).count()
        before = stored()
    login(client, "sales")
    client.get("/lang/en")
    token = form_token(client, "/crm/sms/compose")
    data = {"csrf_token": token, "template_id": tid, "project_id": gz, "owner_id": sales.id, "action": "preview"}
    html = client.post("/crm/sms/compose", data=data).get_data(as_text=True)
    counts = re.search(r"(\d+) customers found: (\d+) messages to send, (\d+) skipped", html)
    assert counts and int(counts.group(1)) == len(mine) and int(counts.group(3)) == opted >= 1
    assert "尊敬的%s" % sms.title_of(first.name, first.gender) in html and masked(first.phone) in html
    with app.app_context():
        assert stored() == before  # a preview writes nothing
    # A list that changed since the preview is not sent: the sender looks again.
    stale = client.post("/crm/sms/compose", data=dict(data, action="send", expected="1"))
    assert stale.status_code == 409 and "The list changed since the preview" in stale.get_data(as_text=True)
    sent = client.post("/crm/sms/compose", data=dict(data, action="send", expected=counts.group(2)))
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "%s messages sent; %s customers skipped." % (counts.group(2), counts.group(3)) in page
    with app.app_context():
        message = db.session.query(SmsMessage).order_by(SmsMessage.id.desc()).first()
        assert message.sender_name == "林晓燕" and "林晓燕" in message.filter_description
        assert {r.customer_id for r in db.session.query(SmsRecipient).filter_by(message_id=message.id)} == mine


def test_a_supervisor_sends_with_each_customers_own_salesperson(client, app):
    with app.app_context():
        colleague = sendable_of("E1006", 1)[0]
        tid = template().id
        gz = project().id
    headers = api_token(client, "manager")
    answer = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": [colleague.id],
                                                   "project_id": gz}, headers=headers)
    assert answer.status_code == 201 and answer.json["sent"] == 1
    with app.app_context():
        row = db.session.query(SmsRecipient).filter_by(message_id=answer.json["id"]).one()
        assert "张伟" in row.text and "13800138006" in row.text and row.phone == colleague.phone


def test_recipients_are_stored_in_bulk(app, ctx, monkeypatch):
    """Thousands of recipients: one INSERT for a thousand rows, not one per row."""
    monkeypatch.setitem(app.config, "LOUPAN_SMS_SYNC_LIMIT", 0)  # leave them queued
    statements = []

    def seen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("INSERT INTO SMS_RECIPIENT"):
            statements.append(statement)
    sa.event.listen(db.engine, "before_cursor_execute", seen)
    try:
        everyone = sms.Criteria(project_id=project().id)
        message = sms.send(everyone, template().id)
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", seen)
    assert message.recipient_count > 50
    assert len(statements) == (message.recipient_count + sms.INSERT_CHUNK - 1) // sms.INSERT_CHUNK
    assert db.session.query(SmsRecipient).filter_by(message_id=message.id, status="queued").count() == \
        message.recipient_count - message.skipped_count


# ---- confidentiality ----------------------------------------------------------------------

def test_a_salespersons_filter_never_reaches_a_colleagues_customer(client, app):
    with app.app_context():
        tid, gz = template().id, project().id
        mine = {c.id for c in customers_of("E1003")}
        colleagues = {c.id for c in customers_of("E1006")}
        assert colleagues and db.session.query(Opportunity).filter(
            Opportunity.customer_id.in_(colleagues), Opportunity.project_id == gz).count()
    headers = api_token(client, "sales")
    answer = client.post("/api/v1/crm/sms/", json={"template_id": tid, "filter": {"project_id": gz}}, headers=headers)
    assert answer.status_code == 201
    with app.app_context():
        reached = {r.customer_id for r in db.session.query(SmsRecipient).filter_by(message_id=answer.json["id"])}
    assert reached and reached <= mine and not reached & colleagues
    # The supervisor's same filter reaches both (the department's customers).
    boss = client.post("/api/v1/crm/sms/", json={"template_id": tid, "filter": {"project_id": gz}, "dry_run": True},
                       headers=api_token(client, "manager"))
    assert boss.status_code == 200 and boss.json["found"] >= len(mine) + len(colleagues)


def test_customers_of_others_by_id_url_or_owner_are_refused_and_logged(client, app, caplog):
    with app.app_context():
        tid = template().id
        own = sendable_of("E1003", 1)[0].id
        other = one_customer_of("E1006")
        other_id, other_name, other_owner = other.id, other.name, other.owner_id
        before = stored()
    headers = api_token(client, "sales")
    with caplog.at_level(logging.WARNING, logger="app.crm"):
        mixed = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": [own, other_id]},
                            headers=headers)
        owner = client.post("/api/v1/crm/sms/", json={"template_id": tid, "filter": {"owner_id": other_owner}},
                            headers=headers)
    assert mixed.status_code == 403 and owner.status_code == 403
    assert "refused customer %d" % other_id in caplog.text
    assert client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": [999999]},
                       headers=headers).status_code == 404
    login(client, "sales")
    client.get("/lang/en")
    page = client.get("/crm/sms/compose?customer=%d" % other_id, follow_redirects=True).get_data(as_text=True)
    assert "belong to another salesperson" in page and other_name not in page
    assert client.get("/crm/sms/compose?customer=abc", follow_redirects=True).status_code == 200
    token = form_token(client, "/crm/sms/compose")
    forged = client.post("/crm/sms/compose", data={"csrf_token": token, "template_id": tid, "customer": other_id,
                                                   "action": "send"})
    assert forged.status_code == 302 and other_name not in client.get(forged.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        assert stored() == before


def test_the_send_log_is_scoped(client, app):
    with app.app_context():
        tid = template("节日问候").id
        own = sendable_of("E1003", 1)[0].id
    sent = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": [own]},
                       headers=api_token(client, "sales"))
    pk = sent.json["id"]
    colleague = api_token(client, "sales2")
    assert pk not in client.get("/api/v1/crm/sms/messages/", headers=colleague).json["ids"]
    assert client.get("/api/v1/crm/sms/messages/%d" % pk, headers=colleague).status_code == 403
    assert client.get("/api/v1/crm/sms/messages/%d/recipients" % pk, headers=colleague).status_code == 403
    boss = api_token(client, "manager")
    assert pk in client.get("/api/v1/crm/sms/messages/", headers=boss).json["ids"]
    rows = client.get("/api/v1/crm/sms/messages/%d/recipients" % pk, headers=boss).json
    assert rows["count"] == 1 and rows["result"][0]["status"] == "sent"
    login(client, "sales2")
    client.get("/lang/en")
    page = client.get("/smsmessageview/show/%d" % pk, follow_redirects=True).get_data(as_text=True)
    assert "sent by someone else" in page


# ---- opt-out ------------------------------------------------------------------------------

def test_the_owner_marks_a_customer_opted_out_and_back_a_colleague_may_not(client, app):
    with app.app_context():
        customer = sendable_of("E1003", 1)[0]
        pk = customer.id
    login(client, "sales")
    client.get("/lang/en")
    token = form_token(client, "/crm/sms/compose?customer=%d" % pk)
    client.post("/crm/sms/opt-out/%d" % pk, data={"csrf_token": token, "value": "1"})
    with app.app_context():
        assert db.session.get(Customer, pk).sms_opt_out is True
    page = client.get("/crm/sms/compose?customer=%d" % pk).get_data(as_text=True)
    assert "loupan-opted-out" in page
    client.get("/logout/")  # the tokens below act alone, without the page's session
    colleague = api_token(client, "sales2")
    refused = client.post("/api/v1/crm/sms/opt-out/%d" % pk, json={"opt_out": False}, headers=colleague)
    assert refused.status_code == 403
    assert client.post("/api/v1/crm/sms/opt-out/%d" % pk, json={"opt_out": "no"},
                       headers=colleague).status_code == 400
    back = client.post("/api/v1/crm/sms/opt-out/%d" % pk, json={"opt_out": False},
                       headers=api_token(client, "manager"))
    assert back.status_code == 200 and back.json["sms_opt_out"] is False
    with app.app_context():
        assert db.session.get(Customer, pk).sms_opt_out is False


# ---- gateways -----------------------------------------------------------------------------

def test_the_outbox_gateway_keeps_messages_for_admins(client, app):
    with app.app_context():
        customer = sendable_of("E1003", 1)[0]
        tid = template("节日问候").id
    answer = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": [customer.id]},
                         headers=api_token(client, "sales"))
    assert answer.status_code == 201 and answer.json["gateway"] == "outbox"
    with app.app_context():
        row = db.session.query(SmsRecipient).filter_by(message_id=answer.json["id"]).one()
        assert (row.status, row.gateway) == ("sent", "outbox") and row.sent_at is not None
        text = row.text
    login(client, "admin")
    outbox = client.get("/smsoutboxview/list/").get_data(as_text=True)
    assert text[:20] in outbox and customer.phone in outbox


def test_the_http_gateway_against_a_fake_provider(app, ctx):
    with FakeGateway() as fake:
        good = gateways.HttpGateway(fake.url, "good-key", timeout=2)
        result = good.send("13800138000", "王伟您好", "loupan-1")
        assert result.ok and result.ref == "gw-1"
        assert fake.requests[0] == {"auth": "Bearer good-key",
                                    "body": {"phone": "13800138000", "text": "王伟您好", "ref": "loupan-1"}}
        with force_locale("en"):
            bad_key = gateways.HttpGateway(fake.url, "wrong", timeout=2).send("13800138000", "x", "loupan-2")
            assert not bad_key.ok and bad_key.systemic and "refused the key (HTTP 401)" in bad_key.error
            fake.mode = "fail"
            failed = good.send("13800138000", "x", "loupan-3")
            assert not failed.ok and "HTTP 500" in failed.error and "provider down" in failed.error
            fake.mode = "noid"
            noid = good.send("13800138000", "x", "loupan-4")
            assert not noid.ok and "no message id" in noid.error
            fake.mode, fake.delay = "slow", 1.5
            started = time.monotonic()
            slow = gateways.HttpGateway(fake.url, "good-key", timeout=0.3).send("13800138000", "x", "loupan-5")
            assert not slow.ok and slow.systemic and "did not answer within 0.3 seconds" in slow.error
            assert time.monotonic() - started < 1.4
    with force_locale("en"):
        closed = gateways.HttpGateway(fake.url, "good-key", timeout=1).send("13800138000", "x", "loupan-6")
        assert not closed.ok and "could not be reached" in closed.error


def test_a_misconfigured_gateway_refuses_the_send_and_stores_nothing(app, ctx, monkeypatch):
    before = stored()
    for settings in ({"LOUPAN_SMS_GATEWAY": "carrier-pigeon"},
                     {"LOUPAN_SMS_GATEWAY": "http", "LOUPAN_SMS_URL": "file:///etc/passwd"}):
        for key, value in settings.items():
            monkeypatch.setitem(app.config, key, value)
        with pytest.raises(gateways.GatewayNotConfigured):
            sms.send(sms.Criteria(customer_ids=[sendable_of("E1003", 1)[0].id]), template("节日问候").id)
        db.session.rollback()
    assert stored() == before


def test_http_failures_are_recorded_per_recipient_never_a_500(client, app, http_gateway):
    with app.app_context():
        customers = sendable_of("E1003", 2)
        tid = template("节日问候").id
    http_gateway.key = "rotated-key"  # the provider no longer accepts ours
    answer = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": [c.id for c in customers]},
                         headers=api_token(client, "sales"))
    assert answer.status_code == 201 and answer.json["failed"] == 2 and answer.json["sent"] == 0
    with app.app_context():
        rows = db.session.query(SmsRecipient).filter_by(message_id=answer.json["id"]).all()
        assert {r.status for r in rows} == {"failed"} and all("HTTP 401" in r.error for r in rows)
    http_gateway.key = "good-key"
    http_gateway.mode = "fail"
    login(client, "sales")
    token = form_token(client, "/crm/sms/compose")
    sent = client.post("/crm/sms/compose", data={"csrf_token": token, "template_id": tid, "action": "send",
                                                 "customer": [c.id for c in customers], "expected": "2"})
    assert sent.status_code == 302
    page = client.get(sent.headers["Location"])
    assert page.status_code == 200 and "HTTP 500" in page.get_data(as_text=True)


def test_a_gateway_that_stops_answering_stops_the_dispatch_and_keeps_the_rest_queued(app, ctx, http_gateway,
                                                                                   monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_SMS_SYNC_LIMIT", 0)
    http_gateway.mode, http_gateway.delay = "slow", 1.0
    monkeypatch.setitem(app.config, "LOUPAN_SMS_TIMEOUT", 0.2)
    ids = [c.id for c in sendable_of("E1003", 6)]
    message = sms.send(sms.Criteria(customer_ids=ids), template("节日问候").id)
    outcome = sms.dispatch()
    stopped_after = sms.MAX_SYSTEMIC_FAILURES
    assert (outcome.sent, outcome.failed, outcome.requeued) == (0, stopped_after, 6 - stopped_after)
    statuses = dict(db.session.query(SmsRecipient.status, sa.func.count()).filter_by(message_id=message.id)
                    .group_by(SmsRecipient.status).all())
    assert statuses == {"failed": 3, "queued": 3}
    db.session.refresh(message)
    assert message.failed_count == 3 and message.pending_count == 3 and message.finished_at is None
    http_gateway.mode = "ok"
    sms.dispatch()
    db.session.refresh(message)
    assert (message.sent_count, message.failed_count, message.pending_count) == (3, 3, 0) and message.finished_at


# ---- the job ------------------------------------------------------------------------------

def test_a_big_send_is_queued_and_the_job_sends_each_message_once(client, app, http_gateway, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_SMS_SYNC_LIMIT", 3)
    with app.app_context():
        ids = [c.id for c in sendable_of("E1003", 5)]
        tid = template("节日问候").id
    answer = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": ids},
                         headers=api_token(client, "sales"))
    assert answer.status_code == 201 and answer.json["waiting"] == 5 and not http_gateway.requests
    with app.app_context():
        due = jobs.current_due_time(jobs.get_job("crm_sms_dispatch"))
        first = jobs.run_due("crm_sms_dispatch", due, triggered_by="test")
        again = jobs.run_due("crm_sms_dispatch", due, triggered_by="test")
        extra = jobs.run_now("crm_sms_dispatch", triggered_by="test")
        assert first.status == "succeeded" and "5 sent" in first.message
        assert again.status == "skipped" and extra.status == "succeeded" and "nothing queued" in extra.message
        message = db.session.get(SmsMessage, answer.json["id"])
        assert (message.sent_count, message.pending_count) == (5, 0)
        refs = sorted(r.gateway_ref for r in db.session.query(SmsRecipient).filter_by(message_id=message.id))
    sent_refs = [r["body"]["ref"] for r in http_gateway.requests]
    assert len(sent_refs) == len(set(sent_refs)) == 5
    assert refs == sorted("gw-%d" % n for n in range(1, 6))


def test_two_dispatchers_never_claim_the_same_row_and_stale_claims_fail(app, ctx, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_SMS_SYNC_LIMIT", 0)
    ids = [c.id for c in sendable_of("E1003", 6)]
    message = sms.send(sms.Criteria(customer_ids=ids), template("节日问候").id)
    first = sms._claim(4, message.id)
    second = sms._claim(4, message.id)
    assert len(first) == 4 and len(second) == 2 and not {r.id for r in first} & {r.id for r in second}
    assert sms._claim(4, message.id) == []
    # A dispatcher died holding `first`: after a while those rows are failed, never re-sent.
    assert sms.expire_stale(now=utcnow() + dt.timedelta(minutes=5)) == 0
    assert sms.expire_stale(now=utcnow() + sms.STALE_CLAIM + dt.timedelta(minutes=1)) == 6
    db.session.refresh(message)
    assert message.failed_count == 6 and message.finished_at is not None


# ---- demo, timeline -------------------------------------------------------------------------

def test_demo_has_templates_and_a_past_message_in_the_outbox(app, ctx):
    assert db.session.query(SmsTemplate).filter(SmsTemplate.active.is_(True)).count() >= 3
    message = db.session.query(SmsMessage).order_by(SmsMessage.id).first()
    assert message.sender_name == "林晓燕" and message.sent_count >= 2 and message.skipped_count == 1
    outbox = db.session.query(SmsRecipient).filter_by(message_id=message.id, gateway="outbox", status="sent").count()
    assert outbox == message.sent_count


def test_the_customer_timeline_shows_their_texts(app, ctx):
    from app.crm.services import timeline
    row = db.session.query(SmsRecipient).filter_by(status="sent").order_by(SmsRecipient.id).first()
    with app.test_request_context():  # links are URLs
        entries = [e for e in timeline.entries(row.customer) if e.kind == "sms"]
    assert entries and entries[0].detail == row.text and entries[0].who == "林晓燕"


def test_the_log_pages_run_a_fixed_number_of_queries(client, app):
    """The message list, a message with its recipients, and the outbox: the same number of
    queries for 2 recipients as for 40."""
    with app.app_context():
        tid = template("节日问候").id
        few = [c.id for c in sendable_of("E1003", 2)]
        many = [c.id for c in sendable_of("E1003", 40)]
    headers = api_token(client, "sales")
    small = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": few}, headers=headers).json["id"]
    big = client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": many}, headers=headers).json["id"]
    login(client, "admin")
    with app.app_context():
        engine = db.engine

    def queries(url):
        statements = []
        listener = lambda *a, **k: statements.append(1)  # noqa: E731
        client.get(url)  # warm (permissions, menus)
        sa.event.listen(engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            sa.event.remove(engine, "before_cursor_execute", listener)
        return len(statements)

    assert queries("/smsmessageview/show/%d" % small) == queries("/smsmessageview/show/%d" % big)
    assert queries("/smsrecipientview/list/?_flt_0_message=%d&psize_SmsRecipientView=50" % small) == \
        queries("/smsrecipientview/list/?_flt_0_message=%d&psize_SmsRecipientView=50" % big)
    one = queries("/smsmessageview/list/")
    for _n in range(3):
        client.post("/api/v1/crm/sms/", json={"template_id": tid, "customer_ids": few},
                    headers=api_token(client, "manager"))
    assert queries("/smsmessageview/list/") == one
    assert queries("/smsoutboxview/list/?psize_SmsOutboxView=50") > 0


def test_a_slow_gateway_leaves_the_rest_for_the_job_after_the_time_budget(app, ctx, http_gateway, monkeypatch):
    monkeypatch.setitem(app.config, "LOUPAN_SMS_SYNC_LIMIT", 0)
    monkeypatch.setitem(app.config, "LOUPAN_SMS_TIMEOUT", 2)
    http_gateway.mode, http_gateway.delay = "slow", 0.3
    message = sms.send(sms.Criteria(customer_ids=[c.id for c in sendable_of("E1003", 6)]), template("节日问候").id)
    outcome = sms.dispatch(seconds=0.5)
    assert outcome.failed == 0 and 1 <= outcome.sent < 6 and outcome.sent + outcome.requeued == 6
    db.session.refresh(message)
    assert message.sent_count == outcome.sent and message.pending_count == 6 - outcome.sent
    assert db.session.query(SmsRecipient).filter_by(message_id=message.id, status="sending").count() == 0
