"""Discount authority (折扣权限) and the discount approval (折扣审批).

Limits of a user: their own row if they have one, else the most generous of their roles' rows
(the largest total discount, the lowest floor ratio); administrators are not limited; a user with
no row at all may give no discount on their own. A trial is within authority when its total
discount (list price − final price, as a percentage of the list price) is at most the largest
total discount, and — when the room has a floor price (底价) and the limit names a floor ratio —
the final price is at least floor price × ratio.

Beyond authority, the salesperson submits the trial for approval (kind "discount", approvers:
销售经理 and admins). The request's payload keeps what was asked and the figures (room, plan,
discounts, customer, the steps, the final price); approval recomputes the trial and refuses if
the figures no longer match (the room's price or a policy changed). A later deal consumes an
approved request through approved_discount()."""
import datetime as dt
import decimal
from dataclasses import dataclass, field

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import roles
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.services import approvals
from app.extensions import db
from app.inventory.models import Room
from app.sales.models import DiscountAuthority, PaymentPlan
from app.sales.services import discounts as discount_rules
from app.sales.services import trial as trials

D = decimal.Decimal
KIND = "discount"
HUNDRED = D(100)


@dataclass
class Limits:
    max_discount: D = None  # None: not limited (admins)
    min_floor_ratio: D = None  # None: the floor price is not checked
    source: str = ""

    @property
    def unlimited(self):
        return self.max_discount is None


@dataclass
class Verdict:
    within: bool
    limits: Limits
    reasons: list = field(default_factory=list)

    def as_dict(self):
        limits = self.limits
        return {"within": self.within, "reasons": list(self.reasons),
                "max_discount": None if limits.max_discount is None else "%.2f" % limits.max_discount,
                "min_floor_ratio": None if limits.min_floor_ratio is None else "%.2f" % limits.min_floor_ratio}


def limits_for(user):
    """The user's own limits (see the module docstring)."""
    if user is None:
        return Limits(D(0), D(100), "")
    names = {r.name for r in (user.roles or [])}
    if roles.ADMIN in names:
        return Limits(None, None, roles.ADMIN)
    own = db.session.query(DiscountAuthority).filter(DiscountAuthority.user_id == user.id).one_or_none()
    if own is not None:
        return Limits(D(own.max_discount), None if own.min_floor_ratio is None else D(own.min_floor_ratio),
                      user.username)
    role_ids = [r.id for r in user.roles or []]
    rows = db.session.query(DiscountAuthority).filter(DiscountAuthority.role_id.in_(role_ids)).all() \
        if role_ids else []
    if not rows:
        return Limits(D(0), D(100), "")
    floors = [r.min_floor_ratio for r in rows]
    return Limits(max(D(r.max_discount) for r in rows), None if any(f is None for f in floors) else min(floors),
                  "、".join(sorted(r.role.name for r in rows)))


def check(user, trial):
    """Is this trial within the user's authority? Verdict with the reasons when not."""
    limits = limits_for(user)
    if limits.unlimited:
        return Verdict(True, limits)
    result, reasons = trial.discount, []
    percent = result.discount_percent if result is not None else D(0)
    if percent > limits.max_discount:
        reasons.append(_("The total discount of %(percent)s%% is more than the %(max)s%% you may give.",
                         percent=percent, max=limits.max_discount))
    floor = trial.room.floor_price
    if floor is not None and limits.min_floor_ratio is not None:
        lowest = D(floor) * limits.min_floor_ratio / HUNDRED
        if trial.total < lowest:
            reasons.append(_("The final price ¥%(price)s is below %(ratio)s%% of the floor price ¥%(floor)s.",
                             price="{:,.2f}".format(trial.total), ratio=limits.min_floor_ratio,
                             floor="{:,.2f}".format(floor)))
    return Verdict(not reasons, limits, reasons)


def check_authority_row(row):
    if (row.role is None) == (row.user is None):
        raise BusinessError(_("Choose either a role or a user."))
    if row.max_discount is None or not (0 <= D(row.max_discount) < HUNDRED):
        raise BusinessError(_("The largest total discount is a percentage from 0 to below 100."))
    if row.min_floor_ratio is not None and not (0 < D(row.min_floor_ratio) <= 200):
        raise BusinessError(_("The lowest price relative to the floor price is a percentage above 0 (100: not "
                              "below the floor price)."))


# ---------------------------------------------------------------- the request

def _int(value):
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _recompute(payload):
    """The trial a payload describes, computed again now."""
    from app.crm.models import Customer
    room = db.session.get(Room, _int(payload.get("room_id")) or 0)
    plan = db.session.get(PaymentPlan, _int(payload.get("plan_id")) or 0)
    if room is None or plan is None:
        raise BusinessError(_("The room or the payment plan of this request no longer exists."))
    try:
        policies = discount_rules.load([i for i in payload.get("policy_ids") or [] if _int(i)])
        date = dt.date.fromisoformat(payload.get("date"))
    except (LookupError, TypeError, ValueError):
        raise BusinessError(_("A discount policy of this request no longer exists."))
    customer_id = _int(payload.get("customer_id"))
    customer = db.session.get(Customer, customer_id) if customer_id else None
    return trials.trial(room, plan, date, bool(payload.get("first_home", True)), discounts=policies,
                        customer=customer)


