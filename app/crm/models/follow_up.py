import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.core.models.base import utcnow

CONTACT_TYPES = ("visit", "call", "message", "wechat", "home_visit")


class FollowUp(Audited, Model):
    """One contact with a customer (跟进) and when to contact them next. A later follow-up of
    the same customer closes the earlier ones' next dates (open = still to be done)."""

    __tablename__ = "follow_up"
    __table_args__ = (sa.Index("ix_follow_up_open_next", "open", "next_date"),
                      # Lists show the newest first.
                      sa.Index("ix_follow_up_followed_at", "followed_at"))
    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    opportunity_id = sa.Column(sa.Integer, sa.ForeignKey("opportunity.id"), index=True)
    # Not loaded with the follow-up: lists do not show it, and joining it drags in its own
    # customer, project, owner and grade (the list query would join some twenty tables).
    opportunity = relationship("Opportunity", lazy="select")
    contact_type = sa.Column(sa.String(20), nullable=False, default="call")
    content = sa.Column(sa.Text, nullable=False)
    followed_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    employee = relationship("Employee", lazy="joined")
    next_date = sa.Column(sa.Date)
    open = sa.Column(sa.Boolean, nullable=False, default=False)
    # The day the owner was last reminded of this overdue follow-up (the daily job's mark).
    reminded_on = sa.Column(sa.Date)

    def __str__(self):
        return "%s · %s" % (self.customer, self.followed_at.date().isoformat() if self.followed_at else "")
