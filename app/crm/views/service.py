"""Complaints and service requests (投诉/客户服务): the list with its filters, the page that
records one (customer found by phone), one request with its progress notes and the steps the
user may take, and "assigned to me". Rules in services/service_requests.py."""
from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import expose, has_access
from flask_appbuilder.fieldwidgets import Select2Widget
from flask_appbuilder.models.filters import BaseFilter
from flask_appbuilder.models.sqla.filters import FilterEqual, FilterInFunction
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from wtforms import SelectField

from app.core import clock, personal_data
from app.core.errors import BusinessError
from app.core.services.lookup import active_values
from app.core.views.base import LoupanModelView
from app.crm.models import Customer, ServiceRequest
from app.crm.models.service_request import TYPE_LISTS
from app.crm.services import scope
from app.crm.services import service_requests as service
from app.crm.views import when
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

SERVICE = "Customer service"
REQUESTS = "Service requests"
RECORD = "Record a complaint or request"
MINE = "Service requests assigned to me"
FIELDS = ("customer", "kind", "type", "urgency", "project", "due_date", "content", "assigned_to")


class ServiceScopeFilter(BaseFilter):
    """Base filter: only the requests the user may see (pages, API)."""

    name = "scope"
    arg_name = None

    def apply(self, query, value):
        condition = service.visible_condition()
        return query.filter(condition) if condition is not None else query


SCOPED = [["id", ServiceScopeFilter, None]]


def _badge(labels, classes):
    def render(value):
        return Markup('<span class="label label-%s">%s</span>') % (classes.get(value, "default"),
                                                                    labels.get(value, value or ""))
    return render


STATUS_CLASSES = {"open": "danger", "assigned": "warning", "in_progress": "info", "resolved": "primary",
                  "closed": "success"}
URGENCY_CLASSES = {"low": "default", "normal": "info", "high": "warning", "urgent": "danger"}


def _types():
    return [["list_code", FilterInFunction, lambda: list(TYPE_LISTS.values())]]


