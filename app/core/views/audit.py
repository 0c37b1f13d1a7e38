import json

from flask import abort
from flask_appbuilder import expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape

from app.core import display
from app.core.models import AuditLog
from app.core.services import audit_log
from app.core.views.base import LoupanReadOnlyView


def changes_html(changes, table=None):
    """Each changed field by its label on the screen, with its value before → after."""
    rows = "".join(
        "<tr><td>%s</td><td>%s</td><td>→</td><td>%s</td></tr>" % (
            escape(audit_log.field_label(table, field) if table else field),
            escape(_show(before)), escape(_show(after)))
        for field, (before, after) in (changes or {}).items()
    )
    return Markup('<table class="table table-condensed audit-changes">%s</table>' % rows)


def _show(value):
    if value is None:
        return "—"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return str(display.plain(value))


class AuditLogView(LoupanReadOnlyView):
    """数据修改日志: read-only; rows are only ever added by the audit listener."""

    datamodel = SQLAInterface(AuditLog)
    base_permissions = ["can_list", "can_show", "can_history"]
    list_title = _l("Audit log")
    show_title = _l("Audit record")
    list_columns = ["created_at", "username", "client_address", "action", "table_name", "row_id",
                    "changes_readable"]
    show_columns = list_columns
    search_columns = ["username", "table_name", "row_id", "action", "created_at"]
    base_order = ("id", "desc")
    label_columns = {
        "created_at": _l("Time (UTC)"), "username": _l("User"), "client_address": _l("Client address"),
        "action": _l("Action"), "table_name": _l("Table"), "row_id": _l("Row"), "changes": _l("Changes"),
        "changes_readable": _l("Changes"),
    }
    formatters_columns = {
        "changes": changes_html,
        "table_name": audit_log.entity_label,
        "action": lambda a: str(audit_log.ACTION_LABELS.get(a, a)),
        "created_at": lambda d: d.strftime("%Y-%m-%d %H:%M:%S") if d else "",
    }

    @expose("/history/<table>/<row_id>")
    @has_access
    def history(self, table, row_id):
        if not audit_log.is_audited_table(table):
            abort(404)
        entries = audit_log.history(table, row_id)
        return self.render_template(
            "core/history.html", entries=entries, table=table, row_id=row_id,
            entity=audit_log.entity_label(table),
            changes_html=changes_html, action_labels=audit_log.ACTION_LABELS,
        )
