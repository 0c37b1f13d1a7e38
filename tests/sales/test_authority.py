"""Discount authority (折扣权限): limits by role and by person, the floor price, and the discount
approval round trip (submitted by a salesperson, approved or rejected by a sales manager)."""
from fractions import Fraction as F

import sqlalchemy as sa
from flask import current_app

from app.core.models import ApprovalRequest, Notification
from app.core.services import approvals
from app.extensions import db
from app.sales.models import DiscountAuthority, DiscountPolicy
from app.sales.services import discount_authority as authority
from app.sales.services import trial
from tests.conftest import api_token, form_token, login
from tests.sales.helpers import D, DAY, plan, project, room

FLOOR = D("4020718")  # 1栋-1单元-1001: list ¥4,145,070, floor price ¥4,020,718 (97%)


def user(name):
    return current_app.appbuilder.sm.find_user(username=name)


def policy(name):
    return db.session.query(DiscountPolicy).filter_by(project_id=project().id, name=name).one()


def run(*names, plan_name="一次性付款"):
    return trial.trial(room(), plan(plan_name), DAY, discounts=[policy(n) for n in names])


def requests():
    return db.session.query(sa.func.count(ApprovalRequest.id)).scalar()


BIG = ("一次性付款98折", "开盘优惠99折", "认购立减2万")
BIG_TOTAL = D(int(F(4145070) * F(98, 100) * F(99, 100) - 20000 + F(1, 2)))  # 4,001,547: 3.46% off, below floor


def test_limits_by_role_person_and_admin(app, ctx):
    assert (authority.limits_for(user("sales")).max_discount, authority.limits_for(user("sales")).min_floor_ratio) \
        == (D("3"), D("100"))
    assert authority.limits_for(user("manager")).max_discount == D("6")
    assert authority.limits_for(user("admin")).unlimited
    # A person's own row takes the place of their roles' rows.
    db.session.add(DiscountAuthority(user=user("sales"), max_discount=D("5"), min_floor_ratio=None))
    db.session.commit()
    limits = authority.limits_for(user("sales"))
    assert (limits.max_discount, limits.min_floor_ratio) == (D("5"), None)
    assert authority.check(user("sales"), run(*BIG)).within


def test_within_and_beyond_authority(app, ctx):
    small = run("一次性付款98折")  # 2% off, ¥4,062,169 ≥ the floor price
    assert authority.check(user("sales"), small).within
    big = run(*BIG)
    assert big.total == BIG_TOTAL == D("4001547") and big.discount.discount_percent == D("3.46")
    verdict = authority.check(user("sales"), big)
    assert not verdict.within and len(verdict.reasons) == 2  # more than 3%, and below the floor price
    assert authority.check(user("manager"), big).within  # 6%, and 95% of the floor price = ¥3,819,682.10


def test_without_a_floor_price_only_the_total_discount_counts(app, ctx):
    r = room()
    r.floor_price = None
    db.session.commit()
    # 2.98% off: within 3% (with the floor price it would be ¥4,021,547 — above ¥4,020,718 anyway).
    assert authority.check(user("sales"), run("一次性付款98折", "开盘优惠99折")).within
    verdict = authority.check(user("sales"), run(*BIG))
    assert not verdict.within and len(verdict.reasons) == 1


def test_floor_price_alone_can_be_beyond(app, ctx):
    r = room()
    r.floor_price = D("4100000")
    db.session.commit()
    verdict = authority.check(user("sales"), run("一次性付款98折"))  # 2% off but below ¥4,100,000
    text = " ".join(str(x) for x in verdict.reasons)
    assert not verdict.within and len(verdict.reasons) == 1 and ("floor price" in text or "底价" in text)


def _submit(client, app, names=BIG, who="sales"):
    with app.app_context():
        body = {"room": room().id, "plan": plan("一次性付款").id, "discounts": [policy(n).id for n in names],
                "date": DAY.isoformat(), "reason": "客户一次性付款，诚意强"}
    return client.post("/api/v1/sales/discount_request", json=body, headers=api_token(client, who))


def test_approval_round_trip(client, app):
    response = _submit(client, app)
    assert response.status_code == 201, response.get_data(as_text=True)
    request_id = response.json["id"]
    with app.app_context():
        manager, sales = user("manager"), user("sales")
        assert request_id in [r.id for r in approvals.pending_for(manager)]
        assert authority.approved_discount(request_id) is None  # not yet approved
        # A salesperson cannot decide it.
        assert request_id not in [r.id for r in approvals.pending_for(user("sales2"))]
    login(client, "manager")
    html = client.get("/approvals/show/%d" % request_id).get_data(as_text=True)
    for text in ("1栋-1单元-1001", "¥4,145,070.00", "一次性付款98折", "开盘优惠99折", "认购立减2万",
                 "¥4,062,168.60", "¥4,001,547.00", "3.46%", "林晓燕"):
        assert text in html, text
    token = form_token(client, "/approvals/show/%d" % request_id)
    client.post("/approvals/approve/%d" % request_id, data={"csrf_token": token, "comment": "同意"})
    with app.app_context():
        approved = authority.approved_discount(request_id)
        assert approved["total"] == BIG_TOTAL and approved["plan_id"] == plan("一次性付款").id
        assert approved["room_id"] == room().id and len(approved["steps"]) == 3
        titles = [n.title for n in db.session.query(Notification).filter_by(user_id=user("sales").id)]
        assert any("4,001,547" in t for t in titles)