class ServiceRequestView(LoupanModelView):
    datamodel = SQLAInterface(ServiceRequest)
    list_title = _l("Complaints and service requests")
    show_title = _l("Service request")
    base_permissions = ["can_list", "can_show", "can_add", "can_mine", "can_handle", "can_assign", "can_close"]
    method_permission_name = {"mine": "mine", "note": "handle", "start": "handle", "resolve": "handle",
                              "assign": "assign", "close": "close", "reopen": "close"}
    base_filters = SCOPED
    list_columns = ["id", "received_at", "customer", "kind", "type", "urgency", "status", "assigned_to", "due_date"]
    show_columns = ["id", "customer", "project", "kind", "type", "urgency", "status", "content", "received_at",
                    "received_by", "assigned_to", "assigned_at", "due_date", "resolution", "resolved_at",
                    "satisfaction", "closed_at"]
    search_columns = ["status", "urgency", "kind", "type", "assigned_to", "received_by", "project", "received_at",
                      "due_date", "satisfaction"]
    base_order = ("received_at", "desc")
    label_columns = {
        "id": _l("No."), "customer": _l("Customer"), "project": _l("Project"), "kind": _l("Complaint or service"),
        "type": _l("Type"), "urgency": _l("Urgency"), "status": _l("Status"), "content": _l("Customer's request"),
        "received_at": _l("Received at"), "received_by": _l("Taken by"), "assigned_to": _l("Assigned to"),
        "assigned_at": _l("Assigned at"), "due_date": _l("Due date"), "resolution": _l("Resolution"),
        "resolved_at": _l("Resolved at"), "satisfaction": _l("Customer satisfaction"), "closed_at": _l("Closed at"),
    }
    formatters_columns = {
        "kind": service.kind_label,
        "urgency": _badge(service.URGENCY_LABELS, URGENCY_CLASSES),
        "status": _badge(service.STATUS_LABELS, STATUS_CLASSES),
        "satisfaction": service.satisfaction_label,
        "id": lambda v: "#%s" % v,
        "received_at": when, "assigned_at": when, "resolved_at": when, "closed_at": when,
    }
    search_form_extra_fields = {
        "status": SelectField(_l("Status"), choices=lambda: [(k, str(v)) for k, v in service.STATUS_LABELS.items()],
                              widget=Select2Widget()),
        "urgency": SelectField(_l("Urgency"),
                               choices=lambda: [(k, str(v)) for k, v in service.URGENCY_LABELS.items()],
                               widget=Select2Widget()),
        "kind": SelectField(_l("Complaint or service"),
                            choices=lambda: [(k, str(v)) for k, v in service.KIND_LABELS.items()],
                            widget=Select2Widget()),
    }
    search_form_query_rel_fields = {"type": _types(), "project": [["active", FilterEqual, True]]}

    # ---- pages

    def _refuse(self, message):
        flash(message, "danger")
        return redirect(url_for(".list"))

    def _item(self, pk):
        """(request, None) or (None, response): missing → 404, someone else's → refused."""
        try:
            item = service.get_visible(pk)
        except service.Refused as refusal:
            return None, self._refuse(str(refusal))
        if item is None:
            abort(404)
        return item, None

    @expose("/show/<pk>")
    @has_access
    def show(self, pk):
        item, refused = self._item(pk)
        if refused:
            return refused
        actions = service.actions_for(item)
        employees = self._employees() if "assign" in actions else []
        return self.render_template(
            "crm/service_request.html", item=item, notes=service.notes_of(item), actions=actions,
            employees=employees, svc=service, overdue=service.is_overdue(item),
            phone=personal_data.shown(item.customer.phone),
            may_open_customer=self.appbuilder.sm.has_access("can_show", "Customer360View")
            and scope.may_see_owner(item.customer.owner_id),
            may_history=self.appbuilder.sm.has_access("can_history", "AuditLogView"), when=when,
        )

    def _employees(self):
        return (db.session.query(Employee).filter(Employee.status == "active")
                .order_by(Employee.department_id, Employee.number).all())

    def _render_add(self, values, found=None, phone_error=None, status=200):
        type_lists = {kind: active_values(code).all() for kind, code in TYPE_LISTS.items()}
        projects = db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()
        return self.render_template(
            "crm/service_record.html", values=values, found=found, phone_error=phone_error, type_lists=type_lists,
            projects=projects, svc=service, employees=self._employees() if service.is_coordinator() else [],
            today=clock.local_today(),
        ), status

    def _customer_from(self, values):
        """The customer named by the form (id) or found by its phone: (summary or None, error)."""
        phone = (values.get("phone") or "").strip()
        customer = None
        if values.get("customer", "").isdigit() and int(values["customer"]) < 2 ** 31:
            customer = db.session.get(Customer, int(values["customer"]))
        if customer is None and phone:
            try:
                customer = service.find_customer(phone)
            except BusinessError as e:
                return None, str(e)
            if customer is None:
                return None, _("No customer has this phone. Register the customer first (visit or call).")
        if customer is None:
            return None, None
        info = service.customer_summary(customer)
        if not info["visible"]:
            scope.log_refusal("customer", customer.id)
        return info, None

    @expose("/add", methods=["GET", "POST"])
    @has_access
    def add(self):
        source = request.args if request.method == "GET" else request.form
        values = {k: (source.get(k) or "").strip() for k in FIELDS + ("phone",)}
        values["kind"] = values["kind"] or "complaint"
        values["urgency"] = values["urgency"] or "normal"
        found, phone_error = self._customer_from(values)
        if found is not None and found["visible"]:
            values["customer"] = str(found["id"])
        else:
            values["customer"] = ""
        if request.method == "GET" or request.form.get("action") == "find":
            return self._render_add(values, found, phone_error)
        if found is None or not found["visible"]:
            message = phone_error or (_("This customer belongs to another salesperson; you may not open it.")
                                      if found is not None else _("Find the customer by their phone first."))
            flash(message, "danger")
            return self._render_add(values, found, phone_error, 422)
        try:
            item = service.record(values["customer"], values["kind"], values["type"], values["content"],
                                  urgency=values["urgency"], project_id=values["project"],
                                  due_date=values["due_date"], assigned_to_id=values["assigned_to"])
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self._render_add(values, found, None, 422)
        flash(_("%(kind)s #%(id)d recorded for %(name)s.", kind=service.kind_label(item.kind), id=item.id,
                name=item.customer.name), "success")
        return redirect(url_for(".show", pk=item.id))

    @expose("/mine/")
    @has_access
    def mine(self):
        me = scope.current_employee()
        items = service.assigned_to(me) if me is not None else []
        waiting = service.unassigned() if service.is_coordinator() else []
        return self.render_template("crm/service_mine.html", items=items, waiting=waiting, svc=service,
                                    today=clock.local_today(), me=me, when=when)

    # ---- steps (POST from the request's page)

    def _step(self, pk, step, done):
        item, refused = self._item(pk)
        if refused:
            return refused
        try:
            step(item)
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
        else:
            flash(done, "success")
        return redirect(url_for(".show", pk=item.id))

    @expose("/assign/<pk>", methods=["POST"])
    @has_access
    def assign(self, pk):
        return self._step(pk, lambda item: service.assign(item, request.form.get("assigned_to")),
                          _("Assigned; they have been told."))

    @expose("/start/<pk>", methods=["POST"])
    @has_access
    def start(self, pk):
        return self._step(pk, service.start, _("Work on the request has started."))

    @expose("/note/<pk>", methods=["POST"])
    @has_access
    def note(self, pk):
        return self._step(pk, lambda item: service.add_note(item, request.form.get("text")), _("Note added."))

    @expose("/resolve/<pk>", methods=["POST"])
    @has_access
    def resolve(self, pk):
        return self._step(pk, lambda item: service.resolve(item, request.form.get("resolution")),
                          _("Resolved. Ask the customer how satisfied they are, then close it."))

    @expose("/close/<pk>", methods=["POST"])
    @has_access
    def close(self, pk):
        return self._step(pk, lambda item: service.close(item, request.form.get("satisfaction"),
                                                         request.form.get("comment")), _("Closed."))

    @expose("/reopen/<pk>", methods=["POST"])
    @has_access
    def reopen(self, pk):
        return self._step(pk, lambda item: service.reopen(item, request.form.get("reason")), _("Reopened."))

    def list_links(self):
        links = []
        if self.appbuilder.sm.has_access("can_add", self.class_permission_name):
            links.append((_l("Record a complaint or request"), url_for(".add"), "fa-plus"))
        if self.appbuilder.sm.has_access("can_mine", self.class_permission_name):
            links.append((_l("Assigned to me"), url_for(".mine"), "fa-user-check"))
        return links


