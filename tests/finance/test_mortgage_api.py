"""Mortgage pages (/finance/mortgages/) and their REST resource (/api/v1/mortgages/): the list and
its filters, one case with its forms, who may do what, refusals (nothing changed), bad ids (404),
malformed bodies (400), the 按揭 button on the deal page, a fixed number of queries for the list."""
import contextlib
import datetime as dt

from app.core import clock
from app.core.services import lookup
from app.extensions import db
from app.finance.models import MortgageCase, Receipt
from app.finance.services import mortgages
from tests.conftest import CSRF_RE, api_token, csrf_token, forget_request_state, form_token, login
from tests.finance.helpers import counts, days_ago, receivables_of, signed, subscribed
from tests.finance.helpers import as_user as acting
from tests.finance.test_mortgages import COMBINED, COMMERCIAL, loan_of
from tests.sales.helpers import QueryCounter


@contextlib.contextmanager
def as_user(app, username):
    with acting(app, username) as user:
        yield user
    forget_request_state()


def bank_id(name="招商银行"):
    return next(b.id for b in lookup.active_values("mortgage_bank") if b.name == name)


def opened_ago(case, days=30):
    case.stage_since = case.collecting_on = days_ago(days)
    db.session.commit()
    return case


def state(case_id):
    c = db.session.query(MortgageCase).filter_by(id=case_id).populate_existing().one()
    return (c.stage, c.stage_since, c.bank_id, c.handler_id, c.expected_disbursement_on, c.disbursed_amount,
            c.receipt_id, c.note)


def post(client, url, data, page):
    data = dict(data)
    html = text(client.get(page))
    data["csrf_token"] = (CSRF_RE.search(html) and csrf_token(html)) or form_token(client, "/resetmypassword/form")
    forget_request_state()
    response = client.post(url, data=data)
    forget_request_state()
    return response


def text(response):
    return response.get_data(as_text=True)


# ---------------------------------------------------------------- pages

def test_finance_walks_a_case_on_the_pages(app, ctx, client):
    deal = signed(app, COMMERCIAL, 0)
    case = opened_ago(mortgages.case_of(deal.id))
    loan = loan_of(deal.total, 30)
    login(client, "finance")
    url = "/finance/mortgages/%d" % case.id
    html = text(client.get("/finance/mortgages/"))
    assert 'data-case="%d"' % case.id in html and deal.room.code in html
    html = text(client.get(url))
    assert "¥{:,.2f}".format(loan) in html and "loupan-mortgage-advance" in html
    assert 'class="loupan-mortgage-disburse"' not in html            # not before the registration
    # Skipping a stage is refused, nothing changed.
    before = state(case.id)
    response = post(client, url + "/advance", {"stage": "approved", "on_date": days_ago(5).isoformat()}, url)
    assert response.status_code == 422 and any(w in text(response) for w in ("skipped", "跳过"))
    assert state(case.id) == before
    response = post(client, url + "/advance", {"stage": "submitted", "on_date": days_ago(6).isoformat(),
                                                "bank": str(bank_id()), "note": "资料齐全"}, url)
    assert response.status_code == 302
    expected_on = (clock.local_today() + dt.timedelta(days=9)).isoformat()
    response = post(client, url + "/advance", {"stage": "approved", "on_date": days_ago(4).isoformat(),
                                                "expected_on": expected_on}, url)
    assert response.status_code == 302
    response = post(client, url + "/advance", {"stage": "registered", "on_date": days_ago(2).isoformat()}, url)
    assert response.status_code == 302
    html = text(client.get(url))
    assert 'class="loupan-mortgage-disburse"' in html and "招商银行" in html
    before, stored = state(case.id), counts()
    response = post(client, url + "/disburse", {"on_date": days_ago(1).isoformat(), "amount": str(loan + 1),
                                                 "reference": "CMB-1"}, url)
    assert response.status_code == 422 and state(case.id) == before and counts() == stored
    response = post(client, url + "/disburse", {"on_date": days_ago(1).isoformat(), "amount": "{:,.2f}".format(loan),
                                                 "reference": "CMB-1"}, url)
    assert response.status_code == 302
    c = db.session.query(MortgageCase).filter_by(id=case.id).populate_existing().one()
    assert c.stage == "disbursed" and c.disbursed_amount == loan
    receipt = db.session.get(Receipt, c.receipt_id)
    assert receipt.source == "mortgage" and receipt.payer == "招商银行" and receipt.amount == loan
    assert [r.outstanding for r in receivables_of(deal.id) if r.kind == "loan"] == [0]
    html = text(client.get(url))
    assert receipt.number in html and "loupan-mortgage-advance" not in html
    assert text(client.get("/finance/mortgages/?stage=disbursed")).count('data-case="%d"' % case.id) == 1
    assert 'data-case="%d"' % case.id not in text(client.get("/finance/mortgages/?stage=collecting"))


