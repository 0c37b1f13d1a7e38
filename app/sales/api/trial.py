"""POST /api/v1/sales/trial: the price trial as JSON, with the trial page's permission (can_trial on
PriceTrialView).

Body: {"room": 12, "plan": 3 (or "plans": [3, 4, 5], at most three), "date": "2026-11-26"
(default: today), "first_home": true (default), "subscription_date": "…", "signing_date": "…"
(defaults as on the page), "schedule": false (true: every month of the loans), "discounts": [5, 6]
(discount policy ids), "customer": 40 (optional: brings the discounts of the customer's source)}.

Answers 200 {"room": {…}, "options": [breakdown, …]} where each breakdown is trial.Trial.as_dict();
when several plans are compared, one that cannot be used is {"plan": {…}, "error": "…"}. Each
breakdown carries "discounts" (the steps) and "authority" ({"within": …, "reasons": […]}: whether
the asking user may give that price on their own). Answers
400 for a malformed request, 404 for a room or plan that does not exist, 422 with the reason when
no plan asked for can be used."""
import datetime as dt

from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.crm.services import scope
from app.sales.services import discount_authority
from app.sales.services import plans as plan_rules
from app.sales.services import trial as trials
from app.sales.views.trial import PriceTrialView

MAX_ID = 2 ** 31 - 1


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value <= MAX_ID


def _date(payload, key):
    value = payload.get(key)
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


class Malformed(ValueError):
    pass


def parse(payload):
    """(room id, plan ids, keyword arguments of trial.compare, schedule) from the body."""
    if not isinstance(payload, dict):
        raise Malformed(_("Send a JSON object."))
    room = payload.get("room")
    if not _is_id(room):
        raise Malformed(_("Give the room's id as a whole number, e.g. \"room\": 12."))
    if "plans" in payload:
        plan_ids = payload.get("plans")
        if not isinstance(plan_ids, list) or not plan_ids or not all(_is_id(i) for i in plan_ids):
            raise Malformed(_("Give the payment plans' ids as a list, e.g. \"plans\": [3, 4]."))
    elif "plan" in payload and _is_id(payload.get("plan")):
        plan_ids = [payload["plan"]]
    else:
        raise Malformed(_("Give the payment plan's id, e.g. \"plan\": 3, or up to three as \"plans\": [3, 4, 5]."))
    plan_ids = list(dict.fromkeys(plan_ids))
    if len(plan_ids) > trials.MAX_COMPARED:
        raise Malformed(_("Compare at most %(max)d payment plans.", max=trials.MAX_COMPARED))
    options = {}
    for key, name in (("date", "date"), ("subscription_date", "subscription_date"), ("signing_date", "signing_date")):
        if payload.get(key) is not None:
            options[name] = _date(payload, key)
            if options[name] is None:
                raise Malformed(_("Enter %(field)s as \"2026-11-26\".", field=key))
    first_home = payload.get("first_home", True)
    if not isinstance(first_home, bool):
        raise Malformed(_("first_home is true or false."))
    options["first_home"] = first_home
    schedule = payload.get("schedule", False)
    if not isinstance(schedule, bool):
        raise Malformed(_("schedule is true or false."))
    return room, plan_ids, options, schedule


def parse_discounts(payload):
    """(discount policy ids, customer id or None) from the body: "discounts": [5, 6], "customer": 40."""
    ids = payload.get("discounts", [])
    if not isinstance(ids, list) or not all(_is_id(i) for i in ids):
        raise Malformed(_("Give the discount policies' ids as a list, e.g. \"discounts\": [5, 6]."))
    customer = payload.get("customer")
    if customer is not None and not _is_id(customer):
        raise Malformed(_("Give the customer's id as a whole number, e.g. \"customer\": 40."))
    return list(dict.fromkeys(ids)), customer


def room_dict(room):
    return {"id": room.id, "code": room.code, "project_id": room.project_id, "project": room.project.name,
            "status": room.status, "property_type": room.property_type.name,
            "area_gross": "%.2f" % room.area_gross,
            "list_unit_price": None if room.list_unit_price is None else "%.2f" % room.list_unit_price,
            "list_total_price": None if room.list_total_price is None else "%.2f" % room.list_total_price}


class TrialApi(BaseApi):
    resource_name = "sales"
    allow_browser_login = True
    class_permission_name = "PriceTrialView"
    base_permissions = PriceTrialView.base_permissions
    method_permission_name = {"trial": "trial"}
    openapi_spec_tag = "Sales"

    @expose("/trial", methods=["POST"])
    @protect()
    @safe
    def trial(self):
        """The breakdown of a room's price with one to three payment plans (see the module)."""
        try:
            payload = request.get_json(silent=True)
            room_id, plan_ids, options, schedule = parse(payload)
            discount_ids, customer_id = parse_discounts(payload)
        except Malformed as e:
            return self.response_400(message=str(e))
        try:
            room, chosen = trials.load(room_id, plan_ids)
            options["discounts"], options["customer"] = trials.load_discounts(discount_ids, customer_id)
        except LookupError as e:
            return self.response(404, message=str(e))
        except PermissionError as e:
            return self.response(403, message=str(e))
        try:
            compared = trials.compare(room, chosen, **options)
        except BusinessError as e:
            return self.response_422(message=str(e))
        user = scope.acting_user()
        if all(o.trial is None for o in compared):
            return self.response_422(message=" ".join(o.error for o in compared))
        result = []
        for option in compared:
            if option.trial is not None:
                data = option.trial.as_dict(schedule=schedule)
                data["authority"] = discount_authority.check(user, option.trial).as_dict()
                result.append(data)
            else:
                result.append({"plan": {"id": option.plan.id, "name": option.plan.name, "kind": option.plan.kind,
                                        "kind_label": plan_rules.kind_label(option.plan.kind)},
                               "error": option.error})
        return self.response(200, room=room_dict(room), options=result)
