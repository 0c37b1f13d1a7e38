"""Transfers (客户转交): a supervisor (within their department) or an admin moves customers to
another salesperson, with a reason — e.g. when someone leaves. The customers' opportunities owned
by the old owner move with them (not those in the public pool); each customer keeps a history row.
All or nothing: any refusal changes nothing. Written with one statement per table."""
import dataclasses
import uuid

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext

from app.core.models.base import utcnow
from app.core.services import notifications
from app.crm.models import Customer, CustomerTransfer, Opportunity
from app.crm.services import scope
from app.crm.services.customers import mask_name
from app.crm.services.pool import NotFound, OutOfScope, Refusal, _audit_rows
from app.extensions import db
from app.org.models import Employee

MAX_CUSTOMERS = 5000
REASON_MAX = 500
CHUNK = 500
# Who can take customers over: a login that may open the customer list.
WORK_PERMISSION = ("can_list", "CustomerView")


def _chunks(items, size=CHUNK):
    for start in range(0, len(items), size):
        yield items[start:start + size]


def may_transfer():
    """Supervisors and admins (a salesperson only ever sees their own customers)."""
    return scope.mode() != scope.OWN


def _workers(employee_ids=None):
    """Condition on Employee.id: active employees whose login is active and may work customers."""
    sm = current_app.appbuilder.sm
    from flask_appbuilder.security.sqla.models import assoc_permissionview_role, assoc_user_role
    permission, view = WORK_PERMISSION
    pv = sm.permissionview_model
    users = (sa.select(assoc_user_role.c.user_id)
             .join(assoc_permissionview_role, assoc_permissionview_role.c.role_id == assoc_user_role.c.role_id)
             .join(pv, pv.id == assoc_permissionview_role.c.permission_view_id)
             .join(sm.permission_model, sm.permission_model.id == pv.permission_id)
             .join(sm.viewmenu_model, sm.viewmenu_model.id == pv.view_menu_id)
             .where(sm.permission_model.name == permission, sm.viewmenu_model.name == view))
    active_users = sa.select(sm.user_model.id).where(sm.user_model.active.is_(True), sm.user_model.id.in_(users))
    return sa.and_(Employee.status == "active", Employee.user_id.in_(active_users))


def targets():
    """The salespeople the user may transfer customers to, by department and number."""
    query = db.session.query(Employee).filter(_workers())
    condition = scope.owner_condition(Employee.id)
    if condition is not None:
        query = query.filter(condition)
    return query.order_by(Employee.department_id, Employee.number).all()


def owners_in_scope():
    """Employees owning customers the user may see, with how many, in one query."""
    query = (db.session.query(Employee, sa.func.count(Customer.id))
             .join(Customer, Customer.owner_id == Employee.id).group_by(Employee.id))
    condition = scope.owner_condition(Employee.id)
    if condition is not None:
        query = query.filter(condition)
    rows = query.all()
    rows.sort(key=lambda r: (r[0].department_id, r[0].number))
    return rows


def _target(to_employee_id):
    try:
        pk = int(to_employee_id)
    except (TypeError, ValueError):
        raise Refusal(_("Choose the salesperson who takes the customers over."), 400)
    target = db.session.get(Employee, pk) if 0 < pk < 2 ** 31 else None
    if target is None:
        raise NotFound(_("Choose the salesperson who takes the customers over."))
    if target.status != "active":
        raise Refusal(_("%(name)s is not active (left or suspended); choose someone else.", name=target.name))
    if target.user_id is None or target.user is None or not target.user.active:
        raise Refusal(_("%(name)s has no login and could not work with the customers; choose someone else.",
                        name=target.name))
    if db.session.query(Employee.id).filter(Employee.id == target.id, _workers()).first() is None:
        raise Refusal(_("%(name)s may not work with customers (their roles do not include the customer list); "
                        "choose a salesperson.", name=target.name))
    if not scope.may_see_owner(target.id):
        raise OutOfScope(_("You can only transfer customers to salespeople of your own department."))
    return target


