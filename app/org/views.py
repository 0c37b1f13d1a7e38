from flask import url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextFieldWidget, Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from wtforms import SelectField, StringField
from wtforms.validators import Optional, Regexp

from app.core import personal_data
from app.core.views.base import LoupanModelView
from app.core.views.custom_fields import CustomFieldsMixin
from app.org import services
from app.org.models import Department, Employee

DEPARTMENT_KIND_LABELS = {
    "group": _l("Group"), "company": _l("Regional company"),
    "department": _l("Department"), "sales_team": _l("Sales team"),
}
EMPLOYEE_STATUS_LABELS = {"active": _l("Employed"), "suspended": _l("Suspended"), "left": _l("Left")}


def _choices(labels):
    return lambda: [(k, str(v)) for k, v in labels.items()]


class EmployeeView(CustomFieldsMixin, LoupanModelView):
    datamodel = SQLAInterface(Employee)
    list_title = _l("Employees")
    show_title = _l("Employee")
    add_title = _l("Add employee")
    edit_title = _l("Edit employee")
    export_enabled = True
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_export"]
    list_columns = ["number", "name", "department", "position", "phone", "hire_date", "status", "user"]
    show_columns = ["number", "name", "department", "position", "phone", "id_number", "hire_date", "status", "user"]
    add_columns = edit_columns = ["number", "name", "department", "position", "phone", "id_number",
                                  "hire_date", "status", "user"]
    search_columns = ["number", "name", "department", "position", "status", "hire_date"]
    base_order = ("number", "asc")
    label_columns = {
        "number": _l("Employee number"), "name": _l("Full name"), "department": _l("Department"),
        "position": _l("Position"), "phone": _l("Phone"), "id_number": _l("ID number"),
        "hire_date": _l("Hire date"), "status": _l("Status"), "user": _l("Login account"),
    }
    formatters_columns = {
        "phone": personal_data.shown,
        "id_number": personal_data.shown,
        "user": lambda user: user.username if user is not None else "",
        "status": lambda s: str(EMPLOYEE_STATUS_LABELS.get(s, s)),
        "hire_date": lambda d: d.isoformat() if d else "",
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "status": SelectField(_l("Status"), choices=_choices(EMPLOYEE_STATUS_LABELS), widget=Select2Widget()),
        "phone": StringField(_l("Phone"), widget=BS3TextFieldWidget(),
                             validators=[Optional(), Regexp(services.PHONE_RE, message=_l("Enter a phone number of 7 to 20 digits."))]),
        "id_number": StringField(_l("ID number"), widget=BS3TextFieldWidget(),
                                 validators=[Optional(), Regexp(services.ID_NUMBER_RE, message=_l("Enter an ID number of 5 to 30 letters and digits."))]),
    }

    def before_add(self, item):
        services.check_employee(item)

    before_update = before_add

    def detail_links(self, pk):
        links = []
        if self.appbuilder.sm.has_access("can_request", "EmployeeTransferView"):
            links.append((_l("Request transfer"), url_for("EmployeeTransferView.new", employee=pk), "fa-exchange-alt"))
        return links


class DepartmentView(LoupanModelView):
    datamodel = SQLAInterface(Department)
    list_title = _l("Departments")
    show_title = _l("Department")
    add_title = _l("Add department")
    edit_title = _l("Edit department")
    related_views = [EmployeeView]
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete", "can_tree"]
    list_columns = ["name", "code", "kind", "parent", "region", "active"]
    show_columns = ["name", "code", "kind", "parent", "region", "phone", "address", "sort_order", "active"]
    add_columns = edit_columns = show_columns
    search_columns = ["name", "code", "kind", "parent", "region", "active"]
    base_order = ("sort_order", "asc")
    label_columns = {
        "name": _l("Name"), "code": _l("Code"), "kind": _l("Kind"), "parent": _l("Parent"),
        "region": _l("Region"), "phone": _l("Phone"), "address": _l("Address"),
        "sort_order": _l("Order"), "active": _l("Active"),
    }
    formatters_columns = {"kind": lambda k: str(DEPARTMENT_KIND_LABELS.get(k, k))}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=_choices(DEPARTMENT_KIND_LABELS), widget=Select2Widget(),
                            default="department"),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {
        "region": [["list_code", FilterEqual, "region"], ["active", FilterEqual, True]],
    }

    def before_add(self, item):
        services.check_department(item)

    before_update = before_add

    def before_delete(self, item):
        services.check_department_deletable(item)

    def detail_links(self, pk):
        links = []
        if self.appbuilder.sm.has_access("can_print", "PrintTemplateView") and \
                self.appbuilder.sm.has_access("can_list", "EmployeeView"):
            links.append((_l("Print organisation roster"), url_for("PrintTemplateView.print_record",
                                                                     kind="org_roster", pk=pk), "fa-print"))
        return links

    @expose("/tree/")
    @has_access
    def tree(self):
        return self.render_template("org/tree.html", rows=services.tree_rows(), kinds=DEPARTMENT_KIND_LABELS,
                                    may_open=self.appbuilder.sm.has_access("can_show", "DepartmentView"))
