"""REST resources for the admin settings of core, sharing each page's permissions and rules
(LoupanModelRestApi applies the page's before_* hooks)."""
from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core.models import AuditLog, CustomFieldDef, FieldLabel, LookupList, LookupValue
from app.core.views.audit import AuditLogView
from app.core.views.base import LoupanModelRestApi
from app.core.views.fields_admin import CustomFieldDefView, FieldLabelView
from app.core.views.lookup import LookupListView, LookupValueView


class LookupListApi(LoupanModelRestApi):
    resource_name = "lookup_lists"
    datamodel = SQLAInterface(LookupList)
    permissions_of = LookupListView
    list_columns = show_columns = ["id", "code", "name", "description"]
    add_columns = ["code", "name", "description"]
    edit_columns = ["name", "description"]


class LookupValueApi(LoupanModelRestApi):
    resource_name = "lookup_values"
    datamodel = SQLAInterface(LookupValue)
    permissions_of = LookupValueView
    list_columns = show_columns = ["id", "list_code", "name", "sort_order", "active"]
    add_columns = edit_columns = ["lookup_list", "name", "sort_order", "active"]
    search_columns = ["list_code", "name", "active"]
    order_columns = ["sort_order", "id", "name"]


class CustomFieldDefApi(LoupanModelRestApi):
    resource_name = "custom_fields"
    datamodel = SQLAInterface(CustomFieldDef)
    permissions_of = CustomFieldDefView
    list_columns = show_columns = ["id", "entity", "name", "label", "field_type", "lookup_list_code",
                                   "required", "sort_order", "show_in_list", "active"]
    add_columns = edit_columns = ["entity", "name", "label", "field_type", "lookup_list_code", "required",
                                  "sort_order", "show_in_list", "active"]
    search_columns = ["entity", "name", "active"]


class FieldLabelApi(LoupanModelRestApi):
    resource_name = "field_labels"
    datamodel = SQLAInterface(FieldLabel)
    permissions_of = FieldLabelView
    list_columns = show_columns = ["id", "entity", "field", "label"]
    add_columns = edit_columns = ["entity", "field", "label"]


class AuditLogApi(LoupanModelRestApi):
    """Read-only: the log is written by the audit listener alone."""

    resource_name = "audit_log"
    datamodel = SQLAInterface(AuditLog)
    permissions_of = AuditLogView
    include_route_methods = {"get", "get_list", "info"}
    list_columns = show_columns = ["id", "created_at", "user_id", "username", "client_address", "action",
                                   "table_name", "row_id", "changes"]
    search_columns = ["username", "table_name", "row_id", "action", "created_at", "user_id"]
    order_columns = ["id", "created_at"]
    base_order = ("id", "desc")
