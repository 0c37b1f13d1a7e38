"""Sales (销售), first part: payment plans (付款方式) per project, the dated policy tables (deed tax,
maintenance fund, loan rates, mortgage policy), the loan arithmetic, and the price trial (价格试算)
of a room with up to three plans side by side, on a page, over the API and printed as the
simulated payment plan (模拟付款计划表)."""
from flask_babel import lazy_gettext as _l

SALES = "Sales"
PAYMENT_PLANS = "Payment plans"
PRICE_TRIAL = "Price trial"
DEED_TAX = "Deed tax"
MAINTENANCE_FUND = "Maintenance fund"
LOAN_RATES = "Loan rates"
MORTGAGE_POLICY = "Mortgage policy"
DISCOUNT_POLICIES = "Discount policies"
DISCOUNT_AUTHORITY = "Discount authority"

_registered = False
# The parts of the sales-control issue, each with init_app(app, appbuilder, first): permissions,
# the chart, the deal pages, rename/room change/cancellation, sincerity queue and opening day.
PARTS = ("app.sales.views.permissions", "app.sales.views.chart", "app.sales.views.deals", "app.sales.views.changes",
         "app.sales.views.queue")
_parts_registered = [False]


def init_app(app, appbuilder):
    global _registered
    from app import demo
    from app.core import roles
    from app.core.services import setup
    from app.inventory.views import ProjectView, RoomView
    from app.sales import api, demo as sales_demo
    from app.sales.api.trial import TrialApi
    from app.sales.api.discounts import DiscountAuthorityApi, DiscountPolicyApi, DiscountRequestApi
    from app.sales.services import discount_authority, policies, trial_print
    from app.sales.views import discounts as discount_views
    from app.sales.views import plans as plan_views
    from app.sales.views import policies as policy_views
    from app.sales.views import trial as trial_views

    setup.register_seed(policies.seed)
    setup.register_seed(trial_print.upgrade_template)  # an unedited older default gets the current HTML
    trial_print.register()
    discount_authority.register()
    if not _registered:
        # Once however many apps a process builds (the tests build several).
        demo.register(sales_demo.load)
        _registered = True
    # Buttons on the project page and on the room page.
    ProjectView.add_link_provider(trial_views.project_links)
    RoomView.add_link_provider(trial_views.room_links)
    RoomView.add_row_link_provider(trial_views.room_row_links)

    appbuilder.add_view(plan_views.PaymentPlanView, PAYMENT_PLANS, label=_l("Payment plans"), icon="fa-money-check",
                        category=SALES, category_label=_l("Sales"), category_icon="fa-handshake")
    appbuilder.add_view(trial_views.PriceTrialView, PRICE_TRIAL, label=_l("Price trial"), icon="fa-calculator",
                        category=SALES)
    appbuilder.add_view(discount_views.DiscountPolicyView, DISCOUNT_POLICIES, label=_l("Discount policies"),
                        icon="fa-tags", category=SALES)
    appbuilder.add_view(discount_views.DiscountAuthorityView, DISCOUNT_AUTHORITY, label=_l("Discount authority"),
                        icon="fa-user-shield", category=SALES)
    appbuilder.add_separator(SALES)
    appbuilder.add_view(policy_views.DeedTaxRuleView, DEED_TAX, label=_l("Deed tax"), icon="fa-percent",
                        category=SALES)
    appbuilder.add_view(policy_views.MaintenanceFundRuleView, MAINTENANCE_FUND, label=_l("Maintenance fund"),
                        icon="fa-tools", category=SALES)
    appbuilder.add_view(policy_views.LoanRateView, LOAN_RATES, label=_l("Loan rates"), icon="fa-chart-line",
                        category=SALES)
    appbuilder.add_view(policy_views.MortgagePolicyView, MORTGAGE_POLICY, label=_l("Mortgage policy"),
                        icon="fa-landmark", category=SALES)
    for view in (plan_views.PaymentPlanInstalmentView, plan_views.PaymentPlanFeeView):
        appbuilder.add_view_no_menu(view)
    for resource in (api.PaymentPlanApi, api.DeedTaxRuleApi, api.MaintenanceFundRuleApi, api.LoanRateApi,
                     api.MortgagePolicyApi, TrialApi, DiscountPolicyApi, DiscountAuthorityApi, DiscountRequestApi):
        appbuilder.add_api(resource)

    # Admins get everything. Managers edit plans; salespeople read them and run trials; both read
    # the policy tables that administrators keep.
    policies_read = {name: roles.READ for name in ("DeedTaxRuleView", "MaintenanceFundRuleView", "LoanRateView",
                                                   "MortgagePolicyView")}
    rows = {"PaymentPlanInstalmentView": ("can_list",), "PaymentPlanFeeView": ("can_list",)}
    trial = {"PriceTrialView": ("can_trial",)}
    menus = [SALES, PAYMENT_PLANS, PRICE_TRIAL, DISCOUNT_POLICIES, DEED_TAX, MAINTENANCE_FUND, LOAN_RATES,
             MORTGAGE_POLICY]
    # Discount policies: managers edit, salespeople read; the authority table: admins edit, managers read.
    roles.extend(
        permissions={roles.MANAGER: dict(policies_read, PaymentPlanView=roles.CRUD, DiscountPolicyView=roles.CRUD,
                                         DiscountAuthorityView=roles.READ, **rows, **trial),
                     roles.SALES: dict(policies_read, PaymentPlanView=roles.READ, DiscountPolicyView=roles.READ,
                                       **rows, **trial)},
        menus={roles.MANAGER: menus + [DISCOUNT_AUTHORITY], roles.SALES: menus},
    )
    _init_deals(app, appbuilder)


