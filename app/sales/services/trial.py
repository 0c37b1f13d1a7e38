"""Price trial (价格试算): what a room costs with a payment plan on a date — the price, the deposit,
the down payment, each instalment with its due date, the loan(s) with their monthly schedule, and
the buyer's taxes and fees as estimates. Nothing is saved.

The figures, in order:
1. the price is the room's list total, rounded by the project's rule (to the fen or to the yuan),
   less the discounts chosen (and those the customer qualifies for), combined step by step and
   rounded once at the end (app/sales/services/discounts.py); the unit price is that total / gross
   area, to the fen; everything below is computed from this final price;
2. the deposit (定金) is the plan's amount or percentage of the price (to the fen), at most 20% of it;
3. full payment: the rest of the price is due N days after the subscription or the signing;
   instalments: each percentage of the price to the fen, "the rest" (or else the last instalment)
   takes what is left so that they sum exactly to the price; the deposit counts towards the first;
   loans: the loan is price × loan ratio rounded down to the plan's unit (banks lend round sums),
   the down payment is the rest of the price (so it is at least the plan's ratio) and must meet
   the mortgage policy's minimum for the buyer's case on the date; a combined loan borrows up to
   the provident fund's cap from the fund and the rest commercially; a provident-fund loan beyond
   the cap is refused;
4. the loans' schedules follow app/sales/services/loans.py; the rate is the plan's, else the policy's
   on the date (commercial: LPR + the city's spread; provident fund: its rate for the term and home);
5. estimates: deed tax (契税) by the rule in force for the property class, the buyer's home and the
   gross area, on the price; the maintenance fund (维修基金) by gross area; the plan's fees.
Due dates: the subscription date defaults to the trial's date, the signing date to the
subscription + the plan's days to signing."""
import datetime as dt
import decimal
from dataclasses import dataclass, field

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.models import Room
from app.inventory.services import round_price
from app.sales.models import PaymentPlan
from app.sales.services import discounts as discount_rules
from app.sales.services import loans, plans as plan_rules, policies

D = decimal.Decimal
fen = loans.fen
HUNDRED = D(100)
MAX_COMPARED = 3
LOAN_PART_LABELS = {"commercial": _l("Commercial loan"), "provident": _l("Provident-fund loan")}


@dataclass
class Payment:
    label: str
    amount: D
    due_date: dt.date = None
    due_text: str = ""
    kind: str = "instalment"  # deposit, down_payment, full, instalment, loan


@dataclass
class LoanPart:
    kind: str  # commercial or provident
    amount: D
    rate: D
    rate_source: str
    schedule: loans.Schedule

    @property
    def label(self):
        return str(LOAN_PART_LABELS[self.kind])


@dataclass
class Estimate:
    label: str
    amount: D
    basis: str = ""


