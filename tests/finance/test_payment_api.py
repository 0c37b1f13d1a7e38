"""/api/v1/payments/: a deal's receivables and receipts with totals per group, receiving, voiding,
reissuing; 400 malformed, 404 unknown or foreign, 422 refused, 201 made — never 500."""
from app.extensions import db
from app.finance.models import Receipt
from tests.conftest import api_token
from tests.finance.helpers import D, counts, price_rows, signed

INSTALMENTS = "分期付款"
TOTAL = D("3984960.00")  # 1栋-1单元-101 on 分期付款 (see test_payment_pages)


def test_get_receive_void_reissue(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    headers = api_token(client, "finance")
    base = "/api/v1/payments/deals/%d" % deal.id
    r = client.get(base, headers=headers)
    assert r.status_code == 200, r.json
    assert r.json["totals"]["price"]["outstanding"] == "3984960.00"
    assert r.json["totals"]["fees"]["outstanding"] == "51789.60"
    assert [x["amount"] for x in r.json["receivables"] if x["group"] == "price"] == [
        "50000.00", "1942480.00", "1195488.00", "796992.00"]
    r = client.post(base + "/receipts", headers=headers,
                    json={"amount": "60000.00", "method": "transfer", "reference": "TX-1", "group": "price"})
    assert r.status_code == 201, r.json
    first = r.json
    assert first["allocations"] == [{"receivable_id": price_rows(deal.id)[0].id, "amount": "50000.00"},
                                    {"receivable_id": price_rows(deal.id)[1].id, "amount": "10000.00"}]
    r = client.get(base, headers=headers)
    assert r.json["totals"]["price"]["outstanding"] == "3924960.00" and r.json["received"] == "60000.00"
    r = client.post("/api/v1/payments/receipts/%d/reissue" % first["id"], headers=headers,
                    json={"reason": "付款人写错", "payer": "王五"})
    assert r.status_code == 201 and r.json["reissue_of_id"] == first["id"] and r.json["payer"] == "王五"
    new_id = r.json["id"]
    r = client.post("/api/v1/payments/receipts/%d/void" % new_id, headers=headers, json={"reason": "重复"})
    assert r.status_code == 200 and r.json["status"] == "void"
    r = client.get("/api/v1/payments/receipts/%d" % first["id"], headers=headers)
    assert r.status_code == 200 and r.json["status"] == "reissued"
    r = client.get(base, headers=headers)
    assert r.json["totals"]["price"]["outstanding"] == "3984960.00" and r.json["received"] == "0.00"


def test_refusals(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    headers = api_token(client, "finance")
    base = "/api/v1/payments/deals/%d/receipts" % deal.id
    before = counts()
    for body, code in (
            ("not json", 400), ([1, 2], 400), ({"method": "cash"}, 400), ({"amount": 5.5, "method": "cash"}, 400),
            ({"amount": "10", "method": "cash", "allocations": [1]}, 400),
            ({"amount": "10", "method": "cash", "group": "x"}, 400),
            ({"amount": "10", "method": "cash", "advance": "yes"}, 400),
            ({"amount": "10", "method": "cash", "paid_on": "tomorrow"}, 400),
            ({"amount": "0", "method": "cash"}, 422), ({"amount": "10", "method": "barter"}, 422),
            ({"amount": "99999999", "method": "cash"}, 422),
            ({"amount": "10", "method": "cash", "allocations": {"999999": "10"}}, 422),
            ({"amount": "10", "method": "cash", "allocations": {"99999999999": "10"}}, 422),
            ({"amount": "10", "method": "cash", "allocations": {"abc": "10"}}, 422),
            ({"amount": "10", "method": "cash", "payer": "x" * 101}, 400),
    ):
        if isinstance(body, str):
            r = client.post(base, headers=headers, data=body, content_type="application/json")
        else:
            r = client.post(base, headers=headers, json=body)
        assert r.status_code == code, (body, r.status_code, r.get_data(as_text=True))
        assert "message" in r.json
    assert client.post("/api/v1/payments/deals/999999/receipts", headers=headers,
                       json={"amount": "10", "method": "cash"}).status_code == 404
    assert client.get("/api/v1/payments/deals/abc", headers=headers).status_code == 404
    assert client.get("/api/v1/payments/receipts/999999", headers=headers).status_code == 404
    assert client.post("/api/v1/payments/receipts/999999/void", headers=headers,
                       json={"reason": "x"}).status_code == 404
    assert counts() == before
    r = client.post(base, headers=headers, json={"amount": "10", "method": "cash"})
    rid = r.json["id"]
    assert client.post("/api/v1/payments/receipts/%d/void" % rid, headers=headers, json={}).status_code == 422
    assert db.session.get(Receipt, rid).status == "valid"


def test_permissions(app, ctx, client):
    deal = signed(app, INSTALMENTS, n=0)
    sales = api_token(client, "sales")
    assert client.get("/api/v1/payments/deals/%d" % deal.id, headers=sales).status_code == 200
    assert client.post("/api/v1/payments/deals/%d/receipts" % deal.id, headers=sales,
                       json={"amount": "10", "method": "cash"}).status_code in (401, 403)
    other = api_token(client, "sales2")
    assert client.get("/api/v1/payments/deals/%d" % deal.id, headers=other).status_code == 404
    manager = api_token(client, "manager")
    assert client.get("/api/v1/payments/deals/%d" % deal.id, headers=manager).status_code == 200
    assert db.session.query(Receipt).filter_by(deal_id=deal.id).count() == 0
