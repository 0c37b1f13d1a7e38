"""REST resources of sales: payment plans (with their instalments and fees, read and written as
lists in the same object) and the policy tables — with the pages' permissions and rules."""
from flask import request
from flask_appbuilder.models.sqla.interface import SQLAInterface
from marshmallow import ValidationError

from app.core.errors import BusinessError
from app.core.views.base import LoupanModelRestApi
from app.extensions import db
from app.sales.models import DeedTaxRule, LoanRate, MaintenanceFundRule, MortgagePolicy, PaymentPlan
from app.sales.services import plans
from app.sales.views.plans import PaymentPlanView
from app.sales.views.policies import DeedTaxRuleView, LoanRateView, MaintenanceFundRuleView, MortgagePolicyView

PLAN_FIELDS = ["name", "kind", "valid_from", "valid_to", "active", "description", "deposit_method", "deposit_value",
               "sign_within_days", "down_payment_due_from", "down_payment_due_days", "down_payment_ratio",
               "loan_ratio", "term_years", "repayment_method", "commercial_rate", "provident_rate", "provident_cap",
               "loan_unit", "sort_order"]
ROWS = ("instalments", "fees")


def _json(value):
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


class PaymentPlanApi(LoupanModelRestApi):
    """GET/POST/PUT/DELETE /api/v1/payment_plans/ — POST and PUT take, besides the plan's fields,
    "instalments": [{"name", "method": "percent"|"amount"|"rest", "value", "due_basis":
    "subscription"|"signing"|"date", "due_days", "due_date"}] and "fees": [{"name", "method":
    "fixed"|"percent"|"per_area", "value"}]; given lists replace the plan's own."""

    resource_name = "payment_plans"
    datamodel = SQLAInterface(PaymentPlan)
    permissions_of = PaymentPlanView
    list_columns = ["id", "project_id"] + PLAN_FIELDS
    show_columns = list_columns
    add_columns = ["project"] + PLAN_FIELDS
    edit_columns = PLAN_FIELDS
    search_columns = ["project", "name", "kind", "active", "valid_from", "valid_to"]

    def before_add(self, item):
        plans.check_plan(item, getattr(item, "instalment_rows", None), getattr(item, "fee_rows", None))

    before_update = before_add

    def before_delete(self, item):
        plans.check_plan_deletable(item)

    def _rows_of(self, plan):
        return {"instalments": [{k: _json(v) if k in ("value", "due_date") else v for k, v in row.items()}
                                for row in plans.instalment_rows(plan)],
                "fees": [{k: _json(v) if k == "value" else v for k, v in row.items()} for row in plans.fee_rows(plan)]}

    def get_headless(self, pk, **kwargs):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        return self.response(200, id=item.id, result=dict(self.show_model_schema.dump(item), **self._rows_of(item)))

    def _payload(self):
        payload = request.get_json(silent=True)
        if not isinstance(payload, dict):
            return None, None
        rows = {key: payload.pop(key) for key in ROWS if key in payload}
        return payload, rows

    def _save(self, item, rows, status):
        item.instalment_rows, item.fee_rows = rows.get("instalments"), rows.get("fees")
        try:
            with db.session.no_autoflush:
                if status == 201:
                    self.pre_add(item)
                else:
                    self.pre_update(item)
            db.session.add(item)
            db.session.commit()
        except BusinessError as e:
            db.session.rollback()
            return self.response_422(message=str(e))
        data = {"id": item.id, "result": dict(self.show_model_schema.dump(item), **self._rows_of(item))}
        return self.response(status, **data)

    def post_headless(self):
        payload, rows = self._payload()
        if payload is None:
            return self.response_400(message="Send a JSON object.")
        try:
            item = self.add_model_schema.load(payload)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        return self._save(item, rows, 201)

    def put_headless(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            return self.response_404()
        payload, rows = self._payload()
        if payload is None:
            return self.response_400(message="Send a JSON object.")
        try:
            item = self.edit_model_schema.load(self._merge_update_item(item, payload), instance=item)
        except ValidationError as err:
            db.session.rollback()
            return self.response_422(message=err.messages)
        return self._save(item, rows, 200)


DATED = ["valid_from", "valid_to", "note"]


class DeedTaxRuleApi(LoupanModelRestApi):
    resource_name = "deed_tax_rules"
    datamodel = SQLAInterface(DeedTaxRule)
    permissions_of = DeedTaxRuleView
    add_columns = edit_columns = DATED + ["residential", "home", "area_above", "area_up_to", "rate"]
    list_columns = show_columns = ["id"] + add_columns


class MaintenanceFundRuleApi(LoupanModelRestApi):
    resource_name = "maintenance_fund_rules"
    datamodel = SQLAInterface(MaintenanceFundRule)
    permissions_of = MaintenanceFundRuleView
    add_columns = edit_columns = DATED + ["city", "residential", "amount_per_m2"]
    list_columns = show_columns = ["id"] + add_columns


class LoanRateApi(LoupanModelRestApi):
    resource_name = "loan_rates"
    datamodel = SQLAInterface(LoanRate)
    permissions_of = LoanRateView
    add_columns = edit_columns = DATED + ["kind", "term", "home", "rate"]
    list_columns = show_columns = ["id"] + add_columns


class MortgagePolicyApi(LoupanModelRestApi):
    resource_name = "mortgage_policies"
    datamodel = SQLAInterface(MortgagePolicy)
    permissions_of = MortgagePolicyView
    add_columns = edit_columns = DATED + ["city", "home", "commercial_min_down", "provident_min_down",
                                          "commercial_spread"]
    list_columns = show_columns = ["id"] + add_columns
