"""Dated policy tables: the seeded rules, which row is in force on a date, admins' new rows and
the refusals of bad rows."""
import datetime as dt

import pytest
from flask_babel import force_locale

from app.core.errors import BusinessError
from app.extensions import db
from app.sales.models import DeedTaxRule, LoanRate, MaintenanceFundRule, MortgagePolicy
from app.sales.services import policies
from tests.sales.helpers import D

d = dt.date.fromisoformat


def rate(rule):
    return None if rule is None else D(rule.rate)


def test_deed_tax_from_2024_12_01(app, ctx):
    on = d("2025-03-01")
    assert rate(policies.deed_tax_rule(on, True, True, D("89.50"))) == D("1")
    assert rate(policies.deed_tax_rule(on, True, True, D("140.00"))) == D("1")  # the limit is included
    assert rate(policies.deed_tax_rule(on, True, True, D("140.01"))) == D("1.5")
    assert rate(policies.deed_tax_rule(on, True, False, D("140.00"))) == D("1")
    assert rate(policies.deed_tax_rule(on, True, False, D("142.30"))) == D("2")
    assert rate(policies.deed_tax_rule(on, False, True, D("68.50"))) == D("3")   # a shop
    assert rate(policies.deed_tax_rule(on, False, False, D("12.50"))) == D("3")  # a parking space


def test_no_residential_deed_tax_rule_before_it_took_effect(app, ctx):
    assert policies.deed_tax_rule(d("2024-11-30"), True, True, D("100")) is None
    assert rate(policies.deed_tax_rule(d("2024-11-30"), False, True, D("100"))) == D("3")


def test_provident_fund_rates_change_on_2025_05_08(app, ctx):
    long, short = 360, 60
    assert rate(policies.loan_rate("provident", d("2025-05-07"), long, True)) == D("2.85")
    assert rate(policies.loan_rate("provident", d("2025-05-07"), short, True)) == D("2.35")
    assert rate(policies.loan_rate("provident", d("2025-05-08"), long, True)) == D("2.60")
    assert rate(policies.loan_rate("provident", d("2025-05-08"), short, True)) == D("2.10")
    assert rate(policies.loan_rate("provident", d("2025-05-08"), long, False)) == D("3.075")
    assert rate(policies.loan_rate("provident", d("2025-05-08"), 61, False)) == D("3.075")  # 61 months: over 5 years


def test_lpr_changes_on_2025_05_20_and_commercial_rate_follows(app, ctx):
    assert policies.commercial_rate(d("2025-05-19"), "广州", 360)[0] == D("3.60")
    assert policies.commercial_rate(d("2025-05-20"), "广州", 360)[0] == D("3.50")
    assert policies.commercial_rate(d("2025-05-20"), "广州", 36)[0] == D("3.00")  # 1-year LPR up to 5 years
    with pytest.raises(BusinessError):
        policies.commercial_rate(d("2020-01-01"), "广州", 360)


def test_an_admins_new_row_applies_from_its_date(app, ctx):
    row = LoanRate(valid_from=d("2026-06-20"), kind="lpr", term="long", rate=D("3.30"), note="test")
    policies.check_loan_rate(row)
    db.session.add(row)
    db.session.commit()
    assert policies.commercial_rate(d("2026-06-19"), "广州", 360)[0] == D("3.50")
    assert policies.commercial_rate(d("2026-06-20"), "广州", 360)[0] == D("3.30")


def test_a_city_policy_comes_before_the_national_one(app, ctx):
    on = d("2026-11-26")
    db.session.add(MortgagePolicy(valid_from=d("2026-01-01"), city="广州", home="second", commercial_min_down=D("40"),
                                  provident_min_down=D("40"), commercial_spread=D("-0.3")))
    db.session.commit()
    assert policies.minimum_down("commercial", on, "广州", True, False) == D("40")
    assert policies.minimum_down("commercial", on, "杭州", True, False) == D("15")
    assert policies.minimum_down("commercial", on, "广州", True, True) == D("15")
    assert policies.minimum_down("combined", on, "广州", True, True) == D("20")  # the stricter of both
    assert policies.commercial_rate(on, "广州", 360, True, False)[0] == D("3.20")
    assert policies.commercial_rate(on, "广州", 360, True, True)[0] == D("3.50")