@dataclass
class Trial:
    room: Room
    plan: PaymentPlan
    date: dt.date
    first_home: bool
    residential: bool
    subscription_date: dt.date
    signing_date: dt.date
    list_total: D
    total: D
    unit_price: D
    deposit: D
    down_payment: D
    loan_amount: D = D("0.00")
    payments: list = field(default_factory=list)
    loans: list = field(default_factory=list)
    estimates: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    discount: object = None  # discounts.Result

    @property
    def kind_label(self):
        return plan_rules.kind_label(self.plan.kind)

    @property
    def down_payment_ratio(self):
        return (self.down_payment / self.total * HUNDRED).quantize(D("0.01")) if self.total else None

    @property
    def repayment(self):
        """The loans' month-by-month schedule: one part's, or both parts added (combined loan)."""
        if not self.loans:
            return None
        if len(self.loans) == 1:
            return self.loans[0].schedule
        return loans.combine(*(part.schedule for part in self.loans))

    @property
    def repayment_label(self):
        return str(plan_rules.REPAYMENT_LABELS.get(self.plan.repayment_method, "")) if self.loans else ""

    @property
    def estimates_total(self):
        return sum((e.amount for e in self.estimates), D("0.00"))

    @property
    def cash_before_loan(self):
        """What the buyer pays out of pocket: the price less the loan, plus taxes and fees."""
        return self.total - self.loan_amount + self.estimates_total

    def as_dict(self, schedule=False):
        repayment = self.repayment
        data = {
            "plan": {"id": self.plan.id, "name": self.plan.name, "kind": self.plan.kind, "kind_label": self.kind_label},
            "date": self.date.isoformat(), "first_home": self.first_home, "residential": self.residential,
            "subscription_date": self.subscription_date.isoformat(), "signing_date": self.signing_date.isoformat(),
            "price": {"list_total": _money(self.list_total), "total": _money(self.total),
                      "unit_price": _money(self.unit_price), "rounding": self.room.project.price_rounding},
            "deposit": _money(self.deposit), "down_payment": _money(self.down_payment),
            "down_payment_ratio": _money(self.down_payment_ratio), "loan_amount": _money(self.loan_amount),
            "payments": [{"label": p.label, "amount": _money(p.amount), "kind": p.kind,
                          "due_date": p.due_date.isoformat() if p.due_date else None, "due": p.due_text}
                         for p in self.payments],
            "loans": [_loan_dict(part, schedule) for part in self.loans],
            "repayment": _summary(repayment, schedule and len(self.loans) > 1) if repayment is not None else None,
            "estimates": [{"label": e.label, "amount": _money(e.amount), "basis": e.basis, "estimate": True}
                          for e in self.estimates],
            "estimates_total": _money(self.estimates_total), "cash_before_loan": _money(self.cash_before_loan),
            "warnings": list(self.warnings),
            "discounts": self.discount.as_dict() if self.discount is not None else None,
        }
        if self.loans:
            data["repayment"]["method"] = self.plan.repayment_method
            data["repayment"]["method_label"] = self.repayment_label
        return data


def _money(value):
    return None if value is None else "%.2f" % D(value)


def _lines(schedule):
    return [{"period": x.period, "payment": _money(x.payment), "principal": _money(x.principal),
             "interest": _money(x.interest), "balance": _money(x.balance)} for x in schedule.lines]


def _summary(s, with_lines):
    data = {"amount": _money(s.amount), "months": s.months, "first_payment": _money(s.first_payment),
            "last_payment": _money(s.last_payment), "monthly_decrease": _money(s.monthly_decrease),
            "total_interest": _money(s.total_interest), "total_payment": _money(s.total_payment)}
    if with_lines:
        data["schedule"] = _lines(s)
    return data


def _loan_dict(part, with_lines):
    data = {"kind": part.kind, "label": part.label, "rate": "%s" % policies.percent_text(part.rate),
            "rate_source": part.rate_source}
    data.update(_summary(part.schedule, with_lines))
    return data


# ---------------------------------------------------------------- the trial

def _due(plan_basis, days, subscription, signing, on_date=None):
    """(due date, words) of a payment counted from the subscription or the signing, or on a date."""
    if plan_basis == "date":
        return on_date, _("On %(date)s", date=on_date.isoformat())
    start = subscription if plan_basis == "subscription" else signing
    return start + dt.timedelta(days=days), plan_rules.due_words(plan_basis, days)


def _check_plan_for(room, plan, date):
    if plan.project_id != room.project_id:
        raise BusinessError(_("“%(plan)s” is a payment plan of another project; it is not valid for room %(room)s.",
                              plan=plan.name, room=room.code))
    if not plan.active:
        raise BusinessError(_("“%(plan)s” is disabled.", plan=plan.name))
    if date < plan.valid_from:
        raise BusinessError(_("“%(plan)s” is valid from %(start)s, not yet on %(date)s.", plan=plan.name,
                              start=plan.valid_from.isoformat(), date=date.isoformat()))
    if plan.valid_to is not None and date > plan.valid_to:
        raise BusinessError(_("“%(plan)s” expired on %(end)s.", plan=plan.name, end=plan.valid_to.isoformat()))


def price_of(room):
    """(list total, final total, unit price) of a room; BusinessError when it has no price."""
    if room.list_total_price is None or room.list_total_price <= 0 or not room.area_gross:
        raise BusinessError(_("Room %(room)s has no list price yet.", room=room.code))
    list_total = D(room.list_total_price)
    total = round_price(list_total, room.project.price_rounding)
    return list_total, total, fen(total / D(room.area_gross))


