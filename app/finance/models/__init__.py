"""Finance (房款管理): receivables, receipts, refunds, adjustments, dunning, mortgages, area settlement."""
from app.finance.models.money import (
    ADJUSTMENT_STATUSES, RECEIPT_METHODS, RECEIPT_SOURCES, RECEIPT_STATUSES, RECEIVABLE_KINDS, RECEIVABLE_STATUSES,
    REFUND_KINDS, REFUND_STATUSES, Adjustment, FinanceSetting, Receipt, ReceiptAllocation, Receivable, Refund)
from app.finance.models.work import (
    DUNNING_METHODS, MORTGAGE_KINDS, MORTGAGE_STAGES, SURVEY_STATUSES, AreaSettlement, AreaSurvey, DunningAction,
    MortgageCase)

__all__ = ["ADJUSTMENT_STATUSES", "RECEIPT_METHODS", "RECEIPT_SOURCES", "RECEIPT_STATUSES", "RECEIVABLE_KINDS",
           "RECEIVABLE_STATUSES", "REFUND_KINDS", "REFUND_STATUSES", "Adjustment", "FinanceSetting", "Receipt",
           "ReceiptAllocation", "Receivable", "Refund", "DUNNING_METHODS", "MORTGAGE_KINDS", "MORTGAGE_STAGES",
           "SURVEY_STATUSES", "AreaSettlement", "AreaSurvey", "DunningAction", "MortgageCase"]
