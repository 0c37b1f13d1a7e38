"""Sincerity tickets (认筹单) and opening-day sessions (开盘选房).

Before opening day a customer pays a refundable sincerity deposit (诚意金, not a 定金) and gets a
queue number (排号) of the project, gapless per project. On opening day a supervisor runs an
OpeningSession: numbers are called in order, the called customer picks a room and the
subscription is made with the sincerity deposit converted into the deposit.

A ticket's status: valid → called → chose (converted, linked to the deal) or skipped (absent;
may be called again); valid/skipped → refund_requested → refunded (by finance); valid/skipped →
void (with a reason). A customer holds at most one live ticket (valid, called or skipped) per
project: the partial unique index uq_sincerity_live_customer enforces it."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited

TICKET_STATUSES = ("valid", "called", "chose", "skipped", "refund_requested", "refunded", "void")
# In the queue: the customer may still be called and choose.
LIVE_STATUSES = ("valid", "called", "skipped")
PAYMENT_METHODS = ("cash", "pos", "transfer", "wechat", "alipay")


class SincerityTicket(Audited, Model):
    __tablename__ = "sincerity_ticket"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "number", name="uq_sincerity_number"),
        sa.Index("uq_sincerity_live_customer", "project_id", "customer_id", unique=True,
                 postgresql_where=sa.text("status IN ('valid', 'called', 'skipped')"),
                 sqlite_where=sa.text("status IN ('valid', 'called', 'skipped')")),
        sa.Index("ix_sincerity_project_status", "project_id", "status", "number"),
        sa.Index("ix_sincerity_employee", "employee_id", "status"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", lazy="joined", innerjoin=True)
    # The queue number (排号), 1, 2, 3 … per project.
    number = sa.Column(sa.Integer, nullable=False)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="select")
    # The salesperson (置业顾问) the ticket belongs to.
    employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), nullable=False)
    employee = relationship("Employee", lazy="select")
    amount = sa.Column(sa.Numeric(14, 2), nullable=False)
    paid_on = sa.Column(sa.Date, nullable=False)
    method = sa.Column(sa.String(12), nullable=False)
    # The POS slip, transfer or transaction reference.
    reference = sa.Column(sa.String(60))
    # What the customer wants: layout and building ids of the project, floors as typed (e.g. 10-18).
    want_layout_ids = sa.Column(sa.JSON)
    want_building_ids = sa.Column(sa.JSON)
    want_floors = sa.Column(sa.String(40))
    note = sa.Column(sa.String(500))
    status = sa.Column(sa.String(20), nullable=False, default="valid")
    called_at = sa.Column(sa.DateTime)
    skipped_at = sa.Column(sa.DateTime)
    # 选房: the deal it became and the amount converted into the deposit.
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), index=True)
    deal = relationship("Deal", lazy="select")
    converted_amount = sa.Column(sa.Numeric(14, 2))
    chose_at = sa.Column(sa.DateTime)
    # Refund (退筹) handed to finance, and void (作废).
    refund_requested_at = sa.Column(sa.DateTime)
    refund_requested_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    refund_reason = sa.Column(sa.String(500))
    refunded_at = sa.Column(sa.DateTime)
    refunded_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    voided_at = sa.Column(sa.DateTime)
    voided_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    void_reason = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))

    @property
    def live(self):
        return self.status in LIVE_STATUSES

    def __str__(self):
        return "%s #%s" % (self.project.code if self.project is not None else "", self.number)


class OpeningSession(Audited, Model):
    """One opening-day selection (开盘选房) of a project; at most one open at a time."""
    __tablename__ = "opening_session"
    __table_args__ = (
        sa.Index("uq_opening_session_open", "project_id", unique=True,
                 postgresql_where=sa.text("ended_at IS NULL"), sqlite_where=sa.text("ended_at IS NULL")),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    started_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    started_by = relationship("User", lazy="select", foreign_keys=[started_by_id])
    current_ticket_id = sa.Column(sa.Integer, sa.ForeignKey("sincerity_ticket.id"))
    current_ticket = relationship("SincerityTicket", lazy="select")
    started_at = sa.Column(sa.DateTime, nullable=False)
    ended_at = sa.Column(sa.DateTime)
    ended_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))

    @property
    def open(self):
        return self.ended_at is None
