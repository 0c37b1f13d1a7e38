"""Refunds (退款) and adjustments (款项调整) pages: /finance/refunds/ (list), /finance/refunds/new?deal=ID
(ask for a refund), /finance/refunds/<id> (one refund, its approval, the pay form) and
/finance/adjustments/new?receivable=ID (ask to adjust a receivable). The rules are in
services/refunds.py and services/adjustments.py; approvals are decided on the approvals pages."""
import math

import sqlalchemy as sa
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, display
from app.core.errors import BusinessError
from app.core.services import approvals
from app.core.views.base import record_ids
from app.extensions import db
from app.finance.models import RECEIPT_METHODS, REFUND_KINDS, REFUND_STATUSES, Refund
from app.finance.services import adjustments, common, receipts, refunds
from app.sales.models import Deal
from app.sales.services import deals

VIEW = "RefundView"
MENU = "Refunds"
PAGE_SIZE = 30
PERMISSIONS = ["can_list", "can_show", "can_request", "can_pay", "can_adjust"]


def _one_id(value):
    ids = record_ids([str(value or "")])
    return ids[0] if ids else None


def _refund_or_404(pk):
    try:
        return refunds.get_refund(_one_id(pk) or 0)
    except BusinessError:
        abort(404)


def _deal_or_404(pk):
    pk = _one_id(pk)
    if pk is None:
        abort(404)
    try:
        return common.get_deal(pk)
    except BusinessError:
        abort(404)


def _receivable_or_404(pk):
    pk = _one_id(pk)
    if pk is None:
        abort(404)
    try:
        return adjustments.get_receivable(pk)
    except BusinessError:
        abort(404)


class Filters:
    def __init__(self, args):
        self.project = _one_id(args.get("project"))
        self.status = args.get("status") if args.get("status") in REFUND_STATUSES else ""
        self.kind = args.get("kind") if args.get("kind") in REFUND_KINDS else ""
        self.overdue = args.get("overdue") == "1"
        page = _one_id(args.get("page"))
        self.page = min(page, 100000) if page else 0

    def args(self, **changes):
        values = {"project": self.project, "status": self.status or None, "kind": self.kind or None,
                  "overdue": "1" if self.overdue else None, "page": self.page or None}
        values.update(changes)
        return {k: v for k, v in values.items() if v not in (None, "")}


def _query(filters):
    query = db.session.query(Refund).join(Deal, Deal.id == Refund.deal_id)
    query = deals.visible_deals(query)
    if filters.project:
        query = query.filter(Refund.project_id == filters.project)
    if filters.status:
        query = query.filter(Refund.status == filters.status)
    if filters.kind:
        query = query.filter(Refund.kind == filters.kind)
    if filters.overdue:
        query = query.filter(Refund.status == "approved", Refund.due_date < clock.local_today())
    return query


