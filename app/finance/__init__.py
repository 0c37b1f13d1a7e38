"""Finance (房款管理): receivables made from each deal's payment schedule, the payment page of a deal
(receive, void, reissue, print), refunds and adjustments through approval, late fees, arrears and
dunning, mortgage cases, area settlement and the daily cash report.

Sales imports nothing from finance: finance listens to the deal services' events
(app/sales/services/hooks.py) — a schedule written, a cancellation approved, a sincerity deposit
converted."""
import importlib

from flask_babel import lazy_gettext as _l

FINANCE = "Finance"
FINANCE_LABEL = _l("Finance")
FINANCE_ICON = "fa-coins"

# Each part registers its screens, API, approval and print kinds, jobs and grants:
# init_app(app, appbuilder, first).
PARTS = ("app.finance.views.payments", "app.finance.views.refunds", "app.finance.views.arrears",
         "app.finance.views.mortgages", "app.finance.views.settlement", "app.finance.views.cash_report")
_registered = [False]


def init_app(app, appbuilder):
    from app.finance.services import events
    from app.sales.services import hooks

    hooks.listen("schedule", events.on_schedule)
    hooks.listen("cancelled", events.on_cancelled)
    hooks.listen("converted", events.on_converted)
    first = not _registered[0]
    for name in PARTS:
        importlib.import_module(name).init_app(app, appbuilder, first)
    _registered[0] = True


def add_view(appbuilder, view, name, label, icon):
    """A page in the Finance menu."""
    appbuilder.add_view(view, name, label=label, icon=icon, category=FINANCE, category_label=FINANCE_LABEL,
                        category_icon=FINANCE_ICON)
