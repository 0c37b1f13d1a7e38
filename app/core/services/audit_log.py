"""Reading the audit log (writing is app/core/audit.py's alone)."""
from flask_babel import lazy_gettext as _l

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
