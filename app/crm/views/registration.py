"""The visit and call registration page (来访/来电登记): phone first; the customer is found
(whoever owns them, shown masked if not the user's) or made; then the visit is recorded."""
from flask import flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.services.lookup import active_values
from app.crm.models import Customer
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.crm.services import visits as visit_service
from app.crm.services.validation import clean_phone
from app.crm.views import VISIT_KIND_LABELS
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

FIELDS = ("phone", "name", "gender", "project", "kind", "channel", "received_by", "layout_wanted", "area_min",
          "area_max", "budget_min", "budget_max", "floors_wanted", "notes")


def _found(phone):
    """(summary of the customer with this phone or None, message if the phone is malformed)."""
    if not (phone or "").strip():
        return None, None
    try:
        phone = clean_phone(phone)
    except BusinessError as e:
        return None, str(e)
    customer = customer_service.find_by_phone(phone)
    return (customer_service.summary(customer) if customer is not None else None), None


class VisitRegistrationView(BaseView):
    route_base = "/crm/register"
    default_view = "register"
    base_permissions = ["can_register"]

    def _render(self, values, status=200):
        found, phone_error = _found(values.get("phone"))
        me = scope.current_employee()
        employees = (db.session.query(Employee).filter(Employee.status == "active")
                     .order_by(Employee.department_id, Employee.number).all())
        projects = db.session.query(Project).filter(Project.active.is_(True)).order_by(Project.code).all()
        if not values.get("received_by") and me is not None:
            values["received_by"] = str(me.id)
        return self.render_template(
            "crm/register.html", values=values, found=found, phone_error=phone_error, projects=projects,
            channels=active_values("visit_channel").all(), employees=employees, kinds=VISIT_KIND_LABELS,
        ), status

    @expose("/", methods=["GET", "POST"])
    @has_access
    def register(self):
        if request.method == "GET":
            values = {k: request.args.get(k, "") for k in FIELDS}
            phone_of = request.args.get("phone_of", "")
            if phone_of.isdigit():
                customer = db.session.get(Customer, int(phone_of))
                if customer is not None and scope.may_see_owner(customer.owner_id):
                    values["phone"] = customer.phone or ""
            return self._render(values)
        values = {k: request.form.get(k, "").strip() for k in FIELDS}
        if request.form.get("action") == "find":
            return self._render(values)
        try:
            visit, created = visit_service.register_visit(
                values["phone"], values["project"], name=values["name"], kind=values["kind"] or "visit",
                channel_id=values["channel"], received_by_id=values["received_by"], gender=values["gender"] or None,
                layout_wanted=values["layout_wanted"], area_min=values["area_min"], area_max=values["area_max"],
                budget_min=values["budget_min"], budget_max=values["budget_max"],
                floors_wanted=values["floors_wanted"], notes=values["notes"], user=scope.acting_user())
        except BusinessError as e:
            db.session.rollback()
            flash(str(e), "danger")
            return self._render(values, 422)
        info = customer_service.summary(visit.customer)
        kind = visit_service.kind_label(visit.kind)
        if visit.is_first:
            flash(_("%(kind)s registered: first visit of %(name)s to %(project)s.", kind=kind, name=info["name"],
                    project=visit.project.name), "success")
        else:
            flash(_("%(kind)s registered: repeat visit of %(name)s to %(project)s.", kind=kind, name=info["name"],
                    project=visit.project.name), "success")
        if created:
            flash(_("New customer %(name)s, owned by %(owner)s.", name=info["name"], owner=info["owner"] or "—"),
                  "info")
        if info["visible"] and self.appbuilder.sm.has_access("can_show", "CustomerView"):
            return redirect(url_for("CustomerView.show", pk=visit.customer_id))
        if not info["visible"] and not created and info["owner_id"] is None:
            flash(_("%(name)s is in the public pool; claim them from the pool to follow them up.",
                    name=info["name"]), "info")
        elif not info["visible"] and not created:
            flash(_("%(name)s is a customer of %(owner)s, who has been told of the visit.", name=info["name"],
                    owner=info["owner"] or "—"), "info")
        return redirect(url_for("VisitRegistrationView.register"))
