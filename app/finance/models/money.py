"""Receivables (应收款), receipts (收款/收据) and how receipts are allocated to receivables, refunds
(退款) and adjustments (款项调整), and each project's finance settings.

A receivable's figures: `amount` (as scheduled, or the late fee accrued so far), `adjusted` (the sum
of approved adjustments, e.g. −the waived part of a late fee), `received` (the sum of the
allocations of valid receipts, kept in step by the receipt services in the same transaction).
Outstanding = amount + adjusted − received. 楼款 and 代收费用 are told apart by
`collected_for_others` everywhere. Nothing here is deleted: a receipt is voided or reissued, a
receivable that a new schedule no longer has is closed, refunds and adjustments keep their
approval."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited

# Kinds of receivable: the schedule's kinds, then the late fee on another receivable, the area
# settlement's extra payment, and any other charge.
RECEIVABLE_KINDS = ("deposit", "down_payment", "full", "instalment", "loan", "fee", "late_fee", "area", "other")
# open: to be paid (or paid); closed: no longer owed (the deal was cancelled or a new schedule
# dropped it) — what it received stays on record.
RECEIVABLE_STATUSES = ("open", "closed")
RECEIPT_METHODS = ("cash", "pos", "transfer", "wechat", "alipay", "cheque")
# valid; void (作废, with a reason; its number stays); reissued (换发: replaced by a new receipt).
RECEIPT_STATUSES = ("valid", "void", "reissued")
# Where a receipt came from: the cash desk, a converted sincerity deposit, a mortgage disbursement.
RECEIPT_SOURCES = ("desk", "sincerity", "mortgage")
REFUND_KINDS = ("cancellation", "area_settlement", "overpayment", "other")
# pending: waiting for approval; approved: to pay; paid; rejected.
REFUND_STATUSES = ("pending", "approved", "paid", "rejected")
ADJUSTMENT_STATUSES = ("pending", "approved", "rejected")
MONEY = sa.Numeric(14, 2)
# Open receivables with something left to pay: the arrears list reads them from a partial covering index.
UNPAID = "status = 'open' AND amount + adjusted - received > 0"


class Receivable(Audited, Model):
    __tablename__ = "receivable"
    __table_args__ = (
        sa.Index("ix_receivable_deal", "deal_id", "position"),
        sa.Index("ix_receivable_open_due", "status", "due_date", "project_id"),
        sa.Index("ix_receivable_source", "source_id"),
        sa.Index("ix_receivable_unpaid", "deal_id", postgresql_where=sa.text(UNPAID), sqlite_where=sa.text(UNPAID),
                 postgresql_include=["kind", "due_date", "collected_for_others", "amount", "adjusted", "received"]),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False)
    deal = relationship("Deal", lazy="select")
    kind = sa.Column(sa.String(20), nullable=False)
    label = sa.Column(sa.String(100), nullable=False)
    # 楼款 (False) or 代收费用 (True).
    collected_for_others = sa.Column(sa.Boolean, nullable=False, default=False)
    position = sa.Column(sa.Integer, nullable=False, default=0)
    # The schedule row (DealPayment.position) it was made from; None for late fees and others.
    schedule_key = sa.Column(sa.String(40))
    amount = sa.Column(MONEY, nullable=False)
    adjusted = sa.Column(MONEY, nullable=False, default=0)
    received = sa.Column(MONEY, nullable=False, default=0)
    due_date = sa.Column(sa.Date)
    status = sa.Column(sa.String(10), nullable=False, default="open")
    # A late fee: the receivable it is charged on, and the day it is computed through.
    source_id = sa.Column(sa.Integer, sa.ForeignKey("receivable.id"))
    source = relationship("Receivable", remote_side=[id], lazy="select")
    computed_through = sa.Column(sa.Date)
    note = sa.Column(sa.String(500))
    created_at = sa.Column(sa.DateTime, nullable=False)
    closed_at = sa.Column(sa.DateTime)

    @property
    def due(self):
        """What is owed now (amount + adjustments)."""
        return (self.amount or 0) + (self.adjusted or 0)

    @property
    def outstanding(self):
        return self.due - (self.received or 0)

    def __str__(self):
        return self.label


class Receipt(Audited, Model):
    __tablename__ = "receipt"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "seq", name="uq_receipt_seq"),
        sa.Index("ix_receipt_deal", "deal_id", "paid_on"),
        sa.Index("ix_receipt_project_day", "project_id", "paid_on"),
        sa.Index("ix_receipt_day", "paid_on", "status"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", lazy="joined", innerjoin=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False)
    deal = relationship("Deal", lazy="select")
    # Gapless per project: seq 1, 2, 3 …; number is what prints (e.g. HZ-JY-SK-000001).
    seq = sa.Column(sa.Integer, nullable=False)
    number = sa.Column(sa.String(40), nullable=False)
    amount = sa.Column(MONEY, nullable=False)
    # The part not allocated to any receivable (预收款), said so when received.
    unallocated = sa.Column(MONEY, nullable=False, default=0)
    method = sa.Column(sa.String(12), nullable=False)
    payer = sa.Column(sa.String(100), nullable=False)
    paid_on = sa.Column(sa.Date, nullable=False)
    reference = sa.Column(sa.String(60))
    note = sa.Column(sa.String(500))
    source = sa.Column(sa.String(12), nullable=False, default="desk")
    status = sa.Column(sa.String(10), nullable=False, default="valid")
    cashier_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    cashier = relationship("User", foreign_keys=[cashier_id], lazy="select")
    created_at = sa.Column(sa.DateTime, nullable=False)
    void_reason = sa.Column(sa.String(500))
    voided_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    voided_by = relationship("User", foreign_keys=[voided_by_id], lazy="select")
    voided_at = sa.Column(sa.DateTime)
    # 换发: the receipt this one replaces.
    reissue_of_id = sa.Column(sa.Integer, sa.ForeignKey("receipt.id"), index=True)
    reissue_of = relationship("Receipt", remote_side=[id], lazy="select")
    allocations = relationship("ReceiptAllocation", lazy="select", back_populates="receipt",
                               order_by="ReceiptAllocation.id")

    def __str__(self):
        return self.number


class ReceiptAllocation(Model):
    """The part of a receipt that pays a receivable. Counts while its receipt is valid."""
    __tablename__ = "receipt_allocation"
    __table_args__ = (sa.Index("ix_allocation_receivable", "receivable_id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    receipt_id = sa.Column(sa.Integer, sa.ForeignKey("receipt.id"), nullable=False, index=True)
    receipt = relationship("Receipt", back_populates="allocations")
    receivable_id = sa.Column(sa.Integer, sa.ForeignKey("receivable.id"), nullable=False)
    receivable = relationship("Receivable", lazy="select")
    amount = sa.Column(MONEY, nullable=False)


class Refund(Audited, Model):
    """Money paid back to the buyers: asked for, approved (审批), then paid by finance."""
    __tablename__ = "refund"
    __table_args__ = (
        sa.UniqueConstraint("project_id", "seq", name="uq_refund_seq"),
        sa.Index("ix_refund_status", "status", "created_at"),
        sa.Index("ix_refund_deal", "deal_id"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False)
    project = relationship("Project", lazy="joined", innerjoin=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False)
    deal = relationship("Deal", lazy="select")
    # Gapless per project once paid is not needed; a refund slip number per project when created.
    seq = sa.Column(sa.Integer, nullable=False)
    number = sa.Column(sa.String(40), nullable=False)
    kind = sa.Column(sa.String(20), nullable=False)
    amount = sa.Column(MONEY, nullable=False)
    payee = sa.Column(sa.String(100))
    reason = sa.Column(sa.String(500))
    status = sa.Column(sa.String(10), nullable=False, default="pending")
    request_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"))
    # A cancellation's refund (sales' DealRefund) or an area settlement's.
    deal_refund_id = sa.Column(sa.Integer, sa.ForeignKey("deal_refund.id"), unique=True)
    settlement_id = sa.Column(sa.Integer, sa.ForeignKey("area_settlement.id"))
    due_date = sa.Column(sa.Date)
    paid_on = sa.Column(sa.Date)
    method = sa.Column(sa.String(12))
    reference = sa.Column(sa.String(60))
    paid_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    paid_by = relationship("User", foreign_keys=[paid_by_id], lazy="select")
    paid_at = sa.Column(sa.DateTime)
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="select")
    created_at = sa.Column(sa.DateTime, nullable=False)

    def __str__(self):
        return self.number


class Adjustment(Audited, Model):
    """款项调整: a change of what a receivable asks (negative: waived), through approval."""
    __tablename__ = "receivable_adjustment"
    id = sa.Column(sa.Integer, primary_key=True)
    deal_id = sa.Column(sa.Integer, sa.ForeignKey("deal.id"), nullable=False, index=True)
    receivable_id = sa.Column(sa.Integer, sa.ForeignKey("receivable.id"), nullable=False, index=True)
    receivable = relationship("Receivable", lazy="select")
    amount = sa.Column(MONEY, nullable=False)
    reason = sa.Column(sa.String(500), nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default="pending")
    request_id = sa.Column(sa.Integer, sa.ForeignKey("approval_request.id"))
    created_by_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    created_by = relationship("User", foreign_keys=[created_by_id], lazy="select")
    created_at = sa.Column(sa.DateTime, nullable=False)
    decided_at = sa.Column(sa.DateTime)


class FinanceSetting(Audited, Model):
    """A project's finance rules; a project without a row uses the defaults of the columns."""
    __tablename__ = "finance_setting"
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, unique=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    # 滞纳金: per day of the overdue amount (0.000500 = 0.05% a day), after the grace days.
    late_fee_rate = sa.Column(sa.Numeric(8, 6), nullable=False, default=0.0005)
    grace_days = sa.Column(sa.Integer, nullable=False, default=0)
    # Refunds are due this many days after approval.
    refund_days = sa.Column(sa.Integer, nullable=False, default=30)
    # 面积补差 (contract terms; defaults: 《商品房销售管理办法》 article 20): the band in percent,
    # the share the buyer pays of a gain beyond it (0: the developer bears it), the factor of the
    # refund of a loss beyond it (2: twice over), which area the contract prices (gross/inner), and
    # the yearly interest rate of a cancellation's refund.
    area_band = sa.Column(sa.Numeric(5, 2), nullable=False, default=3)
    area_over_factor = sa.Column(sa.Numeric(5, 2), nullable=False, default=0)
    area_under_factor = sa.Column(sa.Numeric(5, 2), nullable=False, default=2)
    area_basis = sa.Column(sa.String(10), nullable=False, default="gross")
    cancel_interest_rate = sa.Column(sa.Numeric(6, 4), nullable=False, default=0.0435)
    # 按揭: days each mortgage stage may take before it is flagged overdue.
    mortgage_stage_days = sa.Column(sa.JSON)
