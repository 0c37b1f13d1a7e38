"""The price trial: figures of each kind of plan recomputed independently, due dates, taxes and
fees as estimates, the buyer's case, and the refusals."""
import datetime as dt
from fractions import Fraction as F

import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Room
from app.inventory.services import add_room
from app.sales.models import MortgagePolicy
from app.sales.services import loans, plans, trial
from tests.inventory.helpers import new_room
from tests.sales.helpers import D, DAY, new_plan, plan, project, room
from tests.sales.test_loans import reference

ROOM = "1栋-1单元-1001"  # 118.60㎡, list price ¥4,145,070 (云璟花园 rounds to the yuan)


@pytest.fixture
def en(app):
    """Messages and labels in English (the default language is Chinese)."""
    with app.test_request_context(), force_locale("en"):
        yield


def run(plan_name, code=ROOM, **kw):
    return trial.trial(room(code), plan(plan_name), kw.pop("date", DAY), **kw)


def refused(app, make):
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(BusinessError) as error:
            make()
    return str(error.value)


def test_full_payment(app, ctx):
    t = run("一次性付款")
    assert (t.total, t.unit_price, t.deposit, t.loan_amount) == (D("4145070"), D("34950.00"), D("50000"), 0)
    assert [(p.kind, p.amount, p.due_date) for p in t.payments] == [
        ("deposit", D("50000"), DAY),
        ("full", D("4095070"), DAY + dt.timedelta(days=7 + 30))]  # signed 7 days after, paid 30 days later
    assert sum(p.amount for p in t.payments) == t.total
    assert t.repayment is None


def test_commercial_loan_figures(app, ctx):
    t = run("商业按揭 首付30%")
    # 70% of 4,145,070 = 2,901,549 → banks lend round thousands: 2,901,000; the down payment takes the rest
    assert (t.loan_amount, t.down_payment) == (D("2901000"), D("1244070"))
    assert t.down_payment_ratio == D("30.01")
    part, = t.loans
    assert (part.kind, part.rate, part.schedule.months) == ("commercial", D("3.50"), 360)
    expected = reference("2901000", "3.5", 360, loans.EQUAL_INSTALMENT)
    assert part.schedule.first_payment == expected[0][0] == D("13026.79")
    assert part.schedule.total_interest == sum(e[2] for e in expected)
    assert [(p.kind, p.amount) for p in t.payments] == [("deposit", D("50000")), ("down_payment", D("1194070")),
                                                        ("loan", D("2901000"))]
    assert t.cash_before_loan == D("1244070") + t.estimates_total


def test_combined_loan_has_both_parts_and_their_sum(app, ctx):
    t = run("组合贷款 首付30%")
    provident, = [p for p in t.loans if p.kind == "provident"]
    commercial, = [p for p in t.loans if p.kind == "commercial"]
    assert (provident.amount, commercial.amount) == (D("1200000"), D("1701000"))
    assert (provident.rate, commercial.rate) == (D("2.60"), D("3.50"))
    assert provident.schedule.first_payment == reference("1200000", "2.6", 360, loans.EQUAL_INSTALMENT)[0][0]
    assert commercial.schedule.first_payment == reference("1701000", "3.5", 360, loans.EQUAL_INSTALMENT)[0][0]
    assert t.repayment.first_payment == provident.schedule.first_payment + commercial.schedule.first_payment
    assert t.repayment.total_interest == provident.schedule.total_interest + commercial.schedule.total_interest
    assert sum(line.principal for line in t.repayment.lines) == t.loan_amount


def test_provident_fund_loan_for_a_second_home(app, ctx):
    t = run("公积金贷款 首付70%", first_home=False)
    part, = t.loans
    assert part.rate == D("3.075")  # second home, over five years, from 2025-05-08
    assert part.amount == D("1243000")


