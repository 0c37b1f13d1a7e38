"""Dated policy (政策参数): deed tax, maintenance fund, loan rates and mortgage policy, and which
row is in force on a date.

A row is in force on a date when valid_from ≤ date and (no valid_to or date ≤ valid_to). Among the
rows in force that fit the case:
- deed tax: the newest valid_from among the rows for the property class and the buyer's home is
  "the rule set" in force; within it, the row whose area band holds the room's gross area (a row
  for the buyer's own home before a row for any home);
- maintenance fund and mortgage policy: the city's own row before the row for every city, then the
  newest valid_from;
- loan rates: the newest valid_from, then a row for the buyer's own home before one for any home.
The loan prime rate of terms up to five years is the 1-year LPR, of longer terms the 5-year LPR;
a commercial loan costs the LPR plus the spread of the mortgage policy (0 unless the city sets one).

seed() writes the rules in force when this was written (see SEED), once, into empty tables."""
import datetime as dt
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.extensions import db
from app.sales.models import (HOMES, LOAN_RATE_KINDS, POLICY_HOMES, TERMS, DeedTaxRule, LoanRate,
                              MaintenanceFundRule, MortgagePolicy)

D = decimal.Decimal
HOME_LABELS = {"any": _l("Any home"), "first": _l("First home"), "second": _l("Second home"),
               "non_residential": _l("Non-residential")}
TERM_LABELS = {"short": _l("Up to 5 years"), "long": _l("Over 5 years")}
LOAN_RATE_KIND_LABELS = {"lpr": _l("Loan prime rate (LPR)"), "provident": _l("Provident-fund loan rate")}
SHORT_TERM_MONTHS = 60
# Property types whose name says they are homes (住宅, 别墅, 洋房, 叠墅) pay the residential deed tax and
# may take provident-fund loans; shops, offices, serviced apartments (公寓) and parking do not.
RESIDENTIAL_WORDS = ("住宅", "别墅", "洋房", "叠墅", "residential", "house", "villa")
RESIDENTIAL_CODES = ("RES", "HOME", "HOUSE", "VILLA")


def home_key(first_home):
    return "first" if first_home else "second"


def is_residential(property_type):
    """Is a room of this property type a home (residential deed tax, provident-fund loans)?"""
    if property_type is None or property_type.is_parking:
        return False
    name, code = (property_type.name or "").lower(), (property_type.code or "").upper()
    return any(word in name for word in RESIDENTIAL_WORDS) or code.startswith(RESIDENTIAL_CODES)


def _in_force(model, date):
    return db.session.query(model).filter(
        model.valid_from <= date, sa.or_(model.valid_to.is_(None), model.valid_to >= date))


def term_band(months):
    return "short" if months <= SHORT_TERM_MONTHS else "long"


def deed_tax_rule(date, residential, first_home, area):
    """The deed tax row for a room on a date, or None when no rule is in force."""
    home = home_key(first_home)
    rows = _in_force(DeedTaxRule, date).filter(DeedTaxRule.residential.is_(bool(residential)),
                                               DeedTaxRule.home.in_(("any", home))).all()
    if not rows:
        return None
    newest = max(r.valid_from for r in rows)
    area = D(area)
    fitting = [r for r in rows if r.valid_from == newest
               and (r.area_above is None or area > r.area_above) and (r.area_up_to is None or area <= r.area_up_to)]
    fitting.sort(key=lambda r: (r.home == "any", r.id))
    return fitting[0] if fitting else None


def _city_first(rows, city):
    rows.sort(key=lambda r: (r.city is None or r.city != city, -r.valid_from.toordinal(), r.id))
    return rows[0] if rows else None


def maintenance_fund_rule(date, city, residential):
    rows = _in_force(MaintenanceFundRule, date).filter(
        MaintenanceFundRule.residential.is_(bool(residential)),
        sa.or_(MaintenanceFundRule.city.is_(None), MaintenanceFundRule.city == (city or ""))).all()
    return _city_first(rows, city)


def mortgage_policy(date, city, home):
    """The mortgage policy for "first", "second" or "non_residential" in a city on a date, or None."""
    rows = _in_force(MortgagePolicy, date).filter(
        MortgagePolicy.home == home,
        sa.or_(MortgagePolicy.city.is_(None), MortgagePolicy.city == (city or ""))).all()
    return _city_first(rows, city)


