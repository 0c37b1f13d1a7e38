"""Area settlement (面积补差) pages: the surveys list, the upload form (project, building, file) with
the template download, one survey with its lines and totals, its submission for approval (a sales
manager approves on the approvals pages) and the printed notices. Rules: services/settlement.py."""
import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import display
from app.core.errors import BusinessError
from app.core.services import approvals
from app.core.views.base import record_ids
from app.extensions import db
from app.finance.services import settlement, settlement_print

MENU = "Area settlement"
VIEW = "SettlementView"
PAGE_SIZE = 20


def _id(value):
    ids = record_ids([value if isinstance(value, str) else str(value or "")])
    return ids[0] if ids and ids[0] > 0 else None


def _percent(value):
    if value is None:
        return ""
    return "{:+.2f}%".format(value * 100)


def _signed_money(value):
    if value is None:
        return ""
    return ("+" if value > 0 else "-" if value < 0 else "") + display.money(abs(value))


class SettlementView(BaseView):
    route_base = "/finance/settlements"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_act"]
    method_permission_name = {"list": "list", "show": "show", "print_notices": "show", "new": "act",
                              "template": "act", "submit": "act"}

    def _survey_or_404(self, pk):
        try:
            return settlement.get_survey(_id(pk))
        except settlement.NotFound:
            abort(404)

    @expose("/")
    @has_access
    def list(self):
        from app.inventory.models import Project
        project_id = _id(request.args.get("project"))
        page = max(0, min(request.args.get("page", 0, type=int) or 0, 100000))
        rows, total, pages = settlement.surveys(project_id, page, PAGE_SIZE)
        counts = settlement.line_counts([s.id for s in rows])
        sums = {s.id: settlement.totals(s) for s in rows}
        projects = db.session.query(Project).order_by(Project.code).all()
        return self.render_template(
            "finance/settlement_list.html", rows=rows, total=total, pages=pages, page=page, project_id=project_id,
            projects=projects, counts=counts, sums=sums, money=display.money, status_label=settlement.status_label,
            may_act=self.appbuilder.sm.has_access("can_act", VIEW),
            page_url=lambda n: url_for("SettlementView.list", page=n, project=project_id or None))

    def _buildings(self):
        from app.inventory.models import Building, Project
        return db.session.query(Building).join(Project, Project.id == Building.project_id) \
            .order_by(Project.code, Building.sort_order, Building.id).all()

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        from app.inventory.models import Project
        values = request.form if request.method == "POST" else request.args
        status = 200
        if request.method == "POST":
            upload = request.files.get("file")
            try:
                building = settlement.get_building(values.get("building"), values.get("project") or None)
                data = upload.read(settlement.MAX_BYTES + 1) if upload is not None else b""
                survey = settlement.import_survey(building, upload.filename if upload is not None else "", data,
                                                  user=g.user)
                t = settlement.totals(survey)
                flash(_("Surveyed areas of %(n)d rooms imported; %(deals)d signed deals settled.", n=t["rooms"],
                        deals=t["deals"]), "success")
                return redirect(url_for("SettlementView.show", pk=survey.id))
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                status = 422
        projects = db.session.query(Project).order_by(Project.code).all()
        return self.render_template("finance/settlement_new.html", projects=projects, buildings=self._buildings(),
                                    values=values), status

    @expose("/template")
    @has_access
    def template(self):
        try:
            building = settlement.get_building(_id(request.args.get("building")))
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(url_for("SettlementView.new"))
        data = settlement.template_xlsx(building)
        name = "survey-%s-%s.xlsx" % (building.project.code if building.project is not None else building.project_id,
                                      building.id)
        return send_file(io.BytesIO(data), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        survey = self._survey_or_404(pk)
        sm = self.appbuilder.sm
        request_row = None
        if survey.request_id:
            from app.core.models import ApprovalRequest
            request_row = db.session.get(ApprovalRequest, survey.request_id)
        rule = survey.rule or {}
        return self.render_template(
            "finance/settlement_show.html", survey=survey, lines=survey.lines, totals=settlement.totals(survey),
            rule=rule, rule_text=settlement.rule_text(rule), basis_label=settlement.basis_label(rule.get("basis")),
            status_label=settlement.status_label, money=display.money, signed_money=_signed_money,
            area=display.area, percent=_percent, deadline=settlement.deadline, request_row=request_row,
            request_status=approvals.status_label, may_act=sm.has_access("can_act", VIEW),
            may_print=sm.has_access("can_print", "PrintTemplateView"),
            printable=bool(settlement_print.printable_lines(survey)))

    @expose("/<pk>/submit", methods=["POST"])
    @has_access
    def submit(self, pk):
        survey = self._survey_or_404(pk)
        try:
            req = settlement.submit(survey, g.user, (request.form.get("reason") or "").strip()[:1000] or None)
            flash(_("Sent for approval (#%(id)d): %(summary)s", id=req.id, summary=req.summary), "success")
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
        return redirect(url_for("SettlementView.show", pk=survey.id))

    @expose("/<pk>/print")
    @expose("/<pk>/print/<line>")
    @has_access
    def print_notices(self, pk, line=None):
        from app.printing.views import pdf_response, printed_by
        survey = self._survey_or_404(pk)
        back = url_for("SettlementView.show", pk=survey.id)
        if line is not None:
            try:
                lines = [settlement.get_line(survey, _id(line))]
            except settlement.NotFound:
                abort(404)
        else:
            lines = settlement_print.printable_lines(survey)
        if not self.appbuilder.sm.has_access("can_print", "PrintTemplateView"):
            flash(_("You may not print documents."), "danger")
            return redirect(back)
        try:
            pdf = settlement_print.render(survey, lines, request.args.get("template", type=int),
                                          printed_by=printed_by())
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(back)
        except LookupError:
            db.session.rollback()
            flash(_("That print template does not exist."), "danger")
            return redirect(back)
        name = "area-settlement-%d%s.pdf" % (survey.id, "-%d" % lines[0].id if line is not None else "")
        return pdf_response(pdf, name)


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.finance import FINANCE, add_view
    settlement.register()
    settlement_print.register()
    from app.finance.api.settlement import SettlementApi
    add_view(appbuilder, SettlementView, MENU, _l("Area settlement"), "fa-ruler-combined")
    appbuilder.add_api(SettlementApi)
    roles.extend(permissions={roles.FINANCE: {VIEW: ("can_list", "can_show", "can_act")},
                              roles.MANAGER: {VIEW: ("can_list", "can_show")}},
                 menus={roles.FINANCE: [FINANCE, MENU], roles.MANAGER: [FINANCE, MENU]})