def trial(room, plan, date=None, first_home=True, subscription_date=None, signing_date=None, discounts=None,
          customer=None):
    """The breakdown of a room's price with a plan on a date (see the module docstring); discounts
    are DiscountPolicy rows, customer (optional) brings the discounts of their source."""
    date = date or clock.local_today()
    first_home = bool(first_home)
    _check_plan_for(room, plan, date)
    list_total, total, unit_price = price_of(room)
    discount = discount_rules.combine(room, total, discounts or [], plan, date, customer)
    total, unit_price = discount.total, discount.unit_price
    residential = policies.is_residential(room.property_type)
    subscription = subscription_date or date
    signing = signing_date or subscription + dt.timedelta(days=plan.sign_within_days or 0)
    if signing < subscription:
        raise BusinessError(_("The contract cannot be signed before the subscription."))

    deposit = D(plan.deposit_value or 0)
    if plan.deposit_method == "percent":
        deposit = fen(total * deposit / HUNDRED)
    if deposit > total * plan_rules.MAX_DEPOSIT_PERCENT / HUNDRED:
        raise BusinessError(_("The deposit of ¥%(deposit)s is more than 20%% of the price ¥%(price)s: the excess "
                              "would have no effect as a deposit (Civil Code article 586).",
                              deposit="{:,.2f}".format(deposit), price="{:,.2f}".format(total)))
    result = Trial(room=room, plan=plan, date=date, first_home=first_home, residential=residential,
                   subscription_date=subscription, signing_date=signing, list_total=list_total, total=total,
                   unit_price=unit_price, deposit=deposit, down_payment=total, discount=discount)
    if deposit:
        result.payments.append(Payment(_("Deposit (定金)"), deposit, subscription, _("At subscription"), "deposit"))

    if plan.kind == "full":
        due, words = _due(plan.down_payment_due_from, plan.down_payment_due_days, subscription, signing)
        if total - deposit > 0:
            result.payments.append(Payment(_("Rest of the price") if deposit else _("Full price"), total - deposit,
                                           due, words, "full"))
    elif plan.kind == "instalment":
        _instalments(result, plan, subscription, signing)
    else:
        _loans(result, plan, room, date, subscription, signing, residential, first_home)
    _estimates(result, plan, room, date, residential, first_home)
    return result


def _instalments(result, plan, subscription, signing):
    total, items = result.total, list(plan.instalments)
    if not items:
        raise BusinessError(_("“%(plan)s” has no instalments yet.", plan=plan.name))
    amounts = []
    for item in items:
        if item.method == "percent":
            amounts.append(fen(total * D(item.value) / HUNDRED))
        elif item.method == "amount":
            amounts.append(D(item.value))
        else:
            amounts.append(None)
    # "The rest" (or else the last instalment) takes what is left: they sum exactly to the price.
    absorbing = next((i for i, item in enumerate(items) if item.method == "rest"), len(items) - 1)
    others = sum((a for i, a in enumerate(amounts) if i != absorbing and a is not None), D("0.00"))
    amounts[absorbing] = total - others
    if amounts[absorbing] <= 0:
        raise BusinessError(_("The instalments of “%(plan)s” come to more than the price ¥%(price)s.",
                              plan=plan.name, price="{:,.2f}".format(total)))
    if result.deposit > amounts[0]:
        raise BusinessError(_("The deposit ¥%(deposit)s is more than the first instalment ¥%(first)s.",
                              deposit="{:,.2f}".format(result.deposit), first="{:,.2f}".format(amounts[0])))
    result.down_payment = amounts[0]
    for index, (item, amount) in enumerate(zip(items, amounts)):
        due, words = _due(item.due_basis, item.due_days, subscription, signing, item.due_date)
        label = item.name
        if index == 0 and result.deposit:
            amount -= result.deposit
            label = _("%(name)s (less the deposit)", name=item.name)
        if due < subscription:
            result.warnings.append(_("%(name)s falls due on %(date)s, before the subscription.", name=item.name,
                                     date=due.isoformat()))
        if amount > 0:
            result.payments.append(Payment(label, amount, due, words, "instalment"))


