"""Report services: filters and scope, the measures, drill-down, and one file per report."""
