"""Loan arithmetic (房贷计算) as Chinese banks do it: pure functions on Decimal, no database.

- The monthly rate is the annual rate / 12 (the annual rate is given in percent: 3.5 for 3.50%).
- 等额本息 (equal instalments): payment = P·r·(1+r)^n / ((1+r)^n − 1), rounded to the fen.
  Each month's interest is the balance × r rounded to the fen; the principal is the payment minus
  that interest.
- 等额本金 (equal principal): principal = P / n rounded to the fen; interest = balance × r rounded
  to the fen; the payment is their sum and falls a little every month.
- Every line is rounded to the fen (half up) when it is computed; the last line takes whatever
  principal is left, so that the principal of the schedule sums exactly to the loan (its payment
  differs from the others by a few fen).
- A rate of 0 is allowed (an interest-free loan or instalment arrangement): every month repays
  P / n (rounded to the fen, the last month the rest) and no interest. A negative rate is refused.
- A combined loan (组合贷款) is two schedules of the same term (commercial + provident fund) added
  month by month; each part keeps its own figures.
"""
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

from flask_babel import gettext as _

from app.core.errors import BusinessError

D = Decimal
FEN = D("0.01")
EQUAL_INSTALMENT = "equal_instalment"  # 等额本息
EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
METHODS = (EQUAL_INSTALMENT, EQUAL_PRINCIPAL)
MIN_MONTHS, MAX_MONTHS = 1, 360  # one month to thirty years
MIN_AMOUNT = D("1000")  # banks lend thousands, not fen; keeps every line's principal positive
MAX_AMOUNT = D("1000000000")
MAX_RATE = D("36")  # percent a year


def fen(value):
    """Round to the fen, half up (四舍五入)."""
    return D(value).quantize(FEN, rounding=ROUND_HALF_UP)


def monthly_rate(annual_percent):
    """The monthly rate as a fraction: 3.5 (percent a year) → 0.035 / 12, to 40 digits."""
    with localcontext() as ctx:
        ctx.prec = 40
        return D(annual_percent) / D(100) / D(12)


def _checked(amount, annual_percent, months, method):
    try:
        amount, annual_percent = D(amount), D(annual_percent)
    except (InvalidOperation, TypeError, ValueError):
        raise BusinessError(_("Enter the loan amount and rate as numbers."))
    if not amount.is_finite() or not annual_percent.is_finite():
        raise BusinessError(_("Enter the loan amount and rate as numbers."))
    if amount != fen(amount):
        raise BusinessError(_("A loan amount is in yuan and fen (at most two decimals)."))
    if amount < MIN_AMOUNT or amount > MAX_AMOUNT:
        raise BusinessError(_("A loan is between ¥%(low)s and ¥%(high)s.", low="{:,.2f}".format(MIN_AMOUNT),
                              high="{:,.2f}".format(MAX_AMOUNT)))
    if annual_percent < 0:
        raise BusinessError(_("A loan rate cannot be negative."))
    if annual_percent > MAX_RATE:
        raise BusinessError(_("A loan rate is at most %(max)s%% a year.", max=MAX_RATE))
    if isinstance(months, bool) or not isinstance(months, int) or not MIN_MONTHS <= months <= MAX_MONTHS:
        raise BusinessError(_("A loan term is from 1 month to 30 years."))
    if method not in METHODS:
        raise BusinessError(_("Choose equal instalments (等额本息) or equal principal (等额本金)."))
    return amount, annual_percent


def equal_instalment_payment(amount, annual_percent, months):
    """The monthly payment of 等额本息, rounded to the fen (the last month may differ)."""
    amount, annual_percent = _checked(amount, annual_percent, months, EQUAL_INSTALMENT)
    r = monthly_rate(annual_percent)
    with localcontext() as ctx:
        ctx.prec = 40
        if r == 0:
            return fen(amount / months)
        growth = (1 + r) ** months
        return fen(amount * r * growth / (growth - 1))


@dataclass
class Line:
    """One month of a schedule (第 period 期)."""

    period: int
    payment: Decimal
    principal: Decimal
    interest: Decimal
    balance: Decimal  # what is still owed after this payment


@dataclass
class Schedule:
    amount: Decimal
    annual_rate: Decimal  # percent a year
    months: int
    method: str
    lines: list = field(default_factory=list)

    @property
    def first_payment(self):
        return self.lines[0].payment

    @property
    def last_payment(self):
        return self.lines[-1].payment

    @property
    def total_interest(self):
        return sum((line.interest for line in self.lines), D("0.00"))

    @property
    def total_payment(self):
        return sum((line.payment for line in self.lines), D("0.00"))

    @property
    def monthly_decrease(self):
        """等额本金: how much less each month's payment is than the month before (None otherwise)."""
        if self.method != EQUAL_PRINCIPAL or len(self.lines) < 3:
            return None
        return self.lines[0].payment - self.lines[1].payment


def schedule(amount, annual_percent, months, method=EQUAL_INSTALMENT):
    """The month-by-month schedule of a loan (see the module's docstring for the rules)."""
    amount, annual_percent = _checked(amount, annual_percent, months, method)
    r = monthly_rate(annual_percent)
    result = Schedule(amount=amount, annual_rate=annual_percent, months=months, method=method)
    balance = amount
    if method == EQUAL_INSTALMENT:
        payment = equal_instalment_payment(amount, annual_percent, months)
    else:
        with localcontext() as ctx:
            ctx.prec = 40
            principal_part = fen(amount / months)
    for period in range(1, months + 1):
        with localcontext() as ctx:
            ctx.prec = 40
            interest = fen(balance * r)
        if period == months:
            principal = balance
        elif method == EQUAL_INSTALMENT:
            principal = payment - interest
        else:
            principal = principal_part
        balance -= principal
        result.lines.append(Line(period, principal + interest, principal, interest, balance))
    assert balance == 0 and all(line.principal >= 0 for line in result.lines)
    return result


@dataclass
class Combined:
    """A combined loan (组合贷款): its parts (commercial, provident fund) and their month-by-month sum."""

    parts: list
    lines: list = field(default_factory=list)

    @property
    def amount(self):
        return sum((p.amount for p in self.parts), D("0.00"))

    @property
    def months(self):
        return self.parts[0].months

    @property
    def first_payment(self):
        return self.lines[0].payment

    @property
    def last_payment(self):
        return self.lines[-1].payment

    @property
    def total_interest(self):
        return sum((p.total_interest for p in self.parts), D("0.00"))

    @property
    def total_payment(self):
        return sum((p.total_payment for p in self.parts), D("0.00"))

    @property
    def monthly_decrease(self):
        decreases = [p.monthly_decrease for p in self.parts]
        if any(d is None for d in decreases):
            return None
        return sum(decreases, D("0.00"))


def combine(*schedules):
    """Add schedules of the same term month by month."""
    schedules = [s for s in schedules if s is not None]
    if not schedules:
        raise BusinessError(_("A combined loan needs at least one part."))
    months = schedules[0].months
    if any(s.months != months for s in schedules):
        raise BusinessError(_("The parts of a combined loan have the same term."))
    result = Combined(parts=list(schedules))
    for index in range(months):
        lines = [s.lines[index] for s in schedules]
        result.lines.append(Line(index + 1, sum((x.payment for x in lines), D("0.00")),
                                 sum((x.principal for x in lines), D("0.00")),
                                 sum((x.interest for x in lines), D("0.00")),
                                 sum((x.balance for x in lines), D("0.00"))))
    return result
