"""What a cancellation (退房) leaves for finance: the refund owed to the buyers, handed over when
the cancellation is approved. Finance picks the rows up (status "to_refund") and records the
refund; nothing here is deleted."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited

# to_refund: approved, waiting for finance; refunded: paid back; nothing_due: nothing to pay back.
REFUND_STATUSES = ("to_refund", "refunded", "nothing_due")


class DealRefund(Audited, Model):
    """One approved cancellation of a deal: what was paid, what is refunded, what is kept."""
    __tablename__ = "deal_refund"
    __table_args__ = (sa.UniqueConstraint("request_id", name="uq_deal_refund_request"),
                      sa.Index("ix_deal_refund_status", "status", "created_at"))
    id = sa.Column(sa.Integer, primary_key=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False, index=True)
    deal = relationship("Deal", lazy="select")
    # The approved cancellation request (审批) it came from.
    request_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"), nullable=False)
    paid = sa.Column(sa.Numeric(14, 2), nullable=False)
    refund = sa.Column(sa.Numeric(14, 2), nullable=False)
    # The penalty kept (e.g. the deposit forfeited): paid − refund.
    kept = sa.Column(sa.Numeric(14, 2), nullable=False)
    reason_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    reason = relationship("LookupValue", lazy="select")
    note = sa.Column(sa.String(500))
    status = sa.Column(sa.String(20), nullable=False, default="to_refund")
    requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    requested_by = relationship("User", foreign_keys=[requested_by_id], lazy="select")
    approved_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    approved_by = relationship("User", foreign_keys=[approved_by_id], lazy="select")
    created_at = sa.Column(sa.DateTime, nullable=False)
    refunded_at = sa.Column(sa.DateTime)
