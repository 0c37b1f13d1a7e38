"""Discount policies: the combination order and the single rounding, recomputed independently to the
fen; the automatic 老带新 discount; each refusal changes nothing; the policy screens and API."""
import datetime as dt
from fractions import Fraction as F

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Building
from app.sales.models import DiscountPolicy
from app.sales.services import discounts, trial
from tests.conftest import api_token, form_token, login
from tests.crm.helpers import lookup, one_customer_of
from tests.sales.helpers import D, DAY, plan, project, room

LIST = F(4145070)  # 1栋-1单元-1001 of 云璟花园: 118.60㎡, rounded to the yuan
AREA = F("118.60")


def policy(name, code="GZ-YJ"):
    return db.session.query(DiscountPolicy).filter_by(project_id=project(code).id, name=name).one()


def new_policy(**kw):
    values = dict(project=project(kw.pop("project_code", "GZ-YJ")), name="测试优惠", category="ordinary",
                  method="percent", value=D("97"), sequence=10, stackable=True, valid_from=dt.date(2026, 1, 1),
                  active=True)
    values.update(kw)
    item = DiscountPolicy(**values)
    discounts.check_policy(item)
    db.session.add(item)
    db.session.commit()
    return item


def yuan(value):
    """Half-up to the yuan, from an exact fraction."""
    return D(int(value + F(1, 2)))


def fen(value):
    return D(int(value * 100 + F(1, 2))) / 100


def count():
    return db.session.query(sa.func.count(DiscountPolicy.id)).scalar()


def refused(app, make):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(BusinessError) as error:
            make()
    return str(error.value)


def test_percentage_first_then_amount(app, ctx):
    t = trial.trial(room(), plan("商业按揭 首付30%"), DAY, discounts=[policy("开盘优惠99折"), policy("认购立减2万")])
    exact = LIST * F(99, 100) - 20000
    assert t.total == yuan(exact) == D("4083619")
    assert t.unit_price == fen(F(4083619) / AREA) == D("34431.86")
    steps = [(s.policy.name, s.before, s.after) for s in t.discount.steps]
    assert steps == [("开盘优惠99折", D("4145070"), D("4103619.30")), ("认购立减2万", D("4103619.30"), D("4083619.30"))]
    assert t.discount.discount_percent == D("1.48")  # 61,451 / 4,145,070
    # The final price feeds the loan: 70% of 4,083,619 rounded down to the thousand.
    assert t.loan_amount == D("2858000") and t.down_payment == D("4083619") - D("2858000")


def test_amount_first_then_percentage_gives_another_figure(app, ctx):
    first = new_policy(name="先减2万", method="amount", value=D("20000"), sequence=5)
    t = trial.trial(room(), plan("商业按揭 首付30%"), DAY, discounts=[policy("开盘优惠99折"), first])
    assert [s.policy.name for s in t.discount.steps] == ["先减2万", "开盘优惠99折"]
    assert t.total == yuan((LIST - 20000) * F(99, 100)) == D("4083819")


def test_rounded_once_at_the_end(app, ctx):
    # 98折 then 97折: 4,145,070 × 0.98 = 4,062,168.60 is carried exactly into the next step.
    second = new_policy(name="再97折", value=D("97"), sequence=20)
    t = trial.trial(room(), plan("一次性付款"), DAY, discounts=[policy("一次性付款98折"), second])
    assert t.discount.steps[0].after == t.discount.steps[1].before == D("4062168.60")
    assert t.total == yuan(LIST * F(98, 100) * F(97, 100)) == D("3940304")
    # The deposit and the rest of the price follow the final price.
    assert sum(p.amount for p in t.payments) == t.total


def test_rounding_to_the_fen_and_amount_off_the_unit_price(app, ctx):
    r = room()
    r.project.price_rounding = "fen"
    db.session.commit()
    t = trial.trial(room(), plan("一次性付款"), DAY, discounts=[policy("特价房每平米减500"),
                                                            new_policy(name="99.5折", category="special", value=D("99.5"), sequence=30)])
    exact = (LIST - 500 * AREA) * F(995, 1000)
    assert t.total == fen(exact) == D("4065341.15")


