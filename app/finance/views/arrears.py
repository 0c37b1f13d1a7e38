"""Arrears and dunning (欠款催交) and the projects' finance settings:

- /finance/arrears/                 the deals with overdue money (filters, sort, pages, Excel);
  select rows → print the dunning notices (one PDF) or text the buyers; both log a DunningAction
- /finance/arrears/deal/<deal id>   a deal's dunning history and the form to log an action
- /finance/settings/                FinanceSetting per project (FINANCE and admins edit, managers read)
- /api/v1/dunning/                  the same over REST (app/finance/api/dunning.py)

Rules: services/late_fees.py, arrears.py, dunning.py, dunning_print.py, settings.py."""
import io

from flask import abort, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import IntegerField
from wtforms.validators import NumberRange, Optional

from app.core import clock, display, excel
from app.core.errors import BusinessError
from app.core.views.base import LoupanModelView, record_ids
from app.extensions import db
from app.finance.models import DUNNING_METHODS, FinanceSetting
from app.finance.services import arrears, dunning, dunning_print, late_fees, settings as finance_settings
from app.sales.services import deals
from app.sales.views.deal_urls import deal_url

SETTINGS_MENU = "Finance settings"
ARREARS_MENU = "Arrears"
STAGE_FIELDS = {"days_" + stage: stage for stage in finance_settings.MORTGAGE_STAGE_LABELS}


def _stage_fields():
    return {name: IntegerField(_l("Days allowed: %(stage)s", stage=finance_settings.MORTGAGE_STAGE_LABELS[stage]),
                               validators=[Optional(), NumberRange(min=0, max=3650)],
                               description=_l("Days the mortgage stage may take before it is flagged overdue."))
            for name, stage in STAGE_FIELDS.items()}


def _rate_per_day(value):
    return _("%(rate)s a day", rate=finance_settings.percent(value)) if value is not None else ""


def _yearly(value):
    return _("%(rate)s a year", rate=finance_settings.percent(value)) if value is not None else ""


def _band(value):
    return "±%s%%" % display.plain(value) if value is not None else ""


def _basis(value):
    return str(finance_settings.AREA_BASES.get(value, value or ""))


def _stages(value):
    days = finance_settings.stage_days_of(type("S", (), {"mortgage_stage_days": value})())
    return "；".join("%s %s" % (finance_settings.MORTGAGE_STAGE_LABELS[k], _("%(n)d days", n=v))
                    for k, v in days.items())


class FinanceSettingView(LoupanModelView):
    datamodel = SQLAInterface(FinanceSetting)
    route_base = "/finance/settings"
    list_title = _l("Finance settings")
    show_title = _l("Finance settings")
    add_title = _l("Add finance settings")
    edit_title = _l("Edit finance settings")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit"]
    list_columns = ["project", "late_fee_rate", "grace_days", "refund_days", "area_band", "area_over_factor",
                    "area_under_factor", "area_basis", "cancel_interest_rate"]
    show_columns = list_columns + ["mortgage_stage_days"]
    add_columns = edit_columns = ["project", "late_fee_rate", "grace_days", "refund_days", "area_band",
                                  "area_over_factor", "area_under_factor", "area_basis", "cancel_interest_rate"] \
        + list(STAGE_FIELDS)
    add_form_extra_fields = _stage_fields()
    edit_form_extra_fields = _stage_fields()
    form_choices = {"area_basis": [(k, v) for k, v in finance_settings.AREA_BASES.items()]}
    label_columns = {
        "project": _l("Project"), "late_fee_rate": _l("Late-fee daily rate"), "grace_days": _l("Grace days"),
        "refund_days": _l("Refund days"), "area_band": _l("Area band (%)"),
        "area_over_factor": _l("Factor beyond the band (gain)"),
        "area_under_factor": _l("Factor beyond the band (loss)"), "area_basis": _l("Area basis"),
        "cancel_interest_rate": _l("Cancellation interest rate (yearly)"),
        "mortgage_stage_days": _l("Mortgage stage days"),
    }
    description_columns = {
        "late_fee_rate": _l("Per day of the overdue amount: 0.0005 is 0.05% a day (at most 0.01)."),
        "grace_days": _l("Days after the due date before late fees start."),
        "refund_days": _l("A refund is due this many days after its approval."),
        "area_band": _l("Area differences within ± this percentage are settled at the contract unit price."),
        "area_over_factor": _l("Share of a gain beyond the band the buyer pays (0: the developer bears it)."),
        "area_under_factor": _l("Factor of the refund of a loss beyond the band (2: twice over)."),
        "cancel_interest_rate": _l("Yearly rate of the interest on a cancellation's refund: 0.0435 is 4.35% a year."),
    }
    formatters_columns = {"late_fee_rate": _rate_per_day, "cancel_interest_rate": _yearly, "area_band": _band,
                          "area_basis": _basis, "mortgage_stage_days": _stages}
    base_order = ("id", "asc")

    def _stage_values(self, item):
        return {stage: getattr(item, name, None) for name, stage in STAGE_FIELDS.items()}

    def before_add(self, item):
        finance_settings.check(item, self._stage_values(item))

    def before_update(self, item):
        finance_settings.check(item, self._stage_values(item))

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        if item is not None:
            for name, stage in STAGE_FIELDS.items():
                getattr(form, name).data = (item.mortgage_stage_days or {}).get(stage)


