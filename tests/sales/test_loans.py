"""Loan arithmetic checked against figures computed independently here with exact fractions
(and against well-known bank figures)."""
from decimal import Decimal as D
from fractions import Fraction as F

import pytest

from app.core.errors import BusinessError
from app.sales.services import loans


def half_up_fen(x):
    """Round an exact fraction to the fen, half up, as a Decimal."""
    cents = x * 100
    whole = cents.numerator // cents.denominator
    if cents - whole >= F(1, 2):
        whole += 1
    return D(whole) / 100


def reference(amount, annual_percent, months, method):
    """The schedule recomputed with exact fractions: (payments, principals, interests)."""
    p, r = F(str(amount)), F(str(annual_percent)) / 100 / 12
    balance = p
    if method == loans.EQUAL_INSTALMENT:
        pay = half_up_fen(p / months if r == 0 else p * r * (1 + r) ** months / ((1 + r) ** months - 1))
    else:
        part = half_up_fen(p / months)
    rows = []
    for k in range(1, months + 1):
        interest = F(str(half_up_fen(balance * r)))
        if k == months:
            principal = balance
        elif method == loans.EQUAL_INSTALMENT:
            principal = F(str(pay)) - interest
        else:
            principal = F(str(part))
        balance -= principal
        principal = D(principal.numerator) / principal.denominator
        interest = D(interest.numerator) / interest.denominator
        rows.append((principal + interest, principal, interest))
    return rows


def test_known_bank_figure_equal_instalment_one_million_30_years_at_4_9():
    assert loans.equal_instalment_payment(D("1000000"), D("4.9"), 360) == D("5307.27")
    s = loans.schedule(D("1000000"), D("4.9"), 360, loans.EQUAL_INSTALMENT)
    assert s.first_payment == D("5307.27") and s.lines[0].interest == D("4083.33")
    assert sum(line.principal for line in s.lines) == D("1000000")


def test_known_bank_figure_equal_principal_one_million_30_years_at_4_9():
    s = loans.schedule(D("1000000"), D("4.9"), 360, loans.EQUAL_PRINCIPAL)
    # 2,777.78 principal + 4,083.33 interest in the first month, ~11.34 less every month
    assert s.first_payment == D("6861.11")
    assert s.monthly_decrease == D("11.34")
    assert sum(line.principal for line in s.lines) == D("1000000")
    # P·r·(n+1)/2 = 737,041.67 without rounding; the rounded lines stay within a few fen of it
    assert abs(s.total_interest - D("737041.67")) < D("1.00")


@pytest.mark.parametrize("method", loans.METHODS)
@pytest.mark.parametrize("amount,rate,months", [
    ("1000000", "4.9", 360),        # thirty years
    ("2901000", "3.5", 360),        # today's 5-year LPR
    ("600000", "2.6", 300),         # provident fund, 25 years
    ("120000", "3.0", 12),          # one year
    ("1000", "36", 1),              # one month: a single line that repays everything
    ("987654.32", "3.075", 217),    # odd amount and term
    ("500000", "0", 120),           # interest-free
])
def test_every_line_matches_exact_arithmetic(amount, rate, months, method):
    s = loans.schedule(D(amount), D(rate), months, method)
    expected = reference(amount, rate, months, method)
    assert len(s.lines) == months
    for line, (payment, principal, interest) in zip(s.lines, expected):
        assert (line.payment, line.principal, line.interest) == (payment, principal, interest), line.period
    assert sum(line.principal for line in s.lines) == D(amount)
    assert s.lines[-1].balance == 0
    assert s.total_interest == sum(e[2] for e in expected)
    assert s.total_payment == D(amount) + s.total_interest
    for line in s.lines:
        assert line.payment == line.payment.quantize(D("0.01"))
        assert line.interest == line.interest.quantize(D("0.01"))


def test_equal_instalments_are_equal_except_the_last():
    s = loans.schedule(D("2901000"), D("3.5"), 360, loans.EQUAL_INSTALMENT)
    assert len({line.payment for line in s.lines[:-1]}) == 1
    # the payment is rounded to the fen; over 360 months that drift (≤ half a fen a month,
    # compounded) is what the last payment makes up
    assert s.last_payment != s.first_payment and abs(s.last_payment - s.first_payment) < D("5.00")


def test_zero_rate_is_the_loan_divided_by_the_months():
    s = loans.schedule(D("100000"), D("0"), 3, loans.EQUAL_INSTALMENT)
    assert [line.payment for line in s.lines] == [D("33333.33"), D("33333.33"), D("33333.34")]
    assert s.total_interest == 0
    s = loans.schedule(D("100000"), D("0"), 3, loans.EQUAL_PRINCIPAL)
    assert [line.payment for line in s.lines] == [D("33333.33"), D("33333.33"), D("33333.34")]


def test_one_year_term_known_figure():
    # 120,000 over 12 months at 3.00%: r = 0.0025, payment = 10,163.24
    assert loans.equal_instalment_payment(D("120000"), D("3"), 12) == D("10163.24")


def test_combined_loan_is_both_parts_month_by_month():
    commercial = loans.schedule(D("1900000"), D("3.5"), 360, loans.EQUAL_INSTALMENT)
    provident = loans.schedule(D("1000000"), D("2.6"), 360, loans.EQUAL_INSTALMENT)
    both = loans.combine(commercial, provident)
    assert both.amount == D("2900000")
    assert both.first_payment == commercial.first_payment + provident.first_payment
    assert both.total_interest == commercial.total_interest + provident.total_interest
    for line, a, b in zip(both.lines, commercial.lines, provident.lines):
        assert line.payment == a.payment + b.payment and line.principal == a.principal + b.principal
    assert sum(line.principal for line in both.lines) == D("2900000")
    # independent figures for each part
    assert commercial.first_payment == reference("1900000", "3.5", 360, loans.EQUAL_INSTALMENT)[0][0]
    assert provident.first_payment == reference("1000000", "2.6", 360, loans.EQUAL_INSTALMENT)[0][0]


def test_combined_parts_must_have_the_same_term():
    with pytest.raises(BusinessError):
        loans.combine(loans.schedule(D("100000"), D("3"), 12), loans.schedule(D("100000"), D("3"), 24))


@pytest.mark.parametrize("amount,rate,months,method", [
    ("100000", "-0.5", 12, loans.EQUAL_INSTALMENT),     # negative rate
    ("100000", "3", 0, loans.EQUAL_INSTALMENT),         # no term
    ("100000", "3", 361, loans.EQUAL_INSTALMENT),       # beyond 30 years
    ("100000", "3", 12.0, loans.EQUAL_INSTALMENT),      # months as a float
    ("100000.001", "3", 12, loans.EQUAL_INSTALMENT),    # below the fen
    ("999.99", "3", 12, loans.EQUAL_INSTALMENT),        # too small to be a loan
    ("100000", "NaN", 12, loans.EQUAL_INSTALMENT),
    ("abc", "3", 12, loans.EQUAL_INSTALMENT),
    ("100000", "3", 12, "balloon"),
])
def test_bad_loans_are_refused(amount, rate, months, method):
    with pytest.raises(BusinessError):
        loans.schedule(amount, rate, months, method)