def _loans(result, plan, room, date, subscription, signing, residential, first_home):
    total, city = result.total, room.project.city
    minimum = policies.minimum_down(plan.kind, date, city, residential, first_home)
    ratio = D(plan.down_payment_ratio)
    if minimum is not None and ratio < minimum:
        case = (policies.HOME_LABELS[policies.policy_home(residential, first_home)])
        raise BusinessError(_("“%(plan)s” asks a down payment of %(down)s%%, below the minimum of %(min)s%% for "
                              "%(case)s on %(date)s.", plan=plan.name, down=policies.percent_text(ratio),
                              min=policies.percent_text(minimum), case=str(case).lower(), date=date.isoformat()))
    if minimum is None:
        result.warnings.append(_("No mortgage policy is in force on %(date)s: the minimum down payment was not "
                                 "checked.", date=date.isoformat()))
    unit = plan_rules.LOAN_UNIT_QUANTUM.get(plan.loan_unit, D(1))
    loan = (total * (HUNDRED - ratio) / HUNDRED / unit).to_integral_value(rounding=decimal.ROUND_FLOOR) * unit
    loan = fen(loan)
    down = total - loan
    if result.deposit > down:
        raise BusinessError(_("The deposit ¥%(deposit)s is more than the down payment ¥%(down)s.",
                              deposit="{:,.2f}".format(result.deposit), down="{:,.2f}".format(down)))
    months = plan.term_years * 12
    cap = D(plan.provident_cap) if plan.provident_cap is not None else None
    if plan.kind == "commercial":
        parts = [("commercial", loan)]
    elif plan.kind == "provident":
        if cap is not None and loan > cap:
            raise BusinessError(_("The loan of ¥%(loan)s is beyond the provident fund's cap of ¥%(cap)s; choose a "
                                  "combined loan or a larger down payment.", loan="{:,.2f}".format(loan),
                                  cap="{:,.2f}".format(cap)))
        parts = [("provident", loan)]
    else:
        provident = min(loan, cap)
        parts = [("commercial", loan - provident), ("provident", provident)]
        if loan <= cap:
            result.warnings.append(_("The provident fund lends the whole loan: there is no commercial part."))
            parts = [("provident", provident)]
    for kind, amount in parts:
        if amount < loans.MIN_AMOUNT:
            raise BusinessError(_("The %(part)s of ¥%(amount)s is too small to be a loan.",
                                  part=str(LOAN_PART_LABELS[kind]).lower(), amount="{:,.2f}".format(amount)))
        if kind == "commercial":
            if plan.commercial_rate is not None:
                rate, source = D(plan.commercial_rate), _("The plan's rate")
            else:
                rate, source = policies.commercial_rate(date, city, months, residential, first_home)
        else:
            if plan.provident_rate is not None:
                rate, source = D(plan.provident_rate), _("The plan's rate")
            else:
                rate, source = policies.provident_rate(date, months, first_home)
        result.loans.append(LoanPart(kind, amount, rate, source,
                                     loans.schedule(amount, rate, months, plan.repayment_method)))
    result.loan_amount, result.down_payment = loan, down
    due, words = _due(plan.down_payment_due_from, plan.down_payment_due_days, subscription, signing)
    if down - result.deposit > 0:
        label = _("Rest of the down payment") if result.deposit else _("Down payment")
        result.payments.append(Payment(label, down - result.deposit, due, words, "down_payment"))
    result.payments.append(Payment(_("Loan (paid by the bank)"), loan, None, _("After signing, when the bank lends"),
                                   "loan"))