def _figures(trial, verdict=None):
    result = trial.discount
    data = {"room_id": trial.room.id, "room_code": trial.room.code, "project": trial.room.project.name,
            "plan_id": trial.plan.id, "plan_name": trial.plan.name, "date": trial.date.isoformat(),
            "first_home": trial.first_home, "list_total": "%.2f" % result.list_total,
            "total": "%.2f" % result.total, "unit_price": "%.2f" % result.unit_price,
            "discount_percent": "%.2f" % result.discount_percent,
            "floor_price": None if trial.room.floor_price is None else "%.2f" % trial.room.floor_price,
            "steps": [{"policy_id": s.policy.id, "name": s.policy.name, "terms": discount_rules.terms(s.policy),
                       "before": "%.2f" % s.before, "after": "%.2f" % s.after, "automatic": s.automatic}
                      for s in result.steps]}
    if verdict is not None:
        data["beyond"] = [str(r) for r in verdict.reasons]
    return data


def validate(payload, requester):
    trial = _recompute(payload)
    if not trial.discount.steps:
        raise BusinessError(_("There is no discount to approve."))
    verdict = check(requester, trial)
    if verdict.within:
        raise BusinessError(_("This discount is within your authority: no approval is needed."))
    cleaned = {"policy_ids": [i for i in payload.get("policy_ids") or []],
               "customer_id": _int(payload.get("customer_id"))}
    cleaned.update(_figures(trial, verdict))
    return cleaned


def submit(user, room, plan, policies, customer=None, date=None, first_home=True, reason=None):
    """Ask for a discount beyond the user's authority; the request waits for a sales manager."""
    from app.core import clock
    date = date or clock.local_today()
    payload = {"room_id": room.id, "plan_id": plan.id, "policy_ids": [p.id for p in policies],
               "customer_id": customer.id if customer is not None else None, "date": date.isoformat(),
               "first_home": bool(first_home)}
    trial = _recompute(payload)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        summary = _("Discount for %(room)s (%(project)s): ¥%(list)s → ¥%(total)s (%(percent)s%% off), %(plan)s",
                    room=room.code, project=room.project.name, list="{:,.2f}".format(trial.discount.list_total),
                    total="{:,.2f}".format(trial.total), percent=trial.discount.discount_percent, plan=plan.name)
    return approvals.submit(KIND, user, "room", room.id, payload, summary, reason)


def apply(req):
    """Approved: the figures must still be those the approver saw."""
    trial = _recompute(req.payload or {})
    if "%.2f" % trial.total != (req.payload or {}).get("total"):
        raise BusinessError(_("The room's price or its discounts changed since the request: the final price would "
                              "now be ¥%(price)s. Reject it and ask again.", price="{:,.2f}".format(trial.total)))


def describe(req):
    p = req.payload or {}
    rows = [(_("Project"), p.get("project")), (_("Room"), p.get("room_code")),
            (_("List total price"), _yuan(p.get("list_total"))), (_("Payment plan"), p.get("plan_name")),
            (_("Trial date"), p.get("date"))]
    for step in p.get("steps") or []:
        label = _("Discount: %(name)s (%(terms)s)", name=step.get("name"), terms=step.get("terms"))
        if step.get("automatic"):
            label += " · " + _("automatic")
        rows.append((label, "%s → %s" % (_yuan(step.get("before")), _yuan(step.get("after")))))
    rows.append((_("Final price"), _yuan(p.get("total"))))
    rows.append((_("Final unit price"), _yuan(p.get("unit_price"))))
    rows.append((_("Total discount"), "%s%%" % p.get("discount_percent")))
    rows.append((_("Floor price"), _yuan(p.get("floor_price")) if p.get("floor_price") else _("none set")))
    for reason in p.get("beyond") or []:
        rows.append((_("Beyond authority"), reason))
    rows.append((_("Asked by"), approvals.display_name(req.requester)))
    return rows


def _yuan(value):
    try:
        return "¥{:,.2f}".format(D(value))
    except (TypeError, ValueError, decimal.InvalidOperation):
        return ""


def link(req):
    from flask import url_for
    p = req.payload or {}
    if not current_app.appbuilder.sm.has_access("can_trial", "PriceTrialView") or not _int(p.get("room_id")):
        return []
    query = {"room": p["room_id"], "plan": p.get("plan_id"), "discount": p.get("policy_ids") or [],
             "date": p.get("date"), "first_home": "1" if p.get("first_home", True) else "0"}
    if p.get("customer_id"):
        query["customer_id"] = p["customer_id"]
    links = [(_("Open the price trial"), url_for("PriceTrialView.index", **query))]
    if req.status == "approved" and current_app.appbuilder.sm.has_access("can_act", "DealView"):
        subscribe = {"room": p["room_id"], "discount_request": req.id}
        if p.get("customer_id"):
            subscribe["customer"] = p["customer_id"]
        links.insert(0, (_("Subscribe with this discount"), url_for("DealView.new", action="subscribe", **subscribe)))
    return links


def register():
    approvals.register_kind(KIND, _l("Discount"), apply=apply, approver_roles=(roles.MANAGER, roles.ADMIN),
                            describe=describe, validate=validate, link=link)


def approved_discount(request_id):
    """What an approved discount request allows, for the deal that consumes it; None when the
    request does not exist, is not a discount request or is not approved. Amounts are Decimal."""
    try:
        req = db.session.get(ApprovalRequest, int(request_id))
    except (TypeError, ValueError):
        return None
    if req is None or req.kind != KIND or req.status != "approved":
        return None
    p = dict(req.payload or {})
    return {"request_id": req.id, "room_id": p.get("room_id"), "plan_id": p.get("plan_id"),
            "policy_ids": list(p.get("policy_ids") or []), "customer_id": p.get("customer_id"),
            "date": dt.date.fromisoformat(p["date"]), "first_home": p.get("first_home", True),
            "list_total": D(p["list_total"]), "total": D(p["total"]), "unit_price": D(p["unit_price"]),
            "steps": list(p.get("steps") or []), "requester_id": req.requester_id, "decider_id": req.decider_id,
            "decided_at": req.decided_at}
