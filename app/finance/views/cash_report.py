"""The daily cash report (收款日报) at /finance/cash/: the receipts of a day or a period by payment
method, by project and by cashier, the list of the receipts, the Excel export, and — for finance
and administrators — the accounts check (do receivables and receipts reconcile)."""
import io

from flask import request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import lazy_gettext as _l

from app.core import display
from app.finance.services import cash_report as service

VIEW = "CashReportView"
MENU = "Daily cash report"


class CashReportView(BaseView):
    route_base = "/finance/cash"
    class_permission_name = VIEW
    default_view = "index"
    base_permissions = ["can_list", "can_check"]
    method_permission_name = {"index": "list", "export": "list"}

    @expose("/")
    @has_access
    def index(self):
        filters = service.Filters(request.args)
        data = service.report(filters)
        check = None
        if self.appbuilder.sm.has_access("can_check", VIEW):
            check = service.check_integrity(filters.project_id)
        return self.render_template(
            "finance/cash_report.html", filters=filters, data=data, check=check, money=display.money,
            projects=service.projects(), cashiers=service.cashiers(), methods=service.common.METHOD_LABELS,
            page_url=lambda n: url_for("CashReportView.index", **filters.args(page=n or None)),
            export_url=url_for("CashReportView.export", **filters.args(page=None)))

    @expose("/export")
    @has_access
    def export(self):
        filters = service.Filters(request.args)
        body = service.export(filters)
        return send_file(io.BytesIO(body), download_name=service.export_name(filters), as_attachment=True,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def init_app(app, appbuilder, first):
    from app import finance
    from app.core import roles
    from app.finance import FINANCE

    finance.add_view(appbuilder, CashReportView, MENU, _l("Daily cash report"), "fa-cash-register")
    roles.extend(permissions={roles.FINANCE: {VIEW: ("can_list", "can_check")}, roles.MANAGER: {VIEW: ("can_list",)}},
                 menus={roles.FINANCE: [FINANCE, MENU], roles.MANAGER: [FINANCE, MENU]})
    if first:
        from app import demo
        from app.finance import demo as finance_demo
        demo.register(finance_demo.load)
