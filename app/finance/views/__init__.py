"""Finance screens, one file per part (see PARTS in app/finance/__init__.py)."""
