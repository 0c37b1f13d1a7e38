"""Sales (销售): payment plans and the dated policy tables of the price trial."""
from app.sales.models.plan import (
    DEPOSIT_METHODS, DUE_BASES, FEE_METHODS, INSTALMENT_METHODS, LOAN_KINDS, LOAN_UNITS, PLAN_KINDS, REPAYMENT_METHODS,
    PaymentPlan, PaymentPlanFee, PaymentPlanInstalment)
from app.sales.models.discount import DISCOUNT_CATEGORIES, DISCOUNT_METHODS, DiscountAuthority, DiscountPolicy
from app.sales.models.policy import (
    HOMES, LOAN_RATE_KINDS, POLICY_HOMES, TERMS, DeedTaxRule, LoanRate, MaintenanceFundRule, MortgagePolicy)
from app.sales.models.deal import (
    EVENT_ACTIONS, OPPORTUNITY_STAGE, PAYMENT_KINDS, STAGES, STATES, Deal, DealBuyer, DealEvent, DealPayment,
    SalesPermission)
from app.sales.models.queue import LIVE_STATUSES, PAYMENT_METHODS, TICKET_STATUSES, OpeningSession, SincerityTicket
from app.sales.models.changes import REFUND_STATUSES, DealRefund

__all__ = ["DEPOSIT_METHODS", "DUE_BASES", "FEE_METHODS", "INSTALMENT_METHODS", "LOAN_KINDS", "LOAN_UNITS", "PLAN_KINDS",
           "REPAYMENT_METHODS", "PaymentPlan", "PaymentPlanFee", "PaymentPlanInstalment", "HOMES", "LOAN_RATE_KINDS",
           "POLICY_HOMES", "TERMS", "DeedTaxRule", "LoanRate", "MaintenanceFundRule", "MortgagePolicy",
           "DISCOUNT_CATEGORIES", "DISCOUNT_METHODS", "DiscountAuthority", "DiscountPolicy",
           "EVENT_ACTIONS", "OPPORTUNITY_STAGE", "PAYMENT_KINDS", "STAGES", "STATES", "Deal", "DealBuyer", "DealEvent",
           "DealPayment", "SalesPermission", "LIVE_STATUSES", "PAYMENT_METHODS", "TICKET_STATUSES", "OpeningSession",
           "SincerityTicket", "REFUND_STATUSES", "DealRefund"]
