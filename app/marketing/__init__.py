"""Marketing (市场营销): campaigns with their cost plan and spending (beyond the plan through
approval), what each channel and campaign brought in, questionnaires with versions and results,
and event sign-up."""
from flask_babel import lazy_gettext as _l

MARKETING = "Marketing"
CAMPAIGNS = "Campaigns"
SPENDING = "Spending"
PLAN_VS_ACTUAL = "Plan vs actual"
CHANNEL_ANALYSIS = "Channel analysis"
QUESTIONNAIRES = "Questionnaires"

_registered = False


def init_app(app, appbuilder):
    global _registered
    from app import demo
    from app.core import roles
    from app.marketing import api, demo as marketing_demo
    from app.marketing.services import campaigns
    from app.marketing import views
    from app.marketing.views import pages

    from app.crm.views import VisitView

    campaigns.register()
    VisitView.add_row_link_provider(pages.visit_row_links)
    VisitView.add_link_provider(pages.visit_links)
    if not _registered:
        demo.register(marketing_demo.load)
        _registered = True

    appbuilder.add_view(views.CampaignView, CAMPAIGNS, label=_l("Campaigns"), icon="fa-bullhorn", category=MARKETING,
                        category_label=_l("Marketing"), category_icon="fa-bullhorn")
    appbuilder.add_view(views.CampaignCostView, SPENDING, label=_l("Spending"), icon="fa-receipt", category=MARKETING)
    appbuilder.add_view(pages.MarketingReportView, CHANNEL_ANALYSIS, label=_l("Channel analysis"),
                        icon="fa-chart-pie", category=MARKETING)
    appbuilder.add_link(PLAN_VS_ACTUAL, label=_l("Plan vs actual"), href="/marketing/report/plan",
                        icon="fa-balance-scale", category=MARKETING)
    appbuilder.add_separator(MARKETING)
    appbuilder.add_view(views.QuestionnaireView, QUESTIONNAIRES, label=_l("Questionnaires"), icon="fa-clipboard-list",
                        category=MARKETING)
    for view in (views.CampaignBudgetView, views.QuestionView, pages.QuestionnairePageView, pages.CampaignEventView):
        appbuilder.add_view_no_menu(view)
    for resource in (api.CampaignApi, api.CampaignBudgetApi, api.CampaignCostApi, api.MarketingApi,
                     api.ChannelFiguresApi):
        appbuilder.add_api(resource)

    # Managers run marketing; salespeople fill in questionnaires and sign people up for events.
    export = ("can_export",)
    roles.extend(
        permissions={
            roles.MANAGER: {"CampaignView": roles.CRUD + export, "CampaignBudgetView": roles.CRUD,
                            "CampaignCostView": roles.CRUD + export, "QuestionnaireView": roles.CRUD,
                            "QuestionView": roles.CRUD, "MarketingReportView": ("can_plan", "can_channels"),
                            "QuestionnairePageView": ("can_fill", "can_results"),
                            "CampaignEventView": ("can_attendees",)},
            roles.SALES: {"CampaignView": roles.READ, "QuestionnaireView": roles.READ, "QuestionView": ("can_list",),
                          "QuestionnairePageView": ("can_fill",), "CampaignEventView": ("can_attendees",)},
        },
        menus={roles.MANAGER: [MARKETING, CAMPAIGNS, SPENDING, CHANNEL_ANALYSIS, PLAN_VS_ACTUAL, QUESTIONNAIRES],
               roles.SALES: [MARKETING, CAMPAIGNS, QUESTIONNAIRES]},
    )
