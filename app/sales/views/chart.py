"""The sales-control chart page (销控图): pick a project and a building (or every building of a
phase); the rooms by floor and position, coloured by status; the room card; and a light version
endpoint the page polls to redraw the rooms others changed. The rules are in
app/sales/services/chart.py."""
from flask import abort, current_app, g, jsonify, make_response, request
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.security.decorators import has_access_api, permission_name
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.sales.services import chart as charts
from app.sales.services import deals

MENU = "Sales control chart"
VIEW = "SalesChartView"
POLL_SECONDS = 3


def _scope():
    if "_loupan_chart_scope" not in g:
        sm = current_app.appbuilder.sm
        g._loupan_chart_scope = charts.Scope(g.user, read_only=not sm.has_access("can_act", "DealView"))
    return g._loupan_chart_scope


def _see_floor_price():
    return current_app.appbuilder.sm.has_access("can_floor_price", VIEW)


def _selected(scope, args):
    """(project, building rows offered, ids shown) from the query string; 404 for what the user
    may not open."""
    project_id = args.get("project")
    if project_id in (None, ""):
        projects = scope.projects()
        if not projects:
            return None, [], []
        project = projects[0]
    else:
        project = scope.project(project_id)
    rows, ids = charts.selection(project, scope, args.get("building"), args.get("phase"))
    return project, rows, ids


def _phases(rows):
    seen = {}
    for r in rows:
        if r.phase_id is not None and r.phase_id not in seen:
            seen[r.phase_id] = r.phase_name
    return list(seen.items())


class SalesChartView(BaseView):
    route_base = "/sales/chart"
    default_view = "index"
    base_permissions = ["can_chart", "can_floor_price"]

    @expose("/")
    @has_access
    @permission_name("chart")
    def index(self):
        scope = _scope()
        try:
            project, rows, ids = _selected(scope, request.args)
        except charts.NotVisible:
            abort(404)
        projects = scope.projects()
        data = charts.chart(project, ids) if project is not None and ids else None
        args = request.args
        ticket = args.get("ticket", "")
        ticket = ticket if ticket.isdigit() and len(ticket) < 10 else ""
        ticket_number = None
        if ticket:
            from app.sales.models import SincerityTicket
            found = db.session.get(SincerityTicket, int(ticket)) if 0 < int(ticket) < 2 ** 31 else None
            ticket_number = found.number if found is not None else None
            ticket = ticket if found is not None else ""
        return self.render_template(
            "sales/chart.html", projects=projects, project=project, building_rows=rows, phases=_phases(rows),
            shown=ids, phase_id=args.get("phase", ""), data=data, read_only=scope.read_only, ticket=ticket,
            ticket_number=ticket_number,
            poll_seconds=POLL_SECONDS, labels=_labels())

    @expose("/data")
    @has_access_api
    @permission_name("chart")
    def data(self):
        scope = _scope()
        try:
            project, _rows, ids = _selected(scope, request.args)
        except charts.NotVisible as e:
            return jsonify(message=str(e)), 404
        if project is None:
            return jsonify(message=_("You have no sales permission for any project; ask an administrator.")), 404
        return jsonify(charts.chart(project, ids))

    @expose("/state")
    @has_access_api
    @permission_name("chart")
    def state(self):
        """The version of the rooms shown; 204 when it is the one the page has (`v`)."""
        scope = _scope()
        try:
            project, _rows, ids = _selected(scope, request.args)
        except charts.NotVisible as e:
            return jsonify(message=str(e)), 404
        if project is None:
            return jsonify(message=_("There is no such project.")), 404
        known = request.args.get("v", "")
        version, rooms = charts.state(project, ids, known)
        etag = '"%s"' % version
        if known == version or etag == (request.headers.get("If-None-Match") or ""):
            response = make_response("", 204)
        else:
            response = jsonify(version=version, rooms=rooms)
        response.headers["ETag"] = etag
        response.headers["Cache-Control"] = "no-store"
        return response

    @expose("/room/<pk>")
    @has_access_api
    @permission_name("chart")
    def room(self, pk):
        try:
            room = deals.get_room(pk)
            ticket = request.args.get("ticket", "")
            ticket = int(ticket) if ticket.isdigit() and 0 < int(ticket) < 2 ** 31 else None
            return jsonify(charts.card(room, _scope(), see_floor_price=_see_floor_price(), ticket=ticket))
        except (deals.NotFound, charts.NotVisible) as e:
            return jsonify(message=str(e)), 404


def _labels():
    """The words the page's script shows."""
    return {
        "none": _("Number only"), "layout": _("Layout"), "area": _("Gross area"), "unit_price": _("Unit price"),
        "total": _("Total price"), "rooms": _("All rooms"), "building": _("Building"),
        "unit": _("Unit"), "floor": _("Floor"), "property_type": _("Property type"),
        "area_gross": _("Gross area"), "area_inner": _("Inner area"), "area_shared": _("Shared area"),
        "orientation": _("Orientation"), "view": _("View"), "decoration": _("Decoration"),
        "details": _("Details"), "prices": _("Prices"), "list_unit_price": _("List unit price"),
        "list_total_price": _("List total price"), "floor_price": _("Floor price"),
        "price_history": _("Price history"), "no_price_history": _("No price change yet."),
        "changed_at": _("Changed"), "changed_by": _("By"),
        "deal": _("Current deal"), "no_deal": _("No active deal."), "stage": _("Stage"), "since": _("Since"),
        "hold_until": _("Held until"), "booking_until": _("Booking valid until"), "sign_by": _("Sign by"),
        "contract_no": _("Contract no."), "subscription_no": _("Subscription no."), "deal_total": _("Deal price"),
        "salesperson": _("Salesperson"), "customer": _("Customer"), "phone": _("Phone"),
        "open_deal": _("Open the deal"), "history": _("Deal history"), "no_history": _("No deal on this room yet."),
        "when": _("When"), "what": _("What"), "who": _("Who"),
        "no_actions": _("Nothing you can do on this room now."), "read_only": _("Read only: no action here."),
        "close": _("Close"), "loading": _("Loading…"), "error": _("The room could not be loaded."),
        "updated": _("Updated"), "offline": _("Connection lost; retrying…"), "matching": _("matching"),
    }


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.sales import SALES
    appbuilder.add_view(SalesChartView, MENU, label=_l("Sales control chart"), icon="fa-th",
                        category=SALES, category_label=_l("Sales"), category_icon="fa-handshake")
    chart = {VIEW: ("can_chart",)}
    roles.extend(
        permissions={roles.SALES: chart, roles.MANAGER: {VIEW: ("can_chart", "can_floor_price")},
                     roles.FINANCE: chart, roles.SERVICE: chart},
        menus={role: [SALES, MENU] for role in (roles.SALES, roles.MANAGER, roles.FINANCE, roles.SERVICE)},
    )
