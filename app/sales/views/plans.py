"""Payment plan screens (付款方式): the plans of each project with their instalments and fees edited
in the same form, disabled (never deleted once in use), and listed as tabs of a plan's page."""
from flask import flash, g, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.actions import action
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.filters import FilterEqual
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core import display
from app.core.errors import BusinessError
from app.core.views.base import LoupanModelView
from app.sales.models import PaymentPlan, PaymentPlanFee, PaymentPlanInstalment
from app.sales.services import plans, policies
from app.sales.views.rows import RowsField


def _choices(labels):
    return lambda: [(k, str(v)) for k, v in labels.items()]


def _percent(value):
    return "" if value is None else "%s%%" % policies.percent_text(value)


def terms(plan):
    """One line that says what the plan is: 首付30% · 贷款30年 · 等额本息 · 定金¥50,000.00."""
    parts = []
    if plan.deposit_value:
        parts.append(_("Deposit %(deposit)s", deposit=_percent(plan.deposit_value) if plan.deposit_method == "percent"
                       else display.money(plan.deposit_value)))
    if plan.kind in plans.LOAN_KINDS:
        parts.append(_("Down payment %(down)s", down=_percent(plan.down_payment_ratio)))
        parts.append(_("%(years)s years", years=plan.term_years))
        parts.append(str(plans.REPAYMENT_LABELS.get(plan.repayment_method, "")))
        if plan.provident_cap is not None:
            parts.append(_("Provident fund up to %(cap)s", cap=display.money(plan.provident_cap)))
    elif plan.kind == "instalment":
        parts.append(_("%(count)d instalments", count=len(plan.instalments)))
    return " · ".join(p for p in parts if p)


def _due_text(plan):
    return plans.due_words(plan.down_payment_due_from, plan.down_payment_due_days or 0)


# Read by the list and detail pages (the whole row is needed).
PaymentPlan.terms = property(terms)
PaymentPlan.down_payment_due = property(_due_text)


class PaymentPlanInstalmentView(LoupanModelView):
    """The instalments of a plan (a tab of its page); edited in the plan's own form."""

    datamodel = SQLAInterface(PaymentPlanInstalment)
    list_title = _l("Instalments")
    show_title = add_title = edit_title = _l("Instalment")
    base_permissions = ["can_list"]
    list_columns = ["sequence", "name", "method", "value", "due_basis", "due_days", "due_date"]
    base_order = ("sequence", "asc")
    label_columns = {"sequence": _l("No."), "name": _l("Name"), "method": _l("Method"),
                     "value": _l("Percentage or amount"), "due_basis": _l("Due"), "due_days": _l("Days"),
                     "due_date": _l("Payable on"), "plan": _l("Plan")}
    formatters_columns = {
        "method": lambda m: str(plans.INSTALMENT_METHOD_LABELS.get(m, m)),
        "due_basis": lambda b: str(plans.BASIS_LABELS.get(b, b)),
        "value": lambda v: "" if v is None else "{:,.2f}".format(v),
    }


class PaymentPlanFeeView(LoupanModelView):
    """The fees collected on behalf of others with a plan (a tab of its page)."""

    datamodel = SQLAInterface(PaymentPlanFee)
    list_title = _l("Fees collected on behalf")
    show_title = add_title = edit_title = _l("Fee collected on behalf")
    base_permissions = ["can_list"]
    list_columns = ["name", "method", "value"]
    base_order = ("sort_order", "asc")
    label_columns = {"name": _l("Name"), "method": _l("Method"), "value": _l("Amount, percentage or rate per ㎡"),
                     "plan": _l("Plan")}
    formatters_columns = {"method": lambda m: str(plans.FEE_METHOD_LABELS.get(m, m)),
                          "value": lambda v: policies.percent_text(v) if v is not None else ""}


INSTALMENT_COLUMNS = [
    ("name", _l("Name"), "text"),
    ("method", _l("Method"), _choices(plans.INSTALMENT_METHOD_LABELS)),
    ("value", _l("Percentage or amount"), "number"),
    ("due_basis", _l("Due"), lambda: [(k, str(plans.BASIS_LABELS[k])) for k in ("signing", "subscription", "date")]),
    ("due_days", _l("Days"), "number"),
    ("due_date", _l("Payable on"), "date"),
]
FEE_COLUMNS = [
    ("name", _l("Name"), "text"),
    ("method", _l("Method"), _choices(plans.FEE_METHOD_LABELS)),
    ("value", _l("Amount, percentage or rate per ㎡"), "number"),
]


