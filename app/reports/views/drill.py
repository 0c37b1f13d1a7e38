"""Drill-down lists (/reports/drill/deals, /reports/drill/rooms): the deals or rooms behind a
report's figure, with the report's filters, their totals, paging and an Excel export. Every row
opens the deal page or the room page."""
from flask import request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.core import display
from app.reports.services import drill as service
from app.reports.services import filters as report_filters
from app.reports.views.base import xlsx_response

VIEW = "ReportDrillView"


class ReportDrillView(BaseView):
    route_base = "/reports/drill"
    class_permission_name = VIEW
    default_view = "deals"
    base_permissions = ["can_list"]
    method_permission_name = {"deals": "list", "rooms": "list", "deals_export": "list", "rooms_export": "list"}

    def _render(self, kind, drill, data):
        endpoint = VIEW + "." + kind
        return self.render_template(
            "reports/drill_%s.html" % kind, drill=drill, filters=drill.filters, data=data,
            choices=report_filters.choices(drill.filters), money=display.money, area=display.area,
            page_url=lambda n: url_for(endpoint, **drill.args(page=n or None)),
            export_url=url_for(endpoint + "_export", **drill.args(page=None)),
            back_url=request.referrer if request.referrer and "/reports/" in request.referrer else None)

    @expose("/deals")
    @has_access
    def deals(self):
        drill = service.Drill(request.args)
        return self._render("deals", drill, service.deals(drill))

    @expose("/rooms")
    @has_access
    def rooms(self):
        drill = service.Drill(request.args)
        return self._render("rooms", drill, service.rooms(drill))

    @expose("/deals/export")
    @has_access
    def deals_export(self):
        drill = service.Drill(request.args)
        return xlsx_response("deals-%s.xlsx" % drill.filters.start.isoformat(), service.export_deals(drill))

    @expose("/rooms/export")
    @has_access
    def rooms_export(self):
        drill = service.Drill(request.args)
        return xlsx_response("rooms.xlsx", service.export_rooms(drill))


def init_app(app, appbuilder, first):
    from app.core import roles
    appbuilder.add_view_no_menu(ReportDrillView)
    grant = {VIEW: ("can_list",)}
    roles.extend(permissions={roles.MANAGER: grant, roles.SALES: grant, roles.FINANCE: grant})


LABEL = _l("Drill-down")
