"""The refunds resource /api/v1/refunds/ and the refund pages: same rules as the services, answers
400/404/422 (never 500), nothing changed when refused; who may do what."""
from app.core import clock
from app.core.services import approvals
from app.extensions import db
from app.finance.models import Adjustment, Refund
from app.finance.services import receipts
from tests.conftest import api_token, form_token, login
from tests.finance.helpers import D, as_user, counts, days_ago, price_rows, signed

API = "/api/v1/refunds/"


def received(app, deal, amount):
    with as_user(app, "finance"):
        receipts.receive(deal, amount, "transfer", paid_on=days_ago(1))


def approve(app, request_id, username="manager"):
    with as_user(app, username) as who:
        approvals.approve(request_id, who, "同意")


def test_ask_approve_pay_through_the_api(app, ctx, client):
    deal = signed(app)
    received(app, deal, "9000")
    headers = api_token(client, "finance")
    answer = client.post(API, json={"deal": deal.id, "amount": "2500.50", "kind": "overpayment",
                                    "reason": "多收", "payee": "王先生"}, headers=headers)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    data = answer.json
    assert data["amount"] == "2500.50" and data["status"] == "pending" and data["number"].startswith("GZ-YJ-TK-")
    assert data["request_status"] == "pending" and data["payee"] == "王先生"
    got = client.get(API + str(data["id"]), headers=headers)
    assert got.status_code == 200 and got.json["number"] == data["number"]
    listed = client.get(API + "?deal=%d" % deal.id, headers=headers).json
    assert listed["count"] == 1 and listed["result"][0]["id"] == data["id"]
    # Not approved yet: not paid.
    refused = client.post(API + "%d/pay" % data["id"], json={"paid_on": clock.local_today().isoformat(),
                                                              "method": "transfer"}, headers=headers)
    assert refused.status_code == 422
    approve(app, data["request_id"])
    paid = client.post(API + "%d/pay" % data["id"], json={"paid_on": clock.local_today().isoformat(),
                                                           "method": "transfer", "reference": "BK-1"}, headers=headers)
    assert paid.status_code == 200, paid.get_data(as_text=True)
    assert paid.json["status"] == "paid" and paid.json["paid_by"] == "finance" and paid.json["reference"] == "BK-1"
    twice = client.post(API + "%d/pay" % data["id"], json={"paid_on": clock.local_today().isoformat(),
                                                            "method": "cash"}, headers=headers)
    assert twice.status_code == 422


def test_bad_requests_answer_400_404_422_and_change_nothing(app, ctx, client):
    deal = signed(app)
    received(app, deal, "1000")
    headers = api_token(client, "finance")
    before = counts()
    for body, code in (({"deal": deal.id, "amount": "1000.01", "reason": "多收"}, 422),
                       ({"deal": deal.id, "amount": "0", "reason": "多收"}, 422),
                       ({"deal": deal.id, "amount": "10", "reason": ""}, 422),
                       ({"deal": deal.id, "amount": "10", "kind": "gift", "reason": "x"}, 422),
                       ({"deal": deal.id, "amount": 12.5, "reason": "x"}, 400),
                       ({"deal": "x", "amount": "10", "reason": "x"}, 400),
                       ({"deal": 2 ** 31 - 1, "amount": "10", "reason": "x"}, 404),
                       ({"deal": deal.id, "amount": "10", "kind": ["x"], "reason": "x"}, 400)):
        answer = client.post(API, json=body, headers=headers)
        assert answer.status_code == code, (body, answer.status_code, answer.get_data(as_text=True))
    assert client.post(API, data="nonsense", headers=headers, content_type="application/json").status_code == 400
    assert client.get(API + "999999", headers=headers).status_code == 404
    assert client.get(API + "abc", headers=headers).status_code == 404
    assert client.get(API + "?status=bogus", headers=headers).status_code == 400
    assert client.post(API + "999999/pay", json={"paid_on": "2026-01-01", "method": "cash"},
                       headers=headers).status_code == 404
    assert counts() == before


def test_adjustment_through_the_api(app, ctx, client):
    deal = signed(app)
    fee = [r for r in price_rows(deal.id)][0]
    headers = api_token(client, "finance")
    for body, code in (({"receivable": fee.id, "amount": "0", "reason": "x"}, 422),
                       ({"receivable": fee.id, "amount": "-50000.01", "reason": "x"}, 422),
                       ({"receivable": 2 ** 31 - 1, "amount": "-1", "reason": "x"}, 404),
                       ({"receivable": fee.id, "amount": None, "reason": "x"}, 400)):
        answer = client.post(API + "adjustments", json=body, headers=headers)
        assert answer.status_code == code, (body, answer.status_code, answer.get_data(as_text=True))
    assert db.session.query(Adjustment).filter_by(deal_id=deal.id).count() == 0
    made = client.post(API + "adjustments", json={"receivable": fee.id, "amount": "-500", "reason": "减免"},
                       headers=headers)
    assert made.status_code == 201 and made.json["amount"] == "-500.00" and made.json["status"] == "pending"
    assert client.post(API + "adjustments", json={"receivable": fee.id, "amount": "-1", "reason": "再减"},
                       headers=headers).status_code == 422


