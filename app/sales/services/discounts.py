"""Discount policies (折扣方案): which ones a room may have with a plan on a date, and how several
combine into the final price, step by step.

Combination:
1. the starting price is the room's list total as the trial has it (rounded by the project's rule);
2. the chosen policies, plus the special ones whose customer source matches the customer's source
   (applied automatically), are checked: same project, active, valid on the date, valid for the
   room (building / property type), tied to the trial's plan when tied to a plan, and the customer
   qualifies when the policy names a customer source;
3. ordinary (category "ordinary") discounts are exclusive: one that does not stack cannot be
   combined with any other ordinary discount; plan-tied and special discounts combine with any;
4. they apply in the order of their sequence numbers (then their ids): a percentage multiplies the
   price so far (98 → × 98%), an amount is taken off the total, an amount per ㎡ is taken off
   (× gross area); every step is exact (no rounding) and is listed as (policy, before, after);
5. the price must stay above zero; the result is rounded once, at the end, by the project's rule
   (Project.price_rounding, inventory's round_price), and the unit price is that / gross area to
   the fen."""
import decimal
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.errors import BusinessError
from app.extensions import db
from app.inventory.services import round_price
from app.sales.models import DiscountPolicy
from app.sales.services import loans

D = decimal.Decimal
HUNDRED = D(100)
METHOD_LABELS = {"percent": _l("Percentage of the price"), "amount": _l("Amount off the total"),
                 "unit_amount": _l("Amount off the unit price")}
CATEGORY_LABELS = {"ordinary": _l("Ordinary"), "plan": _l("Tied to a payment plan"), "special": _l("Special")}


def method_label(method):
    return str(METHOD_LABELS.get(method, method or ""))


def category_label(category):
    return str(CATEGORY_LABELS.get(category, category or ""))


def terms(policy):
    """98% / −¥20,000.00 / −¥500.00/㎡."""
    value = D(policy.value or 0)
    if policy.method == "percent":
        return "%s%%" % loans_percent(value)
    if policy.method == "unit_amount":
        return "−¥{:,.2f}/㎡".format(value)
    return "−¥{:,.2f}".format(value)


def loans_percent(value):
    text = "{:f}".format(D(value).normalize())
    return text


# ---------------------------------------------------------------- checking a policy

def check_policy(policy):
    """The rules of a policy being saved; BusinessError with the reason, nothing saved."""
    if not (policy.name or "").strip():
        raise BusinessError(_("Enter the discount's name."))
    if policy.method not in METHOD_LABELS:
        raise BusinessError(_("Choose how the discount is computed."))
    if policy.category not in CATEGORY_LABELS:
        raise BusinessError(_("Choose the discount's category."))
    if policy.value is None:
        raise BusinessError(_("Enter the discount's value."))
    value = D(policy.value)
    if policy.method == "percent" and not (0 < value < HUNDRED):
        raise BusinessError(_("A percentage discount is what the buyer pays, above 0 and below 100 (98 for "
                              "98折)."))
    if policy.method != "percent" and value <= 0:
        raise BusinessError(_("The amount taken off must be more than zero."))
    if policy.valid_from is None:
        raise BusinessError(_("Enter the date the discount is valid from."))
    if policy.valid_to is not None and policy.valid_to < policy.valid_from:
        raise BusinessError(_("The discount cannot end before it starts."))
    if policy.sequence is None or policy.sequence < 0:
        raise BusinessError(_("The order is a whole number, 0 or more."))
    project_id = policy.project_id if policy.project_id is not None else getattr(policy.project, "id", None)
    if project_id is None:
        raise BusinessError(_("Choose the project."))
    if policy.category == "plan":
        plan = policy.plan
        if plan is None:
            raise BusinessError(_("A discount tied to a payment plan needs the plan."))
        if plan.project_id != project_id:
            raise BusinessError(_("The payment plan “%(plan)s” belongs to another project.", plan=plan.name))
    else:
        policy.plan = None
        policy.plan_id = None
    if policy.category != "special":
        policy.customer_source = None
    else:
        policy.customer_source = (policy.customer_source or "").strip() or None
    if policy.building is not None and policy.building.project_id != project_id:
        raise BusinessError(_("The building belongs to another project."))
    if policy.property_type is not None and policy.property_type.project_id != project_id:
        raise BusinessError(_("The property type belongs to another project."))