def _deal_or_404(pk):
    ids = record_ids([str(pk)])
    if not ids:
        abort(404)
    try:
        return deals.get_deal(ids[0])
    except (deals.NotFound, deals.OutOfScope):
        abort(404)


class ArrearsView(BaseView):
    route_base = "/finance/arrears"
    class_permission_name = "ArrearsView"
    default_view = "index"
    base_permissions = ["can_list", "can_dun"]
    method_permission_name = {"index": "list", "export": "list", "deal": "list", "act": "dun", "log": "dun"}

    def _filters(self):
        try:
            return arrears.parse_filters(request.args), None
        except BusinessError as e:
            return arrears.Filters(), str(e)

    @expose("/")
    @has_access
    def index(self):
        filters, error = self._filters()
        if error:
            flash(error, "danger")
        rows, count, pages = arrears.page(filters)
        args = {k: v for k, v in request.args.items() if k != "page" and v not in (None, "")}

        def page_url(n):
            return url_for("ArrearsView.index", page=n, **args)

        def sort_url(key):
            same = filters.sort == key
            direction = ("asc" if filters.descending else "desc") if same else \
                ("asc" if key in ("room", "promised") else "desc")
            other = {k: v for k, v in args.items() if k not in ("sort", "dir")}
            return url_for("ArrearsView.index", sort=key, dir=direction, **other)

        may_dun = self.appbuilder.sm.has_access("can_dun", "ArrearsView")
        return self.render_template(
            "finance/arrears_list.html", rows=rows, count=count, pages=pages, filters=filters, page_url=page_url,
            sort_url=sort_url, projects=arrears.projects(), types=arrears.TYPES, money=display.money,
            method_label=dunning.method_label, localday=clock.local_date, may_dun=may_dun, args=args,
            deal_url=deal_url, today=clock.local_today(), title=_("Arrears"))

    @expose("/export/")
    @has_access
    def export(self):
        filters, error = self._filters()
        if error:
            flash(error, "danger")
            return redirect(url_for("ArrearsView.index"))
        headers, data = arrears.export_rows(arrears.all_rows(filters))
        body = excel.workbook_bytes(str(_("Arrears")), headers, data)
        return send_file(io.BytesIO(body), as_attachment=True,
                         download_name="arrears-%s.xlsx" % clock.local_today().isoformat(),
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/act", methods=["POST"])
    @has_access
    def act(self):
        ids = record_ids(request.form.getlist("deal"))
        back = request.form.get("back") or url_for("ArrearsView.index")
        if not back.startswith("/finance/arrears"):
            back = url_for("ArrearsView.index")
        action = request.form.get("action")
        if action not in ("print", "sms"):
            abort(400)
        if not ids:
            flash(_("Select the deals first."), "warning")
            return redirect(back)
        if action == "sms":
            return self._sms(ids, back)
        return self._print(ids, back)

    def _print(self, ids, back):
        from app.printing.views import pdf_response, printed_by
        try:
            rows = arrears.rows_of(ids)
            if not rows:
                raise BusinessError(_("None of the chosen deals has anything overdue: nothing was printed."))
            deal_list = [deals.get_deal(r.deal_id) for r in rows]
            pdf = dunning_print.render(deal_list, printed_by=printed_by())
            with_notice = _("Dunning notice printed")
            for row, deal in zip(rows, deal_list):
                dunning.record(deal, "notice", result=str(with_notice), user=g.user, overdue=row.total,
                               commit=False)
            db.session.commit()
        except (BusinessError, LookupError) as e:
            db.session.rollback()
            flash(str(e) if isinstance(e, BusinessError) else _("That print template does not exist."), "danger")
            return redirect(back)
        return pdf_response(pdf, "dunning-notices-%s.pdf" % clock.local_today().isoformat())

    def _sms(self, ids, back):
        try:
            result = dunning.send_sms(ids, user=g.user)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(back)
        flash(_("Text messages queued for %(deals)d deal(s), %(messages)d message(s).", deals=result["deals"],
                messages=result["messages"]), "success")
        for room, name, reason in result["skipped"]:
            flash(_("Skipped %(name)s (%(room)s): %(reason)s", name=name, room=room, reason=reason), "warning")
        if result["none"]:
            flash(_("Nothing was sent for %(rooms)s: no buyer can receive a text message.",
                    rooms="、".join(result["none"])), "warning")
        return redirect(back)

    @expose("/deal/<pk>", methods=["GET"])
    @has_access
    def deal(self, pk, form=None, status=200):
        deal = _deal_or_404(pk)
        return self._deal_page(deal, form or {}, status)

    def _deal_page(self, deal, form, status=200):
        overdue = arrears.overdue_of(deal.id)
        items = arrears.overdue_items(deal.id)
        actions = dunning.history(deal.id)
        return self.render_template(
            "finance/dunning_deal.html", deal=deal, overdue=overdue, items=items, actions=actions, form=form,
            methods=[(m, dunning.method_label(m)) for m in DUNNING_METHODS], method_label=dunning.method_label,
            user_name=dunning.user_name, money=display.money, localtime=display.local_time,
            may_dun=self.appbuilder.sm.has_access("can_dun", "ArrearsView"), deal_url=deal_url(deal.id),
            now=clock.local_now().strftime("%Y-%m-%d %H:%M"), payment_url="/finance/deals/%d" % deal.id,
            title=_("Dunning")), status

    @expose("/deal/<pk>/log", methods=["POST"])
    @has_access
    def log(self, pk):
        deal = _deal_or_404(pk)
        form = request.form
        try:
            dunning.record(deal, form.get("method"), at=form.get("at"), result=form.get("result"),
                           promised_on=form.get("promised_on"), user=g.user)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self._deal_page(deal, form)
        flash(_("Dunning action recorded."), "success")
        return redirect(url_for("ArrearsView.deal", pk=deal.id))


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.finance import FINANCE, add_view
    from app.finance.api.dunning import DunningApi

    add_view(appbuilder, ArrearsView, ARREARS_MENU, _l("Arrears"), "fa-bell")
    add_view(appbuilder, FinanceSettingView, SETTINGS_MENU, _l("Finance settings"), "fa-sliders")
    appbuilder.add_api(DunningApi)
    dunning_print.register()
    late_fees.register(first)
    roles.extend(
        permissions={roles.FINANCE: {"ArrearsView": ("can_list", "can_dun"),
                                     "FinanceSettingView": ("can_list", "can_show", "can_add", "can_edit")},
                     roles.MANAGER: {"ArrearsView": ("can_list",),
                                     "FinanceSettingView": ("can_list", "can_show")}},
        menus={roles.FINANCE: [FINANCE, ARREARS_MENU, SETTINGS_MENU], roles.MANAGER: [FINANCE, ARREARS_MENU,
                                                                                        SETTINGS_MENU]},
    )
