"""REST resources of marketing: campaigns, their cost plan lines and spending (with the pages'
permissions and rules), questionnaire results and channel figures."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_appbuilder.security.decorators import protect

from app.core.context import current_user_obj
from app.core.views.base import LoupanModelRestApi
from app.extensions import db
from app.marketing.models import Campaign, CampaignBudget, CampaignCost, Questionnaire
from app.marketing.services import campaigns, channels, questionnaires
from app.marketing.views import CampaignBudgetView, CampaignCostView, CampaignView
from app.marketing.views.pages import MarketingReportView, QuestionnairePageView, _id


class CampaignApi(LoupanModelRestApi):
    """GET/POST/PUT/DELETE /api/v1/marketing_campaigns/ (project, channel: ids; kind: opening,
    warm_up, advertising, channel, referral, exhibition, other)."""
    resource_name = "marketing_campaigns"
    datamodel = SQLAInterface(Campaign)
    permissions_of = CampaignView
    add_columns = edit_columns = ["project", "name", "kind", "channel", "start_date", "end_date", "target_visits",
                                  "target_deals", "description"]
    list_columns = show_columns = ["id", "project_id", "name", "kind", "channel_id", "start_date", "end_date",
                                   "target_visits", "target_deals", "description"]


class CampaignBudgetApi(LoupanModelRestApi):
    """/api/v1/marketing_budgets/: the cost plan lines (campaign, cost_type: ids; amount)."""
    resource_name = "marketing_budgets"
    datamodel = SQLAInterface(CampaignBudget)
    permissions_of = CampaignBudgetView
    add_columns = edit_columns = ["campaign", "cost_type", "amount", "note"]
    list_columns = show_columns = ["id", "campaign_id", "cost_type_id", "amount", "note"]


class CampaignCostApi(LoupanModelRestApi):
    """/api/v1/marketing_costs/: spending entries; "status" says whether one counts ("counted")
    or waits for approval ("pending"), which spending beyond the plan does."""
    resource_name = "marketing_costs"
    datamodel = SQLAInterface(CampaignCost)
    permissions_of = CampaignCostView
    add_columns = edit_columns = ["campaign", "cost_type", "spent_on", "amount", "payee", "invoice_no", "note"]
    list_columns = show_columns = ["id", "campaign_id", "cost_type_id", "spent_on", "amount", "payee", "invoice_no",
                                   "note", "status", "approval_id", "attachment_name"]

    def post_add(self, item):
        campaigns.after_cost_saved(item, current_user_obj())


def _money(value):
    return None if value is None else "%.2f" % value


class MarketingApi(BaseApi):
    """GET /api/v1/marketing/questionnaires/<id>/results?version=&start=&end=&channel=, and
    GET /api/v1/marketing/channels?project=&start=&end= (figures by channel and by campaign)."""
    resource_name = "marketing"
    allow_browser_login = True
    class_permission_name = "QuestionnairePageView"
    base_permissions = QuestionnairePageView.base_permissions
    method_permission_name = {"results": "results"}
    openapi_spec_tag = "Marketing"

    @expose("/questionnaires/<int:pk>/results", methods=["GET"])
    @protect()
    @safe
    def results(self, pk):
        """Counts and percentages per question."""
        item = db.session.get(Questionnaire, pk)
        if item is None:
            return self.response_404()
        version = _id(request.args.get("version")) or item.version
        if version > item.version:
            return self.response_404()
        result = questionnaires.results(item, version=version,
                                        start=questionnaires.parse_day(request.args.get("start")),
                                        end=questionnaires.parse_day(request.args.get("end")),
                                        channel_id=_id(request.args.get("channel")))
        questions = []
        for q in result["questions"]:
            questions.append({
                "id": q["id"], "number": q["number"], "text": q["text"], "kind": q["kind"], "required": q["required"],
                "respondents": q["respondents"], "average": None if q["average"] is None else str(q["average"]),
                "options": [{"label": o["label"], "count": o["count"],
                             "percent": None if o["percent"] is None else str(o["percent"])} for o in q["options"]],
                "texts": [value for _at, value in q["texts"]]})
        return self.response(200, questionnaire=item.id, title=item.title, version=version,
                             responses=result["responses"], questions=questions)


class ChannelFiguresApi(BaseApi):
    resource_name = "marketing_figures"
    allow_browser_login = True
    class_permission_name = "MarketingReportView"
    base_permissions = MarketingReportView.base_permissions
    method_permission_name = {"channels": "channels"}
    openapi_spec_tag = "Marketing"

    @expose("/channels", methods=["GET"])
    @protect()
    @safe
    def channels(self):
        """Visits, new customers, subscriptions, contracts, value and costs per channel and campaign."""
        project_id = _id(request.args.get("project"))
        start = questionnaires.parse_day(request.args.get("start"))
        end = questionnaires.parse_day(request.args.get("end"))

        def row(r):
            return {"id": r["key"], "name": r.get("name"), "visits": r["visits"], "customers": r["customers"],
                    "subscriptions": r["subscriptions"], "contracts": r["contracts"], "value": _money(r["value"]),
                    "cost": _money(r["cost"]), "cost_per_visit": _money(r["per_visit"]),
                    "cost_per_customer": _money(r["per_customer"]), "cost_per_contract": _money(r["per_contract"])}
        by_channel, _total = channels.by_channel(project_id, start, end)
        by_campaign, _total2 = channels.by_campaign(project_id, start, end)
        return self.response(200, channels=[row(r) for r in by_channel], campaigns=[row(r) for r in by_campaign])


__all__ = ["CampaignApi", "CampaignBudgetApi", "CampaignCostApi", "MarketingApi", "ChannelFiguresApi"]