# ---------------------------------------------------------------- which policies apply

def _valid_on(policy, date):
    return policy.active and policy.valid_from <= date and (policy.valid_to is None or policy.valid_to >= date)


def _fits_room(policy, room):
    return ((policy.building_id is None or policy.building_id == room.building_id)
            and (policy.property_type_id is None or policy.property_type_id == room.property_type_id))


def customer_source(customer):
    return customer.source.name if customer is not None and customer.source is not None else None


def offered(room, date, plan=None, source=None):
    """The policies a salesperson may tick for a room on a date (and plan, if given): active, valid,
    for the room; special ones with a customer source are listed too (they apply automatically).
    source: only the special policies for customers of that source."""
    query = db.session.query(DiscountPolicy).filter(
        DiscountPolicy.project_id == room.project_id, DiscountPolicy.active.is_(True),
        DiscountPolicy.valid_from <= date,
        sa.or_(DiscountPolicy.valid_to.is_(None), DiscountPolicy.valid_to >= date))
    if source is not None:
        query = query.filter(DiscountPolicy.category == "special", DiscountPolicy.customer_source == source)
    found = [p for p in query.order_by(DiscountPolicy.sequence, DiscountPolicy.id) if _fits_room(p, room)]
    if plan is not None:
        found = [p for p in found if p.category != "plan" or p.plan_id == plan.id]
    return found


def automatic(room, date, plan, customer):
    """Special policies applying by themselves: the customer's source matches theirs."""
    source = customer_source(customer)
    if source is None:
        return []
    return offered(room, date, plan, source)


def check_applicable(policy, room, plan, date, customer=None):
    """BusinessError unless this policy may apply to this room with this plan on this date."""
    if policy.project_id != room.project_id:
        raise BusinessError(_("The discount “%(name)s” belongs to another project; it is not valid for room "
                              "%(room)s.", name=policy.name, room=room.code))
    if not policy.active:
        raise BusinessError(_("The discount “%(name)s” is disabled.", name=policy.name))
    if date < policy.valid_from:
        raise BusinessError(_("The discount “%(name)s” is valid from %(start)s, not yet on %(date)s.",
                              name=policy.name, start=policy.valid_from.isoformat(), date=date.isoformat()))
    if policy.valid_to is not None and date > policy.valid_to:
        raise BusinessError(_("The discount “%(name)s” expired on %(end)s.", name=policy.name,
                              end=policy.valid_to.isoformat()))
    if not _fits_room(policy, room):
        raise BusinessError(_("The discount “%(name)s” is not valid for room %(room)s.", name=policy.name,
                              room=room.code))
    if policy.category == "plan" and (plan is None or policy.plan_id != plan.id):
        raise BusinessError(_("The discount “%(name)s” applies only with the payment plan “%(plan)s”.",
                              name=policy.name, plan=policy.plan.name if policy.plan else ""))
    if policy.category == "special" and policy.customer_source and customer_source(customer) != \
            policy.customer_source:
        raise BusinessError(_("The discount “%(name)s” is for customers who came through “%(source)s”.",
                              name=policy.name, source=policy.customer_source))


# ---------------------------------------------------------------- combining

@dataclass
class Step:
    policy: DiscountPolicy
    before: D
    after: D
    automatic: bool = False

    @property
    def amount(self):
        return self.before - self.after

    def as_dict(self):
        return {"policy": {"id": self.policy.id, "name": self.policy.name, "category": self.policy.category,
                           "method": self.policy.method, "value": "%s" % self.policy.value,
                           "sequence": self.policy.sequence, "terms": terms(self.policy)},
                "before": _exact(self.before), "after": _exact(self.after), "amount": _exact(self.amount),
                "automatic": self.automatic}


