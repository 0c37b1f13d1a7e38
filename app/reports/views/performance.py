"""销售员业绩 (/reports/performance/): the salespeople ranked for a period by contract amount (or the
figure `sort=` names), with a bar chart; every figure opens the list behind it."""
from urllib.parse import urlencode

from flask import request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core.excel import workbook_bytes
from app.reports.services import performance as service
from app.reports.views.base import ReportView, drill_url

VIEW = "PerformanceReportView"
MENU = "Salesperson performance"
COLLECTIONS_URL = "/reports/collections/"


def figure_url(filters, figure, employee=False):
    """The list behind a figure of a salesperson (employee id) or of the total (employee False)."""
    keys = {} if employee is False else {"employee": employee}
    if figure in ("contracts", "signed_amount"):
        return drill_url(filters, "deals", measure="signed", **keys)
    if figure in ("subscriptions", "subscribed_amount"):
        return drill_url(filters, "deals", measure="subscribed", **keys)
    if figure in ("cancellations", "cancelled_amount"):
        return drill_url(filters, "deals", measure="cancelled", **keys)
    if figure in ("visits", "customers"):
        return url_for("ConversionReportView.visits", **filters.args(measure=figure, **keys))
    if figure == "collections":
        return COLLECTIONS_URL + "?" + urlencode(filters.args(**keys))
    return None


class PerformanceReportView(ReportView):
    route_base = "/reports/performance"
    class_permission_name = VIEW
    template = "reports/performance.html"
    title = _l("Salesperson performance")
    show = ("period", "project", "employee")

    def _sort(self, filters):
        sort, error = service.read_sort(request.args.get("sort"))
        if error and error not in filters.errors:
            filters.errors.append(error)
        return sort

    def compute(self, filters):
        return service.report(filters, self._sort(filters))

    def export(self, filters, data):
        headers, rows = service.export_rows(data)
        return "performance-%s.xlsx" % filters.start.isoformat(), workbook_bytes(str(self.title), headers, rows)

    def context(self, filters, data):
        rows = data["rows"]
        names = [r["name"] for r in reversed(rows)]
        bars = {
            "tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}},
            "legend": {"top": 0},
            "grid": {"left": 80, "right": 48, "top": 32, "bottom": 24, "containLabel": True},
            "xAxis": {"type": "value"},
            "yAxis": {"type": "category", "data": names},
            "series": [
                {"type": "bar", "name": _("Contract amount"),
                 "data": [{"value": float(r["signed_amount"]), "url": figure_url(filters, "signed_amount", r["key"])}
                          for r in reversed(rows)]},
                {"type": "bar", "name": _("Subscribed amount"),
                 "data": [{"value": float(r["subscribed_amount"]),
                           "url": figure_url(filters, "subscribed_amount", r["key"])} for r in reversed(rows)]},
                {"type": "bar", "name": _("Collections"),
                 "data": [{"value": float(r["collections"]), "url": figure_url(filters, "collections", r["key"])}
                          for r in reversed(rows)]},
            ],
        }
        return {"bars": bars, "sorts": service.SORTS, "chart_height": max(240, 60 + 56 * len(rows)),
                "figure_url": lambda figure, employee=False: figure_url(filters, figure, employee),
                "sort_url": lambda key: url_for(VIEW + ".index", sort=key, **filters.args())}


def init_app(app, appbuilder, first):
    from app.core import roles
    from app import reports
    reports.add_view(appbuilder, PerformanceReportView, MENU, _l("Salesperson performance"), "fa-trophy")
    grant = {VIEW: ("can_list",)}
    roles.extend(permissions={roles.MANAGER: grant, roles.SALES: grant},
                 menus={roles.MANAGER: [reports.REPORTS, MENU], roles.SALES: [reports.REPORTS, MENU]})
