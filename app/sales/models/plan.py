"""Payment plans (付款方式) of a project: how a buyer pays — in full, in instalments, or with a
commercial, provident-fund or combined loan — with the deposit (定金) due at subscription, when
the rest of the down payment is due, and the fees collected on behalf of others (代收费用)."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.models import Audited

PLAN_KINDS = ("full", "instalment", "commercial", "provident", "combined")
LOAN_KINDS = ("commercial", "provident", "combined")
DEPOSIT_METHODS = ("amount", "percent")
# Counted from the subscription (认购) or from the signing of the contract (签约), or a fixed date.
DUE_BASES = ("subscription", "signing", "date")
INSTALMENT_METHODS = ("percent", "amount", "rest")
FEE_METHODS = ("fixed", "percent", "per_area")
REPAYMENT_METHODS = ("equal_instalment", "equal_principal")
# Banks lend round sums: the loan is rounded down to this, the down payment takes the rest.
LOAN_UNITS = ("yuan", "thousand", "ten_thousand")


class PaymentPlan(Audited, Model):
    __tablename__ = "payment_plan"
    __table_args__ = (sa.UniqueConstraint("project_id", "name", name="uq_payment_plan_name"),)
    id = sa.Column(sa.Integer, primary_key=True)
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"), nullable=False, index=True)
    project = relationship("Project", lazy="joined", innerjoin=True)
    name = sa.Column(sa.String(50), nullable=False)
    kind = sa.Column(sa.String(20), nullable=False)
    valid_from = sa.Column(sa.Date, nullable=False)
    valid_to = sa.Column(sa.Date)
    active = sa.Column(sa.Boolean, nullable=False, default=True)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)
    description = sa.Column(sa.String(500))
    # 定金 at subscription: an amount, or a percentage of the price (at most 20%, 民法典 586).
    deposit_method = sa.Column(sa.String(10), nullable=False, default="amount")
    deposit_value = sa.Column(sa.Numeric(14, 2), nullable=False, default=0)
    # The contract is signed this many days after the subscription (the trial's default signing date).
    sign_within_days = sa.Column(sa.Integer, nullable=False, default=7)
    # The rest of the down payment (the whole price for a full payment) is due this many days
    # after the subscription or the signing.
    down_payment_due_days = sa.Column(sa.Integer, nullable=False, default=0)
    down_payment_due_from = sa.Column(sa.String(20), nullable=False, default="signing")
    # Loans
    down_payment_ratio = sa.Column(sa.Numeric(5, 2))  # percent of the price
    loan_ratio = sa.Column(sa.Numeric(5, 2))  # percent of the price; empty: 100 − down payment
    provident_cap = sa.Column(sa.Numeric(14, 2))  # the most the provident fund lends
    term_years = sa.Column(sa.Integer)
    commercial_rate = sa.Column(sa.Numeric(7, 4))  # empty: LPR + the city's spread on the date
    provident_rate = sa.Column(sa.Numeric(7, 4))  # empty: the provident-fund rate on the date
    repayment_method = sa.Column(sa.String(20), nullable=False, default="equal_instalment")
    loan_unit = sa.Column(sa.String(20), nullable=False, default="thousand")
    instalments = relationship("PaymentPlanInstalment", back_populates="plan", cascade="all, delete-orphan",
                               order_by="PaymentPlanInstalment.sequence", lazy="selectin")
    fees = relationship("PaymentPlanFee", back_populates="plan", cascade="all, delete-orphan",
                        order_by="PaymentPlanFee.sort_order, PaymentPlanFee.id", lazy="selectin")

    def __str__(self):
        return self.name


class PaymentPlanInstalment(Audited, Model):
    """One instalment of a 分期付款 plan: a percentage of the price, an amount, or the rest;
    due a number of days after the subscription or the signing, or on a date."""

    __tablename__ = "payment_plan_instalment"
    id = sa.Column(sa.Integer, primary_key=True)
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("payment_plan.id"), nullable=False, index=True)
    plan = relationship("PaymentPlan", back_populates="instalments")
    sequence = sa.Column(sa.Integer, nullable=False, default=1)
    name = sa.Column(sa.String(50), nullable=False)
    method = sa.Column(sa.String(10), nullable=False, default="percent")
    value = sa.Column(sa.Numeric(14, 2))  # percent or yuan; empty for the rest
    due_basis = sa.Column(sa.String(20), nullable=False, default="signing")
    due_days = sa.Column(sa.Integer, nullable=False, default=0)
    due_date = sa.Column(sa.Date)

    def __str__(self):
        return self.name


class PaymentPlanFee(Audited, Model):
    """A fee collected on behalf of others (代收费用) with this plan: a fixed amount, a percentage
    of the price, or gross area × a rate."""

    __tablename__ = "payment_plan_fee"
    id = sa.Column(sa.Integer, primary_key=True)
    plan_id = sa.Column(sa.Integer, sa.ForeignKey("payment_plan.id"), nullable=False, index=True)
    plan = relationship("PaymentPlan", back_populates="fees")
    name = sa.Column(sa.String(50), nullable=False)
    method = sa.Column(sa.String(10), nullable=False, default="fixed")
    value = sa.Column(sa.Numeric(14, 4), nullable=False)
    sort_order = sa.Column(sa.Integer, nullable=False, default=0)

    def __str__(self):
        return self.name
