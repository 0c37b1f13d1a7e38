"""The dashboard (首页驾驶舱) at /reports/dashboard/, also shown at the top of the home page: the
figures of today, this week, this month and this year, the trends, sell-through by project and
the alerts, each linked to the list behind it. What each figure counts: services/dashboard.py."""
import datetime as dt

from flask import current_app, g, render_template, request, url_for
from flask_appbuilder import expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from app.core import clock, display, excel
from app.reports.services import dashboard as service
from app.reports.services import filters as report_filters
from app.reports.views.base import ReportView, drill_url, percent, xlsx_response

VIEW = "DashboardView"
MENU = "Dashboard"
PERIOD_LABELS = {"today": _l("Today"), "week": _l("This week"), "month": _l("This month"), "year": _l("This year")}


def _may(permission, view):
    return current_app.appbuilder.sm.has_access(permission, view)


def _filters(args):
    """The dashboard is filtered by project only (and keeps a salesperson when asked)."""
    return report_filters.Filters({k: args.get(k) for k in ("project", "employee") if args.get(k)})


def _receipts_url(f, start, end):
    if _may("can_list", "PaymentView"):
        args = {"start": start.isoformat(), "end": end.isoformat(), "status": "valid"}
        if f.project_id:
            args["project"] = f.project_id
        return url_for("PaymentView.receipts", **args)
    return None


def _visits_url(f, start, end):
    """The CRM visit list for the period (visits, not calls)."""
    if not _may("can_list", "VisitView"):
        return None
    args = {"_flt_1_visited_at": (clock.utc_start_of(start) - dt.timedelta(seconds=1)).isoformat(sep=" "),
            "_flt_2_visited_at": clock.utc_start_of(end + dt.timedelta(days=1)).isoformat(sep=" "),
            "_flt_3_kind": "visit"}
    if f.project_id:
        args["_flt_0_project"] = f.project_id
    return url_for("VisitView.list", **args)


def links(f, data):
    """The list behind each figure (None: the user may not open one)."""
    today = data["today"]
    out = {"periods": {}}
    for code, (start, end) in data["spans"].items():
        period = service.period_args(code, today)
        out["periods"][code] = {
            "subscribed": drill_url(f, "deals", measure="subscribed", **period),
            "signed": drill_url(f, "deals", measure="signed", **period),
            "held": drill_url(f, "deals", measure="held", **period),
            "visits": _visits_url(f, start, end),
            "receipts": _receipts_url(f, start, end),
        }
    project = {"project": f.project_id} if f.project_id else {}
    if _may("can_list", "PaymentView"):
        out["overdue"] = url_for("PaymentView.receivables", overdue="1", **project)
    elif _may("can_list", "ArrearsView"):
        out["overdue"] = url_for("ArrearsView.index", **project)
    else:
        out["overdue"] = None
    out["sign_overdue"] = url_for("DealView.list", overdue="1", stage="subscribed", **project) \
        if _may("can_list", "DealView") else None
    if report_filters.crm_scope.mode() == report_filters.crm_scope.DEPARTMENT and _may("can_team", "FollowUpView"):
        out["follow_ups"] = url_for("FollowUpView.team")
    elif _may("can_due", "FollowUpView"):
        out["follow_ups"] = url_for("FollowUpView.due")
    else:
        out["follow_ups"] = None
    out["approvals"] = url_for("ApprovalView.inbox") if _may("can_inbox", "ApprovalView") else None
    out["sell_through"] = {}
    for row in data.get("sell_through", []):
        out["sell_through"][row["project_id"]] = {
            "report": "/reports/sell-through/?project=%d" % row["project_id"],
            "sold": drill_url(f, "rooms", group="sold", project=row["project_id"], period=None, month=None),
        }
    return out


def _number(value):
    return float(value or 0)


def trend_chart(data, urls, kind):
    """The ECharts option of the trend over the last months (kind "months") or days ("days")."""
    if kind == "months":
        labels = [start.strftime("%Y-%m") for start, _end in data["trend_months"]]
        spans = data["trend_months"]
    else:
        labels = [day.strftime("%m-%d") for day in data["trend_days"]]
        spans = [(day, day) for day in data["trend_days"]]
    trend = data.get("trend", {})
    series = []
    for measure, name, kind_of in (("subscribed", _("Subscriptions amount"), "bar"),
                                   ("signed", _("Contracts amount"), "bar"),
                                   ("receipts", _("Receipts amount"), "line")):
        if measure not in trend:
            continue
        items = []
        for (start, end), value in zip(spans, trend[measure][kind]):
            item = {"value": _number(value), "label": "%s: %s" % (name, display.money(value))}
            url = urls(measure, start, end)
            if url:
                item["url"] = url
            items.append(item)
        entry = {"name": name, "type": kind_of, "data": items}
        if kind_of == "line":
            entry["symbolSize"] = 5
        series.append(entry)
    return {"tooltip": {"trigger": "item", "labels": True}, "legend": {"top": 0},
            "grid": {"left": 70, "right": 20, "top": 36, "bottom": 30},
            "xAxis": {"type": "category", "data": labels},
            "yAxis": {"type": "value", "name": _("Yuan")}, "series": series}


