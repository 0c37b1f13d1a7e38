"""Sales permissions (售楼权限): which projects — and, optionally, which buildings of them — a
salesperson may sell. Admins (管理员) and the system (CLI, scheduler) may sell everywhere; everyone
else only where an admin granted it to their employee record. The sales-control chart, every
deal action and the deals lists ask here."""
import sqlalchemy as sa
from flask import g, has_request_context
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.services import approvals
from app.extensions import db
from app.inventory.models import Building, Project, Room
from app.org.models import Employee
from app.sales.models import SalesPermission

EVERYWHERE = None


class Grants:
    """What one user may sell: every project (everywhere=True), or whole projects and buildings."""

    def __init__(self, everywhere=False, projects=(), buildings=()):
        self.everywhere = everywhere
        self.projects = frozenset(projects)        # whole projects
        self.buildings = frozenset(buildings)      # (project_id, building_id)

    def project_ids(self):
        """Projects with at least one sellable building; None for every project."""
        if self.everywhere:
            return None
        return self.projects | {p for p, _b in self.buildings}

    def may_sell(self, project_id, building_id=None):
        if self.everywhere or project_id in self.projects:
            return True
        if building_id is None:
            return False
        return (project_id, building_id) in self.buildings

    def room_condition(self, room=Room):
        """A SQL condition on rooms: those this user may sell (None: all)."""
        if self.everywhere:
            return None
        parts = []
        if self.projects:
            parts.append(room.project_id.in_(sorted(self.projects)))
        if self.buildings:
            parts.append(room.building_id.in_(sorted(b for _p, b in self.buildings)))
        return sa.or_(*parts) if parts else sa.false()


def grants_for(user):
    """The user's grants, worked out once per request."""
    if user is None:
        return Grants(everywhere=True)
    cache = g.setdefault("_loupan_sales_grants", {}) if has_request_context() else {}
    if user.id in cache:
        return cache[user.id]
    if approvals.is_admin(user):
        grants = Grants(everywhere=True)
    else:
        rows = db.session.execute(
            sa.select(SalesPermission.project_id, SalesPermission.building_id)
            .join(Employee, Employee.id == SalesPermission.employee_id)
            .where(Employee.user_id == user.id, Employee.status == "active")).all()
        grants = Grants(projects=[p for p, b in rows if b is None], buildings=[(p, b) for p, b in rows if b is not None])
    cache[user.id] = grants
    return grants


def pool_rule(employee, project_column):
    """For the CRM public pool: an employee takes customers only of projects they may sell in
    (a whole project or one of its buildings); None when they may sell everywhere."""
    if employee is None:
        return None
    user = None
    if employee.user_id:
        from flask_appbuilder.security.sqla.models import User
        user = db.session.get(User, employee.user_id)
    if user is not None and approvals.is_admin(user):
        return None
    ids = sorted(set(db.session.execute(sa.select(SalesPermission.project_id)
                                        .where(SalesPermission.employee_id == employee.id)).scalars()))
    return project_column.in_(ids) if ids else sa.false()


def check_may_sell(user, room):
    """BusinessError unless the user may sell this room."""
    if not grants_for(user).may_sell(room.project_id, room.building_id):
        raise BusinessError(_("You have no sales permission for %(project)s %(building)s; ask an administrator.",
                              project=room.project.name, building=room.building.name))


def check_permission(perm):
    """A grant row before it is saved: the building, when given, belongs to the project; no duplicate."""
    if perm.employee_id is None and perm.employee is None:
        raise BusinessError(_("Choose the salesperson."))
    project_id = perm.project.id if perm.project is not None else perm.project_id
    if project_id is None:
        raise BusinessError(_("Choose the project."))
    building = perm.building if perm.building is not None else (
        db.session.get(Building, perm.building_id) if perm.building_id else None)
    if building is not None and building.project_id != project_id:
        raise BusinessError(_("Building %(building)s is not in this project.", building=building.name))
    employee_id = perm.employee.id if perm.employee is not None else perm.employee_id
    query = db.session.query(SalesPermission.id).filter(
        SalesPermission.employee_id == employee_id, SalesPermission.project_id == project_id,
        SalesPermission.building_id.is_(None) if building is None else SalesPermission.building_id == building.id)
    if perm.id is not None:
        query = query.filter(SalesPermission.id != perm.id)
    if query.first() is not None:
        raise BusinessError(_("This salesperson has this permission already."))


def grant(employee, project, building=None):
    """Grant (idempotent); flushes. Used by the admin page's batch action and by the demo."""
    existing = db.session.query(SalesPermission).filter_by(
        employee_id=employee.id, project_id=project.id, building_id=building.id if building else None).first()
    if existing is not None:
        return existing
    perm = SalesPermission(employee_id=employee.id, project_id=project.id, building_id=building.id if building else None)
    db.session.add(perm)
    db.session.flush()
    return perm


def sellable_projects(user):
    """The projects the user may open on the chart, in code order."""
    ids = grants_for(user).project_ids()
    query = db.session.query(Project).order_by(Project.code)
    if ids is not EVERYWHERE:
        query = query.filter(Project.id.in_(sorted(ids) or [0]))
    return query.all()