@dataclasses.dataclass
class Result:
    batch: str
    customers: int
    opportunities: int
    to_employee: Employee


def transfer(customer_ids, to_employee_id, reason, user=None):
    """Move the customers (ids) and their opportunities owned by the old owner to another
    salesperson. Refuses (Refusal, nothing changed) on any problem."""
    user = user or scope.acting_user()
    if not may_transfer():
        raise OutOfScope(_("Only a sales manager or an administrator can transfer customers."))
    ids = list(dict.fromkeys(customer_ids or ()))
    if not ids:
        raise Refusal(_("Select at least one customer to transfer."))
    if len(ids) > MAX_CUSTOMERS:
        raise Refusal(_("Transfer at most %(max)d customers at a time.", max=MAX_CUSTOMERS))
    if any(not isinstance(i, int) or isinstance(i, bool) or not 0 < i < 2 ** 31 for i in ids):
        raise Refusal(_("Customers are named by their numeric ids."), 400)
    reason = (reason or "").strip()
    if not reason:
        raise Refusal(_("Give the reason for the transfer."))
    if len(reason) > REASON_MAX:
        raise Refusal(_("Keep the reason under %(max)d characters.", max=REASON_MAX))
    target = _target(to_employee_id)

    c = Customer.__table__
    o = Opportunity.__table__
    rows = []
    for chunk in _chunks(ids):
        # Locked (PostgreSQL) while they move, opportunities first as the pool locks them: two
        # transfers of one customer, or a transfer and the pool, do not interleave.
        db.session.execute(sa.select(o.c.id).where(o.c.customer_id.in_(chunk)).order_by(o.c.id).with_for_update())
        rows += db.session.execute(sa.select(c.c.id, c.c.name, c.c.owner_id).where(c.c.id.in_(chunk))
                                   .order_by(c.c.id).with_for_update()).all()
    found = {r.id: r for r in rows}
    missing = [i for i in ids if i not in found]
    if missing:
        raise NotFound(ngettext("Customer %(ids)s does not exist.", "Customers %(ids)s do not exist.",
                                len(missing), ids=", ".join(str(i) for i in missing[:10])))
    condition = scope.owner_condition(Employee.id)
    if condition is not None:
        visible = set(db.session.execute(sa.select(Employee.id).where(condition)).scalars())
        foreign = [found[i] for i in ids if found[i].owner_id not in visible]
        if foreign:
            for row in foreign[:20]:
                scope.log_refusal("customer", row.id)
            raise OutOfScope(_("%(name)s is not a customer of your department; you may not transfer them.",
                               name=mask_name(foreign[0].name)))
    same = [found[i] for i in ids if found[i].owner_id == target.id]
    if same:
        raise Refusal(_("%(name)s belongs to %(target)s already.", name=same[0].name, target=target.name))

    moving = []
    for chunk in _chunks(ids):
        moving += db.session.execute(
            sa.select(o.c.id, o.c.customer_id, o.c.owner_id, o.c.last_contact_at)
            .select_from(o.join(c, c.c.id == o.c.customer_id))
            .where(o.c.customer_id.in_(chunk), o.c.pooled_at.is_(None), o.c.owner_id.is_not(None),
                   o.c.owner_id == c.c.owner_id)).all()
    per_customer = {}
    for row in moving:
        per_customer[row.customer_id] = per_customer.get(row.customer_id, 0) + 1

    now = utcnow()
    batch = uuid.uuid4().hex
    opportunity_ids = [r.id for r in moving]
    for chunk in _chunks(opportunity_ids):
        # The receiver gets the project's full follow-up period before anything returns to the pool.
        db.session.execute(o.update().where(o.c.id.in_(chunk), o.c.pooled_at.is_(None))
                           .values(owner_id=target.id, last_contact_at=now))
    for chunk in _chunks(ids):
        db.session.execute(c.update().where(c.c.id.in_(chunk)).values(owner_id=target.id))
    by_user_id = getattr(user, "id", None)
    db.session.execute(CustomerTransfer.__table__.insert(), [
        {"batch": batch, "customer_id": i, "from_employee_id": found[i].owner_id, "to_employee_id": target.id,
         "reason": reason, "by_user_id": by_user_id, "at": now, "opportunities_moved": per_customer.get(i, 0)}
        for i in ids])
    _audit_rows("customer", [(i, {"owner_id": [found[i].owner_id, target.id]}) for i in ids])
    _audit_rows("opportunity", [(r.id, {"owner_id": [r.owner_id, target.id],
                                        "last_contact_at": [r.last_contact_at.isoformat() if r.last_contact_at
                                                            else None, now.isoformat()]}) for r in moving])
    _notify(ids, found, target, reason, user)
    db.session.commit()
    return Result(batch, len(ids), len(moving), target)


