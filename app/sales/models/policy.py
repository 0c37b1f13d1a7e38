"""Dated policy tables (政策参数): the national and city rules a price trial estimates taxes, fees,
loan rates and minimum down payments from. Admins edit them when policy changes; a trial uses the
rows in force on its date (see app/sales/services/policies.py for how a row is chosen)."""
import sqlalchemy as sa
from flask_appbuilder import Model

from app.core.models import Audited

# Which home of the buyer's family a rule is for (首套 / 二套); "any" fits both.
HOMES = ("any", "first", "second")
# Loan terms are priced in two bands: up to five years, and over five years.
TERMS = ("short", "long")
LOAN_RATE_KINDS = ("lpr", "provident")
# Mortgage policy is set for a first home, a second home, and non-residential property (商业用房).
POLICY_HOMES = ("first", "second", "non_residential")


class _Dated:
    valid_from = sa.Column(sa.Date, nullable=False, index=True)
    valid_to = sa.Column(sa.Date)  # empty: until a newer row replaces it
    note = sa.Column(sa.String(200))


class DeedTaxRule(_Dated, Audited, Model):
    """One rate of deed tax (契税), e.g. from 2024-12-01 a first home of up to 140㎡ pays 1%."""

    __tablename__ = "deed_tax_rule"
    id = sa.Column(sa.Integer, primary_key=True)
    residential = sa.Column(sa.Boolean, nullable=False, default=True)
    home = sa.Column(sa.String(10), nullable=False, default="any")
    area_above = sa.Column(sa.Numeric(10, 2))  # gross area strictly above this (empty: from 0)
    area_up_to = sa.Column(sa.Numeric(10, 2))  # up to and including this (empty: no limit)
    rate = sa.Column(sa.Numeric(7, 4), nullable=False)  # percent of the price

    def __str__(self):
        return "%s%%" % self.rate


class MaintenanceFundRule(_Dated, Audited, Model):
    """The first deposit to the maintenance fund (专项维修资金) in yuan per ㎡ of gross area, for one
    city or (empty city) every city without its own row."""

    __tablename__ = "maintenance_fund_rule"
    id = sa.Column(sa.Integer, primary_key=True)
    city = sa.Column(sa.String(50))
    residential = sa.Column(sa.Boolean, nullable=False, default=True)
    amount_per_m2 = sa.Column(sa.Numeric(10, 2), nullable=False)

    def __str__(self):
        return "%s/㎡" % self.amount_per_m2


class LoanRate(_Dated, Audited, Model):
    """A published rate: the loan prime rate (LPR, 1-year for terms up to five years, 5-year for
    longer terms) or a provident-fund loan rate (公积金贷款利率), in percent a year."""

    __tablename__ = "loan_rate"
    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(10), nullable=False)
    term = sa.Column(sa.String(10), nullable=False)
    home = sa.Column(sa.String(10), nullable=False, default="any")
    rate = sa.Column(sa.Numeric(7, 4), nullable=False)

    def __str__(self):
        return "%s%%" % self.rate


class MortgagePolicy(_Dated, Audited, Model):
    """Credit policy for a first home, a second home or non-residential property, in one city or
    (empty city) everywhere: the minimum down payments and the spread of commercial loans over the
    LPR (e.g. -0.30 for LPR − 30 basis points)."""

    __tablename__ = "mortgage_policy"
    id = sa.Column(sa.Integer, primary_key=True)
    city = sa.Column(sa.String(50))
    home = sa.Column(sa.String(20), nullable=False)
    commercial_min_down = sa.Column(sa.Numeric(5, 2), nullable=False)  # percent of the price
    provident_min_down = sa.Column(sa.Numeric(5, 2))  # empty: no provident-fund loan
    commercial_spread = sa.Column(sa.Numeric(6, 4), nullable=False, default=0)  # percentage points

    def __str__(self):
        return "%s %s" % (self.city or "", self.home)
