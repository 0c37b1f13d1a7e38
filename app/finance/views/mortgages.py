"""Mortgage cases (按揭): the list with its filters, one case with its stage timeline and the
forms that advance it and record the disbursement, and opening a case by hand. Thin: the rules are
app/finance/services/mortgages.py.

Finance (财务) does everything; service staff (客服, who follow mortgage progress) read, edit and
advance cases but do not record the disbursement (money); sales managers read."""
from flask import abort, current_app, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, display
from app.core.errors import BusinessError
from app.crm.services import scope
from app.extensions import db
from app.finance.models.work import MORTGAGE_STAGES
from app.finance.services import mortgages
from app.sales.services import deals

VIEW = "MortgageView"
MENU = "Mortgages"


def _user_name(user):
    if user is None:
        return ""
    return ("%s%s" % (user.last_name or "", user.first_name or "")).strip() or user.username


class MortgageView(BaseView):
    """按揭: the cases of loan deals."""
    route_base = "/finance/mortgages"
    default_view = "list"
    base_permissions = ["can_list", "can_show", "can_advance", "can_disburse"]
    method_permission_name = {"list": "list", "show": "show", "advance": "advance", "update": "advance",
                              "open_case": "advance", "disburse": "disburse"}

    def _may(self, permission):
        return self.appbuilder.sm.has_access(permission, VIEW)

    def _case(self, pk):
        try:
            return mortgages.get_case(pk)
        except BusinessError:
            abort(404)

    def _labels(self):
        return {"money": display.money, "stage_label": mortgages.stage_label, "kind_label": mortgages.kind_label,
                "state_label": deals.state_label, "user_name": _user_name,
                "stages": [(s, mortgages.stage_label(s)) for s in MORTGAGE_STAGES]}

    # ------------------------------------------------------------ list

    @expose("/")
    @has_access
    def list(self):
        from app.inventory.models import Project
        filters = mortgages.Filters(request.args)
        rows, total, pages = mortgages.page(filters)
        return self.render_template(
            "finance/mortgage_list.html", filters=filters, rows=rows, total=total, pages=pages,
            projects=db.session.query(Project).order_by(Project.code).all(), banks=mortgages.bank_choices(),
            page_url=lambda n: url_for("MortgageView.list", **filters.args(page=n or None)), **self._labels())

    # ------------------------------------------------------------ one case

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        return self._page(self._case(pk), {})

    def _page(self, case, values, status=200):
        today = clock.local_today()
        days = mortgages.stage_days(case.project_id)
        nxt = mortgages.next_stage(case.stage)
        live = case.deal.state == "active"
        return self.render_template(
            "finance/mortgage_show.html", case=case, deal=case.deal, values=values,
            receipt=mortgages.current_receipt(case),
            buyers="、".join(b.customer.name for b in case.deal.buyers), timeline=mortgages.timeline(case),
            overdue=mortgages.overdue(case, today, days), due=mortgages.due_on(case, days),
            days_in_stage=mortgages.days_in_stage(case, today), next_stage=nxt, live=live,
            loans=mortgages.loan_rows(case.deal_id), outstanding=mortgages.loan_outstanding(case.deal_id),
            may_advance=self._may("can_advance") and live, may_disburse=self._may("can_disburse") and live,
            may_payments=self._may_payments(), banks=mortgages.bank_choices(),
            handlers=mortgages.handler_choices(), today=today.isoformat(),
            events=[e for e in deals.timeline(case.deal) if isinstance(e.data, dict)
                    and e.data.get("mortgage_case_id") == case.id], **self._labels()), status

    def _may_payments(self):
        return self.appbuilder.sm.has_access("can_show", "PaymentView")

    def _refused(self, pk, e, values):
        db.session.rollback()
        flash(str(e), "danger")
        return self._page(self._case(pk), values, 422)

    @expose("/<pk>/advance", methods=["POST"])
    @has_access
    def advance(self, pk):
        case = self._case(pk)
        values = dict(request.form)
        try:
            mortgages.advance(case, values.get("stage") or "", values.get("on_date") or None,
                              user=scope.acting_user(), note=values.get("note"), bank=values.get("bank") or None,
                              expected_on=values.get("expected_on") or None)
        except BusinessError as e:
            return self._refused(pk, e, values)
        flash(_("The mortgage case is at “%(stage)s”.", stage=mortgages.stage_label(case.stage)), "success")
        return redirect(url_for("MortgageView.show", pk=case.id))

    @expose("/<pk>/update", methods=["POST"])
    @has_access
    def update(self, pk):
        case = self._case(pk)
        values = dict(request.form)
        try:
            mortgages.update(case, bank=values.get("bank") or None, handler=values.get("handler") or None,
                             expected_on=values.get("expected_on") or None, note=values.get("note"),
                             user=scope.acting_user())
        except BusinessError as e:
            return self._refused(pk, e, values)
        flash(_("The mortgage case was saved."), "success")
        return redirect(url_for("MortgageView.show", pk=case.id))

    @expose("/<pk>/disburse", methods=["POST"])
    @has_access
    def disburse(self, pk):
        case = self._case(pk)
        values = dict(request.form)
        try:
            mortgages.disburse(case, values.get("on_date") or None, values.get("amount") or "",
                               values.get("reference"), user=scope.acting_user())
        except BusinessError as e:
            return self._refused(pk, e, values)
        flash(_("Disbursement of %(amount)s recorded: receipt %(number)s.", amount=display.money(case.disbursed_amount),
                number=case.receipt.number), "success")
        return redirect(url_for("MortgageView.show", pk=case.id))

    # ------------------------------------------------------------ opening by hand

    @expose("/open/<pk>", methods=["GET", "POST"])
    @has_access
    def open_case(self, pk):
        try:
            deal = deals.get_deal(pk)
        except (deals.NotFound, deals.OutOfScope):
            abort(404)
        existing = mortgages.case_of(deal.id)
        if existing is not None:
            return redirect(url_for("MortgageView.show", pk=existing.id))
        status = 200
        if request.method == "POST":
            try:
                case = mortgages.open_case(deal, user=scope.acting_user())
                flash(_("The mortgage case was opened."), "success")
                return redirect(url_for("MortgageView.show", pk=case.id))
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                status = 422
                deal = deals.get_deal(pk)
        return self.render_template("finance/mortgage_open.html", deal=deal, loans=mortgages.loan_rows(deal.id),
                                    **self._labels()), status