def init_app(app, appbuilder, first):
    """first: True the first time in this process (register demo data, home panels once)."""
    from app.core import home, roles
    from app.core.services import setup
    from app.crm import CUSTOMERS
    from app.crm.api.service import ServiceRequestApi
    from app.crm.services import timeline

    if first:
        from app import demo
        demo.register(service.load_demo)
        setup.register_seed(service.seed_lookups)
        home.register_panel(service.home_panel)
        timeline.register(service.timeline_entries)
    extra = tuple(getattr(roles, "EXTRA_PERMISSIONS", ()))
    if (service.SEE_ALL, service.SCOPE_MENU) not in extra:
        roles.EXTRA_PERMISSIONS = extra + ((service.SEE_ALL, service.SCOPE_MENU),)

    appbuilder.add_view(ServiceRequestView, REQUESTS, label=_l("Complaints and service"), icon="fa-headset",
                        category=CUSTOMERS)
    appbuilder.add_link(RECORD, label=_l("Record a complaint or request"), href="/servicerequestview/add",
                        icon="fa-plus-circle", category=CUSTOMERS)
    appbuilder.add_link(MINE, label=_l("Service requests assigned to me"), href="/servicerequestview/mine/",
                        icon="fa-user-check", category=CUSTOMERS)
    appbuilder.add_api(ServiceRequestApi)

    work = ("can_list", "can_show", "can_add", "can_mine", "can_handle")
    roles.extend(
        permissions={
            roles.SALES: {"ServiceRequestView": work},
            roles.MANAGER: {"ServiceRequestView": work + ("can_assign", "can_close")},
            roles.SERVICE: {"ServiceRequestView": work + ("can_assign", "can_close"),
                            service.SCOPE_MENU: (service.SEE_ALL,)},
        },
        menus={roles.SALES: [CUSTOMERS, REQUESTS, RECORD, MINE], roles.MANAGER: [CUSTOMERS, REQUESTS, RECORD, MINE],
               roles.SERVICE: [CUSTOMERS, REQUESTS, RECORD, MINE]},
    )