def test_equal_principal_and_a_one_year_term(app, ctx):
    item = plans.save_plan(new_plan(name="一年期等额本金", term_years=1, repayment_method="equal_principal"))
    t = trial.trial(room(ROOM), item, DAY)
    part, = t.loans
    assert part.rate == D("3.00")  # 1-year LPR for terms up to five years
    expected = reference(str(t.loan_amount), "3.0", 12, loans.EQUAL_PRINCIPAL)
    assert [line.payment for line in part.schedule.lines] == [e[0] for e in expected]
    assert t.repayment.monthly_decrease == part.schedule.lines[0].payment - part.schedule.lines[1].payment


def test_a_plan_rate_of_zero_repays_the_loan_in_equal_parts(app, ctx, en):
    item = plans.save_plan(new_plan(name="免息", commercial_rate=D("0"), term_years=5))
    t = trial.trial(room(ROOM), item, DAY)
    assert t.repayment.total_interest == 0
    assert t.repayment.first_payment == loans.fen(t.loan_amount / 60)
    assert t.loans[0].rate_source == "The plan's rate"


def test_instalments_sum_exactly_to_the_price(app, ctx):
    t = run("分期付款")
    assert t.down_payment == D("2072535")  # 50%
    amounts = [p.amount for p in t.payments]
    assert amounts == [D("50000"), D("2022535"), D("1243521"), D("829014")]  # deposit taken off the first
    assert sum(amounts) == t.total
    signing = DAY + dt.timedelta(days=7)
    assert [p.due_date for p in t.payments] == [DAY, signing, signing + dt.timedelta(days=90),
                                               signing + dt.timedelta(days=180)]


def test_given_dates_move_the_due_dates(app, ctx):
    subscribed, signed = dt.date(2026, 12, 1), dt.date(2026, 12, 20)
    t = run("一次性付款", subscription_date=subscribed, signing_date=signed)
    assert [p.due_date for p in t.payments] == [subscribed, signed + dt.timedelta(days=30)]
    assert "before the subscription" in refused(app, lambda: run("一次性付款", subscription_date=signed,
                                                                 signing_date=subscribed))


def test_taxes_and_fees_are_estimates_by_area_and_home(app, ctx):
    t = run("商业按揭 首付30%")
    estimates = {e.label: e.amount for e in t.estimates}
    # labelled as estimates, in the sales office's words
    assert estimates == {"契税（估算）": D("41450.70"), "维修基金（估算）": D("11860.00"),
                         "产权登记费（估算）": D("80.00"), "抵押登记费（估算）": D("80.00")}
    big = add_room(new_room(number="599", area_gross=D("150.00"), area_inner=D("120.00"),
                            list_total_price=D("4500000")))
    first = trial.trial(big, plan("一次性付款"), DAY, first_home=True)
    second = trial.trial(big, plan("一次性付款"), DAY, first_home=False)
    assert first.estimates[0].amount == D("67500.00")   # 1.5% above 140㎡, first home
    assert second.estimates[0].amount == D("90000.00")  # 2% above 140㎡, second home
    parking = trial.trial(room("1栋-B001"), plan("车位一次性付款"), DAY)
    assert parking.residential is False and parking.estimates[0].amount == D("5400.00")  # 3% of 180,000


def test_a_shop_pays_non_residential_tax_and_needs_half_down(app, ctx):
    shop = db.session.query(Room).filter_by(project_id=project("SZ-HY").id, floor=1).order_by(Room.id).first()
    t = trial.trial(shop, plan("商业贷款 首付50%", "SZ-HY"), DAY)
    assert t.residential is False
    assert t.estimates[0].amount == loans.fen(t.total * D("0.03"))
    assert t.loan_amount % 10000 == 0  # this plan lends round ten thousands
    provident = plans.save_plan(new_plan(name="公积金", kind="provident", project_code="SZ-HY",
                                         down_payment_ratio=D("30")))
    assert "does not lend for non-residential" in refused(app, lambda: trial.trial(shop, provident, DAY))