class RefundView(BaseView):
    route_base = "/finance/refunds"
    class_permission_name = VIEW
    method_permission_name = {"list": "list", "show": "show", "new": "request", "pay": "pay"}
    base_permissions = PERMISSIONS
    default_view = "list"

    def _common(self):
        return {"money": display.money, "kind_label": refunds.kind_label, "status_label": refunds.status_label,
                "method_label": common.method_label, "today": clock.local_today(), "is_overdue": refunds.is_overdue}

    @expose("/")
    @has_access
    def list(self):
        filters = Filters(request.args)
        query = _query(filters)
        total = query.count()
        pages = max(1, math.ceil(total / PAGE_SIZE))
        filters.page = min(filters.page, pages - 1)
        rows = (query.order_by(Refund.created_at.desc(), Refund.id.desc())
                .offset(filters.page * PAGE_SIZE).limit(PAGE_SIZE).all())
        sums = dict(_query(filters).with_entities(Refund.status, sa.func.sum(Refund.amount))
                    .group_by(Refund.status).order_by(None).all())
        from app.inventory.models import Project
        projects = db.session.query(Project).order_by(Project.code).all()
        return self.render_template(
            "finance/refund_list.html", filters=filters, rows=rows, total=total, pages=pages, projects=projects,
            statuses=[(s, refunds.status_label(s)) for s in REFUND_STATUSES],
            kinds=[(k, refunds.kind_label(k)) for k in REFUND_KINDS], sums=sums,
            page_url=lambda n: url_for("RefundView.list", **filters.args(page=n or None)), **self._common())

    def _show(self, refund, status=200, values=None):
        req = refunds.request_of(refund)
        sm = self.appbuilder.sm
        return self.render_template(
            "finance/refund_show.html", refund=refund, deal=refund.deal, req=req,
            req_status=approvals.status_label(req.status) if req is not None else "",
            display_name=approvals.display_name, methods=[(m, common.method_label(m)) for m in RECEIPT_METHODS],
            may_pay=sm.has_access("can_pay", VIEW) and refund.status == "approved",
            may_print=sm.has_access("can_print", "PrintTemplateView"),
            values=values or {"paid_on": clock.local_today().isoformat(), "method": "transfer", "reference": ""},
            received=receipts.received_total(refund.deal_id), counted=refunds.counted_total(refund.deal_id),
            others=[r for r in refunds.of_deal(refund.deal_id) if r.id != refund.id], **self._common()), status

    @expose("/<pk>")
    @has_access
    def show(self, pk):
        return self._show(_refund_or_404(pk))

    @expose("/<pk>/pay", methods=["POST"])
    @has_access
    def pay(self, pk):
        refund = _refund_or_404(pk)
        form = request.form
        try:
            refunds.pay(refund, form.get("paid_on"), form.get("method"), form.get("reference"))
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self._show(_refund_or_404(pk), 422, {k: form.get(k, "") for k in ("paid_on", "method", "reference")})
        flash(_("Refund %(number)s recorded as paid.", number=refund.number), "success")
        return redirect(url_for("RefundView.show", pk=refund.id))

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        deal = _deal_or_404(request.values.get("deal"))
        status = 200
        if request.method == "POST":
            form = request.form
            try:
                refund = refunds.request_refund(deal, form.get("amount"), form.get("kind"), form.get("reason"),
                                                payee=form.get("payee"))
                flash(_("Refund %(number)s sent for approval.", number=refund.number), "success")
                return redirect(url_for("RefundView.show", pk=refund.id))
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                status = 422
            deal = _deal_or_404(request.values.get("deal"))
            values = {k: form.get(k, "") for k in ("amount", "kind", "payee", "reason")}
        else:
            left = refunds.refundable(deal.id)
            values = {"amount": "%.2f" % left if left > 0 else "", "kind": "overpayment",
                      "payee": receipts.default_payer(deal), "reason": ""}
        left = refunds.refundable(deal.id)
        return self.render_template(
            "finance/refund_new.html", deal=deal, values=values, received=receipts.received_total(deal.id),
            counted=refunds.counted_total(deal.id), refundable=left, existing=refunds.of_deal(deal.id),
            kinds=[(k, refunds.kind_label(k)) for k in REFUND_KINDS if k != "cancellation"]
            + [("cancellation", refunds.kind_label("cancellation"))],
            stage_label=deals.stage_label, state_label=deals.state_label, **self._common()), status


class AdjustmentView(BaseView):
    route_base = "/finance/adjustments"
    class_permission_name = VIEW
    method_permission_name = {"new": "adjust"}
    base_permissions = PERMISSIONS
    default_view = "new"

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        receivable = _receivable_or_404(request.values.get("receivable"))
        status = 200
        values = {"amount": "", "reason": ""}
        if request.method == "POST":
            form = request.form
            try:
                adjustment = adjustments.request_adjustment(receivable, form.get("amount"), form.get("reason"))
                flash(_("Adjustment of %(label)s sent for approval (#%(id)d).", label=receivable.label,
                        id=adjustment.request_id), "success")
                return redirect(url_for("AdjustmentView.new", receivable=receivable.id))
            except BusinessError as e:
                db.session.rollback()
                flash(str(e), "danger")
                status = 422
            receivable = _receivable_or_404(request.values.get("receivable"))
            values = {k: form.get(k, "") for k in ("amount", "reason")}
        return self.render_template(
            "finance/adjustment_new.html", receivable=receivable, deal=receivable.deal, values=values,
            pending=adjustments.pending_of(receivable.id), history=adjustments.of_receivable(receivable.id),
            money=display.money, signed=adjustments.signed_yuan, status_label=adjustments.status_label,
            kind_label=common.kind_label, group_label=common.group_label), status


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.finance import FINANCE, add_view
    from app.finance.api.refunds import RefundApi
    from app.finance.services import adjustments as adjustment_service, refunds as refund_service

    refund_service.register()
    refund_service.register_print()
    adjustment_service.register()
    add_view(appbuilder, RefundView, MENU, _l("Refunds"), "fa-undo")
    appbuilder.add_view_no_menu(AdjustmentView)
    appbuilder.add_api(RefundApi)
    if first:
        from app import demo
        demo.register(refund_service.load_demo)
    roles.extend(
        permissions={roles.FINANCE: {VIEW: tuple(PERMISSIONS)},
                     roles.MANAGER: {VIEW: ("can_list", "can_show")}},
        menus={roles.FINANCE: [FINANCE, MENU], roles.MANAGER: [FINANCE, MENU]},
    )