def _notify(ids, found, target, reason, user):
    who = _user_name(user)
    link = "/customertransferview/list/"
    from_counts = {}
    for i in ids:
        if found[i].owner_id is not None:
            from_counts[found[i].owner_id] = from_counts.get(found[i].owner_id, 0) + 1
    with notifications.default_language():
        notifications.notify(target.user_id, ngettext("%(num)d customer was transferred to you",
                                                      "%(num)d customers were transferred to you", len(ids)),
                             _("By %(who)s. Reason: %(reason)s", who=who, reason=reason),
                             link="/customerview/list/", commit=False)
        previous = db.session.query(Employee).filter(Employee.id.in_(list(from_counts)),
                                                     Employee.user_id.is_not(None),
                                                     Employee.status == "active").all() if from_counts else []
        for employee in previous:
            if employee.user_id == getattr(user, "id", None):
                continue
            n = from_counts[employee.id]
            notifications.notify(employee.user_id, ngettext("%(num)d of your customers was transferred to %(name)s",
                                                            "%(num)d of your customers were transferred to %(name)s",
                                                            n, name=target.name),
                                 _("By %(who)s. Reason: %(reason)s", who=who, reason=reason), link=link, commit=False)


def _user_name(user):
    if user is None:
        return _("the system")
    from app.core.display import person_name
    return person_name(getattr(user, "first_name", ""), getattr(user, "last_name", "")) or user.username


def history_condition():
    """Transfer rows the user may see: to or from someone in their scope (None: all)."""
    to_condition = scope.owner_condition(CustomerTransfer.to_employee_id)
    if to_condition is None:
        return None
    return sa.or_(to_condition, scope.owner_condition(CustomerTransfer.from_employee_id))


def history_query(customer_id=None, batch=None):
    query = db.session.query(CustomerTransfer)
    condition = history_condition()
    if condition is not None:
        query = query.filter(condition)
    if customer_id is not None:
        query = query.filter(CustomerTransfer.customer_id == customer_id)
    if batch:
        query = query.filter(CustomerTransfer.batch == batch)
    return query.order_by(CustomerTransfer.at.desc(), CustomerTransfer.id.desc())


def timeline_entries(customer):
    from flask import has_request_context, url_for
    from app.crm.services.timeline import Entry
    rows = (db.session.query(CustomerTransfer).filter(CustomerTransfer.customer_id == customer.id)
            .order_by(CustomerTransfer.at.desc(), CustomerTransfer.id.desc()).all())
    may_open = has_request_context() and current_app.appbuilder.sm.has_access("can_show", "CustomerTransferView")
    out = []
    for row in rows:
        title = _("Transferred from %(from)s to %(to)s",
                  **{"from": row.from_employee.name if row.from_employee else _("nobody"), "to": row.to_employee.name})
        detail = _("Reason: %(reason)s", reason=row.reason)
        if row.opportunities_moved:
            detail += " · " + ngettext("%(num)d opportunity moved with the customer",
                                       "%(num)d opportunities moved with the customer", row.opportunities_moved)
        out.append(Entry(at=row.at, kind="transfer", title=title, detail=detail,
                         link=url_for("CustomerTransferView.show", pk=row.id) if may_open else None,
                         who=_user_name(row.by_user) if row.by_user else ""))
    return out