def _init_deals(app, appbuilder):
    import importlib
    from app.core import roles
    from app.core.services import custom_fields
    from app.crm.services import timeline
    from app.jobs.services import register_job
    from app.sales.api.deals import DealApi
    from app.sales.models import Deal
    from app.sales.services import deals

    appbuilder.add_api(DealApi)
    custom_fields.register_entity("deal", Deal, _l("Deal"))
    timeline.register(deals.timeline_entries)
    from app.crm.services import pool
    from app.sales.services import permissions
    pool.register_project_rule(permissions.pool_rule)
    acting = {"DealView": ("can_act", "can_show")}
    extra = tuple(getattr(roles, "EXTRA_PERMISSIONS", ()))
    if deals.SEE_ALL_DEALS not in extra:
        roles.EXTRA_PERMISSIONS = extra + (deals.SEE_ALL_DEALS,)
    roles.extend(permissions={roles.SALES: acting, roles.MANAGER: acting,
                              roles.FINANCE: {"DealScope": (deals.SEE_ALL_DEALS[0],)}})
    first = not _parts_registered[0]
    for name in PARTS:
        importlib.import_module(name).init_app(app, appbuilder, first)
    if first:
        from app import demo
        from app.sales import demo_deals
        demo.register(demo_deals.load)
    _parts_registered[0] = True
    register_job("sales_expire_holds", _expire_holds, minutes=1, label=_l("Release holds past their time"))
    register_job("sales_flag_bookings", _flag_bookings, cron="30 8 * * *",
                 label=_l("Flag bookings past their date"))
    register_job("sales_sign_overdue", _sign_overdue, cron="0 9 * * *",
                 label=_l("Notify subscriptions overdue for signing"))
    register_job("sales_filing_overdue", _filing_overdue, cron="5 9 * * *",
                 label=_l("Flag contracts not filed online in time"))


def _expire_holds():
    from app.sales.services import deals
    return "%d hold(s) released" % deals.expire_holds()


def _flag_bookings():
    from app.sales.services import deals
    return "%d booking(s) flagged" % deals.flag_expired_bookings()


def _sign_overdue():
    from app.sales.services import deals
    return "%d subscription(s) overdue for signing" % deals.flag_sign_overdue()


def _filing_overdue():
    from app.sales.services import deals
    return "%d contract(s) overdue for online filing" % deals.flag_filing_overdue()
