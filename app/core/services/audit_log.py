"""Reading the audit log (writing is app/core/audit.py's alone)."""
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.core.models import AuditLog
from app.extensions import db

ACTION_LABELS = {"insert": _l("Created"), "update": _l("Changed"), "delete": _l("Deleted")}


def is_audited_table(table):
    from flask_appbuilder import Model
    for mapper in Model.registry.mappers:
        cls = mapper.class_
        if getattr(cls, "__tablename__", None) == table and getattr(cls, "__audited__", False):
            return True
    return False


def history(table, row_id, limit=500):
    return (
        db.session.query(AuditLog)
        .filter(AuditLog.table_name == table, AuditLog.row_id == str(row_id))
        .order_by(AuditLog.id.desc())
        .limit(limit)
        .all()
    )


def _screens():
    """table → (title, field labels) from the app's own screens, built once per app."""
    from flask import current_app
    from flask_appbuilder import ModelView
    cache = current_app.extensions.setdefault("loupan_audit_labels", {})
    if not cache:
        for view in current_app.appbuilder.baseviews:
            if not isinstance(view, ModelView) or not hasattr(view.datamodel, "obj"):
                continue
            table = getattr(view.datamodel.obj, "__tablename__", None)
            if not table or table in cache:
                continue
            labels = dict(getattr(view, "_base_label_columns", None) or view.label_columns or {})
            # Only the labels a screen declares (translated); not FAB's prettified column names.
            labels = {k: v for k, v in labels.items() if isinstance(v, LazyString)}
            cache[table] = (view.show_title or view.list_title, labels)
    return cache


def entity_label(table):
    screen = _screens().get(table)
    return str(screen[0]) if screen and screen[0] else table


def field_label(table, field):
    screen = _screens().get(table)
    labels = screen[1] if screen else {}
    if field.endswith("_id") and field[:-3] in labels:
        return str(labels[field[:-3]])  # parent_id reads as the screen's "Parent"
    if field in labels:
        return str(labels[field])
    return field
