"""The notification centre: the user's own notifications, opening one (marks it read and
follows its link), marking all read; and the navbar bell's unread count."""
from flask import abort, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core import display
from app.core.services import notifications

# The pages' permissions on "NotificationView"; the REST API uses the same names.
PERMISSIONS = ["can_list", "can_read"]
PAGE_SIZE = 20


def _current_user():
    user = getattr(g, "user", None)
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def navbar_unread_count():
    """The bell's number: one indexed query per page, remembered for the rest of the request."""
    if "_loupan_unread" not in g:
        user = _current_user()
        g._loupan_unread = notifications.unread_count(user) if user is not None else 0
    return g._loupan_unread


_when = display.local_time


def _local_target(link):
    link = notifications.safe_link(link)
    return (request.script_root + link) if link else None


class NotificationView(BaseView):
    """通知中心."""

    route_base = "/notifications"
    default_view = "list"
    method_permission_name = {"list": "list", "open": "read", "read": "read", "read_all": "read"}
    base_permissions = PERMISSIONS

    @expose("/list/")
    @has_access
    def list(self):
        unread_only = request.args.get("unread") == "1"
        value = request.args.get("page", "")
        page = int(value) if value.isdigit() else 0
        total, items = notifications.list_for(g.user, unread_only=unread_only, page=page, page_size=PAGE_SIZE)
        return self.render_template(
            "core/notification_list.html", items=items, total=total, page=page, page_size=PAGE_SIZE,
            unread_only=unread_only, when=_when, title=_("Notifications"),
        )

    @expose("/open/<int:pk>")
    @has_access
    def open(self, pk):
        note = notifications.open_for(g.user, pk)
        if note is None:
            abort(404)
        return redirect(_local_target(note.link) or url_for(".list"))

    @expose("/read/<int:pk>", methods=["POST"])
    @has_access
    def read(self, pk):
        if notifications.get_for(g.user, pk) is None:
            abort(404)
        notifications.mark_read(g.user, [pk])
        return redirect(url_for(".list", **({"unread": "1"} if request.form.get("unread") == "1" else {})))

    @expose("/read-all/", methods=["POST"])
    @has_access
    def read_all(self):
        count = notifications.mark_read(g.user, notifications.ALL)
        flash(_("%(n)d notifications marked as read.", n=count), "success")
        return redirect(url_for(".list"))


def unread_panel(user):
    from flask import current_app
    if not current_app.appbuilder.sm.has_access("can_list", "NotificationView"):
        return None
    total, items = notifications.list_for(user, unread_only=True, page=0, page_size=8)
    return {
        "title": _("Unread notifications"),
        "count": total,
        "items": [(n.title, url_for("NotificationView.open", pk=n.id)) for n in items]
                 + ([(_("All %(n)d unread…", n=total), url_for("NotificationView.list", unread="1"))]
                    if total > len(items) else []),
        "empty": _("No unread notifications."),
    }
