import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models.base import Audited, utcnow

STATUSES = ("pending", "approved", "rejected", "withdrawn")

_PENDING = sa.text("status = 'pending'")


class ApprovalRequest(Audited, Model):
    """A proposed change that a supervisor approves or rejects (审批)."""

    __tablename__ = "approval_request"
    __table_args__ = (
        # At most one pending request of a kind for the same record, also under concurrent use.
        sa.Index("ux_approval_request_pending_target", "kind", "target_table", "target_id", unique=True,
                 sqlite_where=_PENDING, postgresql_where=_PENDING),
        # "My requests", newest first.
        sa.Index("ix_approval_request_requester", "requester_id", "id"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(50), nullable=False, index=True)
    target_table = sa.Column(sa.String(64))
    target_id = sa.Column(sa.String(64))
    summary = sa.Column(sa.String(500), nullable=False)
    payload = sa.Column(sa.JSON, nullable=False, default=dict)
    status = sa.Column(sa.String(20), nullable=False, default="pending", index=True)
    requester_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"), nullable=False)
    requester = relationship("User", foreign_keys=[requester_id])
    reason = sa.Column(sa.String(1000))
    decider_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    decider = relationship("User", foreign_keys=[decider_id])
    comment = sa.Column(sa.String(1000))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    decided_at = sa.Column(sa.DateTime)
    reminded_at = sa.Column(sa.DateTime)

    def __str__(self):
        return "#%s %s" % (self.id, self.summary)
