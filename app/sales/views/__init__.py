"""Sales screens, one file per concept: plans.py (payment plans with their instalments and fees),
policies.py (the dated policy tables), trial.py (the price trial page and its printing), rows.py
(the table of rows inside a form)."""
