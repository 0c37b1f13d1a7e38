import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.core.models.base import utcnow

REQUEST_KINDS = ("complaint", "service")
# Lookup list of each kind's types (admin-editable).
TYPE_LISTS = {"complaint": "complaint_type", "service": "service_type"}
URGENCIES = ("low", "normal", "high", "urgent")
# open → assigned → in_progress → resolved → closed; resolved and closed may be reopened.
REQUEST_STATUSES = ("open", "assigned", "in_progress", "resolved", "closed")
ACTIVE_STATUSES = ("open", "assigned", "in_progress")
# What a progress note records: a note typed by someone, or one of the request's steps.
NOTE_ACTIONS = ("record", "note", "assign", "start", "resolve", "close", "reopen")


class ServiceRequest(Audited, Model):
    """A complaint or service request of a customer (投诉/客户服务), tracked from the moment
    it is received until it is closed with the customer's satisfaction."""

    __tablename__ = "service_request"
    __table_args__ = (sa.Index("ix_service_request_status_assigned", "status", "assigned_to_id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), index=True)
    project = relationship("Project", lazy="joined")
    kind = sa.Column(sa.String(20), nullable=False, default="complaint")
    type_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"), nullable=False)
    type = relationship("LookupValue", lazy="joined", innerjoin=True)
    content = sa.Column(sa.Text, nullable=False)
    urgency = sa.Column(sa.String(10), nullable=False, default="normal")
    status = sa.Column(sa.String(20), nullable=False, default="open", index=True)
    received_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    received_by_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    received_by = relationship("Employee", foreign_keys=[received_by_id], lazy="joined")
    assigned_to_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    assigned_to = relationship("Employee", foreign_keys=[assigned_to_id], lazy="joined")
    assigned_at = sa.Column(sa.DateTime)
    due_date = sa.Column(sa.Date)
    resolution = sa.Column(sa.Text)
    resolved_at = sa.Column(sa.DateTime)
    # The customer's satisfaction (1 very dissatisfied … 5 very satisfied), asked when closing.
    satisfaction = sa.Column(sa.Integer)
    closed_at = sa.Column(sa.DateTime)
    notes = relationship("ServiceRequestNote", back_populates="request", order_by="ServiceRequestNote.id",
                         lazy="select")

    def __str__(self):
        return "#%s · %s" % (self.id or "", self.customer)


class ServiceRequestNote(Audited, Model):
    """One line of a request's progress: who did or wrote what, and when."""

    __tablename__ = "service_request_note"
    id = sa.Column(sa.Integer, primary_key=True)
    request_id = sa.Column(sa.Integer, sa.ForeignKey("service_request.id"), nullable=False, index=True)
    request = relationship("ServiceRequest", back_populates="notes")
    at = sa.Column(sa.DateTime, nullable=False, default=utcnow)
    employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"))
    employee = relationship("Employee", lazy="joined")
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    action = sa.Column(sa.String(20), nullable=False, default="note")
    # What was written (the note, the resolution, the reason to reopen, the closing comment).
    text = sa.Column(sa.Text, nullable=False, default="")
    # What the step set: the assignee's name, the satisfaction given at closing.
    detail = sa.Column(sa.String(200))

    def __str__(self):
        return (self.text or self.action)[:40]
