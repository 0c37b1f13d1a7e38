"""Follow-ups (跟进): each contact and the next one due; the home panel and the daily reminder."""

import sqlalchemy as sa
from flask_babel import gettext as _

from app.core import clock
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import notifications
from app.crm.models import Customer, FollowUp
from app.crm.models.follow_up import CONTACT_TYPES
from app.crm.services import scope
from app.extensions import db
from app.org.models import Employee


def today():
    """The sales office's date (Beijing), not the server's UTC one."""
    return clock.local_today()


def check_follow_up(item, is_new=True):
    """Called before a follow-up is saved (autoflush off)."""
    customer = item.customer
    if customer is None and item.customer_id is not None:
        customer = db.session.get(Customer, item.customer_id)
    if customer is None:
        raise BusinessError(_("Choose the customer."))
    if not scope.may_see_owner(customer.owner_id):
        raise BusinessError(_("This customer belongs to another salesperson; you may not open it."))
    if item.contact_type not in CONTACT_TYPES:
        raise BusinessError(_("Choose how you contacted the customer."))
    item.content = (item.content or "").strip()
    if not item.content:
        raise BusinessError(_("Write what was said or done."))
    if item.next_date is not None and item.next_date < today():
        if is_new or sa.inspect(item).attrs.next_date.history.has_changes():
            raise BusinessError(_("The next follow-up date %(date)s is in the past.", date=item.next_date.isoformat()))
    opportunity = item.opportunity
    if opportunity is not None and opportunity.customer_id != customer.id:
        raise BusinessError(_("The opportunity is not this customer's."))
    if item.employee is None and item.employee_id is None:
        item.employee = scope.current_employee()
    if item.followed_at is None:
        item.followed_at = utcnow()
    item.open = item.next_date is not None
    if is_new:
        # The new contact replaces what was planned before: earlier next dates are done.
        db.session.query(FollowUp).filter(FollowUp.customer_id == customer.id, FollowUp.open.is_(True)) \
            .update({FollowUp.open: False}, synchronize_session=False)
        # The opportunity followed up (or, without one, the follower's of this customer) stays out of the pool.
        from app.crm.services import pool
        employee_id = item.employee.id if item.employee is not None else item.employee_id
        pool.record_contact(customer.id, at=item.followed_at, employee_id=employee_id,
                            opportunity_id=opportunity.id if opportunity is not None else item.opportunity_id)


def record_follow_up(customer, content, contact_type="call", next_date=None, opportunity=None, employee=None):
    item = FollowUp(customer=customer, content=content, contact_type=contact_type, next_date=next_date,
                    opportunity=opportunity, employee=employee)
    with db.session.no_autoflush:
        check_follow_up(item)
    db.session.add(item)
    db.session.commit()
    return item


def _open_for_user(user):
    return (db.session.query(FollowUp)
            .join(Customer, FollowUp.customer_id == Customer.id)
            .join(Employee, Customer.owner_id == Employee.id)
            .filter(FollowUp.open.is_(True), Employee.user_id == user.id))


def due_for(user, day=None):
    """(overdue, due today) open follow-ups of the user's own customers, oldest first."""
    day = day or today()
    rows = _open_for_user(user).filter(FollowUp.next_date <= day).order_by(FollowUp.next_date, FollowUp.id).all()
    return [r for r in rows if r.next_date < day], [r for r in rows if r.next_date == day]


def home_panel(user):
    from flask import current_app, url_for
    if not current_app.appbuilder.sm.has_access("can_list", "FollowUpView"):
        return None
    overdue, due_today = due_for(user)
    if not overdue and not due_today:
        mine = db.session.query(Employee.id).filter(Employee.user_id == user.id).first()
        if mine is None:
            return None
    items = []
    shown_today = due_today[:5]
    for row in shown_today + overdue[:10 - len(shown_today)]:
        label = _("Overdue since %(date)s", date=row.next_date.isoformat()) if row.next_date < today() \
            else _("Due today")
        items.append(("%s · %s · %s" % (row.customer.name, label, (row.content or "")[:30]),
                      url_for("CustomerView.show", pk=row.customer_id)))
    if len(overdue) + len(due_today) > 10:
        items.append((_("All %(n)d follow-ups…", n=len(overdue) + len(due_today)), url_for("FollowUpView.due")))
    return {"title": _("Follow-ups due: %(overdue)d overdue, %(today)d today", overdue=len(overdue),
                       today=len(due_today)),
            "count": len(overdue) + len(due_today), "items": items,
            "empty": _("No follow-up is due.")}


def remind_overdue(day=None):
    """Once a day, tell each owner how many of their follow-ups are overdue. Idempotent: a
    follow-up is counted once per day (reminded_on), however often the job runs."""
    day = day or today()
    rows = db.session.execute(
        sa.select(FollowUp.id, Employee.user_id)
        .join(Customer, FollowUp.customer_id == Customer.id)
        .join(Employee, Customer.owner_id == Employee.id)
        .where(FollowUp.open.is_(True), FollowUp.next_date < day, Employee.user_id.is_not(None),
               sa.or_(FollowUp.reminded_on.is_(None), FollowUp.reminded_on < day))
    ).all()
    per_user = {}
    for follow_up_id, user_id in rows:
        per_user.setdefault(user_id, []).append(follow_up_id)
    with notifications.default_language():
        for user_id, ids in per_user.items():
            notifications.notify(user_id, _("%(n)d follow-ups are overdue", n=len(ids)),
                                 _("Contact these customers today and record the follow-up."),
                                 link="/followupview/due/", commit=False)
    ids = [i for group in per_user.values() for i in group]
    for start in range(0, len(ids), 500):
        db.session.query(FollowUp).filter(FollowUp.id.in_(ids[start:start + 500])) \
            .update({FollowUp.reminded_on: day}, synchronize_session=False)
    db.session.commit()
    return len(per_user), len(ids)