def test_reject_path(client, app):
    request_id = _submit(client, app).json["id"]
    with app.app_context():
        approvals.reject(request_id, user("manager"), "折扣过大")
        assert db.session.get(ApprovalRequest, request_id).status == "rejected"
        assert authority.approved_discount(request_id) is None
        notes = db.session.query(Notification).filter_by(user_id=user("sales").id).all()
        assert any("折扣过大" in (n.body or "") for n in notes)


def test_within_authority_needs_no_approval_and_nothing_is_saved(client, app):
    with app.app_context():
        before = requests()
    response = _submit(client, app, names=("一次性付款98折",))
    text = response.json["message"]
    assert response.status_code == 422 and ("authority" in text or "权限" in text)
    with app.app_context():
        assert requests() == before


def test_bad_requests_change_nothing(client, app):
    with app.app_context():
        before = requests()
        r, p = room().id, plan("一次性付款").id
    headers = api_token(client, "sales")
    assert client.post("/api/v1/sales/discount_request", json={"room": r}, headers=headers).status_code == 400
    assert client.post("/api/v1/sales/discount_request", json={"room": r, "plan": p, "discounts": [999999]},
                       headers=headers).status_code == 404
    finance = api_token(client, "finance")
    assert client.post("/api/v1/sales/discount_request", json={"room": r, "plan": p}, headers=finance).status_code \
        == 403
    with app.app_context():
        assert requests() == before


def test_a_price_changed_since_the_request_blocks_the_approval(client, app):
    request_id = _submit(client, app).json["id"]
    with app.app_context():
        r = room()
        r.list_total_price = D("4200000")
        db.session.commit()
        try:
            approvals.approve(request_id, user("manager"))
            raise AssertionError("approved")
        except Exception as e:  # BusinessError
            assert "changed" in str(e) or "变" in str(e)
        assert db.session.get(ApprovalRequest, request_id).status == "pending"


def test_trial_page_ticks_discounts_and_submits_beyond_authority(client, app):
    login(client, "sales")
    with app.app_context():
        r, p = room().id, plan("一次性付款").id
        ids = [policy(n).id for n in BIG]
        before = requests()
    query = "/sales/trial/?room=%d&plan=%d&date=2026-11-26&%s" % (r, p, "&".join("discount=%d" % i for i in ids))
    html = client.get(query).get_data(as_text=True)
    assert "¥4,062,168.60" in html and "¥4,001,547.00" in html and "loupan-trial-request" in html
    assert "3.46%" in html
    # Within authority: no submit button.
    small = client.get("/sales/trial/?room=%d&plan=%d&date=2026-11-26&discount=%d" % (r, p, ids[0]))
    assert "loupan-trial-request" not in small.get_data(as_text=True)
    token = form_token(client, query)
    data = {"csrf_token": token, "room": r, "plan": p, "discount": ids, "date": "2026-11-26", "first_home": "1",
            "reason": "老客户"}
    response = client.post("/sales/trial/discount-request/", data=data)
    assert response.status_code == 302 and "/approvals/show/" in response.headers["Location"]
    with app.app_context():
        assert requests() == before + 1
    # The same room again while the first request waits: refused, nothing added.
    response = client.post("/sales/trial/discount-request/", data=dict(data, csrf_token=token))
    assert response.status_code == 302 and "/sales/trial/" in response.headers["Location"]
    with app.app_context():
        assert requests() == before + 1
    # A bad date or unknown room: a message, nothing saved.
    assert client.post("/sales/trial/discount-request/", data=dict(data, date="x")).status_code == 302
    assert client.post("/sales/trial/discount-request/", data=dict(data, room="999999")).status_code == 302
    with app.app_context():
        assert requests() == before + 1


def test_trial_page_refuses_another_salespersons_customer(client, app):
    from tests.crm.helpers import one_customer_of
    login(client, "sales")
    with app.app_context():
        r, p = room().id, plan("一次性付款").id
        other = one_customer_of("E1006").id
    html = client.get("/sales/trial/?room=%d&plan=%d&customer_id=%d" % (r, p, other)).get_data(as_text=True)
    assert "loupan-trial-error" in html and "loupan-trial-total" not in html
