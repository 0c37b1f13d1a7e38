"""REST resources of discounts: /api/v1/discount_policies/ and /api/v1/discount_authorities/ with
the pages' permissions and rules, and POST /api/v1/sales/discount_request to submit a trial beyond
the user's authority for approval (the trial's permission).

Body of discount_request: {"room": 12, "plan": 3, "discounts": [5, 6], "customer": 40 (optional),
"date": "2026-11-26", "first_home": true, "reason": "…"}; answers 201 {"id": request id, "status":
"pending"}, 400 malformed, 404 unknown room/plan/discount/customer, 422 refused (e.g. within
authority, policy not valid)."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi
from app.sales.models import DiscountAuthority, DiscountPolicy
from app.sales.services import discount_authority
from app.sales.views.discounts import DiscountAuthorityView, DiscountPolicyView
from app.sales.views.trial import PriceTrialView

POLICY_FIELDS = ["name", "category", "method", "value", "sequence", "stackable", "plan_id", "customer_source",
                 "building_id", "property_type_id", "valid_from", "valid_to", "active", "description"]


class DiscountPolicyApi(LoupanModelRestApi):
    resource_name = "discount_policies"
    datamodel = SQLAInterface(DiscountPolicy)
    permissions_of = DiscountPolicyView
    list_columns = show_columns = ["id", "project_id"] + POLICY_FIELDS
    add_columns = ["project", "name", "category", "method", "value", "sequence", "stackable", "plan",
                   "customer_source", "building", "property_type", "valid_from", "valid_to", "active", "description"]
    edit_columns = add_columns[1:]
    search_columns = ["project", "name", "category", "active"]


class DiscountAuthorityApi(LoupanModelRestApi):
    resource_name = "discount_authorities"
    datamodel = SQLAInterface(DiscountAuthority)
    permissions_of = DiscountAuthorityView
    list_columns = show_columns = ["id", "role_id", "user_id", "max_discount", "min_floor_ratio", "note"]
    add_columns = edit_columns = ["role", "user", "max_discount", "min_floor_ratio", "note"]


class DiscountRequestApi(BaseApi):
    resource_name = "sales"
    allow_browser_login = True
    class_permission_name = "PriceTrialView"
    base_permissions = PriceTrialView.base_permissions
    method_permission_name = {"discount_request": "trial"}
    openapi_spec_tag = "Sales"

    @expose("/discount_request", methods=["POST"])
    @protect()
    @safe
    def discount_request(self):
        """Submit a trial beyond the user's discount authority for approval (see the module)."""
        from app.crm.services import scope
        from app.sales.api.trial import Malformed, parse, parse_discounts
        from app.sales.services import trial as trials
        payload = request.get_json(silent=True)
        try:
            room_id, plan_ids, options, _schedule = parse(payload)
            discount_ids, customer_id = parse_discounts(payload)
            if len(plan_ids) != 1:
                raise Malformed(_("Give one payment plan, e.g. \"plan\": 3."))
            reason = payload.get("reason")
            if reason is not None and not isinstance(reason, str):
                raise Malformed(_("The reason must be text."))
        except Malformed as e:
            return self.response_400(message=str(e))
        try:
            room, (plan,) = trials.load(room_id, plan_ids)
            policies, customer = trials.load_discounts(discount_ids, customer_id)
        except LookupError as e:
            return self.response(404, message=str(e))
        except PermissionError as e:
            return self.response(403, message=str(e))
        try:
            req = discount_authority.submit(scope.acting_user(), room, plan, policies, customer, options.get("date"),
                                            options.get("first_home", True), reason)
        except BusinessError as e:
            return self.response_422(message=str(e))
        return self.response(201, id=req.id, status=req.status, summary=req.summary)
