"""Organisation rules: the department tree stays a tree, and people are never orphaned."""
import re

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core.errors import BusinessError
from app.core.services.records import taken
from app.extensions import db
from app.org.models import Department, Employee


def ancestors(department_id):
    """Ids from the parent up to the root, following parent_id (stops on a loop)."""
    parents = dict(db.session.execute(sa.select(Department.id, Department.parent_id)).all())
    seen = []
    current = parents.get(department_id)
    while current is not None and current not in seen:
        seen.append(current)
        current = parents.get(current)
    return seen


def descendants(department_id):
    children = {}
    for dept_id, parent_id in db.session.execute(sa.select(Department.id, Department.parent_id)):
        children.setdefault(parent_id, []).append(dept_id)
    out, stack = [], list(children.get(department_id, []))
    while stack:
        node = stack.pop()
        if node in out:
            continue
        out.append(node)
        stack.extend(children.get(node, []))
    return out


def check_department(dept):
    """Called before a department is saved (autoflush off): no loops in the tree, codes unique."""
    parent_id = dept.parent.id if dept.parent is not None else dept.parent_id
    if dept.id is not None and parent_id is not None:
        if parent_id == dept.id or parent_id in descendants(dept.id):
            raise BusinessError(
                _("“%(name)s” cannot be moved under itself or under one of its own sub-departments.",
                  name=dept.name)
            )
    if taken(Department, dept, code=dept.code):
        raise BusinessError(_("The department code “%(code)s” is already used.", code=dept.code))


def check_department_deletable(dept):
    staff = db.session.query(sa.func.count(Employee.id)).filter(Employee.department_id == dept.id).scalar()
    if staff:
        raise BusinessError(
            _("“%(name)s” still has %(count)d employees; move them to another department first.",
              name=dept.name, count=staff)
        )
    children = db.session.query(sa.func.count(Department.id)).filter(Department.parent_id == dept.id).scalar()
    if children:
        raise BusinessError(
            _("“%(name)s” still has %(count)d sub-departments; move or delete them first.",
              name=dept.name, count=children)
        )


def move_department(dept, new_parent):
    """Move a department (and its sub-tree) under another one."""
    with db.session.no_autoflush:
        dept.parent = new_parent
        dept.parent_id = new_parent.id if new_parent else None
        check_department(dept)
    db.session.commit()
    return dept


def delete_department(dept):
    check_department_deletable(dept)
    db.session.delete(dept)
    db.session.commit()


PHONE_RE = r"^\+?[0-9][0-9 \-]{5,18}[0-9]$"
ID_NUMBER_RE = r"^[0-9A-Za-z]{5,30}$"


def check_employee(emp):
    if emp.phone and not re.match(PHONE_RE, emp.phone.strip()):
        raise BusinessError(_("Enter a phone number of 7 to 20 digits."))
    if emp.id_number and not re.match(ID_NUMBER_RE, emp.id_number.strip()):
        raise BusinessError(_("Enter an ID number of 5 to 30 letters and digits."))
    if taken(Employee, emp, number=emp.number):
        raise BusinessError(_("The employee number “%(number)s” is already used.", number=emp.number))
    user_id = emp.user.id if emp.user is not None else emp.user_id
    if user_id is not None:
        other = db.session.query(Employee).filter(Employee.user_id == user_id, Employee.id != (emp.id or 0)).first()
        if other is not None:
            raise BusinessError(
                _("This login already belongs to %(name)s.", name=other.name)
            )
    if emp.status not in ("active", "suspended", "left"):
        raise BusinessError(_("Unknown employee status."))


def employee_of(user):
    if user is None:
        return None
    return db.session.query(Employee).filter(Employee.user_id == user.id).one_or_none()


def find_employee_by_phone(phone):
    from app.core.crypto import blind_index
    return db.session.query(Employee).filter(Employee.phone_hash == blind_index(phone)).all()


def tree_rows():
    """Every department with its depth, in tree order, in one query (for the tree page)."""
    rows = db.session.query(Department).order_by(Department.sort_order, Department.id).all()
    staff = dict(
        db.session.execute(
            sa.select(Employee.department_id, sa.func.count(Employee.id)).group_by(Employee.department_id)
        ).all()
    )
    children = {}
    for row in rows:
        children.setdefault(row.parent_id, []).append(row)
    out = []

    def walk(parent_id, depth):
        for node in children.get(parent_id, []):
            out.append((node, depth, staff.get(node.id, 0)))
            walk(node.id, depth + 1)

    walk(None, 0)
    return out
