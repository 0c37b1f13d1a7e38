from flask_appbuilder.models.sqla.interface import SQLAInterface

from app.core import personal_data
from app.core.services import custom_fields as cf
from app.core.views.base import LoupanModelRestApi
from app.org.models import Department, Employee
from app.org.views import DepartmentView, EmployeeView


class DepartmentApi(LoupanModelRestApi):
    resource_name = "departments"
    datamodel = SQLAInterface(Department)
    permissions_of = DepartmentView
    list_columns = show_columns = ["id", "name", "code", "kind", "parent_id", "region_id", "phone",
                                   "address", "sort_order", "active"]
    add_columns = edit_columns = ["name", "code", "kind", "parent", "region", "phone", "address",
                                  "sort_order", "active"]


class EmployeeApi(personal_data.MaskedApiMixin, LoupanModelRestApi):
    resource_name = "employees"
    datamodel = SQLAInterface(Employee)
    permissions_of = EmployeeView
    list_columns = show_columns = ["id", "number", "name", "department_id", "position", "phone", "id_number",
                                   "hire_date", "status", "user_id", "custom"]
    add_columns = edit_columns = ["number", "name", "department", "position", "phone", "id_number",
                                  "hire_date", "status", "user", "custom"]
    personal_fields = ("phone", "id_number")

    def before_add(self, item):
        # The page takes custom fields from its form; the API takes the `custom` object.
        item.custom = cf.clean_values("employee", item.custom)
        super().before_add(item)

    def before_update(self, item):
        item.custom = cf.clean_values("employee", item.custom)
        super().before_update(item)
