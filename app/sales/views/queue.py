"""认筹排号 and 开盘选房: the queue of sincerity tickets per project (register, list, print, export,
void, refund), the opening-day operator page, the hall screen and the pick confirmation that
turns a called ticket into a subscription."""
from flask import abort, flash, jsonify, redirect, request, send_file, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock, display, excel
from app.core.errors import BusinessError
from app.core.views.base import record_ids
from app.crm.models import Customer
from app.crm.services import scope
from app.extensions import db
from app.inventory.models import Building, Layout, Project, Room
from app.org.models import Employee
from app.sales.models import PAYMENT_METHODS
from app.sales.services import deals
from app.sales.services import plans as plan_rules
from app.sales.services import queue as service
from app.sales.services import trial as trials

MENU = "Queue"
VIEW = "QueueView"
CUSTOMER_CHOICES = 500


def _first_id(value):
    ids = record_ids([value or ""])
    return ids[0] if ids else None


def _page():
    return _first_id(request.args.get("page")) or 0


def _refunds():
    from flask import current_app
    return current_app.appbuilder.sm.has_access("can_refund", VIEW)


def _may(permission):
    from flask import current_app
    return current_app.appbuilder.sm.has_access(permission, VIEW)


def _ticket_or_404(pk):
    try:
        return service.get_ticket(pk, refunds=_refunds())
    except (deals.NotFound, deals.OutOfScope):
        abort(404)


def _session_or_404(pk):
    try:
        session = service.get_session(pk)
        service.get_project(session.project)
        return session
    except BusinessError:
        abort(404)


def _project_or_404(pk):
    try:
        return service.get_project(pk)
    except BusinessError:
        abort(404)


def _visible_customers():
    query = db.session.query(Customer.id, Customer.name)
    condition = scope.owner_condition(Customer.owner_id)
    if condition is not None:
        query = query.filter(condition)
    return query.order_by(Customer.name, Customer.id).limit(CUSTOMER_CHOICES).all()


def _sellers():
    query = db.session.query(Employee).filter(Employee.status == "active")
    condition = scope.owner_condition(Employee.id)
    if condition is not None:
        query = query.filter(condition)
    return query.order_by(Employee.number).all()


