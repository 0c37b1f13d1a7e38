"""Approvals over REST: the inbox, my requests, one request, approve / reject / withdraw.
Permissions are the pages' own (ApprovalView: can_inbox, can_decide, can_mine, can_show).
Refusals answer 422 with the message; a request the user may not see answers 404."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.api import paging
from app.core.errors import BusinessError
from app.core.services import approvals
from app.core.views.approval import ALL_REQUESTS_VIEW, PERMISSIONS


def _iso(value):
    return value.isoformat() if value else None


def serialize(req, details=False):
    data = {
        "id": req.id, "kind": req.kind, "kind_label": approvals.kind_label(req.kind),
        "target_table": req.target_table, "target_id": req.target_id, "summary": req.summary,
        "status": req.status, "status_label": approvals.status_label(req.status),
        "requester_id": req.requester_id, "requester": req.requester.username if req.requester else None,
        "reason": req.reason, "decider_id": req.decider_id,
        "decider": req.decider.username if req.decider else None, "comment": req.comment,
        "created_at": _iso(req.created_at), "decided_at": _iso(req.decided_at),
    }
    if details:
        data["payload"] = req.payload
        data["details"] = [{"label": label, "value": value} for label, value in approvals.describe(req)]
        data["links"] = [{"label": label, "url": url} for label, url in approvals.links(req)]
    return data


class ApprovalApi(BaseApi):
    resource_name = "approvals"
    class_permission_name = "ApprovalView"
    method_permission_name = {
        "inbox": "inbox", "approve": "decide", "reject": "decide",
        "mine": "mine", "withdraw": "mine", "get": "show",
    }
    base_permissions = PERMISSIONS
    allow_browser_login = True
    openapi_spec_tag = "Approvals"

    def _user(self):
        return self.appbuilder.sm.current_user

    def _body(self):
        """The JSON object sent, {} when nothing was sent; None when it is not an object."""
        if not request.get_data():
            return {}
        data = request.get_json(silent=True)
        return data if isinstance(data, dict) else None

    def _visible(self, pk):
        see_all = self.appbuilder.sm.has_access("can_list", ALL_REQUESTS_VIEW)
        return approvals.get_visible(pk, self._user(), see_all=see_all)

    @expose("/inbox", methods=["GET"])
    @protect()
    @safe
    def inbox(self):
        """Pending requests the user may decide, oldest first."""
        items = approvals.pending_for(self._user())
        return self.response(200, count=len(items), result=[serialize(r) for r in items])

    @expose("/mine", methods=["GET"])
    @protect()
    @safe
    def mine(self):
        """The user's own requests, newest first (?status=pending&page=0&page_size=20)."""
        status = request.args.get("status") or None
        if status is not None and status not in approvals.STATUS_LABELS:
            return self.response_400(message=_("Unknown status."))
        try:
            page, page_size = paging()
        except BusinessError as e:
            return self.response_400(message=str(e))
        total, items = approvals.requests_of(self._user(), status=status, page=page, page_size=page_size)
        return self.response(200, count=total, result=[serialize(r) for r in items])

    @expose("/<int:pk>", methods=["GET"])
    @protect()
    @safe
    def get(self, pk):
        """One request with its proposed change."""
        req = self._visible(pk)
        if req is None:
            return self.response_404()
        return self.response(200, id=req.id, result=serialize(req, details=True))

    def _decide(self, pk, action, needs_comment_key=True):
        if self._visible(pk) is None:
            return self.response_404()
        body = self._body()
        if body is None:
            return self.response_400(message=_("Send a JSON object, e.g. {\"comment\": \"...\"}."))
        comment = body.get("comment")
        if comment is not None and not isinstance(comment, str):
            return self.response_400(message=_("comment must be text."))
        try:
            req = action(comment)
        except BusinessError as e:
            return self.response_422(message=str(e))
        return self.response(200, id=req.id, result=serialize(req))

    @expose("/<int:pk>/approve", methods=["POST"])
    @protect()
    @safe
    def approve(self, pk):
        """Approve (optional {"comment": "..."}): the module applies the change."""
        return self._decide(pk, lambda comment: approvals.approve(pk, self._user(), comment))

    @expose("/<int:pk>/reject", methods=["POST"])
    @protect()
    @safe
    def reject(self, pk):
        """Reject with {"comment": "..."} (required)."""
        return self._decide(pk, lambda comment: approvals.reject(pk, self._user(), comment))

    @expose("/<int:pk>/withdraw", methods=["POST"])
    @protect()
    @safe
    def withdraw(self, pk):
        """The requester withdraws a pending request."""
        return self._decide(pk, lambda comment: approvals.withdraw(pk, self._user()))