class PaymentPlanView(LoupanModelView):
    datamodel = SQLAInterface(PaymentPlan)
    list_title = _l("Payment plans")
    show_title = _l("Payment plan")
    add_title = _l("Add payment plan")
    edit_title = _l("Edit payment plan")
    base_permissions = ["can_list", "can_show", "can_add", "can_edit", "can_delete"]
    # Disabling and enabling are edits.
    method_permission_name = {"disable": "edit", "enable": "edit"}
    related_views = [PaymentPlanInstalmentView, PaymentPlanFeeView]
    list_columns = ["project", "name", "kind", "terms", "valid_from", "valid_to", "active"]
    show_columns = ["project", "name", "kind", "terms", "description", "valid_from", "valid_to", "active",
                    "deposit_method", "deposit_value", "sign_within_days", "down_payment_due", "down_payment_ratio",
                    "loan_ratio", "term_years", "repayment_method", "commercial_rate", "provident_rate",
                    "provident_cap", "loan_unit", "sort_order"]
    add_columns = edit_columns = ["project", "name", "kind", "valid_from", "valid_to", "active", "description",
                                  "deposit_method", "deposit_value", "sign_within_days", "down_payment_due_from",
                                  "down_payment_due_days", "down_payment_ratio", "loan_ratio", "term_years",
                                  "repayment_method", "commercial_rate", "provident_rate", "provident_cap",
                                  "loan_unit", "instalment_rows", "fee_rows", "sort_order"]
    search_columns = ["project", "name", "kind", "valid_from", "valid_to", "active"]
    base_order = ("project_id", "asc")
    label_columns = {
        "project": _l("Project"), "name": _l("Name"), "kind": _l("Kind"), "terms": _l("Terms"),
        "description": _l("Description"), "valid_from": _l("Valid from"), "valid_to": _l("Valid to"),
        "active": _l("Active"), "deposit_method": _l("Deposit as"), "deposit_value": _l("Deposit"),
        "sign_within_days": _l("Days from subscription to signing"), "down_payment_due": _l("Down payment due"),
        "down_payment_due_from": _l("Down payment due"), "down_payment_due_days": _l("Days until the down payment"),
        "down_payment_ratio": _l("Down payment (%)"), "loan_ratio": _l("Loan (%)"), "term_years": _l("Term (years)"),
        "repayment_method": _l("Repayment method"), "commercial_rate": _l("Commercial rate (% a year)"),
        "provident_rate": _l("Provident-fund rate (% a year)"), "provident_cap": _l("Provident fund's cap"),
        "loan_unit": _l("Loan rounded down"), "instalment_rows": _l("Instalments"),
        "fee_rows": _l("Fees collected on behalf"), "sort_order": _l("Order"),
    }
    description_columns = {
        "kind": _l("Full payment, instalments, or a commercial, provident-fund or combined loan."),
        "deposit_value": _l("定金 at subscription: yuan, or percent of the price (at most 20%, Civil Code art. 586). "
                            "It counts towards the down payment or the first instalment."),
        "down_payment_due_from": _l("Full payment and loans: when the rest of the down payment (of the price for a "
                                    "full payment) is due."),
        "down_payment_ratio": _l("Loans: percent of the price, at least the policy's minimum."),
        "loan_ratio": _l("Loans: empty, or 100 less the down payment."),
        "commercial_rate": _l("Empty: the LPR with the city's spread on the trial's date."),
        "provident_rate": _l("Empty: the provident-fund rate on the trial's date."),
        "provident_cap": _l("The most the provident fund lends (required for a combined loan)."),
        "loan_unit": _l("Banks lend round sums; the down payment takes the rest."),
        "instalment_rows": _l("Instalment plans only: each a percentage of the price, an amount or the rest, due a "
                              "number of days after subscription or signing, or on a date. Percentages sum to 100% "
                              "(less than 100% with an instalment for the rest). Save to get more empty lines."),
        "fee_rows": _l("E.g. 产权登记费: fixed amount, 80; 印花税: percentage of the price, 0.05; 物业费预收: gross "
                       "area × rate, 4.5. Shown as estimates."),
    }
    formatters_columns = {
        "kind": plans.kind_label,
        "deposit_method": lambda m: str(plans.DEPOSIT_METHOD_LABELS.get(m, m)),
        "deposit_value": lambda v: "{:,.2f}".format(v) if v is not None else "",
        "repayment_method": lambda m: str(plans.REPAYMENT_LABELS.get(m, m)),
        "loan_unit": lambda m: str(plans.LOAN_UNIT_LABELS.get(m, m)),
        "down_payment_ratio": _percent, "loan_ratio": _percent, "commercial_rate": _percent,
        "provident_rate": _percent, "provident_cap": display.money,
    }
    add_form_extra_fields = edit_form_extra_fields = {
        "kind": SelectField(_l("Kind"), widget=Select2Widget(), default="full", choices=_choices(plans.KIND_LABELS)),
        "deposit_method": SelectField(_l("Deposit as"), widget=Select2Widget(), default="amount",
                                      choices=_choices(plans.DEPOSIT_METHOD_LABELS)),
        "down_payment_due_from": SelectField(
            _l("Down payment due"), widget=Select2Widget(), default="signing",
            choices=lambda: [(k, str(plans.BASIS_LABELS[k])) for k in ("signing", "subscription")]),
        "repayment_method": SelectField(_l("Repayment method"), widget=Select2Widget(), default="equal_instalment",
                                        choices=_choices(plans.REPAYMENT_LABELS)),
        "loan_unit": SelectField(_l("Loan rounded down"), widget=Select2Widget(), default="thousand",
                                 choices=_choices(plans.LOAN_UNIT_LABELS)),
        "instalment_rows": RowsField(_l("Instalments"), columns=INSTALMENT_COLUMNS),
        "fee_rows": RowsField(_l("Fees collected on behalf"), columns=FEE_COLUMNS),
    }
    add_form_query_rel_fields = edit_form_query_rel_fields = {"project": [["active", FilterEqual, True]]}

    def before_add(self, item):
        plans.check_plan(item, getattr(item, "instalment_rows", None), getattr(item, "fee_rows", None))

    before_update = before_add

    def before_delete(self, item):
        plans.check_plan_deletable(item)

    # A refused plan comes back as typed (Flask-AppBuilder would go back to the list and drop the
    # rows typed into the tables).
    def pre_add(self, item):
        try:
            super().pre_add(item)
        except BusinessError:
            g.loupan_plan_refused = True
            raise

    def pre_update(self, item):
        try:
            super().pre_update(item)
        except BusinessError:
            g.loupan_plan_refused = True
            raise

    def _typed_form(self, form_class, pk=None):
        form = form_class.refresh(request.form)
        if pk is not None:
            form._id = pk
        exclude = self._filters.get_relation_cols()
        if pk is None:
            return self._get_add_widget(form=form, exclude_cols=exclude)
        widgets = self._get_edit_widget(form=form, exclude_cols=exclude)
        # The edit page also shows the plan's rows below the form (as Flask-AppBuilder's own edit does).
        return self._get_related_views_widgets(self.datamodel.get(pk), orders={}, pages={}, page_sizes={},
                                               widgets=widgets)

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        widget = self._add()
        if not widget and g.get("loupan_plan_refused"):
            widget = self._typed_form(self.add_form)
        if not widget:
            return self.post_add_redirect()
        return self.render_template(self.add_template, title=self.add_title, widgets=widget)

    @expose("/edit/<pk>", methods=["GET", "POST"])
    @has_access
    def edit(self, pk):
        widgets = self._edit(pk)
        if not widgets and g.get("loupan_plan_refused"):
            widgets = self._typed_form(self.edit_form, pk)
        if not widgets:
            return self.post_edit_redirect()
        return self.render_template(self.edit_template, title=self.edit_title, widgets=widgets,
                                    related_views=self._related_views)

    def prefill_form(self, form, pk):
        item = self.datamodel.get(pk)
        if item is not None:
            form.instalment_rows.data = plans.instalment_rows(item)
            form.fee_rows.data = plans.fee_rows(item)

    def detail_links(self, pk):
        links = []
        item = self.datamodel.get(pk)
        if item is not None and self.appbuilder.sm.has_access("can_trial", "PriceTrialView"):
            links.append((_l("Price trial"), url_for("PriceTrialView.index", project=item.project_id, plan=pk),
                          "fa-calculator"))
        return links

    def _set_active(self, items, active, done):
        try:
            changed = plans.set_active(items if isinstance(items, list) else [items], active)
            flash(done % {"count": len(changed)}, "success")
        except BusinessError as e:
            flash(str(e), "danger")
        self.update_redirect()
        return redirect(self.get_redirect())

    @action("disable", _l("Disable"), _l("Disable the selected payment plans? They stay on record for the deals "
                                         "that use them."), "fa-ban")
    def disable(self, items):
        return self._set_active(items, False, _("%(count)d payment plans disabled."))

    @action("enable", _l("Enable"), None, "fa-check")
    def enable(self, items):
        return self._set_active(items, True, _("%(count)d payment plans enabled."))