def loan_rate(kind, date, months, first_home=True):
    """The LPR or provident-fund rate row for a term (in months) on a date, or None."""
    home = home_key(first_home)
    rows = _in_force(LoanRate, date).filter(LoanRate.kind == kind, LoanRate.term == term_band(months),
                                            LoanRate.home.in_(("any", home))).all()
    rows.sort(key=lambda r: (-r.valid_from.toordinal(), r.home == "any", r.id))
    return rows[0] if rows else None


def policy_home(residential, first_home):
    return home_key(first_home) if residential else "non_residential"


def commercial_rate(date, city, months, residential=True, first_home=True):
    """(rate in percent, how it was found) of a commercial loan: LPR + the policy's spread."""
    lpr = loan_rate("lpr", date, months, first_home)
    if lpr is None:
        raise BusinessError(_("No loan prime rate (LPR) is in force on %(date)s; an administrator adds it "
                              "under Sales → Loan rates.", date=date.isoformat()))
    policy = mortgage_policy(date, city, policy_home(residential, first_home))
    spread = D(policy.commercial_spread or 0) if policy is not None else D(0)
    rate = D(lpr.rate) + spread
    if rate < 0:
        raise BusinessError(_("The LPR with the city's spread is below zero; check the mortgage policy."))
    if spread:
        how = _("%(lpr)s-year LPR %(rate)s%% %(sign)s %(spread)s%%", lpr=1 if months <= SHORT_TERM_MONTHS else 5,
                rate=_pct(lpr.rate), sign="+" if spread > 0 else "−", spread=_pct(abs(spread)))
    else:
        how = _("%(lpr)s-year LPR", lpr=1 if months <= SHORT_TERM_MONTHS else 5)
    return rate, how


def provident_rate(date, months, first_home=True):
    row = loan_rate("provident", date, months, first_home)
    if row is None:
        raise BusinessError(_("No provident-fund loan rate is in force on %(date)s; an administrator adds it "
                              "under Sales → Loan rates.", date=date.isoformat()))
    return D(row.rate), _("Provident-fund rate (%(term)s)", term=str(TERM_LABELS[term_band(months)]).lower())


def minimum_down(loan_kind, date, city, residential=True, first_home=True):
    """The minimum down payment in percent for a loan of this kind, or None when no policy is in
    force; BusinessError when the provident fund does not lend for this property."""
    policy = mortgage_policy(date, city, policy_home(residential, first_home))
    if policy is None:
        return None
    commercial, provident = policy.commercial_min_down, policy.provident_min_down
    if loan_kind == "commercial":
        return D(commercial)
    if provident is None:
        raise BusinessError(_("The provident fund does not lend for non-residential property; choose a "
                              "commercial loan."))
    if loan_kind == "provident":
        return D(provident)
    return max(D(commercial), D(provident))


def _pct(value):
    """3.50 → "3.5", 15.00 → "15", 100 → "100"."""
    return "{:f}".format(D(value).normalize())


percent_text = _pct


# ---------------------------------------------------------------- checks (pages and API)

def _number(value, message):
    if value is None or isinstance(value, bool):
        raise BusinessError(message)
    try:
        value = D(str(value))
    except (decimal.InvalidOperation, ValueError):
        raise BusinessError(message)
    if not value.is_finite():
        raise BusinessError(message)
    return value


def _dates(row):
    if not isinstance(row.valid_from, dt.date):
        raise BusinessError(_("Enter the date the rule takes effect."))
    if row.valid_to is not None and row.valid_to < row.valid_from:
        raise BusinessError(_("A rule cannot end before it takes effect."))
    row.note = (row.note or "").strip() or None


def _others(model, row, *conditions):
    query = db.session.query(model).filter(model.valid_from == row.valid_from, *conditions)
    if row.id is not None:
        query = query.filter(model.id != row.id)
    return query.all()


def _homes_overlap(a, b):
    return a == b or "any" in (a, b)


def check_deed_tax_rule(row):
    _dates(row)
    row.residential = bool(row.residential)
    row.home = row.home or "any"
    if row.home not in HOMES:
        raise BusinessError(_("Choose the home the rule is for."))
    if not row.residential and row.home != "any":
        raise BusinessError(_("Non-residential property pays one deed tax rate whatever the home: choose “any home”."))
    row.rate = _number(row.rate, _("Enter the deed tax rate in percent, e.g. 1 or 1.5."))
    if not D(0) <= row.rate <= D(10):
        raise BusinessError(_("A deed tax rate is between 0% and 10%."))
    low = _number(row.area_above, "") if row.area_above is not None else None
    high = _number(row.area_up_to, "") if row.area_up_to is not None else None
    if (low is not None and low < 0) or (high is not None and high <= 0):
        raise BusinessError(_("Areas are greater than zero."))
    if low is not None and high is not None and high <= low:
        raise BusinessError(_("The area band ends above where it starts."))
    for other in _others(DeedTaxRule, row, DeedTaxRule.residential.is_(row.residential)):
        if not _homes_overlap(other.home, row.home):
            continue
        o_low = other.area_above if other.area_above is not None else D("-1")
        o_high = other.area_up_to if other.area_up_to is not None else D("1e12")
        r_low = low if low is not None else D("-1")
        r_high = high if high is not None else D("1e12")
        if r_low < o_high and o_low < r_high:
            raise BusinessError(_("Another deed tax rule from %(date)s already covers these areas for this home.",
                                  date=row.valid_from.isoformat()))