def _estimates(result, plan, room, date, residential, first_home):
    total, area = result.total, D(room.area_gross)
    rule = policies.deed_tax_rule(date, residential, first_home, area)
    if rule is None:
        result.warnings.append(_("No deed tax rule is in force on %(date)s for this room: deed tax not estimated.",
                                 date=date.isoformat()))
    else:
        home = policies.HOME_LABELS["non_residential" if not residential else policies.home_key(first_home)]
        result.estimates.append(Estimate(_("Deed tax (estimate)"), fen(total * D(rule.rate) / HUNDRED),
                                         _("%(rate)s%% of the price (%(case)s, %(area)s㎡)",
                                           rate=policies.percent_text(rule.rate), case=str(home),
                                           area="{:,.2f}".format(area))))
    fund = policies.maintenance_fund_rule(date, room.project.city, residential)
    if fund is None:
        result.warnings.append(_("No maintenance fund rule is in force on %(date)s: not estimated.",
                                 date=date.isoformat()))
    else:
        result.estimates.append(Estimate(_("Maintenance fund (estimate)"), fen(area * D(fund.amount_per_m2)),
                                         _("¥%(rate)s/㎡ × %(area)s㎡", rate="{:,.2f}".format(fund.amount_per_m2),
                                           area="{:,.2f}".format(area))))
    for fee in plan.fees:
        value = D(fee.value)
        if fee.method == "fixed":
            amount, basis = fen(value), _("Fixed amount")
        elif fee.method == "percent":
            amount, basis = fen(total * value / HUNDRED), _("%(rate)s%% of the price",
                                                              rate=policies.percent_text(value))
        else:
            amount, basis = fen(area * value), _("¥%(rate)s/㎡ × %(area)s㎡", rate=policies.percent_text(value),
                                                 area="{:,.2f}".format(area))
        result.estimates.append(Estimate(_("%(name)s (estimate)", name=fee.name), amount, basis))


# ---------------------------------------------------------------- several plans side by side

@dataclass
class Option:
    plan: PaymentPlan
    trial: Trial = None
    error: str = None


def compare(room, plans, date=None, first_home=True, subscription_date=None, signing_date=None, discounts=None,
            customer=None):
    """Up to three plans side by side; a plan that cannot be used carries its reason instead. A
    discount tied to one of the compared plans applies to that plan's option only."""
    plans = list(dict.fromkeys(plans))
    discounts = list(discounts or [])
    if not plans:
        raise BusinessError(_("Choose at least one payment plan."))
    if len(plans) > MAX_COMPARED:
        raise BusinessError(_("Compare at most %(max)d payment plans.", max=MAX_COMPARED))
    options = []
    for plan in plans:
        try:
            chosen = [d for d in discounts if d.category != "plan" or d.plan_id == plan.id
                      or all(d.plan_id != p.id for p in plans)]
            options.append(Option(plan, trial(room, plan, date, first_home, subscription_date, signing_date,
                                              chosen, customer)))
        except BusinessError as e:
            options.append(Option(plan, error=str(e)))
    return options


def load(room_id, plan_ids):
    """The room and the plans named by ids, or BusinessError naming what does not exist."""
    room = db.session.get(Room, room_id) if isinstance(room_id, int) else None
    if room is None:
        raise LookupError(_("There is no room %(id)s.", id=room_id))
    found = {p.id: p for p in db.session.query(PaymentPlan).filter(PaymentPlan.id.in_(plan_ids))} if plan_ids else {}
    missing = [str(i) for i in plan_ids if i not in found]
    if missing:
        raise LookupError(_("There is no payment plan %(ids)s.", ids="、".join(missing)))
    return room, [found[i] for i in plan_ids]


def load_discounts(policy_ids, customer_id=None):
    """The discount policies and the customer named by ids: LookupError when one does not exist,
    PermissionError (logged) for a customer the user may not see (私客保护)."""
    from app.crm.models import Customer
    from app.crm.services import scope
    policies = discount_rules.load(policy_ids)
    customer = None
    if customer_id is not None:
        customer = db.session.get(Customer, customer_id)
        if customer is None:
            raise LookupError(_("There is no customer %(id)s.", id=customer_id))
        if not scope.may_see_owner(customer.owner_id):
            scope.log_refusal("customer", customer_id)
            raise PermissionError(_("Customer %(id)s belongs to another salesperson.", id=customer_id))
    return policies, customer
