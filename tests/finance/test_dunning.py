"""The dunning log: recording actions by hand (service, page, REST API) and their refusals."""
import datetime as dt

import pytest

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.finance.models import DunningAction
from app.finance.services import dunning
from tests.conftest import api_token, form_token, login
from tests.finance.helpers import D, as_user, days_ago, receivables_of, signed


def overdue_deal(app, n=0):
    deal = signed(app, n=n)
    rows = receivables_of(deal.id)
    for r in rows:
        r.due_date = days_ago(-90)
    rows[0].amount, rows[0].due_date = D("100000.00"), days_ago(10)
    db.session.commit()
    return deal


def test_record_a_phone_call_with_a_promise(app, ctx):
    deal = overdue_deal(app)
    with as_user(app, "finance"):
        action = dunning.record(deal, "phone", at=clock.local_now().strftime("%Y-%m-%d %H:%M"),
                                result="客户承诺下周付款", promised_on=days_ago(-7))
    assert action.overdue == D("100000.00") and action.promised_on == days_ago(-7)
    assert action.user.username == "finance"
    assert [a.id for a in dunning.history(deal.id)] == [action.id]


@pytest.mark.parametrize("kwargs, words", [
    ({"method": "fax"}, ("phone", "电话")),
    ({"method": "phone", "at": "yesterday"}, ("YYYY", "年-月-日")),
    ({"method": "phone", "at": "2099-01-01 10:00"}, ("future", "未来")),
    ({"method": "phone", "promised_on": "2020-01-01"}, ("before", "早于")),
    ({"method": "phone", "promised_on": "soon"}, ("YYYY", "年-月-日")),
])
def test_bad_actions_are_refused(app, ctx, kwargs, words):
    deal = overdue_deal(app)
    with as_user(app, "finance"):
        with pytest.raises(BusinessError) as refused:
            dunning.record(deal, **kwargs)
    db.session.rollback()
    assert any(w in str(refused.value) for w in words), str(refused.value)
    assert db.session.query(DunningAction).count() == 0


def test_the_deal_page_records_and_refuses(app, client):
    with app.app_context():
        deal_id = overdue_deal(app).id
    assert login(client, "finance").status_code == 302
    url = "/finance/arrears/deal/%d" % deal_id
    page = client.get(url)
    assert page.status_code == 200 and "¥100,000.00" in page.get_data(as_text=True)
    token = form_token(client, url)
    bad = client.post(url + "/log", data={"csrf_token": token, "method": "phone", "at": "",
                                          "promised_on": days_ago(3).isoformat()})
    assert bad.status_code == 200 and any(w in bad.get_data(as_text=True) for w in ("before", "早于"))
    with app.app_context():
        assert db.session.query(DunningAction).count() == 0
    ok = client.post(url + "/log", data={"csrf_token": token, "method": "visit", "result": "上门拜访",
                                         "promised_on": days_ago(-3).isoformat()}, follow_redirects=True)
    text = ok.get_data(as_text=True)
    assert ok.status_code == 200 and "上门拜访" in text and days_ago(-3).isoformat() in text
    for bad_id in ("999999", "abc", "99999999999"):
        assert client.get("/finance/arrears/deal/" + bad_id).status_code == 404


def test_managers_read_but_do_not_record(app, client):
    with app.app_context():
        deal_id = overdue_deal(app).id
    assert login(client, "manager").status_code == 302
    url = "/finance/arrears/deal/%d" % deal_id
    page = client.get(url)
    assert page.status_code == 200 and "loupan-dunning-form" not in page.get_data(as_text=True)
    token = form_token(client, "/resetmypassword/form")
    response = client.post(url + "/log", data={"csrf_token": token, "method": "phone"})
    assert response.status_code in (302, 403)
    with app.app_context():
        assert db.session.query(DunningAction).count() == 0


def test_api(app, client):
    with app.app_context():
        deal_id = overdue_deal(app).id
    headers = api_token(client, "finance")
    listing = client.get("/api/v1/dunning/arrears?days=5", headers=headers)
    assert listing.status_code == 200
    row = [r for r in listing.json["result"] if r["deal_id"] == deal_id][0]
    assert row["overdue_price"] == "100000.00" and row["days_overdue"] == 10
    assert client.get("/api/v1/dunning/arrears?days=x", headers=headers).status_code == 400
    url = "/api/v1/dunning/deals/%d" % deal_id
    created = client.post(url, json={"method": "phone", "result": "已联系",
                                     "promised_on": days_ago(-2).isoformat()}, headers=headers)
    assert created.status_code == 201, created.json
    assert created.json["method"] == "phone" and created.json["overdue"] == "100000.00"
    got = client.get(url, headers=headers)
    assert got.status_code == 200 and got.json["result"][0]["id"] == created.json["id"]
    assert got.json["overdue"]["price"] == "100000.00"
    assert client.post(url, json={"method": "fax"}, headers=headers).status_code == 422
    assert client.post(url, json={"method": "phone", "promised_on": "2020-01-01"}, headers=headers).status_code == 422
    assert client.post(url, json={"method": 5}, headers=headers).status_code == 400
    assert client.post(url, data="nonsense", headers=headers).status_code == 400
    assert client.post("/api/v1/dunning/deals/999999", json={"method": "phone"}, headers=headers).status_code == 404
    assert client.get("/api/v1/dunning/deals/abc", headers=headers).status_code == 404
    sales = api_token(client, "sales")
    assert client.get("/api/v1/dunning/arrears", headers=sales).status_code in (401, 403)
    manager = api_token(client, "manager")
    assert client.get(url, headers=manager).status_code == 200
    assert client.post(url, json={"method": "phone"}, headers=manager).status_code in (401, 403)