def test_automatic_discount_for_a_customer_who_came_through_an_old_owner(app, ctx):
    customer = one_customer_of("E1003")
    customer.source = lookup("visit_channel", "老带新")
    db.session.commit()
    t = trial.trial(room(), plan("一次性付款"), DAY, discounts=[policy("一次性付款98折")], customer=customer)
    assert [(s.policy.name, s.automatic) for s in t.discount.steps] == [("一次性付款98折", False), ("老带新减1万", True)]
    assert t.total == yuan(LIST * F(98, 100) - 10000) == D("4052169")
    # Another source: no automatic discount, and asking for it is refused.
    customer.source = lookup("visit_channel", "自然到访")
    db.session.commit()
    assert trial.trial(room(), plan("一次性付款"), DAY, customer=customer).total == D("4145070")
    assert "老带新" in refused(app, lambda: trial.trial(room(), plan("一次性付款"), DAY,
                                                      discounts=[policy("老带新减1万")], customer=customer))


def test_refusals(app, ctx):
    before = count()
    expired = new_policy(name="旧优惠", valid_from=dt.date(2025, 1, 1), valid_to=dt.date(2025, 12, 31))
    later = new_policy(name="明年优惠", valid_from=dt.date(2027, 1, 1))
    building = db.session.query(Building).filter(Building.project_id == project().id,
                                                 Building.id != room().building_id).first()
    other_building = new_policy(name="别栋优惠", building=building)
    huge = new_policy(name="巨额立减", method="amount", value=D("5000000"), sequence=40)
    exclusive = policy("特价房每平米减500")
    cases = [
        ([expired], "expired on 2025-12-31"),
        ([later], "valid from 2027-01-01"),
        ([policy("一次性付款98折")], "applies only with the payment plan"),
        ([huge], "must stay above zero"),
        ([exclusive, policy("开盘优惠99折")], "does not stack"),
        ([policy("开盘优惠99折", "HZ-JY")], "another project"),
        ([other_building], "not valid for room"),
    ]
    for chosen, message in cases:
        assert message in refused(app, lambda: trial.trial(room(), plan("商业按揭 首付30%"), DAY, discounts=chosen))
    assert count() == before + 4


def test_two_exclusive_discounts_are_refused_a_stackable_pair_is_not(app, ctx):
    one = new_policy(name="独享A", stackable=False, value=D("99"), sequence=12)
    two = new_policy(name="独享B", stackable=False, value=D("98"), sequence=11)
    assert "does not stack" in refused(app, lambda: trial.trial(room(), plan("一次性付款"), DAY, discounts=[one, two]))
    # Plan-tied and special discounts combine with an exclusive ordinary one.
    t = trial.trial(room(), plan("一次性付款"), DAY, discounts=[one, policy("一次性付款98折"), policy("员工价95折")])
    assert [s.policy.name for s in t.discount.steps] == ["员工价95折", "一次性付款98折", "独享A"]


@pytest.mark.parametrize("changes, message", [
    (dict(value=D("100")), "above 0 and below 100"),
    (dict(method="amount", value=D("0")), "more than zero"),
    (dict(valid_to=dt.date(2025, 1, 1)), "cannot end before"),
    (dict(category="plan"), "needs the plan"),
])
def test_bad_policies_are_refused_and_nothing_saved(app, ctx, changes, message):
    before = count()
    assert message in refused(app, lambda: new_policy(**changes))
    db.session.rollback()
    assert count() == before


def test_a_plan_of_another_project_is_refused(app, ctx):
    assert "another project" in refused(app, lambda: new_policy(category="plan", plan=plan("一次性付款", "HZ-JY")))


