"""Employee transfer (员工调动): a manager asks to move an employee to another department; an
admin approves, and the move is made in the transaction that records the approval.

The effective date is recorded with the request and shown to the approver; the move itself
happens when the request is approved."""
import datetime as dt

from flask import current_app, flash, g, redirect, request, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.fieldwidgets import BS3TextAreaFieldWidget, DatePickerWidget, Select2Widget
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy.orm import lazyload
from wtforms import DateField, SelectField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional

from app.core import roles
from app.core.errors import BusinessError
from app.core.services import approvals
from app.extensions import db
from app.org.models import Department, Employee

KIND = "employee_transfer"
TRANSFER_MENU = "Request transfer"


# ---------------------------------------------------------------- the rules

def _int(value, message):
    if isinstance(value, bool):
        raise BusinessError(message)
    try:
        return int(value)
    except (TypeError, ValueError):
        raise BusinessError(message)


def _date(value):
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except (TypeError, ValueError):
        raise BusinessError(_("Please give the effective date as YYYY-MM-DD."))


def _check(employee, department, employee_id, department_id):
    if employee is None:
        raise BusinessError(_("Employee #%(id)s does not exist.", id=employee_id))
    if employee.status != "active":
        raise BusinessError(_("%(name)s is not an active employee.", name=employee.name))
    if department is None:
        raise BusinessError(_("Department #%(id)s does not exist.", id=department_id))
    if not department.active:
        raise BusinessError(_("The department “%(name)s” is not active.", name=department.name))
    if employee.department_id == department.id:
        raise BusinessError(_("%(name)s is already in “%(dept)s”.", name=employee.name, dept=department.name))


def validate(payload, requester):
    """The request as it is saved: ids checked, names kept for the record."""
    employee_id = _int(payload.get("employee_id"), _("Please choose an employee."))
    department_id = _int(payload.get("to_department_id"), _("Please choose the new department."))
    effective = _date(payload.get("effective_date") or dt.date.today())
    employee = db.session.get(Employee, employee_id)
    department = db.session.get(Department, department_id)
    _check(employee, department, employee_id, department_id)
    return {
        "employee_id": employee.id,
        "employee": str(employee),
        "from_department_id": employee.department_id,
        "from_department": employee.department.name if employee.department else None,
        "to_department_id": department.id,
        "to_department": department.name,
        "effective_date": effective.isoformat(),
    }


def apply(req):
    """Move the employee; the employee row is locked and everything checked again."""
    payload = req.payload or {}
    employee_id = _int(payload.get("employee_id"), _("The request names no employee."))
    department_id = _int(payload.get("to_department_id"), _("The request names no department."))
    employee = (db.session.query(Employee).options(lazyload("*")).filter(Employee.id == employee_id)
                .with_for_update(of=Employee).populate_existing().one_or_none())
    department = db.session.get(Department, department_id)
    _check(employee, department, employee_id, department_id)
    employee.department = department
    employee.department_id = department.id


def describe(req):
    payload = req.payload or {}
    employee = db.session.get(Employee, payload.get("employee_id")) if payload.get("employee_id") else None
    target = db.session.get(Department, payload.get("to_department_id")) if payload.get("to_department_id") else None
    rows = [
        (_("Employee"), str(employee) if employee else payload.get("employee")),
        (_("From department"), payload.get("from_department")),
        (_("To department"), target.name if target else payload.get("to_department")),
        (_("Effective date"), payload.get("effective_date")),
    ]
    if employee is not None and req.status == "pending" and employee.department_id != payload.get("from_department_id"):
        rows.append((_("Department now"), employee.department.name if employee.department else "—"))
    return rows


def link(req):
    """The approval page links to the employee being moved."""
    employee_id = (req.payload or {}).get("employee_id")
    if not isinstance(employee_id, int) or isinstance(employee_id, bool) or \
            not current_app.appbuilder.sm.has_access("can_show", "EmployeeView"):
        return None
    return _("Open the employee"), url_for("EmployeeView.show", pk=employee_id)


def request_transfer(requester, employee_id, to_department_id, effective_date, reason=None):
    """Submit an employee transfer for approval; returns the ApprovalRequest."""
    payload = validate({"employee_id": employee_id, "to_department_id": to_department_id,
                        "effective_date": effective_date}, requester)
    with force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh")):
        summary = _("Transfer %(employee)s from “%(source)s” to “%(target)s” on %(date)s",
                    employee=payload["employee"], source=payload["from_department"] or "—",
                    target=payload["to_department"], date=payload["effective_date"])
    return approvals.submit(KIND, requester, "employee", payload["employee_id"], payload, summary, reason)


# ---------------------------------------------------------------- the page

def _employee_choices():
    rows = (db.session.query(Employee).filter(Employee.status == "active")
            .order_by(Employee.number).all())
    return [("", "")] + [(str(e.id), "%s · %s" % (e, e.department.name if e.department else "")) for e in rows]


def _department_choices():
    rows = (db.session.query(Department).filter(Department.active.is_(True))
            .order_by(Department.sort_order, Department.id).all())
    return [("", "")] + [(str(d.id), "%s (%s)" % (d.name, d.code)) for d in rows]


class TransferForm(FlaskForm):
    employee = SelectField(_l("Employee"), validators=[InputRequired()], widget=Select2Widget())
    to_department = SelectField(_l("New department"), validators=[InputRequired()], widget=Select2Widget())
    effective_date = DateField(_l("Effective date"), validators=[InputRequired()], format="%Y-%m-%d",
                               widget=DatePickerWidget(), default=dt.date.today)
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=1000)],
                           widget=BS3TextAreaFieldWidget())


class EmployeeTransferView(BaseView):
    """员工调动申请: the form that starts an employee transfer request."""

    route_base = "/employeetransfer"
    default_view = "new"
    method_permission_name = {"new": "request"}
    base_permissions = ["can_request"]

    @expose("/request/", methods=["GET", "POST"])
    @has_access
    def new(self):
        form = TransferForm()
        form.employee.choices = _employee_choices()
        form.to_department.choices = _department_choices()
        if request.method == "GET" and request.args.get("employee", "").isdigit():
            form.employee.data = request.args["employee"]
        if form.validate_on_submit():
            try:
                req = request_transfer(g.user, form.employee.data,
                                       form.to_department.data, form.effective_date.data, form.reason.data)
            except BusinessError as e:
                flash(str(e), "danger")
            else:
                flash(_("Your request #%(id)d has been sent for approval.", id=req.id), "success")
                return redirect(url_for("ApprovalView.show", pk=req.id))
        return self.render_template("core/approval_form.html", form=form,
                                    title=_("Request an employee transfer"))


def init_app(app, appbuilder):
    from app.org import ORG
    approvals.register_kind(KIND, _l("Employee transfer"), apply=apply, approver_roles=(roles.ADMIN,),
                            describe=describe, validate=validate, link=link)
    appbuilder.add_view(EmployeeTransferView, TRANSFER_MENU, label=_l("Request transfer"),
                        icon="fa-exchange-alt", category=ORG)
    roles.extend(permissions={roles.MANAGER: {"EmployeeTransferView": ("can_request",)}},
                 menus={roles.MANAGER: [TRANSFER_MENU]})
