"""Payment plans: what each kind needs, the refusals (nothing saved), disabling, and the hook that
keeps plans in use from being deleted or changed."""
import datetime as dt

import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.sales.models import PaymentPlan
from app.sales.services import plans
from tests.sales.helpers import D, DAY, counts, new_plan, plan, project

PERCENT_ROWS = [{"name": "首期", "method": "percent", "value": "30", "due_basis": "signing", "due_days": "0"},
                {"name": "二期", "method": "percent", "value": "70", "due_basis": "signing", "due_days": "90"}]


def refused(app, make, instalments=None, fees=None):
    """Save a plan that must be refused: the message, and nothing stored."""
    before = counts()
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(BusinessError) as error:
            plans.save_plan(make(), instalments, fees)
        db.session.rollback()
    assert counts() == before
    return str(error.value)


def test_demo_projects_have_their_plans(app, ctx):
    names = {p.name for p in db.session.query(PaymentPlan).filter_by(project_id=project().id)}
    assert {"一次性付款", "商业按揭 首付30%", "公积金贷款 首付70%", "组合贷款 首付30%", "分期付款"} <= names
    combined = plan("组合贷款 首付30%")
    assert combined.provident_cap == D("1200000") and combined.term_years == 30 and combined.loan_ratio == D("70")
    assert [i.name for i in plan("分期付款").instalments] == ["首期款", "二期款", "尾款"]
    assert {p.kind for p in db.session.query(PaymentPlan).filter_by(project_id=project("SZ-HY").id)} == {
        "full", "instalment", "commercial"}


def test_an_instalment_plan_is_saved_with_its_rows(app, ctx):
    item = plans.save_plan(new_plan(kind="instalment", name="两期付款"), PERCENT_ROWS,
                           [{"name": "产权登记费", "method": "fixed", "value": "80"},
                            {"name": "", "method": "fixed", "value": ""}])  # a blank row is no fee
    db.session.expire_all()
    item = db.session.get(PaymentPlan, item.id)
    assert [(i.sequence, i.name, i.value, i.due_days) for i in item.instalments] == [
        (1, "首期", D("30"), 0), (2, "二期", D("70"), 90)]
    assert [(f.name, f.value) for f in item.fees] == [("产权登记费", D("80"))]
    # loan fields are not kept on a plan without a loan
    assert item.down_payment_ratio is None and item.term_years is None


def test_a_loan_plan_gets_its_loan_ratio(app, ctx):
    item = plans.save_plan(new_plan(name="商贷40%", down_payment_ratio=D("40")))
    assert item.loan_ratio == D("60")


@pytest.mark.parametrize("rows,message", [
    ([{"name": "首期", "method": "percent", "value": "30"}, {"name": "二期", "method": "percent", "value": "60"}],
     "sum to 90% of the price, not 100%"),
    ([{"name": "首期", "method": "amount", "value": "500000"}, {"name": "二期", "method": "percent", "value": "50"}],
     "needs one instalment that is “the rest”"),
    ([{"name": "首期", "method": "rest"}, {"name": "二期", "method": "rest"}], "Only one instalment"),
    ([{"name": "首期", "method": "percent", "value": "100"}, {"name": "尾款", "method": "rest"}],
     "stay under 100%"),
    ([{"name": "首期", "method": "percent", "value": "abc"}], "Instalment 1: enter the percentage"),
    ([{"name": "首期", "method": "percent", "value": "100", "due_basis": "date"}], "Instalment 1: enter the date"),
    ([{"name": "首期", "method": "percent", "value": "100", "due_basis": "date", "due_date": "2026-02-30"}],
     "as 2026-11-26"),
    ([{"name": "首期", "method": "percent", "value": "100", "due_days": "-3"}], "between 0 and"),
    ([{"name": "首期", "method": "percent", "value": "100.001"}], "two decimals"),
    ([], "needs its instalments"),
    ("30%, 70%", "as a list"),
])
def test_bad_instalments_are_refused(app, ctx, rows, message):
    assert message in refused(app, lambda: new_plan(kind="instalment", name="坏方案"), rows)