def deal_links(deal):
    """The 按揭 button of the sales deal page: the case, or opening one for a loan deal."""
    sm = current_app.appbuilder.sm
    if deal.stage not in mortgages.OPEN_STAGES and deal.state == "active":
        return []
    case = mortgages.case_of(deal.id)
    if case is not None:
        if sm.has_access("can_show", VIEW):
            return [(_("Mortgage"), url_for("MortgageView.show", pk=case.id), "fa-building-columns")]
        return []
    if deal.state == "active" and sm.has_access("can_advance", VIEW) and mortgages.loan_rows(deal.id):
        return [(_("Open mortgage case"), url_for("MortgageView.open_case", pk=deal.id), "fa-building-columns")]
    return []


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.finance import FINANCE, add_view
    from app.finance.api.mortgages import MortgageApi
    from app.sales.views.deals import DealView
    if first:
        mortgages.install()
    mortgages.register_job()
    add_view(appbuilder, MortgageView, MENU, _l("Mortgages"), "fa-building-columns")
    appbuilder.add_api(MortgageApi)
    DealView.add_link_provider(deal_links)
    roles.extend(permissions={roles.FINANCE: {VIEW: ("can_list", "can_show", "can_advance", "can_disburse")},
                              roles.SERVICE: {VIEW: ("can_list", "can_show", "can_advance"),
                                              "DealScope": ("can_see_all",)},
                              roles.MANAGER: {VIEW: ("can_list", "can_show")}},
                 menus={roles.FINANCE: [FINANCE, MENU], roles.SERVICE: [FINANCE, MENU], roles.MANAGER: [FINANCE, MENU]})