def test_the_case_details_form(app, ctx, client):
    deal = subscribed(app, COMMERCIAL, 1)
    case = mortgages.case_of(deal.id)
    service = app.appbuilder.sm.find_user(username="service")
    login(client, "finance")
    url = "/finance/mortgages/%d" % case.id
    response = post(client, url + "/update", {"bank": str(bank_id()), "handler": str(service.id),
                                               "expected_on": "2027-01-15", "note": "待补流水"}, url)
    assert response.status_code == 302
    assert state(case.id)[2:5] == (bank_id(), service.id, dt.date(2027, 1, 15))
    before = state(case.id)
    for data in ({"bank": "999999"}, {"handler": "abc"}, {"expected_on": "2027-13-01"},
                 {"handler": str(app.appbuilder.sm.find_user(username="sales").id)}):
        response = post(client, url + "/update", data, url)
        assert response.status_code == 422 and state(case.id) == before


def test_bad_ids_are_404_and_the_deal_page_has_the_button(app, ctx, client):
    deal = signed(app, COMMERCIAL, 2)
    cash = signed(app, n=3)
    case = mortgages.case_of(deal.id)
    login(client, "finance")
    for url in ("/finance/mortgages/0", "/finance/mortgages/99999999", "/finance/mortgages/abc",
                "/finance/mortgages/99999999999999999999", "/finance/mortgages/open/99999999"):
        assert client.get(url).status_code == 404, url
    assert post(client, "/finance/mortgages/99999/advance", {"stage": "submitted"},
                "/finance/mortgages/%d" % case.id).status_code == 404
    html = text(client.get("/finance/mortgages/?project=abc&bank=-1&stage=x&page=99999"))
    assert "loupan-mortgage-list" in html
    html = text(client.get("/sales/deals/%d" % deal.id))
    assert "/finance/mortgages/%d" % case.id in html
    assert "/finance/mortgages/open/" not in text(client.get("/sales/deals/%d" % cash.id))
    # A loan deal whose case is missing: the button opens one.
    db.session.delete(case)
    db.session.commit()
    html = text(client.get("/sales/deals/%d" % deal.id))
    assert "/finance/mortgages/open/%d" % deal.id in html
    response = post(client, "/finance/mortgages/open/%d" % deal.id, {}, "/finance/mortgages/open/%d" % deal.id)
    assert response.status_code == 302 and mortgages.case_of(deal.id) is not None
    stored = db.session.query(MortgageCase).count()
    response = post(client, "/finance/mortgages/open/%d" % cash.id, {}, "/finance/mortgages/open/%d" % cash.id)
    assert response.status_code == 422 and db.session.query(MortgageCase).count() == stored


def test_who_may_do_what_on_the_pages(app, ctx, client):
    deal = signed(app, COMMERCIAL, 4)
    case = opened_ago(mortgages.case_of(deal.id))
    url = "/finance/mortgages/%d" % case.id
    # 客服 sees and advances but does not record money.
    login(client, "service")
    assert client.get("/finance/mortgages/").status_code == 200
    html = text(client.get(url))
    assert "loupan-mortgage-advance" in html
    with as_user(app, "finance"):
        for stage in ("submitted", "approved"):
            mortgages.advance(case, stage, days_ago(5), bank=bank_id())
    response = post(client, url + "/advance", {"stage": "registered", "on_date": days_ago(3).isoformat()}, url)
    assert response.status_code == 302 and state(case.id)[0] == "registered"
    assert 'class="loupan-mortgage-disburse"' not in text(client.get(url))
    before, stored = state(case.id), counts()
    response = post(client, url + "/disburse", {"amount": "1000", "reference": "X"}, url)
    assert response.status_code in (302, 403) and state(case.id) == before and counts() == stored
    client.get("/logout/")
    # The manager reads only.
    login(client, "manager")
    html = text(client.get(url))
    assert "loupan-mortgage-head" in html and "loupan-mortgage-advance" not in html
    response = post(client, url + "/update", {"note": "x"}, url)
    assert response.status_code in (302, 403) and state(case.id) == before
    client.get("/logout/")
    # A salesperson has no mortgage pages.
    login(client, "sales")
    response = client.get("/finance/mortgages/")
    assert response.status_code in (302, 403)


def test_the_list_takes_a_fixed_number_of_queries(app, ctx, client):
    signed(app, COMMERCIAL, 5)
    login(client, "finance")
    client.get("/finance/mortgages/")
    db.session.expunge_all()
    with QueryCounter(db.engine) as few:
        assert client.get("/finance/mortgages/?project=%d" % 999999).status_code == 200
    for n in (6, 7, 8):
        signed(app, COMBINED if n % 2 else COMMERCIAL, n)
    db.session.expunge_all()
    with QueryCounter(db.engine) as first:
        assert client.get("/finance/mortgages/").status_code == 200
    signed(app, COMMERCIAL, 9)
    db.session.expunge_all()
    with QueryCounter(db.engine) as more:
        html = text(client.get("/finance/mortgages/"))
    assert html.count("loupan-mortgage-row") >= 5
    assert more.count == first.count and first.count <= few.count + 3


