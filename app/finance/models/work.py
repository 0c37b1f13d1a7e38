"""Dunning actions (催款记录), mortgage cases (按揭) and area settlement (面积补差)."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited
from app.finance.models.money import MONEY

DUNNING_METHODS = ("phone", "sms", "notice", "visit", "letter")
MORTGAGE_KINDS = ("commercial", "provident", "combined")
# 资料收集 → 提交银行 → 审批通过 → 抵押登记 → 放款
MORTGAGE_STAGES = ("collecting", "submitted", "approved", "registered", "disbursed")
SURVEY_STATUSES = ("draft", "pending", "approved", "rejected")


class DunningAction(Model):
    """One reminder to a buyer about overdue money. Never changed."""
    __tablename__ = "dunning_action"
    __table_args__ = (sa.Index("ix_dunning_deal", "deal_id", "at"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False)
    deal = relationship("Deal", lazy="select")
    at = sa.Column(sa.DateTime, nullable=False)
    method = sa.Column(sa.String(10), nullable=False)
    user_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    user = relationship("User", lazy="select")
    # The overdue amount at the time.
    overdue = sa.Column(MONEY, nullable=False)
    result = sa.Column(sa.String(500))
    promised_on = sa.Column(sa.Date)
    # The SMS sent, when sent by SMS.
    sms_message_id = sa.Column(sa.Integer)


class MortgageCase(Audited, Model):
    __tablename__ = "mortgage_case"
    __table_args__ = (sa.Index("ix_mortgage_stage", "stage", "project_id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", lazy="joined", innerjoin=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False, unique=True)
    deal = relationship("Deal", lazy="select")
    # The loan receivable the disbursement pays.
    receivable_id = sa.Column(sa.Integer, sa.ForeignKey("receivable.id"))
    receivable = relationship("Receivable", lazy="select")
    bank_id = sa.Column(sa.Integer, sa.ForeignKey("lookup_value.id"))
    bank = relationship("LookupValue", lazy="select")
    kind = sa.Column(sa.String(12), nullable=False, default="commercial")
    commercial_amount = sa.Column(MONEY, nullable=False, default=0)
    provident_amount = sa.Column(MONEY, nullable=False, default=0)
    years = sa.Column(sa.Integer)
    stage = sa.Column(sa.String(12), nullable=False, default="collecting")
    stage_since = sa.Column(sa.Date, nullable=False)
    collecting_on = sa.Column(sa.Date)
    submitted_on = sa.Column(sa.Date)
    approved_on = sa.Column(sa.Date)
    registered_on = sa.Column(sa.Date)
    disbursed_on = sa.Column(sa.Date)
    expected_disbursement_on = sa.Column(sa.Date)
    disbursed_amount = sa.Column(MONEY)
    receipt_id = sa.Column(sa.Integer, sa.ForeignKey("receipt.id"))
    receipt = relationship("Receipt", lazy="select")
    handler_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    handler = relationship("User", lazy="select")
    note = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False)
    updated_at = sa.Column(sa.DateTime)


class AreaSurvey(Audited, Model):
    """The surveyed (产权登记) areas of one building, imported from a file; approved as a whole."""
    __tablename__ = "area_survey"
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    building_id = sa.Column(sa.Integer, sa.ForeignKey("building.id"), nullable=False, index=True)
    building = relationship("Building", lazy="select")
    filename = sa.Column(sa.String(200))
    status = sa.Column(sa.String(10), nullable=False, default="draft")
    request_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"))
    # The rule used (band, factors, basis) as it was when computed.
    rule = sa.Column(sa.JSON)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    created_by = relationship("User", lazy="select")
    created_at = sa.Column(sa.DateTime, nullable=False)
    decided_at = sa.Column(sa.DateTime)
    lines = relationship("AreaSettlement", lazy="select", back_populates="survey", order_by="AreaSettlement.id")


class AreaSettlement(Audited, Model):
    """One room of a survey: contract and surveyed areas, the ratios and the amount settled
    (positive: the buyer pays; negative: the developer refunds)."""
    __tablename__ = "area_settlement"
    __table_args__ = (sa.UniqueConstraint("survey_id", "room_id", name="uq_area_settlement_room"),)
    id = sa.Column(sa.Integer, primary_key=True)
    survey_id = sa.Column(sa.Integer, sa.ForeignKey("area_survey.id"), nullable=False)
    survey = relationship("AreaSurvey", back_populates="lines")
    room_id = sa.Column(sa.Integer, sa.ForeignKey("room.id"), nullable=False, index=True)
    room = relationship("Room", lazy="select")
    # The signed deal of the room, if any (a room without one only records its surveyed area).
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), index=True)
    deal = relationship("Deal", lazy="select")
    contract_gross = sa.Column(sa.Numeric(10, 2))
    contract_inner = sa.Column(sa.Numeric(10, 2))
    surveyed_gross = sa.Column(sa.Numeric(10, 2), nullable=False)
    surveyed_inner = sa.Column(sa.Numeric(10, 2))
    ratio_gross = sa.Column(sa.Numeric(9, 6))
    ratio_inner = sa.Column(sa.Numeric(9, 6))
    unit_price = sa.Column(sa.Numeric(12, 2))
    # Split of the amount: within the band, beyond it (as charged or refunded after the factor).
    within_amount = sa.Column(MONEY)
    beyond_amount = sa.Column(MONEY)
    amount = sa.Column(MONEY)
    # |ratio| beyond the band: the buyer may cancel instead.
    may_cancel = sa.Column(sa.Boolean, nullable=False, default=False)
    receivable_id = sa.Column(sa.Integer, sa.ForeignKey("receivable.id"))
    refund_due_on = sa.Column(sa.Date)
