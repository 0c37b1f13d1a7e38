"""Customers (客户管理): customers, visit and call registration, opportunities, follow-ups,
with confidentiality (私客保护): a salesperson sees their own customers, a supervisor their
department's, admins all."""
from flask_babel import lazy_gettext as _l

CUSTOMERS = "Customers"
CUSTOMER_LIST = "Customer list"
REGISTER = "Register visit"
VISITS = "Visits and calls"
OPPORTUNITIES = "Opportunities"
FOLLOW_UPS = "Follow-ups"
DUE = "Follow-ups due"

# Each part of the module registers its own screens, jobs, demo data and grants.
PARTS = ("app.crm.views.transfers", "app.crm.views.pool", "app.crm.views.service", "app.crm.views.customer360",
         "app.crm.views.sms")

_registered = False
_parts_registered = [False]


def init_app(app, appbuilder):
    global _registered
    from app import demo
    from app.core import home, roles
    from app.core.services import custom_fields
    from app.crm import api, demo as crm_demo
    from app.crm.models import Customer
    from app.crm.services import follow_ups, scope
    from app.crm.views import CustomerView, FollowUpView, OpportunityView, VisitView
    from app.crm.views.registration import VisitRegistrationView
    from app.jobs.services import register_job

    custom_fields.register_entity("customer", Customer, _l("Customer"))
    if not _registered:
        # Once however many apps a process builds (the tests build several).
        demo.register(crm_demo.load)
        home.register_panel(follow_ups.home_panel)
        _registered = True
    extra = tuple(getattr(roles, "EXTRA_PERMISSIONS", ()))
    for permission in ((scope.SEE_ALL, scope.VIEW_MENU), (scope.SEE_DEPARTMENT, scope.VIEW_MENU)):
        if permission not in extra:
            extra += (permission,)
    roles.EXTRA_PERMISSIONS = extra

    appbuilder.add_view(CustomerView, CUSTOMER_LIST, label=_l("Customers"), icon="fa-user-friends",
                        category=CUSTOMERS, category_label=_l("Customers"), category_icon="fa-address-book")
    appbuilder.add_view(VisitRegistrationView, REGISTER, label=_l("Register visit or call"), icon="fa-walking",
                        category=CUSTOMERS)
    appbuilder.add_view(VisitView, VISITS, label=_l("Visits and calls"), icon="fa-door-open", category=CUSTOMERS)
    appbuilder.add_view(OpportunityView, OPPORTUNITIES, label=_l("Opportunities"), icon="fa-bullseye",
                        category=CUSTOMERS)
    appbuilder.add_view(FollowUpView, FOLLOW_UPS, label=_l("Follow-ups"), icon="fa-comments", category=CUSTOMERS)
    appbuilder.add_link(DUE, label=_l("Follow-ups due"), href="/followupview/due/", icon="fa-bell",
                        category=CUSTOMERS)
    for resource in (api.CustomerApi, api.VisitApi, api.OpportunityApi, api.FollowUpApi):
        appbuilder.add_api(resource)

    work = {
        "CustomerView": ("can_list", "can_show", "can_add", "can_edit"),
        "VisitView": roles.READ,
        "OpportunityView": ("can_list", "can_show", "can_add", "can_edit"),
        "FollowUpView": ("can_list", "can_show", "can_add", "can_edit", "can_due"),
        "VisitRegistrationView": ("can_register",),
    }
    manager = dict(work, CustomerView=work["CustomerView"] + ("can_export",),
                   CustomerScope=(scope.SEE_DEPARTMENT,))
    menus = [CUSTOMERS, CUSTOMER_LIST, REGISTER, VISITS, OPPORTUNITIES, FOLLOW_UPS, DUE]
    roles.extend(
        permissions={roles.SALES: work, roles.MANAGER: manager,
                     roles.SERVICE: {"VisitRegistrationView": ("can_register",)}},
        menus={roles.SALES: menus, roles.MANAGER: menus, roles.SERVICE: [CUSTOMERS, REGISTER]},
    )
    import importlib
    first = not _parts_registered[0]
    for name in PARTS:
        importlib.import_module(name).init_app(app, appbuilder, first)
    _parts_registered[0] = True
    register_job("crm_overdue_follow_ups", _remind_overdue, cron="0 9 * * *",
                 label=_l("Tell salespeople of their overdue follow-ups"))


def _remind_overdue():
    from app.crm.services import follow_ups
    owners, count = follow_ups.remind_overdue()
    return "%d owner(s) reminded of %d overdue follow-up(s)" % (owners, count)