@pytest.mark.parametrize("changes,message", [
    (dict(deposit_method="percent", deposit_value=D("25")), "at most 20 percent of the price"),
    (dict(deposit_value=D("-1")), "zero or more"),
    (dict(down_payment_ratio=D("10")), "below the minimum of 15%"),
    (dict(kind="provident", down_payment_ratio=D("15")), "below the minimum of 20%"),
    (dict(kind="combined", down_payment_ratio=D("30")), "needs the most the provident fund lends"),
    (dict(loan_ratio=D("60")), "sum to 90% of the price, not 100%"),
    (dict(term_years=31), "from 1 to 30 years"),
    (dict(term_years=0), "from 1 to 30 years"),
    (dict(commercial_rate=D("-0.1")), "between 0% and 36%"),
    (dict(down_payment_ratio=D("100")), "less than 100 percent"),
    (dict(valid_to=dt.date(2025, 12, 31)), "cannot end before it starts"),
    (dict(name="一次性付款"), "already has a payment plan"),
    (dict(name="  "), "Enter the name"),
    (dict(kind="balloon"), "Choose the kind"),
    (dict(repayment_method="interest_only"), "等额本息"),
    (dict(provident_cap=D("0"), kind="combined"), "greater than zero"),
])
def test_bad_plans_are_refused(app, ctx, changes, message):
    assert message in refused(app, lambda: new_plan(**changes))


def test_rows_of_another_kind_are_refused(app, ctx):
    assert "Only an instalment plan" in refused(app, lambda: new_plan(name="商贷"), PERCENT_ROWS)


@pytest.mark.parametrize("fees,message", [
    ([{"name": "印花税", "method": "percent", "value": "101"}], "Fee 1: the value is between 0 and 100"),
    ([{"name": "", "method": "fixed", "value": "80"}], "Fee 1: enter its name"),
    ([{"name": "物业费", "method": "monthly", "value": "4"}], "Fee 1: choose"),
    ([{"name": "物业费", "method": "per_area", "value": "-4"}], "between 0 and"),
])
def test_bad_fees_are_refused(app, ctx, fees, message):
    assert message in refused(app, lambda: new_plan(name="带费用"), None, fees)


def test_a_plan_is_disabled_and_no_longer_offered(app, ctx):
    item = plan("一次性付款")
    assert item in plans.plans_for(project().id, DAY)
    plans.set_active([item], False)
    assert item not in plans.plans_for(project().id, DAY)
    assert item in plans.plans_for(project().id, include_invalid=True)


def test_an_expired_or_future_plan_is_not_offered(app, ctx):
    item = plans.save_plan(new_plan(name="旧方案", valid_to=dt.date(2026, 6, 30)))
    later = plans.save_plan(new_plan(name="新方案", valid_from=dt.date(2027, 1, 1)))
    offered = plans.plans_for(project().id, DAY)
    assert item not in offered and later not in offered


def test_a_plan_in_use_is_not_deleted_nor_changed_but_disabled(app, ctx, monkeypatch):
    item = plan("商业按揭 首付30%")
    plans.check_plan_deletable(item)  # no deals yet: deletable
    monkeypatch.setattr(plans, "plan_in_use", lambda p: True)
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(BusinessError, match="disable it"):
            plans.check_plan_deletable(item)
        item.term_years = 20
        with pytest.raises(BusinessError, match="terms no longer change"):
            plans.check_plan(item)
        db.session.rollback()
        item = plan("商业按揭 首付30%")
        item.valid_to, item.name = dt.date(2026, 12, 31), "商业按揭（旧）"  # dates and name may change
        plans.check_plan(item)
        db.session.commit()
    plans.set_active([item], False)
    assert db.session.get(PaymentPlan, item.id).active is False


def test_plan_in_use_hook_says_no_until_deals_exist(app, ctx):
    assert all(plans.plan_in_use(p) is False for p in db.session.query(PaymentPlan))