class QueueView(BaseView):
    route_base = "/sales/queue"
    default_view = "index"
    base_permissions = ["can_list", "can_register", "can_pick", "can_operate", "can_screen", "can_refund"]
    method_permission_name = {
        "index": "list", "ticket": "list", "new": "register", "void": "register", "refund": "register",
        "refunded": "refund", "pick": "pick", "start": "operate", "session": "operate", "call_next": "operate",
        "skip": "operate", "recall": "operate", "end": "operate", "screen": "screen", "screen_data": "screen",
    }

    # ------------------------------------------------------------ the queue list

    @expose("/")
    @has_access
    def index(self):
        projects = service.queue_projects()
        finance = _refunds() and not _may("can_register")
        if finance:
            # Finance pays refunds of every project, whatever the sales permissions.
            projects = db.session.query(Project).order_by(Project.code).all()
        args = request.args
        project_id = _first_id(args.get("project"))
        project = next((p for p in projects if p.id == project_id), None)
        if project is None and projects:
            project = projects[0]
        if project is None:
            return self.render_template("sales/queue.html", projects=projects, project=None, rows=[], total=0,
                                        page=0, pages=1, filters={}, names={}, sellers=[],
                                        labels=service.STATUS_LABELS, opening=None, may=_may,
                                        page_url=lambda n: "", printing=False, money=display.money,
                                        method_label=service.method_label)
        status = args.get("status") if args.get("status") in service.STATUS_LABELS else ""
        if finance and "status" not in args:
            status = "refund_requested"
        employee_id = _first_id(args.get("employee"))
        filters = {"project": project.id, "status": status, "employee": employee_id or ""}
        printing = args.get("print") == "1"
        if args.get("export") == "xlsx":
            return self._export(project, status, employee_id)
        page = None if printing else _page()
        total, rows = service.tickets(project.id, status or None, employee_id, refunds=_refunds(), page=page)
        pages = max(1, (total + service.PAGE_SIZE - 1) // service.PAGE_SIZE)
        return self.render_template(
            "sales/queue.html", projects=projects, project=project, rows=rows, total=total, page=page or 0,
            pages=pages, filters=filters, names=service.preference_names(rows), sellers=_sellers(),
            labels=service.STATUS_LABELS, opening=service.open_session(project.id), may=_may, printing=printing,
            method_label=service.method_label, money=display.money, query={k: v for k, v in filters.items() if v},
            page_url=lambda n: url_for("QueueView.index", page=n, **{k: v for k, v in filters.items() if v}))

    def _export(self, project, status, employee_id):
        _total, rows = service.tickets(project.id, status or None, employee_id, refunds=_refunds())
        names = service.preference_names(rows)
        headers = [_("Queue number"), _("Customer"), _("Salesperson"), _("Amount"), _("Paid on"),
                   _("Payment method"), _("Layouts wanted"), _("Buildings wanted"), _("Floors wanted"), _("Note"),
                   _("Status")]
        data = [[t.number, t.customer.name, t.employee.name, t.amount, t.paid_on, service.method_label(t.method),
                 "、".join(names[t.id][0]), "、".join(names[t.id][1]), t.want_floors or "", t.note or "",
                 service.status_label(t.status)] for t in rows]
        body = excel.workbook_bytes(_("Queue"), headers, data)
        import io
        name = "queue-%s-%s.xlsx" % (project.code, clock.local_today().isoformat())
        return send_file(io.BytesIO(body), as_attachment=True, download_name=name,
                         mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")

    # ------------------------------------------------------------ register

    @expose("/new", methods=["GET", "POST"])
    @has_access
    def new(self):
        projects = service.queue_projects()
        source = request.form if request.method == "POST" else request.args
        project_id = _first_id(source.get("project"))
        project = next((p for p in projects if p.id == project_id), projects[0] if projects else None)
        values = {k: (source.get(k) or "").strip() for k in ("customer", "amount", "paid_on", "method", "reference",
                                                             "floors", "note", "employee")}
        values["paid_on"] = values["paid_on"] or clock.local_today().isoformat()
        values["method"] = values["method"] or "transfer"
        layouts_wanted = source.getlist("layout")
        buildings_wanted = source.getlist("building")
        error = None
        if request.method == "POST" and project is not None:
            employee = None
            employee_id = _first_id(values["employee"])
            if employee_id and service.is_supervisor(deals._user(None)):
                employee = db.session.get(Employee, employee_id)
            try:
                ticket = service.register(project, values["customer"], values["amount"], values["paid_on"],
                                          values["method"], values["reference"], employee=employee,
                                          layouts=layouts_wanted, buildings=buildings_wanted,
                                          floors=values["floors"], note=values["note"])
            except BusinessError as e:
                db.session.rollback()
                error = str(e)
            else:
                flash(_("Queue number %(number)s of %(project)s for %(customer)s.", number=ticket.number,
                        project=project.name, customer=ticket.customer.name), "success")
                return redirect(url_for("QueueView.ticket", pk=ticket.id))
        layouts = buildings = []
        if project is not None:
            layouts = db.session.query(Layout).filter(Layout.project_id == project.id).order_by(Layout.name).all()
            buildings = (db.session.query(Building).filter(Building.project_id == project.id)
                         .order_by(Building.name).all())
        return self.render_template(
            "sales/queue_new.html", projects=projects, project=project, values=values, error=error,
            customers=_visible_customers(), layouts=layouts, buildings=buildings,
            layouts_wanted=set(layouts_wanted), buildings_wanted=set(buildings_wanted),
            methods=[(m, service.method_label(m)) for m in PAYMENT_METHODS],
            sellers=_sellers() if service.is_supervisor(deals._user(None)) else [])

    # ------------------------------------------------------------ one ticket

    @expose("/tickets/<pk>")
    @has_access
    def ticket(self, pk):
        ticket = _ticket_or_404(pk)
        names = service.preference_names([ticket])[ticket.id]
        return self.render_template("sales/queue_ticket.html", t=ticket, names=names, may=_may,
                                    money=display.money, status_label=service.status_label,
                                    method_label=service.method_label)

    def _act(self, pk, action, done):
        ticket = _ticket_or_404(pk)
        try:
            action(ticket)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
        else:
            flash(done(ticket), "success")
        return redirect(url_for("QueueView.ticket", pk=ticket.id))

    @expose("/tickets/<pk>/void", methods=["POST"])
    @has_access
    def void(self, pk):
        return self._act(pk, lambda t: service.void(t, request.form.get("reason")),
                         lambda t: _("Queue number %(number)s is void.", number=t.number))

    @expose("/tickets/<pk>/refund", methods=["POST"])
    @has_access
    def refund(self, pk):
        return self._act(pk, lambda t: service.request_refund(t, request.form.get("reason")),
                         lambda t: _("The refund of queue number %(number)s is handed to finance.", number=t.number))

    @expose("/tickets/<pk>/refunded", methods=["POST"])
    @has_access
    def refunded(self, pk):
        return self._act(pk, service.mark_refunded,
                         lambda t: _("Queue number %(number)s is refunded.", number=t.number))

    # ------------------------------------------------------------ the pick

    @expose("/tickets/<pk>/pick", methods=["GET", "POST"])
    @has_access
    def pick(self, pk):
        ticket = _ticket_or_404(pk)
        source = request.form if request.method == "POST" else request.args
        room_id = _first_id(source.get("room"))
        room = db.session.get(Room, room_id) if room_id else None
        error = None
        if room is None:
            error = _("Choose an available room.") if not source.get("room") else _("There is no such room.")
        else:
            try:
                service.check_pickable(ticket, room)
            except BusinessError as e:
                error = str(e)
        available = plan_rules.plans_for(ticket.project_id)
        plan_id = _first_id(source.get("plan")) or (available[0].id if available else None)
        plan = next((p for p in available if p.id == plan_id), None)
        first_home = source.get("first_home", "1") != "0"
        trial = None
        if error is None and room.status != "available":
            error = deals.taken_message(room.id)
        if error is None and plan is not None:
            try:
                trial = trials.trial(room, plan, first_home=first_home)
            except BusinessError as e:
                error = str(e)
        if request.method == "POST" and error is None:
            try:
                deal = service.choose(ticket, room, plan, first_home=first_home)
            except BusinessError as e:
                db.session.rollback()
                error = str(e)
            else:
                flash(_("Queue number %(number)s chose room %(room)s: subscription %(no)s, sincerity deposit "
                        "¥%(amount)s converted into the deposit.", number=ticket.number, room=room.code,
                        no=deal.subscription_no, amount="{:,.2f}".format(ticket.converted_amount)), "success")
                session = service.open_session(ticket.project_id)
                if session is not None and service.is_supervisor(deals._user(None)):
                    return redirect(url_for("QueueView.session", pk=session.id))
                return redirect(url_for("QueueView.ticket", pk=ticket.id))
        split = service.deposit_split(trial.deposit, ticket.amount) if trial is not None else None
        return self.render_template("sales/opening_pick.html", t=ticket, room=room, plans=available, plan=plan,
                                    trial=trial, split=split, error=error, first_home=first_home,
                                    rooms=_available_rooms(ticket.project_id) if room is None else [],
                                    money=display.money, area=display.area)

    # ------------------------------------------------------------ opening day

    @expose("/sessions/start", methods=["POST"])
    @has_access
    def start(self):
        project = _project_or_404(request.form.get("project"))
        try:
            session = service.start(project)
        except BusinessError as e:
            db.session.rollback()
            running = service.open_session(project.id)
            if running is None:
                flash(str(e), "danger")
                return redirect(url_for("QueueView.index", project=project.id))
            session = running
        return redirect(url_for("QueueView.session", pk=session.id))

    @expose("/sessions/<pk>")
    @has_access
    def session(self, pk):
        session = _session_or_404(pk)
        current = session.current_ticket
        names = service.preference_names([current]) if current is not None else {}
        upcoming = service.next_valid(session.project_id, service.SCREEN_NEXT)
        _total, skipped = service.tickets(session.project_id, "skipped")
        chart = None
        if current is not None:
            try:
                chart = url_for("SalesChartView.index", project=session.project_id, ticket=current.id)
            except Exception:  # the chart is not installed in this build
                chart = None
        return self.render_template(
            "sales/opening.html", s=session, current=current, names=names.get(getattr(current, "id", None)),
            upcoming=upcoming, skipped=skipped, chart=chart, status_label=service.status_label, money=display.money,
            rooms=_available_rooms(session.project_id) if current is not None and current.status == "called" else [])

    def _step(self, pk, action):
        session = _session_or_404(pk)
        try:
            message = action(session)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
        else:
            if message:
                flash(message, "info")
        return redirect(url_for("QueueView.session", pk=session.id))

    @expose("/sessions/<pk>/next", methods=["POST"])
    @has_access
    def call_next(self, pk):
        def act(session):
            ticket, passed = service.call_next(session)
            parts = []
            if passed is not None:
                parts.append(_("Number %(number)s passed over (skipped).", number=passed.number))
            parts.append(_("Now calling number %(number)s.", number=ticket.number) if ticket is not None
                         else _("No valid numbers are left in the queue."))
            return " ".join(parts)
        return self._step(pk, act)

    @expose("/sessions/<pk>/skip", methods=["POST"])
    @has_access
    def skip(self, pk):
        return self._step(pk, lambda s: _("Number %(number)s skipped; it can be called again later.",
                                          number=service.skip(s).number))

    @expose("/sessions/<pk>/recall/<ticket_id>", methods=["POST"])
    @has_access
    def recall(self, pk, ticket_id):
        def act(session):
            try:
                ticket = service.get_ticket(ticket_id)
            except deals.OutOfScope:
                raise BusinessError(_("There is no such sincerity ticket."))
            service.recall(session, ticket)
            return _("Now calling number %(number)s again.", number=ticket.number)
        return self._step(pk, act)

    @expose("/sessions/<pk>/end", methods=["POST"])
    @has_access
    def end(self, pk):
        session = _session_or_404(pk)
        try:
            service.end(session)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return redirect(url_for("QueueView.session", pk=session.id))
        flash(_("The opening-day selection of %(project)s has ended.", project=session.project.name), "info")
        return redirect(url_for("QueueView.index", project=session.project_id))

    # ------------------------------------------------------------ the hall screen

    @expose("/<pk>/screen")
    @has_access
    def screen(self, pk):
        project = _project_or_404(pk)
        return self.render_template("sales/opening_screen.html", project=project, data=service.screen(project.id))

    @expose("/<pk>/screen.json")
    @has_access
    def screen_data(self, pk):
        project = _project_or_404(pk)
        return jsonify(service.screen(project.id))


def _available_rooms(project_id, limit=300):
    """A plain choice of available rooms (the chart offers the same from each room's card)."""
    return (db.session.query(Room.id, Room.code, Room.list_total_price)
            .filter(Room.project_id == project_id, Room.status == "available", Room.list_total_price > 0)
            .order_by(Room.code).limit(limit).all())


def init_app(app, appbuilder, first):
    from app.core import roles
    from app.crm.services import timeline
    from app.sales import SALES

    appbuilder.add_view(QueueView, MENU, label=_l("Queue"), icon="fa-list-ol", category=SALES)
    timeline.register(service.timeline_entries)
    roles.extend(
        permissions={roles.SALES: {VIEW: ("can_list", "can_register", "can_pick", "can_screen")},
                     roles.MANAGER: {VIEW: ("can_list", "can_register", "can_pick", "can_operate", "can_screen")},
                     roles.FINANCE: {VIEW: ("can_list", "can_refund")}},
        menus={roles.SALES: [SALES, MENU], roles.MANAGER: [SALES, MENU], roles.FINANCE: [SALES, MENU]},
    )
