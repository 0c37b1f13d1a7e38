"""The payment page of a deal (房款页): its receivables (楼款 and 代收费用 apart), receipts, refunds,
adjustments, dunning and mortgage; receiving money, voiding and reissuing a receipt, printing it;
the receipts and receivables lists. Thin: the rules are app/finance/services/receipts.py; what
the pages show is read by app/finance/services/payment_page.py with a fixed number of queries.

Finance (the cashier) may do everything here; sales managers and salespeople may only look at a
deal's payment page (a salesperson only for the deals they may see)."""
import io

from flask import abort, current_app, flash, g, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, display
from app.core.errors import BusinessError
from app.crm.services import scope
from app.extensions import db
from app.finance.models import RECEIPT_METHODS, RECEIPT_STATUSES, RECEIVABLE_KINDS
from app.finance.services import common, payment_page, receipt_print, receipts
from app.sales.services import deals

VIEW = "PaymentView"
MENU_RECEIPTS = "Receipts"
MENU_RECEIVABLES = "Receivables"
GROUPS = {"": None, "price": False, "fees": True}
REFUND_STATUS = {"pending": _l("Pending approval"), "approved": _l("Approved, to pay"), "paid": _l("Paid"),
                 "rejected": _l("Rejected")}
ADJUSTMENT_STATUS = {"pending": _l("Pending approval"), "approved": _l("Approved"), "rejected": _l("Rejected")}
MORTGAGE_STAGE = {"collecting": _l("Collecting documents"), "submitted": _l("Submitted to the bank"),
                  "approved": _l("Approved by the bank"), "registered": _l("Mortgage registered"),
                  "disbursed": _l("Disbursed")}


def _group_value(raw):
    return GROUPS.get(raw or "", None)


