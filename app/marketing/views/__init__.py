"""Marketing screens: campaigns with their cost plan and spending, questionnaires and their
questions (the hand-written pages are in views.pages)."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from markupsafe import Markup
from wtforms import SelectField

from app.core import display
from app.core.context import current_user_obj
from app.core.errors import BusinessError
from app.core.views.base import LoupanModelView
from app.extensions import db
from app.marketing.models import Campaign, CampaignBudget, CampaignCost, Question, Questionnaire
from app.marketing.services import campaigns, questionnaires


def _choices(labels):
    return lambda: [(k, str(v)) for k, v in labels.items()]


def _lookup(code):
    return [["list_code", FilterEqual, code], ["active", FilterEqual, True]]


class CampaignBudgetView(LoupanModelView):
    datamodel = SQLAInterface(CampaignBudget)
    list_title = _l("Cost plan")
    show_title = _l("Cost plan line")
    add_title = _l("Add cost plan line")
    edit_title = _l("Edit cost plan line")
    list_columns = ["campaign", "cost_type", "amount", "note"]
    show_columns = add_columns = edit_columns = list_columns
    search_columns = ["campaign", "cost_type"]
    base_order = ("campaign_id", "asc")
    label_columns = {"campaign": _l("Campaign"), "cost_type": _l("Expense type"), "amount": _l("Planned amount"),
                     "note": _l("Note")}
    formatters_columns = {"amount": display.money}
    add_form_query_rel_fields = edit_form_query_rel_fields = {"cost_type": _lookup("sales_cost_type")}

    def before_add(self, item):
        campaigns.check_budget(item)

    before_update = before_add


def _attachment_link(cost_id):
    return Markup('<a href="%s">%s</a>') % (url_for("CampaignCostView.attachment", pk=cost_id), _("Download"))


CampaignCost.attachment_link = property(lambda self: _attachment_link(self.id) if self.attachment_name else "")
CampaignCost.status_label = property(lambda self: campaigns.status_label(self.status))


class CampaignCostView(LoupanModelView):
    datamodel = SQLAInterface(CampaignCost)
    list_title = _l("Spending")
    show_title = _l("Spending entry")
    add_title = _l("Record spending")
    edit_title = _l("Edit spending entry")
    method_permission_name = {"attachment": "show"}
    list_columns = ["campaign", "spent_on", "cost_type", "amount", "payee", "invoice_no", "status_label"]
    show_columns = ["campaign", "spent_on", "cost_type", "amount", "payee", "invoice_no", "note", "attachment_name",
                    "attachment_link", "status_label"]
    add_columns = edit_columns = ["campaign", "spent_on", "cost_type", "amount", "payee", "invoice_no", "note",
                                  "attachment_upload"]
    search_columns = ["campaign", "spent_on", "cost_type", "payee", "invoice_no", "status"]
    base_order = ("spent_on", "desc")
    label_columns = {"campaign": _l("Campaign"), "spent_on": _l("Date"), "cost_type": _l("Expense type"),
                     "amount": _l("Amount"), "payee": _l("Payee"), "invoice_no": _l("Invoice number"),
                     "note": _l("Note"), "attachment_name": _l("Attachment"), "attachment_link": _l("File"),
                     "attachment_upload": _l("Attachment"), "status_label": _l("Status"), "status": _l("Status")}
    description_columns = {
        "spent_on": _l("Within the campaign's dates."),
        "amount": _l("Spending beyond the plan of its expense type goes to approval and counts once approved."),
    }
    formatters_columns = {"amount": display.money}
    add_form_extra_fields = edit_form_extra_fields = {
        "attachment_upload": FileField(_l("Attachment"), description=_l("Invoice or receipt: PDF, OFD, XML, PNG or "
                                                                        "JPEG, at most 10 MB.")),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"cost_type": _lookup("sales_cost_type")}
    export_enabled = True

    def before_add(self, item):
        campaigns.check_cost(item)
        upload = getattr(item, "attachment_upload", None)
        if upload:
            campaigns.set_attachment(item, upload.filename, upload.read())

    before_update = before_add

    def before_delete(self, item):
        campaigns.check_cost_deletable(item)

    def post_add(self, item):
        if item.status == "pending":
            try:
                campaigns.after_cost_saved(item, current_user_obj())
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                return
            flash(_("The spending is beyond the plan of “%(type)s” and has gone to approval; it counts once "
                    "approved.", type=item.cost_type.name), "warning")

    @expose("/attachment/<int:pk>")
    @has_access
    def attachment(self, pk):
        cost = self.datamodel.get(pk, self._base_filters)
        if cost is None or not cost.attachment_name:
            abort(404)
        return send_file(io.BytesIO(cost.attachment), mimetype=cost.attachment_type, as_attachment=True,
                         download_name=cost.attachment_name)


Campaign.kind_label = property(lambda self: campaigns.kind_label(self.kind))


class CampaignView(LoupanModelView):
    datamodel = SQLAInterface(Campaign)
    list_title = _l("Campaigns")
    show_title = _l("Campaign")
    add_title = _l("Plan a campaign")
    edit_title = _l("Edit campaign")
    list_columns = ["project", "name", "kind_label", "channel", "start_date", "end_date", "target_visits",
                    "target_deals"]
    show_columns = ["project", "name", "kind_label", "channel", "start_date", "end_date", "target_visits",
                    "target_deals", "description"]
    add_columns = edit_columns = ["project", "name", "kind", "channel", "start_date", "end_date", "target_visits",
                                  "target_deals", "description"]
    search_columns = ["project", "name", "kind", "channel", "start_date", "end_date"]
    base_order = ("start_date", "desc")
    label_columns = {"project": _l("Project"), "name": _l("Name"), "kind": _l("Kind"), "kind_label": _l("Kind"),
                     "channel": _l("Channel"), "start_date": _l("First day"), "end_date": _l("Last day"),
                     "target_visits": _l("Target visits"), "target_deals": _l("Target deals"),
                     "description": _l("Description")}
    description_columns = {"channel": _l("The visit channel whose visitors the campaign brings; its spending "
                                         "counts for that channel.")}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), widget=Select2Widget(), default="opening",
                            choices=_choices(campaigns.KIND_LABELS)),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"channel": _lookup("visit_channel"),
                                                              "project": [["active", FilterEqual, True]]}
    related_views = [CampaignBudgetView, CampaignCostView]
    method_permission_name = {"link_visits": "edit"}
    export_enabled = True

    def before_add(self, item):
        campaigns.check_campaign(item)

    before_update = before_add

    @expose("/link_visits/<int:pk>", methods=["GET", "POST"])
    @has_access
    def link_visits(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "GET":
            return self.render_template(
                "marketing/confirm.html", title=_("Link matching visits"),
                text=_("Visits to %(project)s through %(channel)s from %(start)s to %(end)s that no campaign claims "
                       "yet will count as visits of “%(name)s”.", project=item.project.name,
                       channel=item.channel.name if item.channel else "—", start=item.start_date.isoformat(),
                       end=item.end_date.isoformat(), name=item.name),
                action=url_for("CampaignView.link_visits", pk=pk), icon="fa-link", button=_("Link the visits"),
                back=url_for("CampaignView.show", pk=pk))
        try:
            count = campaigns.link_matching_visits(item)
            flash(_("%(n)d visits linked to the campaign.", n=count), "success")
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "warning")
        return redirect(url_for("CampaignView.show", pk=pk))

    def detail_links(self, pk):
        links = []
        sm = self.appbuilder.sm
        if sm.has_access("can_plan", "MarketingReportView"):
            links.append((_l("Plan vs actual"), url_for("MarketingReportView.plan", campaign=pk), "fa-balance-scale"))
        if sm.has_access("can_edit", "CampaignView"):
            links.append((_l("Link matching visits"), url_for("CampaignView.link_visits", pk=pk), "fa-link"))
        if sm.has_access("can_attendees", "CampaignEventView"):
            links.append((_l("Event sign-up"), url_for("CampaignEventView.attendees", pk=pk), "fa-user-check"))
        return links + super().detail_links(pk)


Question.kind_label = property(lambda self: questionnaires.kind_label(self.kind))


class QuestionView(LoupanModelView):
    datamodel = SQLAInterface(Question)
    list_title = _l("Questions")
    show_title = _l("Question")
    add_title = _l("Add question")
    edit_title = _l("Edit question")
    list_columns = ["questionnaire", "version", "position", "text", "kind_label", "required"]
    show_columns = ["questionnaire", "version", "position", "text", "kind_label", "required", "options"]
    add_columns = edit_columns = ["questionnaire", "position", "text", "kind", "required", "options"]
    search_columns = ["questionnaire", "version", "text", "kind"]
    base_order = ("position", "asc")
    label_columns = {"questionnaire": _l("Questionnaire"), "version": _l("Version"), "position": _l("Order"),
                     "text": _l("Question"), "kind": _l("Kind"), "kind_label": _l("Kind"),
                     "required": _l("Required"), "options": _l("Options")}
    description_columns = {"options": _l("Choice questions: one option per line."),
                           "position": _l("Questions are asked from the lowest number up.")}
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), widget=Select2Widget(), default="single",
                            choices=_choices(questionnaires.KIND_LABELS)),
    }

    def before_add(self, item):
        questionnaires.check_question(item)

    before_update = before_add

    def before_delete(self, item):
        questionnaires.check_question_deletable(item)


class QuestionnaireView(LoupanModelView):
    datamodel = SQLAInterface(Questionnaire)
    list_title = _l("Questionnaires")
    show_title = _l("Questionnaire")
    add_title = _l("Add questionnaire")
    edit_title = _l("Edit questionnaire")
    method_permission_name = {"new_version": "edit"}
    list_columns = ["title", "project", "campaign", "version", "active"]
    show_columns = ["title", "project", "campaign", "version", "active", "description"]
    add_columns = edit_columns = ["title", "project", "campaign", "active", "description"]
    search_columns = ["title", "project", "campaign", "active"]
    base_order = ("id", "desc")
    label_columns = {"title": _l("Title"), "project": _l("Project"), "campaign": _l("Campaign"),
                     "version": _l("Version"), "active": _l("In use"), "description": _l("Description")}
    description_columns = {"campaign": _l("Optional: the campaign it belongs to (its project is then the "
                                          "campaign's).")}
    related_views = [QuestionView]

    def before_add(self, item):
        questionnaires.check_questionnaire(item)

    before_update = before_add

    def detail_links(self, pk):
        sm = self.appbuilder.sm
        links = []
        if sm.has_access("can_fill", "QuestionnairePageView"):
            links.append((_l("Fill in"), url_for("QuestionnairePageView.fill", pk=pk), "fa-pen"))
            links.append((_l("Print"), url_for("QuestionnairePageView.print_form", pk=pk), "fa-print"))
        if sm.has_access("can_results", "QuestionnairePageView"):
            links.append((_l("Results"), url_for("QuestionnairePageView.results", pk=pk), "fa-chart-bar"))
        if sm.has_access("can_edit", "QuestionnaireView"):
            links.append((_l("New version"), url_for("QuestionnaireView.new_version", pk=pk), "fa-code-branch"))
        return links + super().detail_links(pk)

    @expose("/new_version/<int:pk>", methods=["GET", "POST"])
    @has_access
    def new_version(self, pk):
        item = self.datamodel.get(pk, self._base_filters)
        if item is None:
            abort(404)
        if request.method == "GET":
            return self.render_template(
                "marketing/confirm.html", title=_("New version of %(title)s", title=item.title),
                text=_("Version %(version)d has %(n)d answers. A new version copies its questions; you then change "
                       "the copies, and the answers given so far keep the questions they were given to.",
                       version=item.version, n=questionnaires.response_count(item.id, item.version)),
                action=url_for("QuestionnaireView.new_version", pk=pk), icon="fa-code-branch",
                button=_("Make version %(version)d", version=item.version + 1),
                back=url_for("QuestionnaireView.show", pk=pk))
        try:
            questionnaires.new_version(item)
            flash(_("Version %(version)d made: change its questions now; earlier answers keep theirs.",
                    version=item.version), "success")
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "warning")
        return redirect(url_for("QuestionnaireView.show", pk=pk))
