import sqlalchemy as sa
from flask_appbuilder import Model

from app.core.models.base import utcnow


class AuditLog(Model):
    """Append-only record of every change to a business table (数据修改日志)."""

    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_target", "table_name", "row_id"),)
    id = sa.Column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    user_id = sa.Column(sa.Integer, index=True)
    username = sa.Column(sa.String(100))
    client_address = sa.Column(sa.String(64))
    action = sa.Column(sa.String(10), nullable=False)
    table_name = sa.Column(sa.String(64), nullable=False)
    row_id = sa.Column(sa.String(64), nullable=False)
    changes = sa.Column(sa.JSON, nullable=False)

    def changes_readable(self):
        """The changes with the screens' field labels (list and detail pages)."""
        from app.core.views.audit import changes_html
        return changes_html(self.changes, self.table_name)