def test_price_is_rounded_once_by_the_projects_rule(app, ctx):
    odd = add_room(new_room(number="598", list_total_price=D("3000000.40")))  # 云璟花园 rounds to the yuan
    t = trial.trial(odd, plan("一次性付款"), DAY)
    assert (t.list_total, t.total) == (D("3000000.40"), D("3000000"))
    assert t.unit_price == D("30000.00")


def test_the_down_payment_meets_the_city_minimum_for_a_second_home(app, ctx):
    db.session.add(MortgagePolicy(valid_from=dt.date(2026, 1, 1), city="广州", home="second",
                                  commercial_min_down=D("40"), provident_min_down=D("40"), commercial_spread=D("0")))
    db.session.commit()
    assert run("商业按揭 首付30%", first_home=True).loan_amount == D("2901000")
    message = refused(app, lambda: run("商业按揭 首付30%", first_home=False))
    assert "below the minimum of 40% for second home" in message


@pytest.mark.parametrize("change,message", [
    (lambda p: setattr(p, "active", False), "is disabled"),
    (lambda p: setattr(p, "valid_to", dt.date(2026, 6, 30)), "expired on 2026-06-30"),
    (lambda p: setattr(p, "valid_from", dt.date(2027, 1, 1)), "valid from 2027-01-01, not yet"),
    (lambda p: setattr(p, "deposit_value", D("900000")), "more than 20% of the price"),
    (lambda p: setattr(p, "provident_cap", D("1000000")), "beyond the provident fund's cap"),
])
def test_a_plan_that_cannot_be_used_is_refused(app, ctx, change, message):
    item = plan("公积金贷款 首付70%")
    change(item)
    db.session.flush()
    assert message in refused(app, lambda: trial.trial(room(ROOM), item, DAY))
    db.session.rollback()


def test_a_plan_of_another_project_or_a_room_without_price(app, ctx):
    assert "another project" in refused(app, lambda: trial.trial(room(ROOM), plan("一次性付款", "SZ-HY"), DAY))
    bare = add_room(new_room(number="597", list_total_price=None, list_unit_price=None, floor_price=None))
    assert "no list price" in refused(app, lambda: trial.trial(bare, plan("一次性付款"), DAY))


def test_no_loan_rate_on_the_date_is_refused_and_no_deed_tax_is_a_warning(app, ctx, en):
    old = plans.save_plan(new_plan(name="旧商贷", valid_from=dt.date(2019, 1, 1)))
    assert "No loan prime rate" in refused(app, lambda: trial.trial(room(ROOM), old, dt.date(2020, 1, 1)))
    full = plans.save_plan(new_plan(name="旧全款", kind="full", valid_from=dt.date(2019, 1, 1)))
    t = trial.trial(room(ROOM), full, dt.date(2024, 6, 1))
    assert any("No deed tax rule" in w for w in t.warnings)
    assert all("Deed tax" not in e.label for e in t.estimates)


def test_compare_up_to_three_with_reasons(app, ctx, en):
    options = trial.compare(room("1栋-B001"), [plan("一次性付款"), plan("车位一次性付款")], DAY)
    assert options[0].trial is None and "more than 20%" in options[0].error  # 50,000 on a 180,000 space
    assert options[1].trial.total == D("180000")
    with pytest.raises(BusinessError):
        trial.compare(room(ROOM), [plan(n) for n in ("一次性付款", "分期付款", "商业按揭 首付30%", "组合贷款 首付30%")])


def test_breakdown_as_json_keeps_fen_as_text(app, ctx):
    data = run("组合贷款 首付30%").as_dict(schedule=True)
    assert data["price"] == {"list_total": "4145070.00", "total": "4145070.00", "unit_price": "34950.00",
                             "rounding": "yuan"}
    assert data["loan_amount"] == "2901000.00" and len(data["loans"]) == 2
    assert len(data["repayment"]["schedule"]) == 360 and len(data["loans"][0]["schedule"]) == 360
    assert all(e["estimate"] for e in data["estimates"])
    total = sum(F(p["amount"]) for p in data["payments"] if p["kind"] != "loan") + F(data["loan_amount"])
    assert total == F(data["price"]["total"])
