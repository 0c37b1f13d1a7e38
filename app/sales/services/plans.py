"""Payment plans (付款方式): the rules a plan, its instalments (分期) and its fees (代收费用) obey.

A plan is saved with its instalments and fees at once (the page's table and the API's lists), so
that "the percentages sum to 100%" is checked on the whole and a refusal saves nothing.

- Deposit (定金) at subscription: an amount, or a percentage of the price of at most 20% — the
  excess over 20% of the price has no effect as a deposit (民法典 article 586). An amount is
  checked against the price of the room in the trial.
- Full payment (一次性付款): the rest of the price is due N days after the subscription or the signing.
- Instalments (分期付款): each a percentage of the price, an amount, or "the rest"; due N days after
  the subscription or the signing, or on a date. Without "the rest" every instalment is a
  percentage and they sum to 100%; with it (at most one) the percentages stay under 100%. The
  deposit counts towards the first instalment.
- Loans (商业按揭, 公积金贷款, 组合贷款): the down payment ratio (at least the minimum of the mortgage
  policy for a first home on the later of the plan's start and today; a trial checks the buyer's
  own case on its date), the loan ratio (100% − the down payment), the term (1–30 years), the rates
  (empty: the policy rates on the trial's date), the repayment method, the provident fund's cap
  (required for a combined loan) and the unit the loan is rounded down to.
- A plan that deals use is disabled, never deleted (plan_in_use), and its terms no longer change.
"""
import datetime as dt
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.extensions import db
from app.sales.models import (DEPOSIT_METHODS, DUE_BASES, FEE_METHODS, INSTALMENT_METHODS, LOAN_KINDS, LOAN_UNITS,
                              PLAN_KINDS, REPAYMENT_METHODS, PaymentPlan, PaymentPlanFee, PaymentPlanInstalment)
from app.sales.services import policies

D = decimal.Decimal
HUNDRED = D(100)
MAX_DEPOSIT_PERCENT = D(20)  # 民法典 article 586
MAX_INSTALMENTS = 24
MAX_FEES = 20
MAX_DAYS = 3650
MAX_AMOUNT = D("1000000000")

KIND_LABELS = {"full": _l("Full payment"), "instalment": _l("Instalments"), "commercial": _l("Commercial mortgage"),
               "provident": _l("Provident-fund loan"), "combined": _l("Combined loan")}
DEPOSIT_METHOD_LABELS = {"amount": _l("Amount (¥)"), "percent": _l("Percentage of the price")}
BASIS_LABELS = {"subscription": _l("After subscription"), "signing": _l("After signing"), "date": _l("On a date")}
INSTALMENT_METHOD_LABELS = {"percent": _l("Percentage of the price"), "amount": _l("Amount (¥)"),
                            "rest": _l("The rest")}
FEE_METHOD_LABELS = {"fixed": _l("Fixed amount (¥)"), "percent": _l("Percentage of the price"),
                     "per_area": _l("Gross area × rate (¥/㎡)")}
REPAYMENT_LABELS = {"equal_instalment": _l("Equal instalments (等额本息)"),
                    "equal_principal": _l("Equal principal (等额本金)")}
LOAN_UNIT_LABELS = {"yuan": _l("To the yuan"), "thousand": _l("To the thousand yuan"),
                    "ten_thousand": _l("To the ten thousand yuan")}
LOAN_UNIT_QUANTUM = {"yuan": D(1), "thousand": D(1000), "ten_thousand": D(10000)}
# What a plan in use may still change.
FREE_WHEN_IN_USE = {"name", "description", "valid_to", "active", "sort_order"}


def plan_in_use(plan):
    """Is the plan used by a deal? Deals do not exist yet: always False. The deals module will
    answer it (a deal, subscription or contract referring to the plan), and from then on such a
    plan can only be disabled, and its terms no longer change."""
    return False


def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind or ""))


def due_words(basis, days):
    """When a payment counted from the subscription or the signing is due: 认购时, 签约后 30 天 …"""
    if basis == "subscription":
        return _("At subscription") if not days else _("%(days)d days after subscription", days=days)
    return _("At signing") if not days else _("%(days)d days after signing", days=days)


