"""Reports own no table. The indexes their aggregates need on other modules' tables are declared
here, so that the migrations hold them and the other modules stay unaware of reports.

Measured with bench/bench_reports.py (200 projects, 100,000 deals, 1,000,000 receipts, 300,000
visits; figures in docs/performance.md, "Reports"):

- ix_customer_visit_first: the channel a deal or an opportunity counts for is that of the
  customer's first visit to the project (`measures.deal_channels()`, the conversion report's
  opportunity channels, marketing's `_deal_source()`): `min(id) … WHERE is_first IS true GROUP BY
  customer_id, project_id`. Without it PostgreSQL walks ix_customer_visit_customer_project and
  fetches every visit from the table to test is_first (300,000 visits, about 0.5 s); with it the
  aggregate is an index-only scan of the first visits, already in (customer, project) order. The
  predicate is written exactly as the queries write it (`is_first IS true`) so that the planner
  matches it.
- ix_receipt_valid_day: the receipts of a period (the dashboard's periods and 12-month trend, the
  collections and performance reports) are valid receipts by payment day; this partial index
  holds what those sums read (day, amount, project, deal), so they are index-only scans of the
  valid receipts instead of reads of the receipt table."""
import sqlalchemy as sa

from app.crm.models import Visit
from app.finance.models import Receipt

INDEXES = (
    sa.Index("ix_customer_visit_first", Visit.customer_id, Visit.project_id, Visit.id,
             postgresql_where=Visit.is_first.is_(True), sqlite_where=Visit.is_first.is_(True)),
    sa.Index("ix_receipt_valid_day", Receipt.paid_on, postgresql_where=Receipt.status == "valid",
             sqlite_where=Receipt.status == "valid",
             postgresql_include=["amount", "project_id", "deal_id"]),
)
