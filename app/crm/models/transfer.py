import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models.base import utcnow


class CustomerTransfer(Model):
    """One customer moved from one salesperson to another (客户转交), with the reason; the rows of
    one transfer share a batch. Written once, never changed: it is the customer's history."""

    __tablename__ = "customer_transfer"
    id = sa.Column(sa.Integer, primary_key=True)
    batch = sa.Column(sa.String(32), nullable=False, index=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    from_employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    from_employee = relationship("Employee", foreign_keys=[from_employee_id], lazy="joined")
    to_employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), nullable=False, index=True)
    to_employee = relationship("Employee", foreign_keys=[to_employee_id], lazy="joined", innerjoin=True)
    reason = sa.Column(sa.String(500), nullable=False)
    by_user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    by_user = relationship("User", lazy="joined")
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    opportunities_moved = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return "%s · %s" % (self.customer, self.at.date().isoformat() if self.at else "")
