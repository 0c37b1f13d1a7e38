import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.core.models.base import utcnow

VISIT_KINDS = ("visit", "call")


class Visit(Audited, Model):
    """A visit to the sales office or a call (来访/来电登记), with what the customer wants."""

    __tablename__ = "customer_visit"
    __table_args__ = (sa.Index("ix_customer_visit_customer_project", "customer_id", "project_id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    kind = sa.Column(sa.String(10), nullable=False, default="visit")
    channel_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    channel = relationship("LookupValue", lazy="joined")
    visited_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    # The first visit (or call) of this customer to this project; later ones are repeat visits.
    is_first = sa.Column(sa.Boolean, nullable=False, default=True)
    received_by_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    received_by = relationship("Employee", lazy="joined")
    layout_wanted = sa.Column(sa.String(50))
    area_min = sa.Column(sa.Numeric(10, 2))
    area_max = sa.Column(sa.Numeric(10, 2))
    budget_min = sa.Column(sa.Numeric(14, 2))
    budget_max = sa.Column(sa.Numeric(14, 2))
    floors_wanted = sa.Column(sa.String(50))
    notes = sa.Column(sa.String(500))
    registered_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))

    def __str__(self):
        return "%s · %s" % (self.customer, self.project)