class PaymentView(BaseView):
    """房款: the payment page of a deal, receipts and receivables."""
    route_base = "/finance"
    default_view = "receipts"
    base_permissions = ["can_list", "can_show", "can_act"]
    method_permission_name = {"receipts": "list", "export": "list", "receivables": "list", "show": "show",
                              "receipt": "show", "receive": "act", "void": "act", "reissue": "act",
                              "print_receipt": "act"}

    def _may(self, permission):
        return self.appbuilder.sm.has_access(permission, VIEW)

    def _deal_or_leave(self, pk):
        from app.sales.views.deals import deal_or_leave
        return deal_or_leave(pk)

    def _receipt(self, pk):
        try:
            return receipts.get_receipt(pk)
        except BusinessError:
            abort(404)

    def _labels(self):
        return {"money": display.money, "kind_label": common.kind_label, "method_label": common.method_label,
                "group_label": common.group_label, "status_label": receipts.status_label,
                "stage_label": deals.stage_label, "state_label": deals.state_label,
                "user_name": payment_page.user_name,
                "refund_status": REFUND_STATUS, "adjustment_status": ADJUSTMENT_STATUS, "mortgage_stage": MORTGAGE_STAGE,
                "methods": [(m, common.method_label(m)) for m in RECEIPT_METHODS]}

    # ------------------------------------------------------------ the payment page

    @expose("/deals/<pk>")
    @has_access
    def show(self, pk):
        deal, leave = self._deal_or_leave(pk)
        if leave is not None:
            return leave
        data = payment_page.page(deal)
        return self.render_template("finance/payment_show.html", may_act=self._may("can_act"),
                                    may_list=self._may("can_list"), receiving=deal.state == "active"
                                    and deal.stage in receipts.RECEIVING_STAGES, **data, **self._labels())

    @expose("/deals/<pk>/receive", methods=["GET", "POST"])
    @has_access
    def receive(self, pk):
        deal, leave = self._deal_or_leave(pk)
        if leave is not None:
            return leave
        values = dict(request.form) if request.method == "POST" else {
            "method": "transfer", "paid_on": clock.local_today().isoformat(), "payer": receipts.default_payer(deal),
            "mode": "auto"}
        if request.method == "POST":
            try:
                receipt = self._receive(deal, values)
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                deal = deals.get_deal(pk)
                return self._receive_form(deal, values), 422
            flash(_("Receipt %(number)s: %(amount)s received.", number=receipt.number,
                    amount=display.money(receipt.amount)), "success")
            return redirect(url_for("PaymentView.show", pk=deal.id))
        return self._receive_form(deal, values)

    def _receive(self, deal, values):
        allocations = None
        if values.get("mode") == "hand":
            allocations = {k[6:]: v.strip() for k, v in values.items() if k.startswith("alloc-") and (v or "").strip()}
            if not allocations:
                raise BusinessError(_("Enter the amount paid on at least one receivable, or allocate oldest first."))
        if (values.get("group") or "") not in GROUPS:
            raise BusinessError(_("Choose which receivables the money pays."))
        return receipts.receive(deal, values.get("amount") or "", values.get("method") or "",
                                paid_on=values.get("paid_on") or None, payer=values.get("payer"),
                                reference=values.get("reference"), allocations=allocations,
                                group=None if allocations else _group_value(values.get("group")),
                                advance=values.get("advance") == "1", note=values.get("note"),
                                user=scope.acting_user())

    def _receive_form(self, deal, values):
        data = payment_page.page(deal)
        return self.render_template("finance/payment_receive.html", values=values, **data, **self._labels())

    # ------------------------------------------------------------ one receipt

    @expose("/receipts/<pk>")
    @has_access
    def receipt(self, pk):
        return self._receipt_page(self._receipt(pk), {})

    def _receipt_page(self, receipt, values, status=200):
        detail = payment_page.receipt_detail(receipt)
        return self.render_template("finance/receipt_show.html", receipt=receipt, values=values,
                                    may_act=self._may("can_act"), events=self._history(receipt), **detail,
                                    **self._labels()), status

    def _history(self, receipt):
        """The deal's timeline entries about this receipt."""
        out = []
        for e in deals.timeline(receipt.deal):
            data = e.data or {}
            if isinstance(data, dict) and receipt.id in (data.get("receipt_id"), data.get("reissue_of")):
                out.append(e)
        return out

    @expose("/receipts/<pk>/void", methods=["POST"])
    @has_access
    def void(self, pk):
        receipt = self._receipt(pk)
        values = dict(request.form)
        try:
            receipts.void(receipt, values.get("reason"), user=scope.acting_user())
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self._receipt_page(self._receipt(pk), values, 422)
        flash(_("Receipt %(number)s is void.", number=receipt.number), "success")
        return redirect(url_for("PaymentView.receipt", pk=receipt.id))

    @expose("/receipts/<pk>/reissue", methods=["POST"])
    @has_access
    def reissue(self, pk):
        receipt = self._receipt(pk)
        values = dict(request.form)
        try:
            new = receipts.reissue(receipt, values.get("reason"), payer=values.get("payer"),
                                   method=values.get("method") or None, paid_on=values.get("paid_on") or None,
                                   reference=values.get("reference"), user=scope.acting_user())
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self._receipt_page(self._receipt(pk), values, 422)
        flash(_("Receipt %(old)s was reissued as %(new)s.", old=receipt.number, new=new.number), "success")
        return redirect(url_for("PaymentView.receipt", pk=new.id))

    @expose("/receipts/<pk>/print")
    @has_access
    def print_receipt(self, pk):
        from app.printing.views import pdf_response, printed_by
        receipt = self._receipt(pk)
        back = url_for("PaymentView.receipt", pk=receipt.id)
        try:
            pdf = receipt_print.render(receipt, request.args.get("template", type=int), printed_by=printed_by())
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(back)
        except LookupError:
            db.session.rollback()
            flash(_("That print template does not exist."), "danger")
            return redirect(back)
        return pdf_response(pdf, "receipt-%s.pdf" % receipt.number)

    # ------------------------------------------------------------ lists

    def _projects(self):
        from app.inventory.models import Project
        return db.session.query(Project).order_by(Project.code).all()

    @expose("/receipts/")
    @has_access
    def receipts(self):
        filters = payment_page.Filters(request.args)
        rows, total, pages = payment_page.receipts_page(filters)
        return self.render_template(
            "finance/receipt_list.html", filters=filters, rows=rows, total=total, pages=pages,
            projects=self._projects(), cashiers=payment_page.cashiers(),
            statuses=[(s, receipts.status_label(s)) for s in RECEIPT_STATUSES],
            page_url=lambda n: url_for("PaymentView.receipts", **filters.args(page=n or None)),
            export_url=url_for("PaymentView.export", **filters.args(page=None)), **self._labels())

    @expose("/receipts/export")
    @has_access
    def export(self):
        data = payment_page.export(payment_page.Filters(request.args))
        return send_file(io.BytesIO(data), download_name="receipts-%s.xlsx" % clock.local_today().isoformat(),
                         as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    @expose("/receivables/")
    @has_access
    def receivables(self):
        filters = payment_page.Filters(request.args)
        rows, total, pages = payment_page.receivables_page(filters)
        today = clock.local_today()
        return self.render_template(
            "finance/receivable_list.html", filters=filters, rows=rows, total=total, pages=pages,
            projects=self._projects(), kinds=[(k, common.kind_label(k)) for k in RECEIVABLE_KINDS],
            overdue={r.id for r in rows if payment_page.is_overdue(r, today)},
            page_url=lambda n: url_for("PaymentView.receivables", **filters.args(page=n or None)),
            **self._labels())


def payment_link(deal):
    """The 房款 button of the sales deal page, for users who may open the payment page."""
    if deal.stage == "held":
        return []
    if not current_app.appbuilder.sm.has_access("can_show", VIEW):
        return []
    return [(_("Payments"), url_for("PaymentView.show", pk=deal.id), "fa-coins")]


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.finance import FINANCE, FINANCE_ICON, FINANCE_LABEL, add_view
    from app.finance.api.payments import PaymentApi
    from app.sales.views.deals import DealView
    receipt_print.register()
    add_view(appbuilder, PaymentView, MENU_RECEIPTS, _l("Receipts"), "fa-receipt")
    appbuilder.add_link(MENU_RECEIVABLES, href="/finance/receivables/", label=_l("Receivables"),
                        icon="fa-file-invoice-dollar", category=FINANCE, category_label=FINANCE_LABEL,
                        category_icon=FINANCE_ICON)
    appbuilder.add_api(PaymentApi)
    DealView.add_link_provider(payment_link)
    roles.extend(permissions={roles.FINANCE: {VIEW: ("can_list", "can_show", "can_act")},
                              roles.MANAGER: {VIEW: ("can_show",)}, roles.SALES: {VIEW: ("can_show",)}},
                 menus={roles.FINANCE: [FINANCE, MENU_RECEIPTS, MENU_RECEIVABLES]})
