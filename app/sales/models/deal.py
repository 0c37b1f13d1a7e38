"""Deals (交易): the sale of one room to one or more buyers, from hold (预留) through booking (小定)
and subscription (认购) to contract (签约); ended by release (a hold or booking let go or expired)
or cancellation (退房). A room has at most one active deal: the partial unique index
uq_deal_active_room enforces it in the database, and the deal services change the room's status
with a compare-and-set UPDATE in the same transaction (app/sales/services/deals.py)."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited, CustomFieldsMixin

# The stage a deal has reached; the room's status is the same word while the deal is active.
STAGES = ("held", "booked", "subscribed", "signed")
# active, or how it ended: released (hold/booking let go or expired) or cancelled (退房).
STATES = ("active", "released", "cancelled")
# The buyer's opportunity stage (CRM) for each deal stage.
OPPORTUNITY_STAGE = {"held": "reserved", "booked": "reserved", "subscribed": "subscribed", "signed": "signed"}
# What a deal's timeline records.
EVENT_ACTIONS = ("hold", "release", "expire", "book", "booking_expired", "subscribe", "sign", "file", "rename",
                 "room_change", "cancel", "request", "rejected", "sign_overdue", "filing_overdue", "print", "note")
PAYMENT_KINDS = ("deposit", "down_payment", "full", "instalment", "loan", "fee")


class Deal(Audited, CustomFieldsMixin, Model):
    __tablename__ = "deal"
    __custom_entity__ = "deal"
    __table_args__ = (
        sa.Index("uq_deal_active_room", "room_id", unique=True,
                 postgresql_where=sa.text("state = 'active'"), sqlite_where=sa.text("state = 'active'")),
        sa.UniqueConstraint("project_id", "contract_no", name="uq_deal_contract_no"),
        sa.UniqueConstraint("project_id", "subscription_no", name="uq_deal_subscription_no"),
        sa.Index("ix_deal_project_stage", "project_id", "state", "stage"),
        sa.Index("ix_deal_employee", "employee_id", "state"),
        sa.Index("ix_deal_customer", "customer_id"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", lazy="joined", innerjoin=True)
    room_id = sa.Column(sa.Integer, sa.ForeignKey("room.id"), nullable=False, index=True)
    room = relationship("Room", lazy="select")
    # The first buyer (the CRM customer the deal was made for); all buyers with shares in DealBuyer.
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False)
    customer = relationship("Customer", lazy="select")
    # The salesperson (置业顾问) the deal belongs to.
    employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), nullable=False)
    employee = relationship("Employee", lazy="select")
    stage = sa.Column(sa.String(12), nullable=False, default="held")
    state = sa.Column(sa.String(12), nullable=False, default="active")
    # 预留
    held_at = sa.Column(sa.DateTime)
    hold_until = sa.Column(sa.DateTime, index=True)
    # 小定
    booked_on = sa.Column(sa.Date)
    booking_amount = sa.Column(sa.Numeric(14, 2))
    booking_until = sa.Column(sa.Date)
    booking_flagged_on = sa.Column(sa.Date)
    # 认购: the price as agreed, with the plan and the discounts that made it.
    subscription_no = sa.Column(sa.String(40))
    subscribed_on = sa.Column(sa.Date)
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("payment_plan.id"), index=True)
    plan = relationship("PaymentPlan", lazy="select")
    policy_ids = sa.Column(sa.JSON)
    discount_request_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"))
    first_home = sa.Column(sa.Boolean, nullable=False, default=True)
    list_total = sa.Column(sa.Numeric(14, 2))
    total = sa.Column(sa.Numeric(14, 2))
    unit_price = sa.Column(sa.Numeric(12, 2))
    deposit = sa.Column(sa.Numeric(14, 2))
    sign_by = sa.Column(sa.Date)
    sign_overdue_notified_on = sa.Column(sa.Date)
    # 签约 and 网签备案
    contract_no = sa.Column(sa.String(40))
    signed_on = sa.Column(sa.Date)
    filing_no = sa.Column(sa.String(60))
    filed_on = sa.Column(sa.Date)
    filing_due = sa.Column(sa.Date)
    filing_overdue_notified_on = sa.Column(sa.Date)
    # How it ended.
    ended_at = sa.Column(sa.DateTime)
    end_reason_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    end_reason = relationship("LookupValue", lazy="select")
    end_note = sa.Column(sa.String(500))
    note = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    updated_at = sa.Column(sa.DateTime)
    buyers = relationship("DealBuyer", lazy="select", order_by="DealBuyer.position", back_populates="deal",
                          cascade="all, delete-orphan")
    payments = relationship("DealPayment", lazy="select", order_by="DealPayment.position", back_populates="deal",
                            cascade="all, delete-orphan")

    @property
    def active(self):
        return self.state == "active"

    def __str__(self):
        number = self.contract_no or self.subscription_no or "#%s" % self.id
        return "%s %s" % (number, self.room.code if self.room is not None else "")


class DealBuyer(Audited, Model):
    """A buyer of a deal (购房人) with their share in percent; the shares sum to 100."""
    __tablename__ = "deal_buyer"
    __table_args__ = (sa.UniqueConstraint("deal_id", "customer_id", name="uq_deal_buyer"),)
    id = sa.Column(sa.Integer, primary_key=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False, index=True)
    deal = relationship("Deal", back_populates="buyers")
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    share = sa.Column(sa.Numeric(5, 2), nullable=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)


class DealPayment(Model):
    """What the buyer is to pay under the deal and when: the schedule written at subscription and
    rewritten at signing (finance makes its receivables from it)."""
    __tablename__ = "deal_payment"
    id = sa.Column(sa.Integer, primary_key=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False, index=True)
    deal = relationship("Deal", back_populates="payments")
    position = sa.Column(sa.Integer, nullable=False, default=0)
    kind = sa.Column(sa.String(20), nullable=False)
    label = sa.Column(sa.String(100), nullable=False)
    amount = sa.Column(sa.Numeric(14, 2), nullable=False)
    due_date = sa.Column(sa.Date)
    # 楼款 (the price) or 代收费用 (fees collected on behalf of others).
    collected_for_others = sa.Column(sa.Boolean, nullable=False, default=False)


class DealEvent(Model):
    """One line of a deal's timeline: who did what, when, on which room. Never changed."""
    __tablename__ = "deal_event"
    __table_args__ = (sa.Index("ix_deal_event_deal", "deal_id", "at"), sa.Index("ix_deal_event_room", "room_id", "at"))
    id = sa.Column(sa.Integer, primary_key=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False)
    room_id = sa.Column(sa.Integer, sa.ForeignKey("room.id"), nullable=False)
    action = sa.Column(sa.String(20), nullable=False)
    at = sa.Column(sa.DateTime, nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    user = relationship("User", lazy="select")
    note = sa.Column(sa.String(500))
    data = sa.Column(sa.JSON)


class SalesPermission(Audited, Model):
    """售楼权限: a salesperson may sell in a project — every building of it, or only the one named."""
    __tablename__ = "sales_permission"
    __table_args__ = (sa.UniqueConstraint("employee_id", "project_id", "building_id", name="uq_sales_permission"),
                      sa.Index("ix_sales_permission_project", "project_id"))
    id = sa.Column(sa.Integer, primary_key=True)
    employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), nullable=False, index=True)
    employee = relationship("Employee", lazy="joined", innerjoin=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", lazy="joined", innerjoin=True)
    building_id = sa.Column(sa.Integer, sa.ForeignKey("building.id"))
    building = relationship("Building", lazy="joined")
