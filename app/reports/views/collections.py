"""回款分析 at /reports/collections/: receivables due, receipts, collection rates and the aging of
overdue amounts by project (building) and by type and kind, with the lists behind every figure:
/reports/collections/receivables?<filters>&bucket=&type=&kind= and /reports/collections/receipts?
<filters>&type=&kind=, each paged, totalled and exportable, each row opening the deal's payment
page. The figures are app/reports/services/collections.py."""
from flask import request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import lazy_gettext as _l

from app.core import display
from app.reports.services import collections as service
from app.reports.views.base import ReportView, percent, xlsx_response

VIEW = "CollectionsReportView"
MENU = "Collections analysis"
BUCKET_COLORS = {"0_30": "#f6c343", "31_90": "#f39c12", "91_180": "#e4572e", "over_180": "#a4161a"}


class CollectionsReportView(ReportView):
    route_base = "/reports/collections"
    class_permission_name = VIEW
    template = "reports/collections.html"
    title = _l("Collections analysis")
    method_permission_name = {"index": "list", "download": "list", "receivables": "list",
                              "receivables_export": "list", "receipts": "list", "receipts_export": "list"}

    def compute(self, filters):
        return service.report(filters)

    def export(self, filters, data):
        return service.export(filters, data)

    def context(self, filters, data):
        def key_args(row):
            if row is None or row.get("key") is None:
                return {}
            return {"building" if data["group_kind"] == "building" else "project": row["key"]}

        def receivables_url(row=None, **keys):
            return url_for(VIEW + ".receivables", **filters.args(**key_args(row), **keys))

        def receipts_url(row=None, **keys):
            return url_for(VIEW + ".receipts", **filters.args(**key_args(row), **keys))

        return {"receivables_url": receivables_url, "receipts_url": receipts_url, "buckets": service.BUCKETS,
                "bucket_labels": service.BUCKET_LABELS, "aging_chart": self._aging_chart(data, receivables_url),
                "rate_chart": self._rate_chart(data, receivables_url, receipts_url)}

    @staticmethod
    def _aging_chart(data, receivables_url):
        names = [g["name"] for g in data["groups"]]
        series = []
        for bucket, label in service.BUCKET_LABELS.items():
            series.append({
                "name": str(label), "type": "bar", "stack": "aging", "itemStyle": {"color": BUCKET_COLORS[bucket]},
                "data": [{"value": float(g[bucket]), "label": display.money(g[bucket]),
                          "url": receivables_url(g, bucket=bucket)} for g in data["groups"]]})
        return {"tooltip": {"trigger": "item", "labels": True}, "legend": {"top": 0},
                "grid": {"left": 90, "right": 20, "top": 40, "bottom": 40},
                "xAxis": {"type": "category", "data": names}, "yAxis": {"type": "value"}, "series": series}

    @staticmethod
    def _rate_chart(data, receivables_url, receipts_url):
        names = [g["name"] for g in data["groups"]]
        due = [{"value": float(g["due"]), "label": display.money(g["due"]), "url": receivables_url(g, bucket="period")}
               for g in data["groups"]]
        received = [{"value": float(g["received"]), "label": display.money(g["received"]),
                     "url": receivables_url(g, bucket="period")} for g in data["groups"]]
        receipts = [{"value": float(g["receipts"]), "label": display.money(g["receipts"]), "url": receipts_url(g)}
                    for g in data["groups"]]
        return {"tooltip": {"trigger": "item", "labels": True}, "legend": {"top": 0},
                "grid": {"left": 90, "right": 20, "top": 40, "bottom": 40},
                "xAxis": {"type": "category", "data": names}, "yAxis": {"type": "value"},
                "series": [{"name": str(_l("Due in the period")), "type": "bar", "data": due},
                           {"name": str(_l("Received against them")), "type": "bar", "data": received},
                           {"name": str(_l("Receipts in the period")), "type": "bar", "data": receipts}]}

    # -- the lists behind the figures ------------------------------------------------------------
    def _render(self, kind, drill, data):
        endpoint = VIEW + "." + kind
        return self.render_template(
            "reports/collections_%s.html" % kind, drill=drill, filters=drill.filters, data=data,
            money=display.money, percent=percent,
            page_url=lambda n: url_for(endpoint, **drill.args(page=n or None)),
            export_url=url_for(endpoint + "_export", **drill.args(page=None)),
            report_url=url_for(VIEW + ".index", **drill.filters.args()))

    @expose("/receivables")
    @has_access
    def receivables(self):
        drill = service.ReceivableDrill(request.args)
        return self._render("receivables", drill, service.receivables(drill))

    @expose("/receivables/export")
    @has_access
    def receivables_export(self):
        drill = service.ReceivableDrill(request.args)
        return xlsx_response("receivables-%s.xlsx" % drill.filters.start.isoformat(), service.export_receivables(drill))

    @expose("/receipts")
    @has_access
    def receipts(self):
        drill = service.ReceiptDrill(request.args)
        return self._render("receipts", drill, service.receipts(drill))

    @expose("/receipts/export")
    @has_access
    def receipts_export(self):
        drill = service.ReceiptDrill(request.args)
        return xlsx_response("receipts-%s.xlsx" % drill.filters.start.isoformat(), service.export_receipts(drill))


def init_app(app, appbuilder, first):
    from app import reports
    from app.core import roles
    reports.add_view(appbuilder, CollectionsReportView, MENU, _l("Collections analysis"), "fa-yen-sign")
    grant = {VIEW: ("can_list",)}
    roles.extend(permissions={roles.MANAGER: grant, roles.FINANCE: grant},
                 menus={roles.MANAGER: [reports.REPORTS, MENU], roles.FINANCE: [reports.REPORTS, MENU]})