# ---------------------------------------------------------------- API

def test_the_api_list_get_advance_and_disburse(app, ctx, client):
    deal = signed(app, COMMERCIAL, 10)
    case = opened_ago(mortgages.case_of(deal.id))
    loan = loan_of(deal.total, 30)
    headers = api_token(client, "finance")
    response = client.get("/api/v1/mortgages/?stage=collecting", headers=headers)
    assert response.status_code == 200 and case.id in [c["id"] for c in response.json["result"]]
    response = client.get("/api/v1/mortgages/%d" % case.id, headers=headers)
    assert response.status_code == 200
    assert response.json["commercial_amount"] == "%.2f" % loan and response.json["stage"] == "collecting"
    base = "/api/v1/mortgages/%d/" % case.id
    steps = [("submitted", 6, {"bank": bank_id()}), ("approved", 5, {"expected_on": "2027-01-10"}),
             ("registered", 3, {})]
    for stage, ago, extra in steps:
        response = client.post(base + "advance", json=dict(stage=stage, date=days_ago(ago).isoformat(), **extra),
                               headers=headers)
        assert response.status_code == 200, response.json
        assert response.json["stage"] == stage and response.json["dates"][stage] == days_ago(ago).isoformat()
    assert response.json["expected_disbursement_on"] == "2027-01-10"
    response = client.post(base + "disburse", json={"amount": "%.2f" % loan, "date": days_ago(1).isoformat(),
                                                    "reference": "API-1"}, headers=headers)
    assert response.status_code == 200, response.json
    assert response.json["stage"] == "disbursed" and response.json["disbursed_amount"] == "%.2f" % loan
    receipt = db.session.get(Receipt, response.json["receipt_id"])
    assert receipt.source == "mortgage" and receipt.amount == loan


def test_the_api_refuses_bad_input_with_nothing_changed(app, ctx, client):
    deal = signed(app, COMMERCIAL, 11)
    case = opened_ago(mortgages.case_of(deal.id))
    headers = api_token(client, "finance")
    base = "/api/v1/mortgages/%d/" % case.id
    before, stored = state(case.id), counts()
    cases = [
        ("advance", "not json", 400), ("advance", [1], 400), ("advance", {"stage": 5}, 400),
        ("advance", {"stage": "submitted", "date": "tomorrow"}, 400),
        ("advance", {"stage": "submitted", "bank": "x"}, 400),
        ("advance", {"stage": "approved"}, 422),                       # skipping
        ("advance", {"stage": "submitted", "bank": bank_id(),
                     "date": (clock.local_today() + dt.timedelta(days=1)).isoformat()}, 422),   # the future
        ("advance", {"stage": "submitted"}, 422),                      # no bank
        ("disburse", {"amount": "1000", "reference": "X"}, 422),      # not registered
        ("disburse", {"amount": 1.5, "reference": "X"}, 400),
        ("disburse", {"amount": None}, 400),
    ]
    for action, body, status in cases:
        if isinstance(body, str):
            response = client.post(base + action, data=body, headers=dict(headers, **{"Content-Type": "text/plain"}))
        else:
            response = client.post(base + action, json=body, headers=headers)
        assert response.status_code == status, (action, body, response.json)
        assert "message" in response.json
        assert state(case.id) == before and counts() == stored
    for url in ("/api/v1/mortgages/999999", "/api/v1/mortgages/abc", "/api/v1/mortgages/0",
                "/api/v1/mortgages/99999999999999999999"):
        assert client.get(url, headers=headers).status_code == 404, url
        assert client.post(url + "/advance", json={"stage": "submitted"}, headers=headers).status_code == 404, url
    response = client.get("/api/v1/mortgages/?page=abc&stage=zz&bank=-4", headers=headers)
    assert response.status_code == 200


def test_the_api_shares_the_page_permissions(app, ctx, client):
    deal = signed(app, COMMERCIAL, 12)
    case = opened_ago(mortgages.case_of(deal.id))
    base = "/api/v1/mortgages/%d" % case.id
    service = api_token(client, "service")
    assert client.get(base, headers=service).status_code == 200
    response = client.post(base + "/advance", json={"stage": "submitted", "bank": bank_id(),
                                                    "date": days_ago(3).isoformat()}, headers=service)
    assert response.status_code == 200
    response = client.post(base + "/disburse", json={"amount": "1000", "reference": "X"}, headers=service)
    assert response.status_code in (401, 403)
    manager = api_token(client, "manager")
    assert client.get(base, headers=manager).status_code == 200
    assert client.post(base + "/advance", json={"stage": "approved"}, headers=manager).status_code in (401, 403)
    sales = api_token(client, "sales")
    assert client.get("/api/v1/mortgages/", headers=sales).status_code in (401, 403)
    assert state(case.id)[0] == "submitted"
