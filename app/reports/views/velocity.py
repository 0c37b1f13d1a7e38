"""Sales velocity (销售速度) at /reports/velocity/: units and value subscribed per week of the period,
the average per week, the stock left and the weeks it lasts at that speed, per project; a chart of
the weeks with the average; the Excel export. Each week's figure opens the deals behind it."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import display
from app.core.excel import workbook_bytes
from app.reports.services import velocity as service
from app.reports.views.base import ReportView, drill_url

VIEW = "VelocityReportView"
MENU = "Sales velocity"


class VelocityReportView(ReportView):
    route_base = "/reports/velocity"
    class_permission_name = VIEW
    template = "reports/velocity.html"
    title = _l("Sales velocity")
    show = ("period", "project", "phase", "building", "employee")

    def compute(self, filters):
        return service.report(filters)

    def export(self, filters, data):
        headers, rows = service.export(data)
        return "velocity-%s.xlsx" % filters.start.isoformat(), workbook_bytes(str(_("Sales velocity")), headers, rows)

    def context(self, filters, data):
        def week_url(week, measure="subscribed"):
            return drill_url(filters, "deals", measure=measure, **week["args"])

        def project_url(row):
            return url_for(VIEW + ".index", **filters.args(project=row["key"], phase=None, building=None))

        return {"week_url": week_url, "project_url": project_url, "chart_option": chart(data, week_url)}


def chart(data, week_url):
    """Weekly bars (subscriptions, contracts) and the average a week as a line; a bar opens its deals."""
    weeks = data["weeks"]
    average = data["total"]["average"]
    subscribed = [{"value": w["units"], "url": week_url(w),
                   "label": "%s (%s ~ %s): %d · %s" % (w["label"], w["first"], w["last"], w["units"],
                                                       display.money(w["amount"]))} for w in weeks]
    signed = [{"value": w["signed"], "url": week_url(w, "signed"),
               "label": "%s (%s ~ %s): %d · %s" % (w["label"], w["first"], w["last"], w["signed"],
                                                   display.money(w["signed_amount"]))} for w in weeks]
    series = [{"name": str(_("Units subscribed")), "type": "bar", "data": subscribed, "itemStyle": {"color": "#337ab7"},
               "barMaxWidth": 28},
              {"name": str(_("Contracts")), "type": "bar", "data": signed, "itemStyle": {"color": "#5cb85c"},
               "barMaxWidth": 28}]
    if average is not None:
        label = "%s: %s" % (_("Average units a week"), average)
        series.append({"name": str(_("Average units a week")), "type": "line", "symbol": "none",
                       "lineStyle": {"type": "dashed", "color": "#d9534f"}, "itemStyle": {"color": "#d9534f"},
                       "data": [{"value": float(average), "label": label} for _w in weeks]})
    return {"tooltip": {"trigger": "item", "labels": True}, "legend": {"top": 0},
            "grid": {"left": 40, "right": 16, "top": 36, "bottom": 40, "containLabel": True},
            "xAxis": {"type": "category", "data": [w["label"] for w in weeks]},
            "yAxis": {"type": "value", "name": str(_("Units")), "minInterval": 1}, "series": series}


def init_app(app, appbuilder, first):
    from app import reports
    from app.core import roles

    reports.add_view(appbuilder, VelocityReportView, MENU, _l("Sales velocity"), "fa-tachometer-alt")
    roles.extend(permissions={roles.MANAGER: {VIEW: ("can_list",)}}, menus={roles.MANAGER: [reports.REPORTS, MENU]})