def is_loan(plan):
    return plan.kind in LOAN_KINDS


# ---------------------------------------------------------------- reading user input

def number(value, message, empty=None):
    """A Decimal from text, a number or a Decimal; `empty` for an empty value; else BusinessError."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return empty
    if isinstance(value, bool):
        raise BusinessError(message)
    if isinstance(value, float):
        value = repr(value)
    try:
        result = D(str(value).strip().replace(",", "").replace("，", "").rstrip("%"))
    except (decimal.InvalidOperation, ValueError):
        raise BusinessError(message)
    if not result.is_finite():
        raise BusinessError(message)
    return result


def whole(value, message, empty=None):
    result = number(value, message, None)
    if result is None:
        return empty
    if result != result.to_integral_value() or abs(result) > 10 ** 9:
        raise BusinessError(message)
    return int(result)


def date_value(value, message):
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if not isinstance(value, str):
        raise BusinessError(message)
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise BusinessError(message)


def _text(value):
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value).strip())


def _blank(row, defaults):
    """An empty line of the page's table: nothing typed, the selects left at their defaults."""
    return not any(_text(v) not in ("", defaults.get(k, "")) for k, v in row.items())


INSTALMENT_DEFAULTS = {"method": "percent", "due_basis": "signing"}
FEE_DEFAULTS = {"method": "fixed"}


def parse_instalments(rows):
    """Instalments from rows of {name, method, value, due_basis, due_days, due_date} (text or JSON
    values); blank rows are skipped. Each refusal names the row."""
    if not isinstance(rows, (list, tuple)):
        raise BusinessError(_("Give the instalments as a list."))
    result = []
    for index, row in enumerate(r for r in rows if not (isinstance(r, dict) and _blank(r, INSTALMENT_DEFAULTS))):
        line = index + 1
        if not isinstance(row, dict):
            raise BusinessError(_("Instalment %(n)d: give it as an object with name, method and value.", n=line))
        name = _text(row.get("name"))[:50] or _("Instalment %(n)d", n=line)
        method = _text(row.get("method")) or "percent"
        if method not in INSTALMENT_METHODS:
            raise BusinessError(_("Instalment %(n)d: choose a percentage, an amount or the rest.", n=line))
        value = None
        if method == "percent":
            value = number(row.get("value"), _("Instalment %(n)d: enter the percentage as a number.", n=line))
            if value is None or not D(0) < value <= HUNDRED or value != value.quantize(D("0.01")):
                raise BusinessError(_("Instalment %(n)d: a percentage is more than 0 and at most 100, with at most "
                                      "two decimals.", n=line))
        elif method == "amount":
            value = number(row.get("value"), _("Instalment %(n)d: enter the amount as a number.", n=line))
            if value is None or not D(0) < value <= MAX_AMOUNT or value != value.quantize(D("0.01")):
                raise BusinessError(_("Instalment %(n)d: an amount is more than 0, in yuan and fen.", n=line))
        basis = _text(row.get("due_basis")) or "signing"
        if basis not in DUE_BASES:
            raise BusinessError(_("Instalment %(n)d: it is due after the subscription, after the signing or on "
                                  "a date.", n=line))
        due_date, days = None, 0
        if basis == "date":
            due_date = date_value(row.get("due_date"), _("Instalment %(n)d: enter the date as 2026-11-26.", n=line))
            if due_date is None:
                raise BusinessError(_("Instalment %(n)d: enter the date it is due.", n=line))
        else:
            days = whole(row.get("due_days"), _("Instalment %(n)d: enter the days as a whole number.", n=line), 0)
            if not 0 <= days <= MAX_DAYS:
                raise BusinessError(_("Instalment %(n)d: the days are between 0 and %(max)d.", n=line,
                                      max=MAX_DAYS))
        result.append(PaymentPlanInstalment(sequence=line, name=name, method=method, value=value, due_basis=basis,
                                            due_days=days, due_date=due_date))
    if len(result) > MAX_INSTALMENTS:
        raise BusinessError(_("A plan has at most %(max)d instalments.", max=MAX_INSTALMENTS))
    return result


