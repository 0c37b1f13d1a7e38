"""The sales report (销售日报/周报/月报/年报) at /reports/sales/: subscriptions, contracts and
cancellations of a period by project or building, by salesperson and along the period, with a
chart, drill-down to the deals behind every figure and an Excel export."""
from flask import has_request_context, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.reports.services import sales_period as service
from app.reports.views.base import ReportView, drill_url

VIEW = "SalesReportView"
MENU = "Sales report"
TITLES = {"day": _l("Daily sales report"), "week": _l("Weekly sales report"), "month": _l("Monthly sales report"),
          "year": _l("Yearly sales report"), "range": _l("Sales report")}


def title_of(period):
    return TITLES.get(period, TITLES["month"])


class SalesReportView(ReportView):
    route_base = "/reports/sales"
    class_permission_name = VIEW
    template = "reports/sales_period.html"

    @property
    def title(self):
        """日报/周报/月报/年报 by the period asked for."""
        if not has_request_context():
            return str(TITLES["range"])
        return str(title_of((request.args.get("period") or "month").strip()))

    def compute(self, filters):
        return service.report(filters)

    def export(self, filters, data):
        return service.export(filters, data, str(title_of(filters.period)))

    def context(self, filters, data):
        return {"chart_option": chart_option(filters, data), "measures": service.MEASURES}


def chart_option(filters, data):
    """Bars of the subscribed and signed amounts along the period, lines of their counts; each bar
    or point opens its deals."""
    from app.core import display
    labels = [r["label"] for r in data["series"]]
    series = []
    names = {"subscribed": _("Subscriptions"), "signed": _("Contracts"), "cancelled": _("Cancellations")}
    for m in service.PRICED:
        series.append({"name": "%s (%s)" % (names[m], _("amount")), "type": "bar", "yAxisIndex": 0, "data": [
            {"value": float(r[m]["amount"]), "label": "%s: %s" % (r["label"], display.money(r[m]["amount"])),
             "url": drill_url(filters, measure=m, **r["keys"])} for r in data["series"]]})
    for m in MEASURES_COUNTED:
        series.append({"name": "%s (%s)" % (names[m], _("count")), "type": "line", "yAxisIndex": 1, "data": [
            {"value": r[m]["count"], "label": "%s: %d" % (r["label"], r[m]["count"]),
             "url": drill_url(filters, measure=m, **r["keys"])} for r in data["series"]]})
    return {"tooltip": {"trigger": "item", "labels": True}, "legend": {"top": 0},
            "grid": {"left": 90, "right": 50, "top": 70, "bottom": 40},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": [{"type": "value", "name": _("Amount")}, {"type": "value", "name": _("Count"), "minInterval": 1}],
            "series": series}


MEASURES_COUNTED = service.MEASURES


def init_app(app, appbuilder, first):
    from app import reports
    from app.core import roles
    reports.add_view(appbuilder, SalesReportView, MENU, _l("Sales report"), "fa-chart-line")
    grant = {VIEW: ("can_list",)}
    roles.extend(permissions={roles.MANAGER: grant, roles.FINANCE: grant, roles.SALES: grant},
                 menus={roles.MANAGER: [reports.REPORTS, MENU], roles.FINANCE: [reports.REPORTS, MENU],
                        roles.SALES: [reports.REPORTS, MENU]})
