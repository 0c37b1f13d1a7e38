"""The base of every report page: /reports/<name>/ shows it for the filters in the query string,
/reports/<name>/export gives the same figures as an Excel workbook. A subclass names its template,
its title and its service: `compute(filters)` returns the template's `data`, `export(filters, data)`
returns (file name, workbook bytes)."""
import io

from flask import request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access

from app.core import display
from app.reports.services import filters as report_filters

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def drill_url(filters, kind="deals", **keys):
    """The drill-down list behind a figure, keeping the report's filters; kind deals or rooms."""
    return url_for("ReportDrillView." + kind, **filters.args(**keys))


def xlsx_response(name, body):
    return send_file(io.BytesIO(body), download_name=name, as_attachment=True, mimetype=XLSX)


class ReportView(BaseView):
    default_view = "index"
    base_permissions = ["can_list"]
    method_permission_name = {"index": "list", "download": "list"}
    template = None
    title = None
    show = ("period", "project", "phase", "building", "employee")

    def compute(self, filters):
        raise NotImplementedError

    def export(self, filters, data):
        raise NotImplementedError

    def context(self, filters, data):
        """Extra template variables."""
        return {}

    @expose("/")
    @has_access
    def index(self):
        filters = report_filters.Filters(request.args)
        data = self.compute(filters)
        endpoint = self.__class__.__name__
        return self.render_template(
            self.template, title=self.title, filters=filters, data=data, show=self.show,
            choices=report_filters.choices(filters), report_url=endpoint + ".index",
            export_url=url_for(endpoint + ".download", **filters.args()),
            drill=lambda kind="deals", **keys: drill_url(filters, kind, **keys),
            money=display.money, area=display.area, percent=percent, **self.context(filters, data))

    @expose("/export")
    @has_access
    def download(self):
        filters = report_filters.Filters(request.args)
        name, body = self.export(filters, self.compute(filters))
        return xlsx_response(name, body)


def percent(value):
    """A ratio (Decimal or None) as 12.5%."""
    if value is None:
        return "—"
    return "{:.1f}%".format(value * 100)