def test_who_may_use_the_refunds(app, ctx, client):
    deal = signed(app)
    received(app, deal, "1000")
    manager = api_token(client, "manager")
    assert client.get(API, headers=manager).status_code == 200
    assert client.post(API, json={"deal": deal.id, "amount": "10", "reason": "x"}, headers=manager).status_code in (
        401, 403)
    sales = api_token(client, "sales")
    assert client.get(API, headers=sales).status_code in (401, 403)
    assert db.session.query(Refund).filter_by(deal_id=deal.id).count() == 0


def test_the_pages(app, ctx, client):
    deal = signed(app)
    received(app, deal, "8000")
    assert login(client, "finance").status_code == 302
    page = client.get("/finance/refunds/new?deal=%d" % deal.id)
    assert page.status_code == 200 and "8,000.00" in page.get_data(as_text=True)
    token = form_token(client, "/finance/refunds/new?deal=%d" % deal.id)
    refused = client.post("/finance/refunds/new?deal=%d" % deal.id, data={
        "csrf_token": token, "amount": "9000", "kind": "overpayment", "reason": "多收"})
    assert refused.status_code == 422 and db.session.query(Refund).filter_by(deal_id=deal.id).count() == 0
    sent = client.post("/finance/refunds/new?deal=%d" % deal.id, data={
        "csrf_token": token, "amount": "3000", "kind": "overpayment", "reason": "多收", "payee": "王先生"})
    assert sent.status_code == 302
    refund = db.session.query(Refund).filter_by(deal_id=deal.id).one()
    assert sent.headers["Location"].endswith("/finance/refunds/%d" % refund.id)
    listing = client.get("/finance/refunds/?status=pending").get_data(as_text=True)
    assert refund.number in listing and "3,000.00" in listing
    assert refund.number not in client.get("/finance/refunds/?status=paid").get_data(as_text=True)
    for url in ("/finance/refunds/999999", "/finance/refunds/abc", "/finance/refunds/new?deal=999999",
                "/finance/refunds/new", "/finance/adjustments/new?receivable=999999", "/finance/adjustments/new"):
        assert client.get(url).status_code == 404, url
    assert client.get("/finance/refunds/?project=x&status=nope&page=-3").status_code == 200
    approve(app, refund.request_id)
    show = client.get("/finance/refunds/%d" % refund.id).get_data(as_text=True)
    assert "loupan-refund-pay" in show
    token = form_token(client, "/finance/refunds/%d" % refund.id)
    bad = client.post("/finance/refunds/%d/pay" % refund.id, data={"csrf_token": token, "paid_on": "2099-01-01",
                                                                     "method": "transfer"})
    assert bad.status_code == 422
    ok = client.post("/finance/refunds/%d/pay" % refund.id, data={"csrf_token": token, "paid_on": days_ago(0)
                                                                    .isoformat(), "method": "cash"})
    assert ok.status_code == 302
    assert db.session.query(Refund).populate_existing().filter_by(deal_id=deal.id).one().status == "paid"
    row = price_rows(deal.id)[1]
    token = form_token(client, "/finance/adjustments/new?receivable=%d" % row.id)
    assert client.post("/finance/adjustments/new?receivable=%d" % row.id, data={
        "csrf_token": token, "amount": "0", "reason": "x"}).status_code == 422
    assert client.post("/finance/adjustments/new?receivable=%d" % row.id, data={
        "csrf_token": token, "amount": "-960", "reason": "优惠"}).status_code == 302
    assert db.session.query(Adjustment).filter_by(receivable_id=row.id).one().amount == D("-960.00")


def test_a_manager_reads_but_does_not_pay(app, ctx, client):
    deal = signed(app)
    received(app, deal, "8000")
    with as_user(app, "finance"):
        from app.finance.services import refunds
        refund = refunds.request_refund(deal, "100", "overpayment", "多收")
    assert login(client, "manager").status_code == 302
    assert client.get("/finance/refunds/").status_code == 200
    assert client.get("/finance/refunds/%d" % refund.id).status_code == 200
    assert client.get("/finance/refunds/new?deal=%d" % deal.id).status_code in (302, 403)


def test_the_refund_slip_prints(app, ctx, client):
    deal = signed(app)
    received(app, deal, "8000")
    with as_user(app, "finance"):
        from app.finance.services import refunds
        refund = refunds.request_refund(deal, "4500", "overpayment", "多收")
    assert login(client, "finance").status_code == 302
    assert "/printtemplateview/print/refund_slip/%d" % refund.id in client.get(
        "/finance/refunds/%d" % refund.id).get_data(as_text=True)
    pdf = client.get("/printtemplateview/print/refund_slip/%d" % refund.id)
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data[:4] == b"%PDF", pdf.status_code
    assert client.get("/printtemplateview/print/refund_slip/999999").status_code == 404
