"""Approval pages: the approver's inbox, the requester's own requests, one request with its
proposed change and the approve / reject / withdraw forms, and all requests (read-only)."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import SelectField

from app.core import display
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.services import approvals
from app.core.views.base import LoupanReadOnlyView

APPROVALS = "Approvals"
INBOX_MENU = "Approval inbox"
MINE_MENU = "My requests"
ALL_MENU = "All requests"

# The pages' permissions on "ApprovalView"; the REST API (app/core/api/approval.py) uses
# the same names, so that one grant opens both.
PERMISSIONS = ["can_inbox", "can_decide", "can_mine", "can_show"]
ALL_REQUESTS_VIEW = "ApprovalRequestView"
PAGE_SIZE = 20


_when = display.local_time


def may_see_all():
    """Holders of 'All requests' (admins, managers) may open any request."""
    from flask import current_app
    return current_app.appbuilder.sm.has_access("can_list", ALL_REQUESTS_VIEW)


def _int_arg(name, default=0):
    value = request.args.get(name, "")
    return int(value) if value.isdigit() else default


class ApprovalView(BaseView):
    """审批: inbox, my requests, one request."""

    route_base = "/approvals"
    default_view = "inbox"
    method_permission_name = {
        "inbox": "inbox", "approve": "decide", "reject": "decide",
        "mine": "mine", "withdraw": "mine", "show": "show",
    }
    base_permissions = PERMISSIONS

    def _render_list(self, title, items, mode, total=None, page=0, status=None):
        return self.render_template(
            "core/approval_list.html", title=title, items=items, mode=mode,
            total=len(items) if total is None else total, page=page, page_size=PAGE_SIZE, status=status,
            kind_label=approvals.kind_label, status_label=approvals.status_label,
            status_labels=approvals.STATUS_LABELS, when=_when, person=approvals.display_name,
        )

    @expose("/inbox/")
    @has_access
    def inbox(self):
        items = approvals.pending_for(g.user)
        return self._render_list(_("Waiting for my decision"), items, "inbox")

    @expose("/mine/")
    @has_access
    def mine(self):
        status = request.args.get("status") or None
        if status not in approvals.STATUS_LABELS:
            status = None
        page = _int_arg("page")
        total, items = approvals.requests_of(g.user, status=status, page=page, page_size=PAGE_SIZE)
        return self._render_list(_("My requests"), items, "mine", total=total, page=page, status=status)

    def _visible(self, pk):
        req = approvals.get_visible(pk, g.user, see_all=may_see_all())
        if req is None:
            abort(404)
        return req

    @expose("/show/<int:pk>")
    @has_access
    def show(self, pk):
        req = self._visible(pk)
        return self.render_template(
            "core/approval_show.html", req=req, details=approvals.describe(req), links=approvals.links(req),
            kind_label=approvals.kind_label(req.kind), status_label=approvals.status_label(req.status),
            may_decide=approvals.may_decide(req, g.user) and self.appbuilder.sm.has_access(
                "can_decide", self.class_permission_name),
            may_withdraw=approvals.may_withdraw(req, g.user) and self.appbuilder.sm.has_access(
                "can_mine", self.class_permission_name),
            own_pending=req.status == "pending" and req.requester_id == g.user.id,
            when=_when, person=approvals.display_name,
        )

    def _decide(self, pk, action, done_message):
        self._visible(pk)
        try:
            action()
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(url_for(".show", pk=pk))
        flash(done_message, "success")
        return redirect(url_for(".inbox"))

    @expose("/approve/<int:pk>", methods=["POST"])
    @has_access
    def approve(self, pk):
        return self._decide(pk, lambda: approvals.approve(pk, g.user, request.form.get("comment")),
                            _("Request #%(id)d approved.", id=pk))

    @expose("/reject/<int:pk>", methods=["POST"])
    @has_access
    def reject(self, pk):
        return self._decide(pk, lambda: approvals.reject(pk, g.user, request.form.get("comment")),
                            _("Request #%(id)d rejected.", id=pk))

    @expose("/withdraw/<int:pk>", methods=["POST"])
    @has_access
    def withdraw(self, pk):
        self._visible(pk)
        try:
            approvals.withdraw(pk, g.user)
        except BusinessError as e:
            flash(str(e), "danger")
            return redirect(url_for(".show", pk=pk))
        flash(_("Request #%(id)d withdrawn.", id=pk), "success")
        return redirect(url_for(".mine"))


class ApprovalRequestView(LoupanReadOnlyView):
    """All approval requests, read-only, with filters (admins and managers)."""

    datamodel = SQLAInterface(ApprovalRequest)
    list_title = _l("All approval requests")
    show_title = _l("Approval request")
    list_columns = ["id", "kind", "summary", "requester", "created_at", "status", "decider", "decided_at"]
    show_columns = ["id", "kind", "summary", "target_table", "target_id", "requester", "reason", "created_at",
                    "status", "decider", "comment", "decided_at"]
    search_columns = ["kind", "status", "summary", "requester", "decider", "created_at", "decided_at",
                      "target_table", "target_id"]
    base_order = ("id", "desc")
    label_columns = {
        "id": _l("No."), "kind": _l("Kind"), "summary": _l("Summary"), "requester": _l("Requested by"),
        "created_at": _l("Requested at (UTC)"), "status": _l("Status"), "decider": _l("Decided by"),
        "decided_at": _l("Decided at (UTC)"), "target_table": _l("Table"), "target_id": _l("Record"),
        "reason": _l("Reason"), "comment": _l("Comment"),
    }
    search_form_extra_fields = {
        "kind": SelectField(_l("Kind"), choices=lambda: [(c, str(k.label)) for c, k in approvals.kinds().items()],
                            widget=Select2Widget()),
        "status": SelectField(_l("Status"), choices=lambda: [(c, str(v)) for c, v in approvals.STATUS_LABELS.items()],
                              widget=Select2Widget()),
    }
    formatters_columns = {
        "kind": approvals.kind_label,
        "status": approvals.status_label,
        "created_at": _when,
        "decided_at": _when,
        "requester": approvals.display_name,
        "decider": lambda u: approvals.display_name(u) if u is not None else "",
    }

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        # One detail page for every request: the one that renders the proposed change.
        if not str(pk).isdigit():
            abort(404)
        return redirect(url_for("ApprovalView.show", pk=int(pk)))


# ---------------------------------------------------------------- home page panel

def pending_panel(user):
    from flask import current_app
    if not current_app.appbuilder.sm.has_access("can_inbox", "ApprovalView"):
        return None
    items = approvals.pending_for(user)
    rows = [("#%d · %s · %s" % (r.id, approvals.kind_label(r.kind), r.summary), url_for("ApprovalView.show", pk=r.id))
            for r in items[:8]]
    if len(items) > 8:
        rows.append((_("All %(n)d requests…", n=len(items)), url_for("ApprovalView.inbox")))
    return {"title": _("Waiting for my decision"), "count": len(items), "items": rows,
            "empty": _("Nothing is waiting for you.")}