def parse_fees(rows):
    """Fees from rows of {name, method, value}; blank rows are skipped."""
    if not isinstance(rows, (list, tuple)):
        raise BusinessError(_("Give the fees as a list."))
    result = []
    for index, row in enumerate(r for r in rows if not (isinstance(r, dict) and _blank(r, FEE_DEFAULTS))):
        line = index + 1
        if not isinstance(row, dict):
            raise BusinessError(_("Fee %(n)d: give it as an object with name, method and value.", n=line))
        name = _text(row.get("name"))[:50]
        if not name:
            raise BusinessError(_("Fee %(n)d: enter its name, e.g. 产权登记费.", n=line))
        method = _text(row.get("method")) or "fixed"
        if method not in FEE_METHODS:
            raise BusinessError(_("Fee %(n)d: choose a fixed amount, a percentage or area × rate.", n=line))
        value = number(row.get("value"), _("Fee %(n)d: enter its value as a number.", n=line))
        limit = {"fixed": MAX_AMOUNT, "percent": HUNDRED, "per_area": D(100000)}[method]
        if value is None or value < 0 or value > limit:
            raise BusinessError(_("Fee %(n)d: the value is between 0 and %(max)s.", n=line, max="{:,}".format(limit)))
        if value != value.quantize(D("0.0001")):
            raise BusinessError(_("Fee %(n)d: at most four decimals.", n=line))
        result.append(PaymentPlanFee(name=name, method=method, value=value, sort_order=line * 10))
    if len(result) > MAX_FEES:
        raise BusinessError(_("A plan has at most %(max)d fees.", max=MAX_FEES))
    return result


def instalment_rows(plan):
    return [{"name": i.name, "method": i.method, "value": i.value, "due_basis": i.due_basis,
             "due_days": i.due_days, "due_date": i.due_date} for i in plan.instalments]


def fee_rows(plan):
    return [{"name": f.name, "method": f.method, "value": f.value} for f in plan.fees]


# ---------------------------------------------------------------- the plan

def _check_instalments(items):
    if not items:
        raise BusinessError(_("An instalment plan needs its instalments."))
    rests = [i for i in items if i.method == "rest"]
    amounts = [i for i in items if i.method == "amount"]
    percent = sum((i.value for i in items if i.method == "percent"), D(0))
    if len(rests) > 1:
        raise BusinessError(_("Only one instalment can be “the rest”."))
    if not rests:
        if amounts:
            raise BusinessError(_("A plan with instalments of fixed amounts needs one instalment that is “the "
                                  "rest” of the price."))
        if percent != HUNDRED:
            raise BusinessError(_("The instalments sum to %(sum)s%% of the price, not 100%%.",
                                  sum=policies.percent_text(percent)))
    elif percent >= HUNDRED:
        raise BusinessError(_("With an instalment for the rest, the percentages stay under 100%% (they sum to "
                              "%(sum)s%%).", sum=policies.percent_text(percent)))


