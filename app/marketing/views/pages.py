"""Hand-written marketing pages: plan vs actual, channel and campaign figures, filling in,
printing and reading questionnaires, and a campaign's event sign-up."""
import io

from flask import abort, flash, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core import display, excel
from app.core.context import current_user_obj
from app.core.errors import BusinessError
from app.core.views.base import MAX_ID
from app.crm.models import Customer, Visit
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.extensions import db
from app.inventory.models import Project
from app.marketing.models import Campaign, CampaignAttendee, Questionnaire
from app.marketing.services import campaigns, channels, events, questionnaires


def _id(value):
    value = (value or "").strip()
    return int(value) if value.isdigit() and int(value) <= MAX_ID else None


def _projects():
    return db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()


def _percent(value):
    return "" if value is None else "%s%%" % value


class MarketingReportView(BaseView):
    route_base = "/marketing/report"
    default_view = "channels"
    base_permissions = ["can_plan", "can_channels"]

    @expose("/plan")
    @has_access
    def plan(self):
        project_id, campaign_id = _id(request.args.get("project")), _id(request.args.get("campaign"))
        campaign = db.session.get(Campaign, campaign_id) if campaign_id else None
        rows = campaigns.plan_vs_actual(project_id=project_id, campaign_id=campaign_id)
        return self.render_template(
            "marketing/plan.html", rows=rows, projects=_projects(), project_id=project_id, campaign=campaign,
            by_project=campaigns.totals(rows, "project"), by_type=campaigns.totals(rows, "cost_type"),
            total=campaigns.totals([dict(r, all="") for r in rows], "all").get(""), money=display.money)

    @expose("/channels")
    @has_access
    def channels(self):
        project_id = _id(request.args.get("project"))
        start = questionnaires.parse_day(request.args.get("start"))
        end = questionnaires.parse_day(request.args.get("end"))
        channel_rows, channel_total = channels.by_channel(project_id, start, end)
        campaign_rows, campaign_total = channels.by_campaign(project_id, start, end)
        return self.render_template(
            "marketing/channels.html", channel_rows=channel_rows, channel_total=channel_total,
            campaign_rows=campaign_rows, campaign_total=campaign_total, projects=_projects(),
            project_id=project_id, start=start, end=end, money=display.money)


