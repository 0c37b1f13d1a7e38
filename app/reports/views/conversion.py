"""客户转化 (/reports/conversion/): channel → visits → opportunities → subscriptions → contracts, by
channel and by salesperson, with a funnel and a bar chart; the visits and opportunities behind a
figure at /reports/conversion/visits and /reports/conversion/opportunities (each row opens the
customer's 360 page), the deals at the drill-down."""
from flask import request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import display
from app.core.excel import workbook_bytes
from app.crm.views import STAGE_LABELS
from app.reports.services import conversion as service
from app.reports.services import filters as report_filters
from app.reports.views.base import ReportView, drill_url

VIEW = "ConversionReportView"
MENU = "Customer conversion"
DEAL_STEPS = {"subscriptions": "subscribed", "contracts": "signed"}


def figure_url(filters, step, channel=False, employee=False):
    """The list behind a step's figure for a channel row (channel=id or None), a salesperson row
    (employee=id; None: no link) or the total (neither)."""
    keys = {}
    if channel is not False:
        keys["channel"] = "none" if channel is None else channel
    if employee is not False:
        if employee is None:
            return None
        keys["employee"] = employee
    if step in DEAL_STEPS:
        return drill_url(filters, "deals", measure=DEAL_STEPS[step], **keys)
    if step == "opportunities":
        return url_for(VIEW + ".opportunities", **filters.args(**keys))
    return url_for(VIEW + ".visits", **filters.args(measure=step, **keys))


class ConversionReportView(ReportView):
    route_base = "/reports/conversion"
    class_permission_name = VIEW
    method_permission_name = {"index": "list", "download": "list", "visits": "list", "opportunities": "list"}
    template = "reports/conversion.html"
    title = _l("Customer conversion")
    show = ("period", "project", "employee")

    def compute(self, filters):
        return service.report(filters)

    def export(self, filters, data):
        headers, rows = service.export_rows(data)
        return "conversion-%s.xlsx" % filters.start.isoformat(), workbook_bytes(str(self.title), headers, rows)

    def context(self, filters, data):
        total = data["total"]
        labels = {"visits": _("Visits"), "opportunities": _("Opportunities"), "subscriptions": _("Subscriptions"),
                  "contracts": _("Contracts")}
        funnel = {
            "tooltip": {"trigger": "item"},
            "series": [{"type": "funnel", "name": str(_("Conversion")), "sort": "none", "gap": 2, "minSize": "16%",
                        "left": "4%", "width": "66%", "top": 16, "bottom": 16,
                        "label": {"show": True, "position": "right", "formatter": "{b}: {c}"},
                        "data": [{"name": str(labels[s]), "value": total[s], "url": figure_url(filters, s)}
                                 for s in service.STEPS]}],
        }
        channels = data["channels"]
        bars = {
            "tooltip": {"trigger": "axis"},
            "legend": {"top": 0},
            "grid": {"left": 48, "right": 48, "top": 48, "bottom": 56},
            "xAxis": {"type": "category", "data": [r["name"] for r in channels],
                      "axisLabel": {"interval": 0, "rotate": 20}},
            # Visits and opportunities on the left axis, the far fewer deals on the right one.
            "yAxis": [{"type": "value", "minInterval": 1, "name": str(_("Visits"))},
                      {"type": "value", "minInterval": 1, "name": str(_("Deals")), "splitLine": {"show": False}}],
            "series": [{"type": "bar", "name": str(labels[s]), "yAxisIndex": 1 if s in DEAL_STEPS else 0,
                        "data": [{"value": r[s], "url": figure_url(filters, s, channel=r["key"])} for r in channels]}
                       for s in service.STEPS],
        }
        return {"funnel": funnel, "bars": bars, "steps": service.STEPS, "labels": labels,
                "figure_url": lambda step, **keys: figure_url(filters, step, **keys)}

    def _list(self, kind):
        args = service.ListArgs(request.args, kind)
        data = service.visits(args) if kind == "visits" else service.opportunities(args)
        endpoint = VIEW + "." + kind
        return self.render_template(
            "reports/conversion_%s.html" % kind, list=args, filters=args.filters, data=data, title=args.title,
            choices=report_filters.choices(args.filters), when=display.local_time, stages=STAGE_LABELS,
            page_url=lambda n: url_for(endpoint, **args.args(page=n or None)),
            report_url=url_for(VIEW + ".index", **args.filters.args()))

    @expose("/visits")
    @has_access
    def visits(self):
        return self._list("visits")

    @expose("/opportunities")
    @has_access
    def opportunities(self):
        return self._list("opportunities")


def init_app(app, appbuilder, first):
    from app.core import roles
    from app import reports
    reports.add_view(appbuilder, ConversionReportView, MENU, _l("Customer conversion"), "fa-filter")
    grant = {VIEW: ("can_list",)}
    roles.extend(permissions={roles.MANAGER: grant, roles.SALES: grant},
                 menus={roles.MANAGER: [reports.REPORTS, MENU], roles.SALES: [reports.REPORTS, MENU]})
