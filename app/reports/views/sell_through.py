"""Sell-through (去化分析) at /reports/sell-through/: rooms sold, reserved, available, unreleased
and not for sale by project, then by building, layout, floor band and price band of a project, the
sell-through rate, the deals subscribed in the period, a stacked bar chart and the Excel export.
Every count opens the rooms (or deals) behind it."""
from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import display
from app.core.excel import workbook_bytes
from app.reports.services import sell_through as service
from app.reports.views.base import ReportView, drill_url

VIEW = "SellThroughReportView"
MENU = "Sell-through"
COLORS = {"sold": "#d9534f", "reserved": "#f0ad4e", "available": "#5cb85c", "unreleased": "#9e9e9e"}


def row_keys(tab, row):
    """The drill-down keys of a row (none for the total)."""
    if row is tab["total"]:
        return {}
    return {tab["dimension"]: service.link_key(row["key"])}


class SellThroughReportView(ReportView):
    route_base = "/reports/sell-through"
    class_permission_name = VIEW
    template = "reports/sell_through.html"
    title = _l("Sell-through")
    show = ("period", "project", "phase", "building")

    def compute(self, filters):
        return service.report(filters)

    def export(self, filters, data):
        headers, rows = service.export(filters, data)
        return "sell-through-%s.xlsx" % filters.start.isoformat(), workbook_bytes(str(_("Sell-through")), headers, rows)

    def context(self, filters, data):
        def rooms_url(tab, row, group):
            return drill_url(filters, "rooms", group=group, **row_keys(tab, row))

        def deals_url(tab, row):
            return drill_url(filters, "deals", measure="subscribed", **row_keys(tab, row))

        def project_url(row):
            return url_for(VIEW + ".index", **filters.args(project=row["key"], phase=None, building=None))

        return {"rooms_url": rooms_url, "deals_url": deals_url, "project_url": project_url,
                "chart_option": chart(data["main"], rooms_url)}


def chart(tab, rooms_url):
    """Stacked bars: each row's rooms by group, as a share of its rooms (so that a small project
    reads as well as a large one; the tooltip gives the counts); a bar opens its rooms."""
    rows = tab["rows"]
    labels = dict(data_groups())
    series = []
    for group in service.CHART_GROUPS:
        items = []
        for row in rows:
            g = row["groups"][group]
            whole = sum(row["groups"][c]["count"] for c in service.CHART_GROUPS)
            share = round(g["count"] * 100.0 / whole, 1) if whole else 0
            items.append({"value": share, "url": rooms_url(tab, row, group),
                          "label": "%s · %s: %d (%s%%) · %s · %s" % (row["name"], labels[group], g["count"], share,
                                                                     display.area(g["area"]),
                                                                     display.money(g["value"]))})
        series.append({"name": str(labels[group]), "type": "bar", "stack": "rooms", "data": items,
                       "itemStyle": {"color": COLORS[group]}, "barMaxWidth": 48})
    return {"tooltip": {"trigger": "item", "labels": True}, "legend": {"top": 0},
            "grid": {"left": 48, "right": 16, "top": 36, "bottom": 48, "containLabel": True},
            "xAxis": {"type": "category", "data": [row["name"] for row in rows], "axisLabel": {"interval": 0}},
            "yAxis": {"type": "value", "name": str(_("Share of rooms, %")), "max": 100},
            "series": series}


def data_groups():
    return [(code, str(label)) for code, (label, _codes) in service.measures.ROOM_GROUPS.items()]


def init_app(app, appbuilder, first):
    from app import reports
    from app.core import roles

    reports.add_view(appbuilder, SellThroughReportView, MENU, _l("Sell-through"), "fa-chart-pie")
    grant = {VIEW: ("can_list",)}
    roles.extend(permissions={roles.MANAGER: grant, roles.SALES: grant, roles.FINANCE: grant},
                 menus={roles.MANAGER: [reports.REPORTS, MENU], roles.SALES: [reports.REPORTS, MENU],
                        roles.FINANCE: [reports.REPORTS, MENU]})
