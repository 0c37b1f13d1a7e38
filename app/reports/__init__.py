"""Reports and the dashboard (报表与决策分析): the figures a sales director decides by, each an SQL
aggregate over the tables the pages use, with charts (ECharts, shipped in app/static/vendor),
Excel exports and drill-down to the rooms and deals behind every figure.

Reports read every module and no module imports reports."""
import importlib

from flask_babel import lazy_gettext as _l

REPORTS = "Reports"
REPORTS_LABEL = _l("Reports")
REPORTS_ICON = "fa-chart-bar"

# Each part registers its screens and grants: init_app(app, appbuilder, first).
PARTS = ("app.reports.views.drill", "app.reports.views.dashboard", "app.reports.views.sales_period",
         "app.reports.views.sell_through", "app.reports.views.velocity", "app.reports.views.collections",
         "app.reports.views.conversion", "app.reports.views.performance", "app.reports.views.pricing")
_registered = [False]


def init_app(app, appbuilder):
    first = not _registered[0]
    for name in PARTS:
        importlib.import_module(name).init_app(app, appbuilder, first)
    _registered[0] = True


def add_view(appbuilder, view, name, label, icon):
    """A page in the Reports menu."""
    appbuilder.add_view(view, name, label=label, icon=icon, category=REPORTS, category_label=REPORTS_LABEL,
                        category_icon=REPORTS_ICON)
