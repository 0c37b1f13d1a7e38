"""Confidentiality (私客保护): a salesperson sees their own customers, a supervisor their
department's (the owner's department and everything under it), admins and the system all.
The same condition filters pages, lists, forms and the API."""
import logging

import sqlalchemy as sa
from flask import current_app, g, has_request_context

from app.extensions import db
from app.org.models import Employee
from app.org.services import descendants

VIEW_MENU = "CustomerScope"
SEE_ALL = "can_see_all"
SEE_DEPARTMENT = "can_see_department"
log = logging.getLogger("app.crm")

ALL, DEPARTMENT, OWN = "all", "department", "own"


def acting_user():
    """The user of this request: the session's, or the API token's."""
    if not has_request_context():
        return None
    from flask_login import current_user
    if current_user and current_user.is_authenticated:
        return g.user
    try:
        from flask_jwt_extended import current_user as jwt_user
        user = jwt_user._get_current_object()
        return user if user is not None and getattr(user, "is_active", False) else None
    except Exception:  # no token verified in this request
        return None


def mode():
    """ALL outside requests (CLI, scheduler); else what the user's roles grant."""
    if not has_request_context():
        return ALL
    if "_loupan_crm_scope" not in g:  # once per request, not once per row
        sm = current_app.appbuilder.sm
        if sm.has_access(SEE_ALL, VIEW_MENU):
            g._loupan_crm_scope = ALL
        elif sm.has_access(SEE_DEPARTMENT, VIEW_MENU):
            g._loupan_crm_scope = DEPARTMENT
        else:
            g._loupan_crm_scope = OWN
    return g._loupan_crm_scope


def own_employee_ids(user):
    if user is None:
        return sa.select(Employee.id).where(sa.false())
    return sa.select(Employee.id).where(Employee.user_id == user.id)


def visible_owner_ids():
    """The employees whose customers the user may see (None: everyone's), worked out once per
    request: the plain ids let the database use the owner indexes instead of joining first."""
    current = mode()
    if current == ALL:
        return None
    if "_loupan_crm_owner_ids" not in g:
        user = acting_user()
        ids = []
        me = None
        if user is not None:
            me = db.session.query(Employee.id, Employee.department_id) \
                .filter(Employee.user_id == user.id).one_or_none()
        if me is not None:
            if current == DEPARTMENT:
                departments = [me.department_id] + descendants(me.department_id)
                ids = [i for (i,) in db.session.query(Employee.id).filter(Employee.department_id.in_(departments))
                       .order_by(Employee.id)]
            else:
                ids = [me.id]
        g._loupan_crm_owner_ids = ids
    return g._loupan_crm_owner_ids


def owner_condition(owner_column):
    """A SQL condition on an owner column (employee id): None when everything is visible."""
    ids = visible_owner_ids()
    if ids is None:
        return None
    if not ids:
        return sa.false()
    return owner_column == ids[0] if len(ids) == 1 else owner_column.in_(ids)


def may_see_owner(owner_id):
    """Whether the user may see what this employee owns: the request's visible ids say it
    without asking the database again."""
    ids = visible_owner_ids()
    if ids is None:
        return True
    return owner_id is not None and owner_id in ids


def log_refusal(what, pk):
    user = acting_user()
    log.warning("confidentiality: user %s (id %s) was refused %s %s owned by someone else",
                getattr(user, "username", None), getattr(user, "id", None), what, pk)


def current_employee():
    user = acting_user()
    if user is None:
        return None
    return db.session.query(Employee).filter(Employee.user_id == user.id).one_or_none()
