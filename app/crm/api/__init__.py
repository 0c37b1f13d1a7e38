"""REST resources of customers, visits, opportunities and follow-ups, with the pages' scope:
a salesperson's token sees only their own."""
from flask_appbuilder.api import expose, protect, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask import request

from app.core import personal_data
from app.core.errors import BusinessError
from app.core.services import custom_fields as cf
from app.core.views.base import LoupanModelRestApi
from app.crm.models import Customer, FollowUp, Opportunity, Visit
from app.crm.services import customers as customer_service
from app.crm.services import follow_ups as follow_up_service
from app.crm.services.validation import clean_phone
from app.crm.views import CustomerView, FollowUpView, OpportunityView, VisitView
from app.crm.views.scoping import REFUSED, SCOPED_FILTERS, foreign


class ScopedApi(LoupanModelRestApi):
    base_filters = SCOPED_FILTERS

    def _refused(self, pk):
        if foreign(self.datamodel.obj, pk):
            return self.response(403, message=REFUSED[self.datamodel.obj]())
        return None

    def get_headless(self, pk, **kwargs):
        return self._refused(pk) or super().get_headless(pk, **kwargs)

    def put_headless(self, pk):
        return self._refused(pk) or super().put_headless(pk)

    def delete_headless(self, pk):
        return self._refused(pk) or super().delete_headless(pk)


class CustomerApi(personal_data.MaskedApiMixin, ScopedApi):
    resource_name = "customers"
    datamodel = SQLAInterface(Customer)
    permissions_of = CustomerView
    list_columns = show_columns = ["id", "kind", "name", "phone", "phone2", "id_type", "id_number", "gender",
                                   "age_band_id", "address", "region_id", "occupation_id", "family_id", "source_id",
                                   "level_id", "tags", "notes", "owner_id", "owner.name", "created_at", "custom"]
    add_columns = edit_columns = ["kind", "name", "phone", "phone2", "id_type", "id_number", "gender", "age_band",
                                  "address", "region", "occupation", "family", "source", "level", "tags", "notes",
                                  "owner", "custom"]
    personal_fields = ("phone", "phone2", "id_number")

    def before_add(self, item):
        item.custom = cf.clean_values("customer", item.custom)
        customer_service.check_customer(item)
        customer_service.check_owner_may_be_changed(item)

    def before_update(self, item):
        item.custom = cf.clean_values("customer", item.custom)
        customer_service.check_customer(item)
        customer_service.check_owner_may_be_changed(item)

    @expose("/lookup", methods=["GET"])
    @protect()
    @safe
    def lookup(self):
        """Is there a customer with this phone? Who owns them (the customer only if visible)."""
        try:
            phone = clean_phone(request.args.get("phone", ""))
        except BusinessError as e:
            return self.response_400(message=str(e))
        customer = customer_service.find_by_phone(phone) if phone else None
        if customer is None:
            return self.response(200, exists=False)
        info = customer_service.summary(customer)
        return self.response(200, exists=True, **info)


CustomerApi.method_permission_name = dict(LoupanModelRestApi.method_permission_name, lookup="list")


class VisitApi(ScopedApi):
    resource_name = "customer-visits"
    datamodel = SQLAInterface(Visit)
    permissions_of = VisitView
    list_columns = show_columns = ["id", "customer_id", "project_id", "kind", "channel_id", "visited_at", "is_first",
                                   "received_by_id", "layout_wanted", "area_min", "area_max", "budget_min",
                                   "budget_max", "floors_wanted", "notes"]


class OpportunityApi(ScopedApi):
    resource_name = "opportunities"
    datamodel = SQLAInterface(Opportunity)
    permissions_of = OpportunityView
    list_columns = show_columns = ["id", "customer_id", "project_id", "owner_id", "grade_id", "stage", "chance",
                                   "lost_reason_id", "notes", "created_at"]
    add_columns = edit_columns = ["customer", "project", "owner", "grade", "stage", "chance", "lost_reason", "notes"]


class FollowUpApi(ScopedApi):
    resource_name = "follow-ups"
    datamodel = SQLAInterface(FollowUp)
    permissions_of = FollowUpView
    list_columns = show_columns = ["id", "customer_id", "opportunity_id", "contact_type", "content", "followed_at",
                                   "employee_id", "next_date", "open"]
    add_columns = ["customer", "opportunity", "contact_type", "content", "next_date"]
    edit_columns = ["contact_type", "content", "next_date"]

    def before_add(self, item):
        follow_up_service.check_follow_up(item, is_new=True)

    def before_update(self, item):
        follow_up_service.check_follow_up(item, is_new=False)