def _check_loan(plan, project):
    plan.down_payment_ratio = number(plan.down_payment_ratio,
                                     _("Enter the down payment ratio in percent, e.g. 30."))
    if plan.down_payment_ratio is None or not D(0) < plan.down_payment_ratio < HUNDRED:
        raise BusinessError(_("The down payment is more than 0 and less than 100 percent of the price."))
    loan_ratio = number(plan.loan_ratio, _("Enter the loan ratio in percent, e.g. 70."))
    if loan_ratio is not None and loan_ratio + plan.down_payment_ratio != HUNDRED:
        raise BusinessError(_("The down payment (%(down)s%%) and the loan (%(loan)s%%) sum to %(sum)s%% of the "
                              "price, not 100%%.", down=policies.percent_text(plan.down_payment_ratio),
                              loan=policies.percent_text(loan_ratio),
                              sum=policies.percent_text(loan_ratio + plan.down_payment_ratio)))
    plan.loan_ratio = HUNDRED - plan.down_payment_ratio
    plan.term_years = whole(plan.term_years, _("Enter the term in whole years."))
    if plan.term_years is None or not 1 <= plan.term_years <= 30:
        raise BusinessError(_("A loan term is from 1 to 30 years."))
    for name in ("commercial_rate", "provident_rate"):
        value = number(getattr(plan, name), _("Enter the rate in percent a year, e.g. 3.5."))
        if value is not None and not D(0) <= value <= D(36):
            raise BusinessError(_("A loan rate is between 0% and 36% a year."))
        setattr(plan, name, value)
    if plan.repayment_method not in REPAYMENT_METHODS:
        raise BusinessError(_("Choose equal instalments (等额本息) or equal principal (等额本金)."))
    if plan.loan_unit not in LOAN_UNITS:
        raise BusinessError(_("Choose the unit the loan is rounded down to."))
    plan.provident_cap = number(plan.provident_cap, _("Enter the provident fund's cap as an amount."))
    if plan.kind == "commercial":
        plan.provident_cap = plan.provident_rate = None
    else:
        if plan.kind == "provident":
            plan.commercial_rate = None
        if plan.kind == "combined" and plan.provident_cap is None:
            raise BusinessError(_("A combined loan needs the most the provident fund lends (its cap)."))
        if plan.provident_cap is not None and not D(0) < plan.provident_cap <= MAX_AMOUNT:
            raise BusinessError(_("The provident fund's cap is an amount greater than zero."))
    on = max(plan.valid_from, clock.local_today())
    minimum = policies.minimum_down(plan.kind, on, project.city, residential=True, first_home=True)
    if minimum is not None and plan.down_payment_ratio < minimum:
        raise BusinessError(_("A down payment of %(down)s%% is below the minimum of %(min)s%% for %(kind)s "
                              "(mortgage policy in force on %(date)s).",
                              down=policies.percent_text(plan.down_payment_ratio),
                              min=policies.percent_text(minimum), kind=kind_label(plan.kind), date=on.isoformat()))


def _changed_terms(plan):
    state = sa.inspect(plan)
    return [attr.key for attr in state.mapper.column_attrs
            if attr.key not in FREE_WHEN_IN_USE and state.attrs[attr.key].history.has_changes()]


def check_plan(plan, instalments=None, fees=None):
    """Before a plan is saved (page and API). `instalments` and `fees` are rows (dicts) that replace
    the plan's own; None keeps them. Completes and normalises the plan; BusinessError refuses."""
    project = plan.project
    if project is None and plan.project_id is not None:
        from app.inventory.models import Project
        project = db.session.get(Project, plan.project_id)
    if project is None or not sa.inspect(project).has_identity:
        raise BusinessError(_("Choose the project of the payment plan."))
    plan.name = (plan.name or "").strip()
    if not plan.name:
        raise BusinessError(_("Enter the name of the payment plan, e.g. 一次性付款 or 商业按揭30%首付."))
    if plan.kind not in PLAN_KINDS:
        raise BusinessError(_("Choose the kind of payment plan."))
    if not isinstance(plan.valid_from, dt.date):
        raise BusinessError(_("Enter the date the plan is valid from."))
    if plan.valid_to is not None and plan.valid_to < plan.valid_from:
        raise BusinessError(_("A plan cannot end before it starts."))
    new_instalments = parse_instalments(instalments) if instalments is not None else None
    new_fees = parse_fees(fees) if fees is not None else None
    if plan.id is not None and plan_in_use(plan):
        changed = _changed_terms(plan)
        if changed or (instalments is not None and [_row(i) for i in new_instalments] !=
                       [_row(i) for i in plan.instalments]) or \
                (fees is not None and [_row(f) for f in new_fees] != [_row(f) for f in plan.fees]):
            raise BusinessError(_("“%(name)s” is used by deals: its terms no longer change. Disable it and make a "
                                  "new plan.", name=plan.name))
    plan.description = (plan.description or "").strip() or None
    if plan.active is None:
        plan.active = True
    plan.sort_order = plan.sort_order or 0
    plan.deposit_method = plan.deposit_method or "amount"
    if plan.deposit_method not in DEPOSIT_METHODS:
        raise BusinessError(_("The deposit is an amount or a percentage of the price."))
    plan.deposit_value = number(plan.deposit_value, _("Enter the deposit as a number."), D(0))
    if plan.deposit_value < 0 or plan.deposit_value != plan.deposit_value.quantize(D("0.01")):
        raise BusinessError(_("The deposit is zero or more, with at most two decimals."))
    if plan.deposit_method == "percent" and plan.deposit_value > MAX_DEPOSIT_PERCENT:
        raise BusinessError(_("A deposit (定金) is at most 20 percent of the price: the excess has no effect as a "
                              "deposit (Civil Code article 586)."))
    if plan.deposit_method == "amount" and plan.deposit_value > MAX_AMOUNT:
        raise BusinessError(_("The deposit is too large."))
    plan.sign_within_days = whole(plan.sign_within_days, _("Enter the days to signing as a whole number."), 7)
    if not 0 <= plan.sign_within_days <= 365:
        raise BusinessError(_("The contract is signed within 0 to 365 days of the subscription."))
    plan.down_payment_due_days = whole(plan.down_payment_due_days,
                                       _("Enter the days the down payment is due in as a whole number."), 0)
    if not 0 <= plan.down_payment_due_days <= MAX_DAYS:
        raise BusinessError(_("The down payment is due within 0 to %(max)d days.", max=MAX_DAYS))
    plan.down_payment_due_from = plan.down_payment_due_from or "signing"
    if plan.down_payment_due_from not in ("subscription", "signing"):
        raise BusinessError(_("The down payment is due after the subscription or after the signing."))
    plan.repayment_method = plan.repayment_method or "equal_instalment"
    plan.loan_unit = plan.loan_unit or "thousand"
    if is_loan(plan):
        _check_loan(plan, project)
    else:
        for name in ("down_payment_ratio", "loan_ratio", "provident_cap", "term_years", "commercial_rate",
                     "provident_rate"):
            setattr(plan, name, None)
    if plan.kind == "instalment":
        items = new_instalments if new_instalments is not None else list(plan.instalments)
        _check_instalments(items)
    elif new_instalments:
        raise BusinessError(_("Only an instalment plan has instalments."))
    elif plan.kind != "instalment" and plan.instalments:
        new_instalments = []
    if _name_taken(plan, project):
        raise BusinessError(_("The project already has a payment plan “%(name)s”.", name=plan.name))
    if new_instalments is not None:
        plan.instalments = new_instalments
    if new_fees is not None:
        plan.fees = new_fees


