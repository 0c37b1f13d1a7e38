import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.core.models.base import utcnow

# 潜在 → 意向 → 临定 → 认购 → 签约 → 成交 / 流失
STAGES = ("potential", "intent", "reserved", "subscribed", "signed", "won", "lost")


class Opportunity(Audited, Model):
    """A customer's interest in a project (商机), owned by one salesperson."""

    __tablename__ = "opportunity"
    __table_args__ = (sa.UniqueConstraint("customer_id", "project_id", name="uq_opportunity_customer_project"),
                      # The pool-return scan: open stages, oldest last contact first.
                      sa.Index("ix_opportunity_stage_last_contact", "stage", "last_contact_at"),
                      # Lists: a salesperson's newest first, and everyone's newest first.
                      sa.Index("ix_opportunity_owner_created", "owner_id", "created_at"),
                      sa.Index("ix_opportunity_created_at", "created_at"))
    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    owner_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"))
    owner = relationship("Employee", foreign_keys=[owner_id], lazy="joined")
    grade_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    grade = relationship("LookupValue", foreign_keys=[grade_id], lazy="joined")
    stage = sa.Column(sa.String(20), nullable=False, default="potential")
    chance = sa.Column(sa.Integer)
    lost_reason_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    lost_reason = relationship("LookupValue", foreign_keys=[lost_reason_id], lazy="joined")
    notes = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    # Public pool (公客池). The last follow-up or visit (UTC), set when the opportunity is made;
    # where it is empty the creation time counts. An opportunity not contacted for the project's
    # number of days returns to the pool.
    last_contact_at = sa.Column(sa.DateTime, default=utcnow)
    # In the pool since (UTC); set = in the pool, and then the opportunity has no owner.
    pooled_at = sa.Column(sa.DateTime, index=True)
    # Who had it before it went to the pool (shown on the pool list).
    pooled_from_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"))
    pooled_from = relationship("Employee", foreign_keys=[pooled_from_id], lazy="joined")

    def __str__(self):
        return "%s · %s" % (self.customer, self.project)