def test_maintenance_fund_prefers_the_citys_rule(app, ctx):
    on = d("2026-11-26")
    assert policies.maintenance_fund_rule(on, "广州", True).amount_per_m2 == D("100.00")
    db.session.add(MaintenanceFundRule(valid_from=d("2020-01-01"), city="广州", residential=True,
                                       amount_per_m2=D("85.00")))
    db.session.commit()
    assert policies.maintenance_fund_rule(on, "广州", True).amount_per_m2 == D("85.00")
    assert policies.maintenance_fund_rule(on, "杭州", True).amount_per_m2 == D("100.00")


def test_no_provident_fund_for_non_residential_property(app, ctx):
    with pytest.raises(BusinessError):
        policies.minimum_down("provident", d("2026-11-26"), "深圳", residential=False)
    assert policies.minimum_down("commercial", d("2026-11-26"), "深圳", residential=False) == D("30")


def test_homes_are_told_from_other_property_types(app, ctx):
    from app.inventory.models import PropertyType
    kinds = {t.code: policies.is_residential(t) for t in db.session.query(PropertyType)}
    assert kinds["RES"] is True
    assert kinds["PARK"] is False and kinds["SHOP"] is False and kinds["OFFICE"] is False


@pytest.mark.parametrize("row,message", [
    (lambda: DeedTaxRule(valid_from=d("2024-12-01"), residential=True, home="first", area_above=D("100"),
                         rate=D("1")), "already covers these areas"),
    (lambda: DeedTaxRule(valid_from=d("2027-01-01"), residential=True, home="any", rate=D("12")), "between 0% and 10%"),
    (lambda: DeedTaxRule(valid_from=d("2027-01-01"), residential=False, home="first", rate=D("3")), "any home"),
    (lambda: DeedTaxRule(valid_from=d("2027-01-01"), residential=True, home="any", area_above=D("140"),
                         area_up_to=D("90"), rate=D("1")), "ends above"),
    (lambda: DeedTaxRule(valid_from=d("2027-01-01"), valid_to=d("2026-01-01"), residential=True, home="any",
                         rate=D("1")), "cannot end before"),
    (lambda: LoanRate(valid_from=d("2025-05-20"), kind="lpr", term="long", home="any", rate=D("3.4")),
     "already a rate"),
    (lambda: LoanRate(valid_from=d("2027-01-01"), kind="lpr", term="long", home="any", rate=D("-1")),
     "between 0% and 36%"),
    (lambda: MortgagePolicy(valid_from=d("2027-01-01"), home="non_residential", commercial_min_down=D("30"),
                            provident_min_down=D("30")), "does not lend"),
    (lambda: MortgagePolicy(valid_from=d("2027-01-01"), home="first", commercial_min_down=D("0")),
     "more than 0%"),
    (lambda: MaintenanceFundRule(valid_from=d("2008-02-01"), residential=True, amount_per_m2=D("80")),
     "already a maintenance fund rule"),
])
def test_bad_policy_rows_are_refused(app, ctx, row, message):
    check = {DeedTaxRule: policies.check_deed_tax_rule, LoanRate: policies.check_loan_rate,
             MortgagePolicy: policies.check_mortgage_policy, MaintenanceFundRule: policies.check_maintenance_fund_rule}
    item = row()
    with app.test_request_context(), force_locale("en"):
        with pytest.raises(BusinessError) as refused:
            check[type(item)](item)
    assert message in str(refused.value)


def test_seeding_again_adds_nothing(app, ctx):
    before = [db.session.query(m).count() for m in policies.SEED]
    policies.seed()
    assert [db.session.query(m).count() for m in policies.SEED] == before
    assert before == [len(rows) for rows in policies.SEED.values()]