class QuestionnairePageView(BaseView):
    route_base = "/marketing/questionnaires"
    default_view = "results"
    base_permissions = ["can_fill", "can_results"]
    method_permission_name = {"fill": "fill", "print_form": "fill", "for_visit": "fill", "results": "results",
                              "export": "results"}

    def _get(self, pk):
        item = db.session.get(Questionnaire, pk)
        if item is None:
            abort(404)
        return item

    def _visit(self):
        """The visit (and its customer) the form is filled in for, if the user may see the customer."""
        visit_id, customer_id = _id(request.values.get("visit")), _id(request.values.get("customer"))
        visit = db.session.get(Visit, visit_id) if visit_id else None
        customer = visit.customer if visit is not None else (db.session.get(Customer, customer_id)
                                                             if customer_id else None)
        if customer is not None:
            try:
                customer = customer_service.get_visible(customer.id)
            except BusinessError:
                customer, visit = None, None
        return visit, customer

    @expose("/fill/<int:pk>", methods=["GET", "POST"])
    @has_access
    def fill(self, pk):
        item = self._get(pk)
        visit, customer = self._visit()
        answers = {}
        if request.method == "POST":
            answers = {key[2:]: request.form.getlist(key) for key in request.form if key.startswith("q_")}
            try:
                questionnaires.submit(item, answers, customer=customer, visit=visit, user=current_user_obj(),
                                      version=_id(request.form.get("version")))
                flash(_("Thank you: the answers are saved."), "success")
                return redirect(url_for("QuestionnairePageView.fill", pk=pk))
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
        return self.render_template("marketing/fill.html", item=item, questions=questionnaires.questions(item),
                                    answers=answers, visit=visit, customer=customer, printing=False,
                                    rating_max=questionnaires.RATING_MAX), 422 if request.method == "POST" else 200

    @expose("/visit/<int:visit_id>")
    @has_access
    def for_visit(self, visit_id):
        """The questionnaire(s) of a visit's project, to fill in for that visit."""
        visit = db.session.get(Visit, visit_id)
        try:
            visible = visit is not None and customer_service.get_visible(visit.customer_id) is not None
        except BusinessError:
            visible = False
        if not visible:
            abort(404)
        found = questionnaires.for_project(visit.project_id)
        if len(found) == 1:
            return redirect(url_for("QuestionnairePageView.fill", pk=found[0].id, visit=visit.id))
        if not found:
            flash(_("No questionnaire in use for %(project)s.", project=visit.project.name), "warning")
            return redirect(url_for("VisitView.show", pk=visit.id))
        return self.render_template("marketing/choose.html", visit=visit, found=found)

    @expose("/print/<int:pk>")
    @has_access
    def print_form(self, pk):
        item = self._get(pk)
        return self.render_template("marketing/fill.html", item=item, questions=questionnaires.questions(item),
                                    answers={}, visit=None, customer=None, printing=True,
                                    rating_max=questionnaires.RATING_MAX)

    def _filters(self, item):
        version = _id(request.args.get("version"))
        if not version or version > item.version:
            version = item.version
        return dict(version=version, start=questionnaires.parse_day(request.args.get("start")),
                    end=questionnaires.parse_day(request.args.get("end")),
                    channel_id=_id(request.args.get("channel")))

    @expose("/results/<int:pk>")
    @has_access
    def results(self, pk):
        item = self._get(pk)
        filters = self._filters(item)
        result = questionnaires.results(item, **filters)
        return self.render_template("marketing/results.html", item=item, result=result, filters=filters,
                                    channels=questionnaires.channel_choices(), percent=_percent,
                                    query=request.query_string.decode("utf-8", "replace"))

    @expose("/export/<int:pk>")
    @has_access
    def export(self, pk):
        item = self._get(pk)
        result = questionnaires.results(item, **self._filters(item))
        headers = [_("No."), _("Question"), _("Kind"), _("Answer"), _("Count"), _("Percentage")]
        data = excel.workbook_bytes(item.title, headers, questionnaires.export_rows(result))
        return send_file(io.BytesIO(data), as_attachment=True,
                         download_name="questionnaire-%d-v%d.xlsx" % (item.id, result["version"]),
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class CampaignEventView(BaseView):
    route_base = "/marketing/events"
    default_view = "attendees"
    base_permissions = ["can_attendees"]
    method_permission_name = {"attendees": "attendees", "sign_up": "attendees", "attend": "attendees"}

    def _campaign(self, pk):
        campaign = db.session.get(Campaign, pk)
        if campaign is None:
            abort(404)
        return campaign

    @expose("/<int:pk>")
    @has_access
    def attendees(self, pk, values=None, status=200):
        campaign = self._campaign(pk)
        visible = scope.visible_owner_ids()
        return self.render_template("marketing/attendees.html", campaign=campaign,
                                    attendees=events.attendees(campaign), values=values or {},
                                    kind_label=campaigns.kind_label, mask=customer_service.mask_name,
                                    visible=None if visible is None else set(visible)), status

    @expose("/<int:pk>/sign_up", methods=["POST"])
    @has_access
    def sign_up(self, pk):
        campaign = self._campaign(pk)
        values = {k: request.form.get(k, "").strip() for k in ("phone", "name")}
        try:
            attendee = events.sign_up(campaign, phone=values["phone"], name=values["name"],
                                      user=current_user_obj())
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self.attendees(pk, values, 422)
        flash(_("%(name)s has signed up.", name=attendee.customer.name), "success")
        return redirect(url_for("CampaignEventView.attendees", pk=pk))

    @expose("/<int:pk>/attend/<int:attendee_id>", methods=["POST"])
    @has_access
    def attend(self, pk, attendee_id):
        attendee = db.session.get(CampaignAttendee, attendee_id)
        if attendee is None or attendee.campaign_id != pk:
            abort(404)
        try:
            events.mark_attended(attendee, user=current_user_obj())
            flash(_("Attendance recorded, with the visit."), "success")
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
        return redirect(url_for("CampaignEventView.attendees", pk=pk))


def visit_row_links(view, pks):
    """The "Questionnaire" button on each row of the visit list."""
    if not view.appbuilder.sm.has_access("can_fill", "QuestionnairePageView"):
        return None
    label = _("Questionnaire")
    return lambda pk: [(label, url_for("QuestionnairePageView.for_visit", visit_id=pk), "fa-clipboard-list",
                        "loupan-questionnaire")]


def visit_links(view, pk):
    if not view.appbuilder.sm.has_access("can_fill", "QuestionnairePageView"):
        return []
    return [(_("Questionnaire"), url_for("QuestionnairePageView.for_visit", visit_id=pk), "fa-clipboard-list")]
