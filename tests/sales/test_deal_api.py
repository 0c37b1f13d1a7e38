"""The deals API (/api/v1/deals/…) and sales permissions page: the same rules as the services,
answered with the right status codes; gapless numbers give numbers back on rollback."""
import pytest

from app.core.services import numbering
from app.extensions import db
from app.sales.models import SalesPermission
from tests.conftest import api_token, form_token, login
from tests.sales.deal_helpers import available_rooms, counts, customers_of, employee, plan, project, status


def test_hold_subscribe_sign_through_the_api(client, app, ctx):
    room = available_rooms()[0]
    customer = customers_of("E1003")[0]
    headers = api_token(client, "sales")
    made = client.post("/api/v1/deals/hold", json={"room": room.id, "customer": customer.id}, headers=headers)
    assert made.status_code == 201, made.json
    deal_id = made.json["id"]
    assert made.json["stage"] == "held" and made.json["room_status"] == "held"
    sub = client.post("/api/v1/deals/subscribe", headers=headers,
                      json={"room": room.id, "buyers": [{"customer": customer.id, "share": "100"}],
                            "plan": plan("一次性付款").id})
    assert sub.status_code == 201, sub.json
    assert sub.json["id"] == deal_id and sub.json["stage"] == "subscribed"
    signed = client.post("/api/v1/deals/%d/sign" % deal_id, json={}, headers=headers)
    assert signed.status_code == 200 and signed.json["contract_no"].startswith("GZ-YJ-HT-")
    got = client.get("/api/v1/deals/%d" % deal_id, headers=headers)
    assert [e["action"] for e in got.json["timeline"]] == ["hold", "subscribe", "sign"]
    assert sum(float(p["amount"]) for p in got.json["schedule"] if not p["collected_for_others"]) == \
        float(got.json["total"])


def test_the_second_salesperson_gets_409_with_who_has_it(client, app):
    # No test-wide application context: each request has its own (and its own user's scope).
    with app.app_context():
        room_id, mine, theirs, plan_id = (available_rooms()[0].id, customers_of("E1003")[0].id,
                                          customers_of("E1006")[0].id, plan("一次性付款").id)
    first = client.post("/api/v1/deals/hold", json={"room": room_id, "customer": mine},
                        headers=api_token(client, "sales"))
    assert first.status_code == 201
    with app.app_context():
        before = counts()
    second = client.post("/api/v1/deals/subscribe", headers=api_token(client, "sales2"),
                         json={"room": room_id, "customer": theirs, "plan": plan_id})
    assert second.status_code == 409 and "林晓燕" in second.json["message"]
    with app.app_context():
        assert counts() == before and status(room_id) == "held"


@pytest.mark.parametrize("body, code", [
    ("not json", 400), ({"room": "x", "customer": 1}, 400), ({"room": 2 ** 40, "customer": 1}, 400),
    ({"room": 999999, "customer": 1}, 404), ({"room": None}, 400), ({"room": True, "customer": 1}, 400),
])
def test_malformed_or_unknown_is_a_clear_4xx(client, app, ctx, body, code):
    headers = api_token(client, "sales")
    before = counts()
    if isinstance(body, str):
        response = client.post("/api/v1/deals/hold", data=body, headers=headers, content_type="application/json")
    else:
        response = client.post("/api/v1/deals/hold", json=body, headers=headers)
    assert response.status_code == code and response.json["message"]
    assert counts() == before


def test_someone_elses_customer_or_deal_is_404(client, app):
    with app.app_context():
        room_id, customer_id = available_rooms()[0].id, customers_of("E1003")[0].id
    foreign = client.post("/api/v1/deals/hold", json={"room": room_id, "customer": customer_id},
                          headers=api_token(client, "sales2"))
    assert foreign.status_code == 404
    deal = client.post("/api/v1/deals/hold", json={"room": room_id, "customer": customer_id},
                       headers=api_token(client, "sales")).json["id"]
    headers = api_token(client, "sales2")
    assert client.get("/api/v1/deals/%d" % deal, headers=headers).status_code == 404
    assert client.post("/api/v1/deals/%d/release" % deal, json={}, headers=headers).status_code == 404
    assert client.get("/api/v1/deals/abc", headers=headers).status_code == 404
    with app.app_context():
        assert status(room_id) == "held"


def test_finance_may_not_act(client, app, ctx):
    room = available_rooms()[0]
    response = client.post("/api/v1/deals/hold", json={"room": room.id, "customer": customers_of("E1003")[0].id},
                           headers=api_token(client, "finance"))
    assert response.status_code == 403 and status(room.id) == "available"


def test_numbers_are_given_back_on_rollback(app, ctx):
    first = numbering.next_number("test_seq", 7)
    db.session.commit()
    numbering.next_number("test_seq", 7)
    db.session.rollback()
    assert numbering.next_number("test_seq", 7) == first + 1
    assert numbering.next_number("test_seq", 8) == 1
    db.session.rollback()


def test_admin_grants_a_building_and_a_duplicate_is_refused(client, app, ctx):
    login(client, "admin")
    proj = project()
    from app.inventory.models import Building
    building = db.session.query(Building).filter_by(project_id=proj.id).order_by(Building.id).first()
    emp = employee("E1007")
    url = "/salespermissionview/add"
    data = {"employee": emp.id, "project": proj.id, "building": building.id, "csrf_token": form_token(client, url)}
    assert client.post(url, data=data).status_code == 302
    assert db.session.query(SalesPermission).filter_by(employee_id=emp.id, building_id=building.id).count() == 1
    page = client.post(url, data=dict(data, csrf_token=form_token(client, url)), follow_redirects=True)
    assert "已有此权限" in page.get_data(as_text=True)
    assert db.session.query(SalesPermission).filter_by(employee_id=emp.id, building_id=building.id).count() == 1