def _exact(value):
    """An exact step figure: at least two decimals, more when the step has them (no rounding)."""
    value = D(value)
    if value == value.quantize(D("0.01")):
        return "%.2f" % value
    return "{:f}".format(value.normalize())


@dataclass
class Result:
    list_total: D  # the price before discounts (the list total, rounded by the project's rule)
    total: D  # after discounts, rounded once by the project's rule
    unit_price: D
    rounding: str
    steps: list = field(default_factory=list)

    @property
    def discount(self):
        return self.list_total - self.total

    @property
    def discount_percent(self):
        """The total discount as a percentage of the list price, to 0.01."""
        if not self.list_total:
            return D("0.00")
        return (self.discount / self.list_total * HUNDRED).quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP)

    @property
    def policy_ids(self):
        return [s.policy.id for s in self.steps]

    def as_dict(self):
        return {"list_total": "%.2f" % self.list_total, "total": "%.2f" % self.total,
                "unit_price": "%.2f" % self.unit_price, "rounding": self.rounding,
                "discount": "%.2f" % self.discount, "discount_percent": "%.2f" % self.discount_percent,
                "steps": [s.as_dict() for s in self.steps]}


def combine(room, list_total, policies, plan=None, date=None, customer=None):
    """The final price of a room with these policies (see the module docstring)."""
    from app.core import clock
    date = date or clock.local_today()
    chosen = list(dict.fromkeys(policies or []))
    auto = [p for p in automatic(room, date, plan, customer) if p not in chosen]
    for policy in chosen:
        check_applicable(policy, room, plan, date, customer)
    everything = chosen + auto
    ordinary = [p for p in everything if p.category == "ordinary"]
    exclusive = [p for p in ordinary if not p.stackable]
    if exclusive and len(ordinary) > 1:
        others = [p for p in ordinary if p is not exclusive[0]]
        raise BusinessError(_("The discount “%(name)s” does not stack: it cannot be combined with “%(other)s”.",
                              name=exclusive[0].name, other="、".join(p.name for p in others)))
    price = D(list_total)
    area = D(room.area_gross)
    steps = []
    for policy in sorted(everything, key=lambda p: (p.sequence, p.id)):
        value = D(policy.value)
        if policy.method == "percent":
            after = price * value / HUNDRED
        elif policy.method == "unit_amount":
            after = price - value * area
        else:
            after = price - value
        if after <= 0:
            raise BusinessError(_("The discount “%(name)s” would take the price from ¥%(before)s to ¥%(after)s: "
                                  "the price must stay above zero.", name=policy.name,
                                  before="{:,.2f}".format(price), after="{:,.2f}".format(after)))
        steps.append(Step(policy, price, after, policy in auto))
        price = after
    rounding = room.project.price_rounding or "fen"
    total = round_price(price, rounding)
    if total <= 0:
        raise BusinessError(_("The discounts leave no price to pay."))
    return Result(D(list_total), total, loans.fen(total / area), rounding, steps)


def load(ids, project_id=None):
    """The policies named by ids, in that order; LookupError naming the missing ones."""
    ids = list(dict.fromkeys(ids or []))
    found = {p.id: p for p in db.session.query(DiscountPolicy).filter(DiscountPolicy.id.in_(ids))} if ids else {}
    missing = [str(i) for i in ids if i not in found]
    if missing:
        raise LookupError(_("There is no discount policy %(ids)s.", ids="、".join(missing)))
    return [found[i] for i in ids]


def check_policy_deletable(policy):
    """A policy named by an approval request stays (disable it instead)."""
    from app.core.models import ApprovalRequest
    rows = db.session.query(ApprovalRequest.payload).filter(ApprovalRequest.kind == "discount",
                                                            ApprovalRequest.target_table == "room").all()
    for (payload,) in rows:
        if policy.id in ((payload or {}).get("policy_ids") or []):
            raise BusinessError(_("The discount “%(name)s” is named by a discount approval request: disable it "
                                  "instead of deleting it.", name=policy.name))

