"""Sales permissions (售楼权限): admins grant each salesperson the projects (and optionally single
buildings) they may sell; the sales-control chart and every deal action honour it."""
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l

from app.core.views.base import LoupanModelView
from app.sales.models import SalesPermission
from app.sales.services import permissions

MENU = "Sales permissions"


class SalesPermissionView(LoupanModelView):
    datamodel = SQLAInterface(SalesPermission)
    list_title = _l("Sales permissions")
    show_title = _l("Sales permission")
    add_title = _l("Grant a sales permission")
    edit_title = _l("Edit sales permission")
    list_columns = ["employee", "employee.department", "project", "building"]
    show_columns = add_columns = edit_columns = ["employee", "project", "building"]
    search_columns = ["employee", "project", "building"]
    base_order = ("project_id", "asc")
    label_columns = {"employee": _l("Salesperson"), "employee.department": _l("Department"), "project": _l("Project"),
                     "building": _l("Building")}
    description_columns = {
        "building": _l("Empty: every building of the project. Otherwise only this building."),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"employee": [["status", FilterEqual, "active"]]}
    export_enabled = True

    def before_add(self, item):
        permissions.check_permission(item)

    before_update = before_add


def init_app(app, appbuilder, first):
    from app.sales import SALES
    appbuilder.add_view(SalesPermissionView, MENU, label=_l("Sales permissions"), icon="fa-key", category=SALES)
