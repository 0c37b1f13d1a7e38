import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.core.models.base import utcnow

# What happened to an opportunity in the public pool (公客池).
POOL_EVENT_KINDS = ("returned", "released", "claimed")


class CrmPoolSetting(Audited, Model):
    """The public pool's rules for one project (公客池设置); a project without a row follows the
    defaults of app.crm.services.pool."""

    __tablename__ = "crm_pool_setting"
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, unique=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    enabled = sa.Column(sa.Boolean, nullable=False, default=True)
    # An opportunity not followed up for this many days returns to the pool.
    return_days = sa.Column(sa.Integer, nullable=False, default=15)
    # How many opportunities of this project one salesperson may claim a day.
    daily_claim_limit = sa.Column(sa.Integer, nullable=False, default=5)
    # The salesperson an opportunity came from may claim it back only after this many days.
    reclaim_wait_days = sa.Column(sa.Integer, nullable=False, default=7)

    def __str__(self):
        return str(self.project) if self.project is not None else ""


class PoolEvent(Model):
    """One move into or out of the pool: returned by the daily job, released by hand, claimed.
    `employee` is whose it was (returned, released) or who took it (claimed)."""

    __tablename__ = "crm_pool_event"
    __table_args__ = (sa.Index("ix_crm_pool_event_employee_kind_at", "employee_id", "kind", "at"),)
    id = sa.Column(sa.Integer, primary_key=True)
    kind = sa.Column(sa.String(10), nullable=False)
    opportunity_id = sa.Column(sa.Integer, sa.ForeignKey("opportunity.id"), nullable=False, index=True)
    opportunity = relationship("Opportunity", lazy="joined", innerjoin=True)
    # The opportunity's customer and project, copied so that the customer's history and the daily
    # limit read no join. No foreign keys: the opportunity's own keep them right (and the daily
    # job writes thousands of these in one statement without a check per row each).
    customer_id = sa.Column(sa.Integer, nullable=False, index=True)
    project_id = sa.Column(sa.Integer, nullable=False)
    project = relationship("Project", primaryjoin="foreign(PoolEvent.project_id) == Project.id", lazy="joined",
                           innerjoin=True, viewonly=True)
    employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"))
    employee = relationship("Employee", lazy="joined")
    # The user who acted (none for the daily job).
    by_user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    note = sa.Column(sa.String(200))

    def __str__(self):
        return "%s · %s" % (self.kind, self.at.date().isoformat() if self.at else "")