def _row(obj):
    if isinstance(obj, PaymentPlanInstalment):
        return (obj.name, obj.method, D(obj.value) if obj.value is not None else None, obj.due_basis,
                obj.due_days, obj.due_date)
    return (obj.name, obj.method, D(obj.value))


def _name_taken(plan, project):
    query = db.session.query(PaymentPlan.id).filter(PaymentPlan.project_id == project.id,
                                                    PaymentPlan.name == plan.name)
    if plan.id is not None:
        query = query.filter(PaymentPlan.id != plan.id)
    with db.session.no_autoflush:
        return query.first() is not None


def check_plan_deletable(plan):
    if plan_in_use(plan):
        raise BusinessError(_("“%(name)s” is used by deals: disable it instead of deleting it.", name=plan.name))


def save_plan(plan, instalments=None, fees=None):
    """Check and store a plan with its rows (demo data, callers outside the screens)."""
    with db.session.no_autoflush:
        check_plan(plan, instalments, fees)
    db.session.add(plan)
    db.session.commit()
    return plan


def set_active(plans, active):
    """Disable (or enable again) plans; a plan in use is disabled, never deleted."""
    plans = list(plans)
    if not plans:
        raise BusinessError(_("Select at least one payment plan."))
    for plan in plans:
        plan.active = bool(active)
    db.session.commit()
    return plans


def valid_on(plan, date):
    return bool(plan.active) and plan.valid_from <= date and (plan.valid_to is None or date <= plan.valid_to)


def plans_for(project_id, date=None, include_invalid=False):
    """The project's plans usable on a date (active, within their dates), in their order."""
    query = db.session.query(PaymentPlan).filter(PaymentPlan.project_id == project_id)
    if not include_invalid:
        date = date or clock.local_today()
        query = query.filter(PaymentPlan.active.is_(True), PaymentPlan.valid_from <= date,
                             sa.or_(PaymentPlan.valid_to.is_(None), PaymentPlan.valid_to >= date))
    return query.order_by(PaymentPlan.sort_order, PaymentPlan.id).all()