def sell_through_chart(rows, urls):
    names = [row["name"] for row in rows]
    items = []
    for row in rows:
        rate = row["rate"] or 0
        items.append({"value": round(float(rate) * 100, 1), "url": urls[row["project_id"]]["report"],
                      "label": "%s: %s (%d / %d)" % (row["name"], percent(row["rate"]), row["sold"], row["on_sale"])})
    return {"tooltip": {"trigger": "item", "labels": True},
            "grid": {"left": 110, "right": 30, "top": 10, "bottom": 30},
            "xAxis": {"type": "value", "max": 100, "axisLabel": {"formatter": "{value}%"}},
            "yAxis": {"type": "category", "data": names, "inverse": True},
            "series": [{"name": _("Sell-through rate"), "type": "bar", "data": items, "barMaxWidth": 28}]}


def context(f, data):
    """Everything the dashboard's template needs besides `data`."""
    urls = links(f, data)

    def trend_url(measure, start, end):
        if measure == "receipts":
            return _receipts_url(f, start, end)
        period = ({"period": "day", "day": start.isoformat()} if start == end else
                  {"period": "month", "month": start.strftime("%Y-%m")})
        return drill_url(f, "deals", measure=measure, **dict({k: None for k in ("year", "month", "week", "day")},
                                                             **period))

    out = {"links": urls, "period_labels": PERIOD_LABELS, "periods": service.PERIODS, "money": display.money,
           "area": display.area, "percent": percent}
    if data.get("trend"):
        out["months_chart"] = trend_chart(data, trend_url, "months")
        out["days_chart"] = trend_chart(data, trend_url, "days")
    if data.get("sell_through"):
        out["sell_through_chart"] = sell_through_chart(data["sell_through"], urls["sell_through"])
    return out


def compute(f):
    return service.dashboard(f, service.blocks(_may), user=g.user)


class DashboardView(ReportView):
    route_base = "/reports/dashboard"
    class_permission_name = VIEW
    template = "reports/dashboard.html"
    title = _l("Dashboard")
    show = ("project",)

    def compute(self, filters):
        return compute(filters)

    def context(self, filters, data):
        return context(filters, data)

    @expose("/")
    @has_access
    def index(self):
        filters = _filters(request.args)
        data = self.compute(filters)
        return self.render_template(
            self.template, title=self.title, filters=filters, data=data, show=self.show,
            choices={"projects": report_filters.projects(), "periods": report_filters.PERIODS},
            report_url=VIEW + ".index", export_url=url_for(VIEW + ".download", **filters.args(period=None, month=None)),
            drill=lambda kind="deals", **keys: drill_url(filters, kind, **keys),
            **self.context(filters, data))

    @expose("/export")
    @has_access
    def download(self):
        filters = _filters(request.args)
        name, body = self.export(filters, self.compute(filters))
        return xlsx_response(name, body)

    def export(self, filters, data):
        headers = [_("Figure")] + [str(PERIOD_LABELS[code]) for code in service.PERIODS]
        rows = []
        periods = data["periods"]
        show = data["show"]

        def line(label, getter):
            rows.append([label] + [getter(periods[code]) for code in service.PERIODS])

        if show["visits"]:
            line(_("New visits"), lambda p: p["visits"]["new"])
            line(_("Repeat visits"), lambda p: p["visits"]["repeat"])
            line(_("New customers"), lambda p: p["new_customers"])
        if show["sales"]:
            line(_("Holds"), lambda p: p["held"])
            for measure, label in (("subscribed", _("Subscriptions")), ("signed", _("Contracts"))):
                line(label, lambda p, m=measure: p[m]["count"])
                line("%s (%s)" % (label, _("area, ㎡")), lambda p, m=measure: p[m]["area"])
                line("%s (%s)" % (label, _("amount, 元")), lambda p, m=measure: p[m]["amount"])
        if show["money"]:
            line(_("Money received"), lambda p: p["receipts"]["count"])
            line("%s (%s)" % (_("Money received"), _("amount, 元")), lambda p: p["receipts"]["amount"])
            rows.append([_("Overdue amount now"), data["overdue"]["amount"], "", "", ""])
        body = excel.workbook_bytes(str(_("Dashboard")), headers, rows)
        return "dashboard-%s.xlsx" % data["today"].isoformat(), body


def home_dashboard(user):
    """The dashboard at the top of the home page, for those who may open it."""
    if user is None or not _may("can_list", VIEW):
        return None
    filters = _filters({})
    data = compute(filters)
    return Markup(render_template("reports/dashboard_body.html", data=data, filters=filters,
                                  drill=lambda kind="deals", **keys: drill_url(filters, kind, **keys),
                                  on_home=True, full_url=url_for(VIEW + ".index"), **context(filters, data)))


def init_app(app, appbuilder, first):
    from app import reports
    from app.core import home, roles
    reports.add_view(appbuilder, DashboardView, MENU, _l("Dashboard"), "fa-tachometer-alt")
    grant = {VIEW: ("can_list",)}
    menu = [reports.REPORTS, MENU]
    roles.extend(permissions={roles.MANAGER: grant, roles.SALES: grant, roles.FINANCE: grant},
                 menus={roles.MANAGER: menu, roles.SALES: menu, roles.FINANCE: menu})
    if first:
        home.register_dashboard(home_dashboard)