def check_maintenance_fund_rule(row):
    _dates(row)
    row.residential = bool(row.residential)
    row.city = (row.city or "").strip() or None
    row.amount_per_m2 = _number(row.amount_per_m2, _("Enter the amount per ㎡ in yuan."))
    if not D(0) <= row.amount_per_m2 <= D(10000):
        raise BusinessError(_("The maintenance fund is between 0 and 10,000 yuan per ㎡."))
    city = MaintenanceFundRule.city.is_(None) if row.city is None else MaintenanceFundRule.city == row.city
    if _others(MaintenanceFundRule, row, MaintenanceFundRule.residential.is_(row.residential), city):
        raise BusinessError(_("There is already a maintenance fund rule from %(date)s for this city and property.",
                              date=row.valid_from.isoformat()))


def check_loan_rate(row):
    _dates(row)
    if row.kind not in LOAN_RATE_KINDS:
        raise BusinessError(_("Choose the kind of rate: LPR or provident fund."))
    if row.term not in TERMS:
        raise BusinessError(_("Choose the term band: up to 5 years or over 5 years."))
    row.home = row.home or "any"
    if row.home not in HOMES:
        raise BusinessError(_("Choose the home the rule is for."))
    row.rate = _number(row.rate, _("Enter the rate in percent a year, e.g. 3.5."))
    if not D(0) <= row.rate <= D(36):
        raise BusinessError(_("A loan rate is between 0% and 36% a year."))
    for other in _others(LoanRate, row, LoanRate.kind == row.kind, LoanRate.term == row.term):
        if _homes_overlap(other.home, row.home):
            raise BusinessError(_("There is already a rate of this kind and term from %(date)s.",
                                  date=row.valid_from.isoformat()))


def check_mortgage_policy(row):
    _dates(row)
    row.city = (row.city or "").strip() or None
    if row.home not in POLICY_HOMES:
        raise BusinessError(_("Choose a first home, a second home or non-residential property."))
    row.commercial_min_down = _number(row.commercial_min_down,
                                      _("Enter the minimum down payment in percent, e.g. 15."))
    if row.provident_min_down is not None:
        row.provident_min_down = _number(row.provident_min_down,
                                         _("Enter the minimum down payment in percent, e.g. 15."))
    for value in (row.commercial_min_down, row.provident_min_down):
        if value is not None and not D(0) < value < D(100):
            raise BusinessError(_("A minimum down payment is more than 0% and less than 100%."))
    if row.home == "non_residential" and row.provident_min_down is not None:
        raise BusinessError(_("The provident fund does not lend for non-residential property: leave its "
                              "minimum down payment empty."))
    row.commercial_spread = _number(row.commercial_spread if row.commercial_spread is not None else 0,
                                    _("Enter the spread over the LPR in percentage points, e.g. -0.3."))
    if not D(-5) <= row.commercial_spread <= D(5):
        raise BusinessError(_("The spread over the LPR is between -5 and +5 percentage points."))
    city = MortgagePolicy.city.is_(None) if row.city is None else MortgagePolicy.city == row.city
    if _others(MortgagePolicy, row, MortgagePolicy.home == row.home, city):
        raise BusinessError(_("There is already a mortgage policy from %(date)s for this city and home.",
                              date=row.valid_from.isoformat()))


# ---------------------------------------------------------------- seeding

def _d(text):
    return dt.date.fromisoformat(text)


