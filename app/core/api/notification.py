"""Notifications over REST: the user's own list, unread count, mark read. Permissions are
the notification centre's (NotificationView: can_list, can_read); another user's
notification answers 404."""
from flask import request
from flask_appbuilder.api import BaseApi, expose, safe
from flask_appbuilder.security.decorators import protect
from flask_babel import gettext as _

from app.core.api import paging
from app.core.errors import BusinessError
from app.core.services import notifications
from app.core.views.notification import PERMISSIONS


def serialize(note):
    return {
        "id": note.id, "title": note.title, "body": note.body, "link": note.link,
        "created_at": note.created_at.isoformat() if note.created_at else None,
        "read_at": note.read_at.isoformat() if note.read_at else None,
    }


def _is_id(value):
    return isinstance(value, int) and not isinstance(value, bool) and value > 0


class NotificationApi(BaseApi):
    resource_name = "notifications"
    class_permission_name = "NotificationView"
    method_permission_name = {"get_list": "list", "unread_count": "list", "read": "read", "read_many": "read"}
    base_permissions = PERMISSIONS
    allow_browser_login = True
    openapi_spec_tag = "Notifications"

    def _user(self):
        return self.appbuilder.sm.current_user

    @expose("/", methods=["GET"])
    @protect()
    @safe
    def get_list(self):
        """The user's notifications, newest first (?unread=1&page=0&page_size=20)."""
        unread = request.args.get("unread", "0").lower()
        if unread not in ("0", "1", "true", "false"):
            return self.response_400(message=_("unread must be 0 or 1."))
        try:
            page, page_size = paging()
        except BusinessError as e:
            return self.response_400(message=str(e))
        total, items = notifications.list_for(self._user(), unread_only=unread in ("1", "true"),
                                              page=page, page_size=page_size)
        return self.response(200, count=total, unread=notifications.unread_count(self._user()),
                             result=[serialize(n) for n in items])

    @expose("/unread_count", methods=["GET"])
    @protect()
    @safe
    def unread_count(self):
        return self.response(200, count=notifications.unread_count(self._user()))

    @expose("/<int:pk>/read", methods=["POST"])
    @protect()
    @safe
    def read(self, pk):
        """Mark one notification read."""
        if notifications.get_for(self._user(), pk) is None:
            return self.response_404()
        notifications.mark_read(self._user(), [pk])
        return self.response(200, id=pk, result=serialize(notifications.get_for(self._user(), pk)))

    @expose("/read", methods=["POST"])
    @protect()
    @safe
    def read_many(self):
        """Mark read: {"ids": [1, 2]} or {"all": true}. Others' ids are ignored."""
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return self.response_400(message=_("Send a JSON object: {\"ids\": [...]} or {\"all\": true}."))
        if body.get("all") is True:
            count = notifications.mark_read(self._user(), notifications.ALL)
        else:
            ids = body.get("ids")
            if not isinstance(ids, list) or not ids or not all(_is_id(i) for i in ids) or len(ids) > 1000:
                return self.response_400(message=_("Send a JSON object: {\"ids\": [...]} or {\"all\": true}."))
            count = notifications.mark_read(self._user(), ids)
        return self.response(200, count=count, unread=notifications.unread_count(self._user()))
