"""Core REST resources (approvals, notifications) under /api/v1/."""
