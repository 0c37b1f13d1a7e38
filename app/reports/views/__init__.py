"""Report pages: one file per report (see PARTS in app/reports/__init__.py)."""
