"""What finance does when the deal services tell it something (app/sales/services/hooks.py)."""
from flask_babel import gettext as _

from app.finance.models import RECEIPT_METHODS
from app.finance.services import receipts, receivables

# Further listeners of the parts (e.g. refunds on a cancellation, mortgage cases on a schedule).
ON_SCHEDULE = []
ON_CANCELLED = []


def on_schedule(deal, rows):
    receivables.sync_schedule(deal, rows)
    for fn in ON_SCHEDULE:
        fn(deal, rows)


def on_cancelled(deal, refund):
    receivables.close_all(deal, note=_("The deal was cancelled."))
    for fn in ON_CANCELLED:
        fn(deal, refund)


def on_converted(ticket, deal):
    """The sincerity deposit becomes money received on the deal: a receipt (source sincerity) with
    the ticket's payment details, paying the deposit first; any surplus stays an advance payment."""
    method = ticket.method if ticket.method in RECEIPT_METHODS else "transfer"
    receipts.receive(deal, ticket.amount, method, paid_on=ticket.paid_on, reference=ticket.reference,
                     advance=True, source="sincerity", commit=False,
                     note=_("Sincerity deposit of queue number %(number)s", number=ticket.number))
