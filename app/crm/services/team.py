"""A supervisor's team (销售经理): their department's overdue follow-ups, counted per
salesperson (one grouped query) and listed by salesperson with the days overdue. The team is
the confidentiality scope (scope.owner_condition): a supervisor's department and everything
under it; an admin sees every salesperson."""
import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.crm.models import Customer, FollowUp
from app.crm.services import scope
from app.extensions import db
from app.org.models import Employee

LIST_LIMIT = 500


def _overdue(day):
    return sa.and_(FollowUp.open.is_(True), FollowUp.next_date < day)


def _scoped(query):
    condition = scope.owner_condition(Customer.owner_id)
    return query.where(condition) if condition is not None else query


def overdue_by_salesperson(day=None):
    """[(employee id, name, overdue count, oldest next date)] of the user's team, most first."""
    day = day or clock.local_today()
    query = (sa.select(Employee.id, Employee.name, sa.func.count(FollowUp.id), sa.func.min(FollowUp.next_date))
             .select_from(FollowUp)
             .join(Customer, FollowUp.customer_id == Customer.id)
             .join(Employee, Customer.owner_id == Employee.id)
             .where(_overdue(day))
             .group_by(Employee.id, Employee.name)
             .order_by(sa.func.count(FollowUp.id).desc(), Employee.name))
    return [tuple(row) for row in db.session.execute(_scoped(query)).all()]


def overdue_follow_ups(employee_id=None, day=None, limit=LIST_LIMIT):
    """The team's overdue follow-ups (of one salesperson if given), by salesperson and oldest
    first, with their customers and owners loaded in the same query."""
    day = day or clock.local_today()
    query = (sa.select(FollowUp)
             .join(Customer, FollowUp.customer_id == Customer.id)
             .where(_overdue(day)))
    if employee_id is not None:
        query = query.where(Customer.owner_id == employee_id)
    query = _scoped(query).order_by(Customer.owner_id, FollowUp.next_date, FollowUp.id).limit(limit)
    return db.session.execute(query).unique().scalars().all()


def days_overdue(follow_up, day=None):
    return ((day or clock.local_today()) - follow_up.next_date).days


def is_supervisor():
    """A supervisor sees a department (not only their own customers, not everything)."""
    return scope.mode() == scope.DEPARTMENT


def home_panel(user):
    """The supervisor's home panel: the team's overdue follow-ups per salesperson."""
    from flask import current_app, url_for
    if not is_supervisor() or not current_app.appbuilder.sm.has_access("can_team", "FollowUpView"):
        return None
    rows = overdue_by_salesperson()
    total = sum(count for _id, _name, count, _oldest in rows)
    items = [(_("%(name)s · %(n)d overdue, the oldest since %(date)s", name=name, n=count, date=oldest.isoformat()),
              url_for("FollowUpView.team", employee=pk)) for pk, name, count, oldest in rows[:8]]
    if rows:
        items.append((_("The team's overdue follow-ups…"), url_for("FollowUpView.team")))
    return {"title": _("My team: %(n)d follow-ups overdue", n=total), "count": total, "items": items,
            "empty": _("Nobody in your team has an overdue follow-up.")}
