"""Organisation: departments (tree) and employees."""
from flask_babel import lazy_gettext as _l

ORG = "Organisation"


def init_app(app, appbuilder):
    from app.core.services import custom_fields
    from app.org.api import DepartmentApi, EmployeeApi
    from app.org.approvals import init_app as init_approvals
    from app.org.models import Employee
    from app.org.views import DepartmentView, EmployeeView

    custom_fields.register_entity("employee", Employee, _l("Employee"))
    appbuilder.add_view(DepartmentView, "Departments", label=_l("Departments"), icon="fa-sitemap",
                        category=ORG, category_label=_l("Organisation"), category_icon="fa-building")
    appbuilder.add_link("Organisation chart", label=_l("Organisation chart"), href="/departmentview/tree/",
                        icon="fa-project-diagram", category=ORG)
    appbuilder.add_view(EmployeeView, "Employees", label=_l("Employees"), icon="fa-id-card", category=ORG)
    appbuilder.add_api(DepartmentApi)
    appbuilder.add_api(EmployeeApi)
    init_approvals(app, appbuilder)