# The rules in force when this was written (national; cities add their own rows).
SEED = {
    DeedTaxRule: [
        # 财政部 税务总局 住房城乡建设部公告2024年第16号, from 2024-12-01 (also in 北上广深)
        dict(valid_from=_d("2024-12-01"), residential=True, home="first", area_up_to=D("140"), rate=D("1"),
             note="财政部 税务总局 住房城乡建设部公告2024年第16号：首套 140㎡及以下"),
        dict(valid_from=_d("2024-12-01"), residential=True, home="first", area_above=D("140"), rate=D("1.5"),
             note="财政部 税务总局 住房城乡建设部公告2024年第16号：首套 140㎡以上"),
        dict(valid_from=_d("2024-12-01"), residential=True, home="second", area_up_to=D("140"), rate=D("1"),
             note="财政部 税务总局 住房城乡建设部公告2024年第16号：第二套改善住房 140㎡及以下"),
        dict(valid_from=_d("2024-12-01"), residential=True, home="second", area_above=D("140"), rate=D("2"),
             note="财政部 税务总局 住房城乡建设部公告2024年第16号：第二套改善住房 140㎡以上"),
        # 契税法 (from 2021-09-01): 3%–5% set by the province; 3% in most provinces
        dict(valid_from=_d("2021-09-01"), residential=False, home="any", rate=D("3"),
             note="契税法：非住宅（商铺、写字楼、车位）按省定税率，多数省份 3%"),
    ],
    MaintenanceFundRule: [
        # 住宅专项维修资金管理办法 (建设部 财政部令第165号): 5%–8% of the local building cost per ㎡;
        # cities publish their own amounts. Placeholders until an administrator enters the city's.
        dict(valid_from=_d("2008-02-01"), residential=True, amount_per_m2=D("100.00"),
             note="默认值（估算）：请按项目所在城市标准添加城市规则"),
        dict(valid_from=_d("2008-02-01"), residential=False, amount_per_m2=D("100.00"),
             note="默认值（估算）：请按项目所在城市标准添加城市规则"),
    ],
    LoanRate: [
        dict(valid_from=_d("2024-10-21"), kind="lpr", term="short", rate=D("3.10"), note="1年期LPR"),
        dict(valid_from=_d("2024-10-21"), kind="lpr", term="long", rate=D("3.60"), note="5年期以上LPR"),
        dict(valid_from=_d("2025-05-20"), kind="lpr", term="short", rate=D("3.00"), note="1年期LPR"),
        dict(valid_from=_d("2025-05-20"), kind="lpr", term="long", rate=D("3.50"), note="5年期以上LPR"),
        dict(valid_from=_d("2024-05-18"), kind="provident", term="short", home="first", rate=D("2.35"),
             note="个人住房公积金贷款利率：首套5年以下（含）"),
        dict(valid_from=_d("2024-05-18"), kind="provident", term="long", home="first", rate=D("2.85"),
             note="个人住房公积金贷款利率：首套5年以上"),
        dict(valid_from=_d("2024-05-18"), kind="provident", term="short", home="second", rate=D("2.775"),
             note="个人住房公积金贷款利率：二套5年以下（含）"),
        dict(valid_from=_d("2024-05-18"), kind="provident", term="long", home="second", rate=D("3.325"),
             note="个人住房公积金贷款利率：二套5年以上"),
        dict(valid_from=_d("2025-05-08"), kind="provident", term="short", home="first", rate=D("2.10"),
             note="个人住房公积金贷款利率：首套5年以下（含）"),
        dict(valid_from=_d("2025-05-08"), kind="provident", term="long", home="first", rate=D("2.60"),
             note="个人住房公积金贷款利率：首套5年以上"),
        dict(valid_from=_d("2025-05-08"), kind="provident", term="short", home="second", rate=D("2.525"),
             note="个人住房公积金贷款利率：二套5年以下（含）"),
        dict(valid_from=_d("2025-05-08"), kind="provident", term="long", home="second", rate=D("3.075"),
             note="个人住房公积金贷款利率：二套5年以上"),
    ],
    MortgagePolicy: [
        dict(valid_from=_d("2024-09-29"), home="first", commercial_min_down=D("15"), provident_min_down=D("20"),
             commercial_spread=D("0"), note="全国最低首付：商贷15%，公积金20%（城市可另定）"),
        dict(valid_from=_d("2024-09-29"), home="second", commercial_min_down=D("15"), provident_min_down=D("20"),
             commercial_spread=D("0"), note="全国最低首付：二套商贷15%，公积金20%（城市可另定）"),
        dict(valid_from=_d("2024-01-25"), home="non_residential", commercial_min_down=D("30"),
             provident_min_down=None, commercial_spread=D("0"), note="商业用房贷款最低首付30%"),
    ],
}


def seed():
    """Today's rules into each policy table that has no row yet (safe to re-run)."""
    for model, rows in SEED.items():
        if db.session.query(model.id).first() is not None:
            continue
        for values in rows:
            db.session.add(model(**values))
    db.session.commit()
