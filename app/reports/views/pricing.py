"""Price analysis (价格分析) at /reports/pricing/: list price against deal price for the deals
subscribed in the period — the discount given by project or building, layout, salesperson and
discount policy — with a chart, drill-down and an Excel export."""
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.reports.services import pricing as service
from app.reports.views.base import ReportView, drill_url, percent

VIEW = "PricingReportView"
MENU = "Price analysis"


class PricingReportView(ReportView):
    route_base = "/reports/pricing"
    class_permission_name = VIEW
    template = "reports/pricing.html"
    title = _l("Price analysis")

    def compute(self, filters):
        return service.report(filters)

    def export(self, filters, data):
        return service.export(filters, data, str(self.title))

    def context(self, filters, data):
        return {"chart_option": chart_option(filters, data), "measure": service.MEASURE}


def chart_option(filters, data):
    """Bars of the discount rate by salesperson; a bar opens the salesperson's deals."""
    from app.core import display
    rows = data["salespeople"]
    return {"tooltip": {"trigger": "item", "labels": True},
            "grid": {"left": 60, "right": 30, "top": 30, "bottom": 40},
            "xAxis": {"type": "category", "data": [r["name"] for r in rows]},
            "yAxis": {"type": "value", "name": _("Discount rate") + " (%)"},
            "series": [{"name": _("Discount rate"), "type": "bar", "barMaxWidth": 48, "data": [
                {"value": float((r["rate"] or 0) * 100),
                 "label": "%s: %s · %s %s" % (r["name"], percent(r["rate"]), _("Discount given"), display.money(r["discount"])),
                 "url": drill_url(filters, measure=service.MEASURE, **r["keys"])} for r in rows]}]}


def init_app(app, appbuilder, first):
    from app import reports
    from app.core import roles
    reports.add_view(appbuilder, PricingReportView, MENU, _l("Price analysis"), "fa-tags")
    roles.extend(permissions={roles.MANAGER: {VIEW: ("can_list",)}}, menus={roles.MANAGER: [reports.REPORTS, MENU]})
