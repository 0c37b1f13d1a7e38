"""The requests for approval of a deal: change of buyers (更名), room change (换房) and cancellation
(退房), at /sales/deal_changes/<deal id>/rename|change_room|cancel (views/deal_urls.py). Each page
shows the deal, a form, and — while a request of the deal waits for approval — that request
instead of the form. The rules are in services/deal_changes.py; a refusal is shown with the input
kept."""
from itertools import groupby

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core import display
from app.core.errors import BusinessError
from app.core.views.base import record_ids
from app.crm.models import Customer
from app.crm.services import customers as customer_service
from app.extensions import db
from app.sales.services import deal_changes, deals
from app.sales.views.deal_urls import deal_url

MAX_CUSTOMER_CHOICES = 500


def _deal_or_404(pk):
    ids = record_ids([str(pk)])
    if not ids:
        abort(404)
    try:
        return deals.get_deal(ids[0])
    except (deals.NotFound, deals.OutOfScope):
        abort(404)


def _customer_choices(deal):
    """The customers the user may see (the deal's buyers first), by name."""
    query = customer_service.visible_customers().order_by(Customer.name, Customer.id).limit(MAX_CUSTOMER_CHOICES)
    rows = query.all()
    seen = {c.id for c in rows}
    buyers = [b.customer for b in deal.buyers if b.customer_id not in seen]
    return buyers + rows


class DealChangeView(BaseView):
    route_base = "/sales/deal_changes"
    class_permission_name = "DealChangeView"
    method_permission_name = {"rename": "request", "change_room": "request", "cancel": "request"}
    base_permissions = ["can_request"]
    default_view = "rename"

    def _page(self, template, deal, status=200, **values):
        pending = deal_changes.pending_request(deal.id)
        return self.render_template(template, deal=deal, pending=pending, deal_url=deal_url(deal.id),
                                    pending_label=deal_changes.pending_label(pending),
                                    buyers=list(deal.buyers), money=display.money, area=display.area,
                                    stage_label=deals.stage_label, state_label=deals.state_label,
                                    signed_money=deal_changes.signed_money, percent=deal_changes.percent,
                                    **values), status

    def _refused(self, e):
        db.session.rollback()
        flash(str(e), "danger")

    def _sent(self, req, deal, action):
        flash(_("Sent for approval (#%(id)d): %(summary)s", id=req.id, summary=req.summary), "success")
        return redirect(url_for("DealChangeView.%s" % action, pk=deal.id))

    # ---------------------------------------------------------------- 更名

    @expose("/<pk>/rename", methods=["GET", "POST"])
    @has_access
    def rename(self, pk):
        deal = _deal_or_404(pk)
        form = request.form
        if request.method == "POST":
            rows = [(c, s) for c, s in zip(form.getlist("customer"), form.getlist("share")) if c]
            try:
                req = deal_changes.request_rename(deal, rows, form.get("reason"), form.get("note"))
                return self._sent(req, deal, "rename")
            except BusinessError as e:
                self._refused(e)
            deal = _deal_or_404(pk)
            values = {"rows": list(zip(form.getlist("customer"), form.getlist("share"))),
                      "reason": form.get("reason", ""), "note": form.get("note", "")}
            status = 422
        else:
            values = {"rows": [(str(b.customer_id), deal_changes.percent(b.share)) for b in deal.buyers],
                      "reason": "", "note": ""}
            status = 200
        values["rows"] = (values["rows"] + [("", "")] * deals.MAX_BUYERS)[:deals.MAX_BUYERS]
        return self._page("sales/change_rename.html", deal, status, values=values,
                          customers=_customer_choices(deal), reasons=deal_changes.reasons("rename_reason"),
                          allowed=deal.state == "active" and deal.stage in deal_changes.RENAME_STAGES)

    # ---------------------------------------------------------------- 换房

    @expose("/<pk>/change_room", methods=["GET", "POST"])
    @has_access
    def change_room(self, pk):
        deal = _deal_or_404(pk)
        form = request.form if request.method == "POST" else request.args
        values = {"room": form.get("room", ""), "note": form.get("note", "")}
        preview, target, status = None, None, 200
        if request.method == "POST" and form.get("action") == "submit":
            try:
                req = deal_changes.request_room_change(deal, form.get("room"), form.get("note"))
                return self._sent(req, deal, "change_room")
            except BusinessError as e:
                self._refused(e)
                status = 422
            deal = _deal_or_404(pk)
        elif values["room"]:
            try:
                target, preview = deal_changes.preview_room_change(deal, values["room"])
            except BusinessError as e:
                self._refused(e)
                status = 422
                deal = _deal_or_404(pk)
        allowed = deal.state == "active" and deal.stage in deal_changes.ROOM_CHANGE_STAGES
        rooms = deal_changes.target_rooms(deal) if allowed else []
        groups = [(building, list(items)) for building, items in
                  groupby(rooms, key=lambda r: r.building.name if r.building is not None else "")]
        return self._page("sales/change_room.html", deal, status, values=values, groups=groups, preview=preview,
                          target=target, allowed=allowed)

    # ---------------------------------------------------------------- 退房

    @expose("/<pk>/cancel", methods=["GET", "POST"])
    @has_access
    def cancel(self, pk):
        deal = _deal_or_404(pk)
        form = request.form
        status = 200
        if request.method == "POST":
            try:
                req = deal_changes.request_cancel(deal, form.get("reason"), form.get("refund"), form.get("paid"),
                                                  form.get("note"))
                return self._sent(req, deal, "cancel")
            except BusinessError as e:
                self._refused(e)
                status = 422
            deal = _deal_or_404(pk)
            values = {k: form.get(k, "") for k in ("reason", "paid", "refund", "note")}
        else:
            paid = "%.2f" % deal_changes.default_paid(deal)
            values = {"reason": "", "paid": paid, "refund": paid, "note": ""}
        held = deal.state == "active" and deal.stage == "held"
        return self._page("sales/change_cancel.html", deal, status, values=values,
                          reasons=deal_changes.reasons("cancel_reason"), held=held,
                          allowed=deal.state == "active" and deal.stage in deal_changes.CANCEL_STAGES)


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.sales.api.changes import DealChangeApi

    deal_changes.register()
    appbuilder.add_view_no_menu(DealChangeView)
    appbuilder.add_api(DealChangeApi)
    grant = {"DealChangeView": ("can_request",)}
    roles.extend(permissions={roles.SALES: grant, roles.MANAGER: grant})