def test_compare_applies_a_plan_discount_to_its_plan_only(app, ctx):
    options = trial.compare(room(), [plan("一次性付款"), plan("商业按揭 首付30%")], DAY,
                            discounts=[policy("一次性付款98折")])
    assert [o.trial.total for o in options] == [yuan(LIST * F(98, 100)), D("4145070")]


def test_manager_adds_a_policy_on_the_page_and_a_bad_one_is_refused(client, app):
    login(client, "manager")
    with app.app_context():
        pid = project().id
        before = count()
    data = dict(project=pid, name="国庆特惠", category="ordinary", method="percent", value="97", sequence="10",
                valid_from="2026-10-01", active="y", customer_source="",
                csrf_token=form_token(client, "/discountpolicyview/add"))
    assert client.post("/discountpolicyview/add", data=data).status_code == 302
    bad = dict(data, name="负数优惠", value="120", csrf_token=form_token(client, "/discountpolicyview/add"))
    page = client.post("/discountpolicyview/add", data=bad, follow_redirects=True).get_data(as_text=True)
    assert "98折" in page or "100" in page
    with app.app_context():
        assert count() == before + 1
        assert db.session.query(DiscountPolicy).filter_by(name="国庆特惠").one().value == D("97")
    listing = client.get("/discountpolicyview/list/").get_data(as_text=True)
    assert "国庆特惠" in listing and "老带新减1万" in listing


def test_salespeople_read_policies_but_do_not_change_them(client, app):
    login(client, "sales")
    assert client.get("/discountpolicyview/list/").status_code == 200
    assert client.get("/discountpolicyview/add").status_code in (302, 403)
    assert client.get("/discountauthorityview/list/").status_code in (302, 403)


def test_trial_api_with_discounts_and_customer(client, app):
    with app.app_context():
        r, p = room().id, plan("一次性付款").id
        ids = [policy("一次性付款98折").id, policy("开盘优惠99折").id]
        other = one_customer_of("E1006").id  # 张伟's customer: not 林晓燕's
    headers = api_token(client, "sales")
    response = client.post("/api/v1/sales/trial", json={"room": r, "plan": p, "discounts": ids, "date": "2026-11-26"},
                           headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    option = response.json["options"][0]
    assert option["price"]["total"] == "%.2f" % yuan(LIST * F(99, 100) * F(98, 100))
    # Both at order 10: the older policy first.
    assert [s["policy"]["name"] for s in option["discounts"]["steps"]] == ["一次性付款98折", "开盘优惠99折"]
    assert option["discounts"]["steps"][0]["after"] == "4062168.60"
    assert option["authority"]["within"] is True  # 2.98% ≤ 3% and above the floor price
    bad = client.post("/api/v1/sales/trial", json={"room": r, "plan": p, "discounts": "x"}, headers=headers)
    assert bad.status_code == 400
    assert client.post("/api/v1/sales/trial", json={"room": r, "plan": p, "discounts": [999999]},
                       headers=headers).status_code == 404
    assert client.post("/api/v1/sales/trial", json={"room": r, "plan": p, "customer": other},
                       headers=headers).status_code == 403


def test_policy_api(client, app):
    with app.app_context():
        pid = project().id
        before = count()
    manager = api_token(client, "manager")
    body = {"project": pid, "name": "API优惠", "category": "ordinary", "method": "amount", "value": "8000",
            "sequence": 20, "stackable": True, "valid_from": "2026-01-01", "active": True}
    created = client.post("/api/v1/discount_policies/", json=body, headers=manager)
    assert created.status_code == 201, created.get_data(as_text=True)
    refused_ = client.post("/api/v1/discount_policies/", json=dict(body, name="API负", value="-1"), headers=manager)
    assert refused_.status_code == 422
    sales = api_token(client, "sales")
    assert client.get("/api/v1/discount_policies/", headers=sales).status_code == 200
    assert client.post("/api/v1/discount_policies/", json=dict(body, name="X"), headers=sales).status_code == 403
    with app.app_context():
        assert count() == before + 1
