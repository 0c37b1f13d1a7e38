"""Deals (交易): hold (预留) → booking (小定) → subscription (认购) → contract (签约), and release.
Rename, room change and cancellation are in deal_changes.py (through approval).

Never one room sold twice (一房多卖):
1. every step changes the room's status with one compare-and-set UPDATE
   (`UPDATE room SET status = :new WHERE id = :id AND status = :expected`) before anything else
   is written; it takes the room row's lock (PostgreSQL) or the database's write lock (SQLite)
   until the transaction ends, so a concurrent step on the same room waits and then finds the
   status changed: it is refused with who took the room;
2. steps on an existing deal also compare-and-set the deal's stage;
3. the partial unique index uq_deal_active_room allows one active deal per room whatever code
   writes; its violation is turned into the same refusal.

Every service takes the acting user (default: the request's), checks their sales permission and
their right to the customer and the deal, writes the deal's timeline (DealEvent), moves the
buyer's CRM opportunity, notifies whom it concerns and commits (unless commit=False, for a
caller that adds its own changes to the same transaction)."""
import datetime as dt
import decimal

import sqlalchemy as sa
from flask import current_app, has_request_context
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from app.core import audit, clock
from app.core.context import acting_as, current_user_obj
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import approvals, notifications, numbering
from app.crm.models import Customer
from app.crm.services import opportunities, scope
from app.extensions import db
from app.inventory.models import Room, RoomStatus
from app.org.models import Employee
from app.sales.models import OPPORTUNITY_STAGE, Deal, DealBuyer, DealEvent, DealPayment, PaymentPlan
from app.sales.services import discount_authority, hooks, permissions
from app.sales.services import trial as trials

D = decimal.Decimal
ROOM = Room.__table__
DEAL = Deal.__table__
HUNDRED = D(100)
MAX_BUYERS = 5
FILING_DAYS = 30
CHANGING_STAGES = ("held", "booked")

STAGE_LABELS = {"held": _l("Held"), "booked": _l("Booked"), "subscribed": _l("Subscribed"), "signed": _l("Signed")}
STATE_LABELS = {"active": _l("In progress"), "released": _l("Released"), "cancelled": _l("Cancelled")}
ACTION_LABELS = {
    "hold": _l("Held"), "release": _l("Hold released"), "expire": _l("Hold expired"), "book": _l("Booked"),
    "booking_expired": _l("Booking expired"), "subscribe": _l("Subscribed"), "sign": _l("Contract signed"),
    "file": _l("Online filing recorded"), "rename": _l("Buyers changed"), "room_change": _l("Room changed"),
    "cancel": _l("Cancelled"), "request": _l("Approval requested"), "rejected": _l("Request rejected"),
    "sign_overdue": _l("Signing overdue"), "filing_overdue": _l("Online filing overdue"),
    "print": _l("Printed"), "note": _l("Note"),
}


class Taken(BusinessError):
    """Another user's deal has the room (or took it this instant)."""


class NotFound(BusinessError):
    pass


class OutOfScope(BusinessError):
    """A deal or customer of another salesperson (logged); the API answers 404."""


def stage_label(stage):
    return str(STAGE_LABELS.get(stage, stage or ""))


def state_label(state):
    return str(STATE_LABELS.get(state, state or ""))


def action_label(action):
    return str(ACTION_LABELS.get(action, action or ""))


# ---------------------------------------------------------------- who acts, on what

def _user(user):
    return user if user is not None else (scope.acting_user() or current_user_obj())


def _employee_of(user):
    if user is None:
        return None
    return db.session.query(Employee).filter(Employee.user_id == user.id).one_or_none()


def _seller(user, employee=None):
    """The salesperson the new deal belongs to: the given one (a supervisor acting for a
    salesperson), else the acting user's employee record."""
    if employee is not None:
        if employee.status != "active":
            raise BusinessError(_("%(name)s is no longer active and cannot take deals.", name=employee.name))
        if not scope.may_see_owner(employee.id):
            raise BusinessError(_("You may act only for salespeople of your own department."))
        return employee
    own = _employee_of(user)
    if own is None:
        raise BusinessError(_("Your login is not linked to an employee record, so deals cannot be made in your name; "
                              "ask an administrator."))
    return own


def get_room(room_id, light=False):
    """The room (NotFound otherwise); light: without the joined lookups a page shows (the deal
    steps need the room's own columns and its project)."""
    try:
        room_id = int(room_id)
    except (TypeError, ValueError):
        raise NotFound(_("There is no such room."))
    if not 0 < room_id < 2 ** 31:
        raise NotFound(_("There is no such room."))
    if light:
        room = (db.session.query(Room).options(sa.orm.lazyload("*"), sa.orm.joinedload(Room.project))
                .filter(Room.id == room_id).one_or_none())
    else:
        room = db.session.get(Room, room_id)
    if room is None:
        raise NotFound(_("There is no such room."))
    return room


def get_deal(deal_id, user=None):
    """The deal, if the user may see it: their own, their department's (supervisors), all (admins)."""
    try:
        deal_id = int(deal_id)
    except (TypeError, ValueError):
        raise NotFound(_("There is no such deal."))
    deal = db.session.get(Deal, deal_id) if 0 < deal_id < 2 ** 31 else None
    if deal is None:
        raise NotFound(_("There is no such deal."))
    check_deal_visible(deal)
    return deal


# Finance (财务) reads every deal — receivables and refunds concern them all — without the
# salespeople's customers becoming theirs in the CRM; they still act on none.
SEE_ALL_DEALS = ("can_see_all", "DealScope")


def sees_all_deals():
    if not has_request_context():
        return True
    from flask import g
    if "_loupan_deal_scope_all" not in g:
        g._loupan_deal_scope_all = bool(current_app.appbuilder.sm.has_access(*SEE_ALL_DEALS))
    return g._loupan_deal_scope_all


def check_deal_visible(deal):
    if not sees_all_deals() and not scope.may_see_owner(deal.employee_id):
        scope.log_refusal("deal", deal.id)
        raise OutOfScope(_("This deal belongs to another salesperson; you may not open it."))


def visible_deals(query=None):
    query = query if query is not None else db.session.query(Deal)
    if sees_all_deals():
        return query
    condition = scope.owner_condition(Deal.employee_id)
    return query.filter(condition) if condition is not None else query


def _customer(customer_or_id):
    customer = customer_or_id
    if not isinstance(customer, Customer):
        try:
            customer_id = int(customer_or_id) if customer_or_id not in (None, "") else 0
            customer = (db.session.query(Customer)
                        .options(sa.orm.lazyload("*"), sa.orm.defer(Customer.lifecycle_rank))
                        .filter(Customer.id == customer_id).one_or_none()
                        if 0 < customer_id < 2 ** 31 else None)
        except (TypeError, ValueError):
            customer = None
    if customer is None:
        raise BusinessError(_("Choose the customer."))
    if not scope.may_see_owner(customer.owner_id):
        scope.log_refusal("customer", customer.id)
        raise OutOfScope(_("This customer belongs to another salesperson; you may not open it."))
    return customer


def active_deal(room_id):
    return db.session.query(Deal).filter(Deal.room_id == room_id, Deal.state == "active").one_or_none()


def _status_names():
    return dict(db.session.query(RoomStatus.code, RoomStatus.name))


def taken_message(room_id):
    """该房间已被…预留/认购: who has the room now (the salesperson's name only)."""
    room = db.session.get(Room, room_id)
    deal = active_deal(room_id)
    if deal is not None:
        return _("Room %(room)s has been %(stage)s by %(name)s.", room=room.code,
                 stage=stage_label(deal.stage).lower() if _english() else stage_label(deal.stage),
                 name=deal.employee.name)
    names = _status_names()
    return _("Room %(room)s is %(status)s and cannot be sold now.", room=room.code,
             status=names.get(room.status, room.status))


def _english():
    from flask_babel import get_locale
    try:
        return str(get_locale() or "").startswith("en")
    except Exception:
        return False


# ---------------------------------------------------------------- the compare-and-set steps

def _take_room(room_id, expected, new):
    """Change the room's status from `expected` to `new`, or refuse: the lock of the step."""
    result = db.session.execute(ROOM.update().where(ROOM.c.id == room_id, ROOM.c.status == expected)
                                .values(status=new))
    if result.rowcount != 1:
        db.session.rollback()
        raise Taken(taken_message(room_id))


def _move_deal(deal, expected_stages, values):
    result = db.session.execute(DEAL.update().where(DEAL.c.id == deal.id, DEAL.c.state == "active",
                                                    DEAL.c.stage.in_(expected_stages)).values(**values))
    if result.rowcount != 1:
        db.session.rollback()
        raise Taken(_("The deal changed meanwhile; reload the page and try again."))


def _sync(room, status):
    """The ORM's room follows the compare-and-set, and the audit log records the change with the
    step's other rows (no second UPDATE of the room)."""
    old = room.status
    if old == status:
        return
    sa.orm.attributes.set_committed_value(room, "status", status)
    audit.record_update(db.session, room, {"status": [old, status]})


def _flush_or_taken(room_id):
    try:
        db.session.flush()
    except IntegrityError:
        db.session.rollback()
        raise Taken(taken_message(room_id))


def event(deal, action, user=None, note=None, data=None, room_id=None, at=None):
    """Add a line to the deal's timeline (not committed)."""
    db.session.add(DealEvent(deal_id=deal.id, room_id=room_id or deal.room_id, action=action, at=at or utcnow(),
                             user_id=getattr(user, "id", None), note=(note or None) and str(note)[:500],
                             data=data or None))


def _advance_opportunity(deal, customer_ids=None):
    stage = OPPORTUNITY_STAGE[deal.stage]
    for customer_id in customer_ids or [deal.customer_id]:
        opportunities.advance(customer_id, deal.project_id, stage, employee=deal.employee)


def _notify(deal, user, title, link=None, managers=False):
    """Tell the deal's salesperson (when someone else acted) and, for the steps that commit the
    company, the managers of the salesperson's department."""
    link = link or "/sales/deals/%d" % deal.id
    ids = set()
    if deal.employee is not None and deal.employee.user_id and deal.employee.user_id != getattr(user, "id", None):
        ids.add(deal.employee.user_id)
    if managers:
        ids |= set(manager_user_ids(deal.employee))
    ids.discard(getattr(user, "id", None))
    if ids:
        notifications.notify_many(sorted(ids), title, link=link, commit=False)


def manager_user_ids(employee):
    """The logins of the 销售经理 of the employee's department and the departments above it."""
    if employee is None:
        return []
    from app.org.services import ancestors
    from app.core import roles
    from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role
    departments = [employee.department_id] + list(ancestors(employee.department_id))
    rows = db.session.execute(
        sa.select(Employee.user_id).join(User, User.id == Employee.user_id)
        .join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(Role, Role.id == assoc_user_role.c.role_id)
        .where(Employee.department_id.in_(departments), Role.name == roles.MANAGER, User.active.is_(True),
               Employee.status == "active")).scalars().all()
    return sorted(set(rows))


def _default_locale():
    return force_locale(current_app.config.get("BABEL_DEFAULT_LOCALE", "zh"))


def _acting(user):
    """Run as `user` (the audit log's who) when not in that user's request."""
    import contextlib
    return acting_as(user) if user is not None and user is not current_user_obj() else contextlib.nullcontext()


def _check_room_for_new_deal(room, user):
    permissions.check_may_sell(user, room)
    if room.status != "available":
        if room.status in ("held", "booked", "subscribed", "signed"):
            raise Taken(taken_message(room.id))
        raise BusinessError(taken_message(room.id))


def _check_own_deal(deal, user):
    """The salesperson of the deal, their supervisors and admins may move it on."""
    check_deal_visible(deal)
    permissions.check_may_sell(user, deal.room)


def _check_continues(deal, user):
    """Someone moving a hold or booking on: the salesperson's own deal (or their team's);
    anyone else hears who has the room."""
    if not scope.may_see_owner(deal.employee_id):
        raise Taken(taken_message(deal.room_id))
    permissions.check_may_sell(user, deal.room)


def _check_customer_of(deal, customer):
    if customer.id != deal.customer_id:
        raise BusinessError(_("Room %(room)s is %(stage)s for %(customer)s: only that customer can take it now.",
                              room=deal.room.code, stage=stage_label(deal.stage), customer=deal.customer.name))


# ---------------------------------------------------------------- 预留 hold

def hold(room, customer, user=None, employee=None, hours=None, note=None, commit=True):
    """Hold an available room for a customer for the project's hold duration (hours)."""
    user = _user(user)
    room = room if isinstance(room, Room) else get_room(room)
    customer = _customer(customer)
    _check_room_for_new_deal(room, user)
    seller = _seller(user, employee)
    hours = room.project.hold_hours if hours in (None, "") else hours
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise BusinessError(_("The hold lasts a whole number of hours."))
    if not 1 <= hours <= 24 * 30:
        raise BusinessError(_("A hold lasts from 1 hour to 30 days."))
    now = utcnow()
    with _acting(user):
        _take_room(room.id, "available", "held")
        deal = Deal(project_id=room.project_id, room_id=room.id, customer_id=customer.id, employee_id=seller.id,
                    stage="held", state="active", held_at=now, hold_until=now + dt.timedelta(hours=hours),
                    created_at=now, created_by_id=getattr(user, "id", None), updated_at=now,
                    note=(note or "").strip()[:500] or None)
        deal.employee, deal.room = seller, room
        deal.buyers = [DealBuyer(customer_id=customer.id, share=HUNDRED, position=0)]
        db.session.add(deal)
        _sync(room, "held")
        _flush_or_taken(room.id)
        event(deal, "hold", user, note, {"until": deal.hold_until.isoformat(), "hours": hours})
        _advance_opportunity(deal)
        _notify(deal, user, _("Room %(room)s is held for %(customer)s", room=room.code, customer=customer.name))
        _finish(commit)
    return deal


def _finish(commit):
    if commit:
        db.session.commit()
    else:
        db.session.flush()


def release(deal, user=None, note=None, commit=True):
    """Let a hold or booking go by hand: the room is available again."""
    user = _user(user)
    _check_own_deal(deal, user)
    if deal.state != "active" or deal.stage not in CHANGING_STAGES:
        raise BusinessError(_("Only a hold or a booking can be released; a subscription is ended by cancellation."))
    with _acting(user):
        _end(deal, "release", user, note)
        _finish(commit)
    return deal


def _end(deal, action, user, note=None, state="released"):
    room = deal.room
    _take_room(room.id, deal.stage, "available")
    _move_deal(deal, (deal.stage,), {"state": state, "ended_at": utcnow()})
    db.session.refresh(deal)
    _sync(room, "available")
    event(deal, action, user, note)
    if state == "released":
        opportunities.set_back(deal.customer_id, deal.project_id, "intent")


def expire_holds(now=None):
    """The scheduler's job: holds past their time are released. Idempotent. Returns how many."""
    now = now or utcnow()
    ids = db.session.execute(sa.select(DEAL.c.id).where(DEAL.c.state == "active", DEAL.c.stage == "held",
                                                        DEAL.c.hold_until <= now).order_by(DEAL.c.id)).scalars().all()
    done = 0
    for deal_id in ids:
        deal = db.session.get(Deal, deal_id)
        try:
            with _default_locale():
                _end(deal, "expire", None, _("Held until %(until)s", until=clock.to_local(deal.hold_until)
                                             .strftime("%Y-%m-%d %H:%M")))
                _notify(deal, None, _("The hold of room %(room)s for %(customer)s expired; the room is available "
                                      "again.", room=deal.room.code, customer=deal.customer.name))
            db.session.commit()
            done += 1
        except Taken:
            db.session.rollback()  # moved on meanwhile (booked, subscribed or released by hand)
    return done


# ---------------------------------------------------------------- 小定 booking

def _money(value, message, allow_zero=False):
    try:
        value = D(str(value).replace(",", "").replace("¥", "").strip())
    except (decimal.InvalidOperation, TypeError, ValueError):
        raise BusinessError(message)
    if not value.is_finite() or value < 0 or (value == 0 and not allow_zero) or value >= D("1e12"):
        raise BusinessError(message)
    return value.quantize(D("0.01"), rounding=decimal.ROUND_HALF_UP)


def _date(value, message, default=None):
    if value in (None, ""):
        return default
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BusinessError(message)


def book(room, customer, amount, user=None, employee=None, days=None, note=None, commit=True):
    """A small deposit (小定金) secures the room for the booking duration; from available, or from
    the customer's own hold. Expiry is flagged, never silently released."""
    user = _user(user)
    room = room if isinstance(room, Room) else get_room(room)
    customer = _customer(customer)
    amount = _money(amount, _("Enter the booking deposit as an amount above zero."))
    days = room.project.booking_days if days in (None, "") else days
    try:
        days = int(days)
    except (TypeError, ValueError):
        raise BusinessError(_("The booking lasts a whole number of days."))
    if not 1 <= days <= 90:
        raise BusinessError(_("A booking lasts from 1 to 90 days."))
    today = clock.local_today()
    values = {"stage": "booked", "booked_on": today, "booking_amount": amount,
              "booking_until": today + dt.timedelta(days=days), "updated_at": utcnow()}
    deal = active_deal(room.id)
    with _acting(user):
        if deal is not None and deal.stage == "held":
            _check_continues(deal, user)
            _check_customer_of(deal, customer)
            _take_room(room.id, "held", "booked")
            _move_deal(deal, ("held",), values)
            db.session.refresh(deal)
        else:
            _check_room_for_new_deal(room, user)
            seller = _seller(user, employee)
            _take_room(room.id, "available", "booked")
            now = utcnow()
            deal = Deal(project_id=room.project_id, room_id=room.id, customer_id=customer.id, employee_id=seller.id,
                        state="active", created_at=now, created_by_id=getattr(user, "id", None), **values)
            deal.employee, deal.room = seller, room
            deal.buyers = [DealBuyer(customer_id=customer.id, share=HUNDRED, position=0)]
            db.session.add(deal)
            _flush_or_taken(room.id)
        _sync(room, "booked")
        event(deal, "book", user, note, {"amount": "%.2f" % amount, "until": deal.booking_until.isoformat()})
        _advance_opportunity(deal)
        _notify(deal, user, _("Room %(room)s is booked for %(customer)s", room=room.code, customer=customer.name))
        _finish(commit)
    return deal


def flag_expired_bookings(today=None):
    """The scheduler's job: bookings past their date are flagged once to the salesperson and their
    managers (not released: the deposit was paid). Idempotent. Returns how many were flagged."""
    today = today or clock.local_today()
    deals = (db.session.query(Deal).filter(Deal.state == "active", Deal.stage == "booked",
                                           Deal.booking_until < today, Deal.booking_flagged_on.is_(None))
             .order_by(Deal.id).all())
    for deal in deals:
        with _default_locale():
            event(deal, "booking_expired", None, _("Booked until %(date)s", date=deal.booking_until.isoformat()))
            _notify(deal, None, _("The booking of room %(room)s for %(customer)s expired on %(date)s: subscribe or "
                                  "release it.", room=deal.room.code, customer=deal.customer.name,
                                  date=deal.booking_until.isoformat()), managers=True)
        deal.booking_flagged_on = today
    db.session.commit()
    return len(deals)


# ---------------------------------------------------------------- 认购 subscription

def parse_buyers(rows):
    """[(customer or id, share)] → [(Customer, Decimal share)]: one to five distinct customers
    whose shares (percent, two decimals) sum to exactly 100; a single buyer may omit the share."""
    rows = [r for r in rows or [] if r and r[0] not in (None, "")]
    if not rows:
        raise BusinessError(_("Choose the buyer."))
    if len(rows) > MAX_BUYERS:
        raise BusinessError(_("A deal has at most %(n)d buyers.", n=MAX_BUYERS))
    buyers, seen = [], set()
    for customer, share in rows:
        customer = _customer(customer)
        if customer.id in seen:
            raise BusinessError(_("%(name)s is named twice among the buyers.", name=customer.name))
        seen.add(customer.id)
        if share in (None, "") and len(rows) == 1:
            share = HUNDRED
        try:
            share = D(str(share).replace("%", "").strip())
        except (decimal.InvalidOperation, TypeError, ValueError):
            raise BusinessError(_("Enter each buyer's share as a percentage."))
        if not share.is_finite() or not 0 < share <= HUNDRED or share != share.quantize(D("0.01")):
            raise BusinessError(_("Each buyer's share is a percentage above 0 and at most 100, with at most two "
                                  "decimals."))
        buyers.append((customer, share))
    if sum(s for _c, s in buyers) != HUNDRED:
        raise BusinessError(_("The buyers' shares add up to %(sum)s%%; they must add up to 100%%.",
                              sum=sum(s for _c, s in buyers)))
    return buyers


def _plan(plan_or_id, room):
    plan = plan_or_id
    if not isinstance(plan, PaymentPlan):
        try:
            plan = db.session.get(PaymentPlan, int(plan_or_id)) if plan_or_id not in (None, "") else None
        except (TypeError, ValueError):
            plan = None
    if plan is None:
        raise BusinessError(_("Choose the payment plan."))
    if plan.project_id != room.project_id:
        raise BusinessError(_("“%(plan)s” is not a payment plan of %(project)s.", plan=plan.name,
                              project=room.project.name))
    return plan


def price(room, plan, policies=(), customer=None, on=None, first_home=True, sign_by=None):
    """The price trial the subscription is made from (the same figures as the trial page)."""
    return trials.trial(room, plan, on, first_home=first_home, subscription_date=on, signing_date=sign_by,
                        discounts=list(policies or []), customer=customer)


def _check_discount(user, trial, room, plan, policies, customer, discount_request_id):
    """Within the user's authority, or covered by an approved discount request for exactly these
    figures that no other deal used."""
    verdict = discount_authority.check(user, trial)
    if verdict.within and not discount_request_id:
        return None
    if not discount_request_id:
        raise BusinessError(_("This discount is beyond your authority (%(reasons)s): ask for approval first.",
                              reasons="; ".join(str(r) for r in verdict.reasons)))
    approved = discount_authority.approved_discount(discount_request_id)
    if approved is None:
        raise BusinessError(_("Discount request %(id)s is not an approved discount request.", id=discount_request_id))
    if (approved["room_id"] != room.id or approved["plan_id"] != plan.id
            or sorted(approved["policy_ids"]) != sorted(p.id for p in policies)
            or (approved["customer_id"] and approved["customer_id"] != customer.id)):
        raise BusinessError(_("The approved discount was for another room, plan, customer or set of discounts."))
    if approved["total"] != trial.total:
        raise BusinessError(_("The approved final price was ¥%(approved)s but the price is now ¥%(now)s; ask again.",
                              approved="{:,.2f}".format(approved["total"]), now="{:,.2f}".format(trial.total)))
    used = db.session.query(Deal.id).filter(Deal.discount_request_id == approved["request_id"],
                                            Deal.state != "released").first()
    if used is not None:
        raise BusinessError(_("This approved discount was used by another deal already."))
    return approved["request_id"]


def schedule_rows(trial):
    """The payments of a trial as DealPayment values (price first, then fees collected for others)."""
    rows = []
    for payment in trial.payments:
        if payment.kind == "loan" and trial.loans:
            continue  # the loan is its parts below (commercial, provident), not counted twice
        rows.append({"kind": payment.kind, "label": payment.label, "amount": payment.amount,
                     "due_date": payment.due_date, "collected_for_others": False})
    for part in trial.loans:
        rows.append({"kind": "loan", "label": part.label, "amount": part.amount,
                     "due_date": None, "collected_for_others": False})
    for estimate in trial.estimates:
        rows.append({"kind": "fee", "label": estimate.label, "amount": estimate.amount, "due_date": None,
                     "collected_for_others": True})
    return rows


def _write_schedule(deal, trial, new=False):
    """The deal's schedule from the trial; `new`: the deal has none yet (nothing to replace)."""
    if not new:
        for payment in list(deal.payments):
            db.session.delete(payment)
        db.session.flush()
    rows = schedule_rows(trial)
    for n, row in enumerate(rows):
        row["position"] = n
        db.session.add(DealPayment(deal_id=deal.id, **row))
    hooks.fire("schedule", deal, rows)


def _number(prefix, project):
    n = numbering.next_number("deal_" + prefix.lower(), project.id)
    return "%s-%s-%05d" % (project.code, prefix, n)


def subscribe(room, buyers, plan, policies=(), user=None, employee=None, on=None, first_home=True, sign_by=None,
              discount_request_id=None, custom=None, note=None, commit=True):
    """认购: the room goes to the buyers at the trial's price with the plan and discounts; from
    available, or from the first buyer's hold or booking. Returns the deal."""
    user = _user(user)
    room = room if isinstance(room, Room) else get_room(room)
    buyers = parse_buyers(buyers)
    customer = buyers[0][0]
    plan = _plan(plan, room)
    policies = list(policies or [])
    today = clock.local_today()
    on = _date(on, _("Enter the subscription date as YYYY-MM-DD."), today)
    if on > today:
        raise BusinessError(_("The subscription date cannot be in the future."))
    if on < today - dt.timedelta(days=30):
        raise BusinessError(_("The subscription date can be at most 30 days ago."))
    sign_by = _date(sign_by, _("Enter the signing deadline as YYYY-MM-DD."),
                    on + dt.timedelta(days=plan.sign_within_days or 0))
    if sign_by < on:
        raise BusinessError(_("The contract cannot be signed before the subscription."))
    if sign_by > on + dt.timedelta(days=365):
        raise BusinessError(_("The signing deadline can be at most a year after the subscription."))
    trial = price(room, plan, policies, customer, on, first_home, sign_by)
    request_id = _check_discount(user, trial, room, plan, policies, customer, discount_request_id)
    if custom:
        from app.core.services import custom_fields
        custom = custom_fields.clean_values("deal", custom)
    deal = active_deal(room.id)
    values = {"stage": "subscribed", "subscribed_on": on, "plan_id": plan.id, "policy_ids": [p.id for p in policies],
              "discount_request_id": request_id, "first_home": bool(first_home), "list_total": trial.list_total,
              "total": trial.total, "unit_price": trial.unit_price, "deposit": trial.deposit, "sign_by": sign_by,
              "customer_id": customer.id, "updated_at": utcnow()}
    with _acting(user):
        if deal is not None and deal.stage in CHANGING_STAGES:
            _check_continues(deal, user)
            if not any(c.id == deal.customer_id for c, _s in buyers):
                _check_customer_of(deal, customer)
            values["customer_id"] = deal.customer_id if buyers[0][0].id == deal.customer_id else customer.id
            _take_room(room.id, deal.stage, "subscribed")
            values["subscription_no"] = _number("RG", room.project)
            _move_deal(deal, CHANGING_STAGES, values)
            db.session.refresh(deal)
            for buyer in list(deal.buyers):
                db.session.delete(buyer)
            db.session.flush()
            for n, (buyer, share) in enumerate(buyers):
                db.session.add(DealBuyer(deal_id=deal.id, customer_id=buyer.id, share=share, position=n))
            new = False
        else:
            _check_room_for_new_deal(room, user)
            seller = _seller(user, employee)
            _take_room(room.id, "available", "subscribed")
            values["subscription_no"] = _number("RG", room.project)
            now = utcnow()
            deal = Deal(project_id=room.project_id, room_id=room.id, employee_id=seller.id, state="active",
                        created_at=now, created_by_id=getattr(user, "id", None), **values)
            deal.employee, deal.room = seller, room
            deal.buyers = [DealBuyer(customer_id=buyer.id, share=share, position=n)
                           for n, (buyer, share) in enumerate(buyers)]
            new = True
        if custom is not None:
            deal.custom = custom
        if note:
            deal.note = str(note).strip()[:500] or None
        if new:
            db.session.add(deal)
            _flush_or_taken(room.id)
        _write_schedule(deal, trial, new=new)
        _sync(room, "subscribed")
        event(deal, "subscribe", user, note, {"total": "%.2f" % trial.total, "list_total": "%.2f" % trial.list_total,
                                              "plan": plan.name, "number": deal.subscription_no,
                                              "discount_request_id": request_id})
        _advance_opportunity(deal, [b.id for b, _s in buyers])
        _notify(deal, user, _("Room %(room)s is subscribed by %(customer)s for ¥%(total)s", room=room.code,
                              customer=customer.name, total="{:,.2f}".format(trial.total)), managers=True)
        _finish(commit)
    return deal


def flag_sign_overdue(today=None):
    """The scheduler's job: subscriptions past their signing date (认购未签约超期) are notified once
    a day to the salesperson and their managers. Idempotent per day. Returns how many."""
    today = today or clock.local_today()
    deals = (db.session.query(Deal).filter(Deal.state == "active", Deal.stage == "subscribed", Deal.sign_by < today,
                                           sa.or_(Deal.sign_overdue_notified_on.is_(None),
                                                  Deal.sign_overdue_notified_on < today))
             .order_by(Deal.id).all())
    for deal in deals:
        with _default_locale():
            if deal.sign_overdue_notified_on is None:
                event(deal, "sign_overdue", None, _("To be signed by %(date)s", date=deal.sign_by.isoformat()))
            _notify(deal, None, _("Room %(room)s (%(customer)s) was to be signed by %(date)s: %(days)d days overdue.",
                                  room=deal.room.code, customer=deal.customer.name, date=deal.sign_by.isoformat(),
                                  days=(today - deal.sign_by).days), managers=True)
        deal.sign_overdue_notified_on = today
    db.session.commit()
    return len(deals)


def sign_overdue(deal, today=None):
    today = today or clock.local_today()
    return deal.state == "active" and deal.stage == "subscribed" and deal.sign_by is not None and deal.sign_by < today


# ---------------------------------------------------------------- 签约 contract

def _filing_no(value):
    value = (value or "").strip()
    if len(value) > 60:
        raise BusinessError(_("The online filing number has at most 60 characters."))
    return value or None


def sign(deal, user=None, signed_on=None, filing_no=None, filed_on=None, first_home=None, note=None, commit=True):
    """签约: the contract gets the project's next contract number (gapless), the schedule is
    computed again from the signing date; the online filing (网签备案) is due within 30 days."""
    user = _user(user)
    _check_own_deal(deal, user)
    if deal.state != "active" or deal.stage != "subscribed":
        raise BusinessError(_("Only a subscribed deal can be signed; this one is %(stage)s.",
                              stage=stage_label(deal.stage) if deal.state == "active" else state_label(deal.state)))
    today = clock.local_today()
    signed_on = _date(signed_on, _("Enter the signing date as YYYY-MM-DD."), today)
    if signed_on > today:
        raise BusinessError(_("The signing date cannot be in the future."))
    if signed_on < deal.subscribed_on:
        raise BusinessError(_("The contract cannot be signed before the subscription (%(date)s).",
                              date=deal.subscribed_on.isoformat()))
    filing_no = _filing_no(filing_no)
    filed_on = _date(filed_on, _("Enter the filing date as YYYY-MM-DD."))
    _check_filing(filing_no, filed_on, signed_on, today)
    first_home = deal.first_home if first_home is None else bool(first_home)
    room = deal.room
    policies = _policies(deal.policy_ids)
    trial = trials.trial(room, deal.plan, deal.subscribed_on, first_home=first_home,
                         subscription_date=deal.subscribed_on, signing_date=signed_on, discounts=policies,
                         customer=deal.customer)
    # The agreed price stands: a later price change or expired discount does not move it.
    if trial.total != deal.total:
        trial = _rescaled(trial, deal)
    with _acting(user):
        _take_room(room.id, "subscribed", "signed")
        _move_deal(deal, ("subscribed",), {"stage": "signed", "signed_on": signed_on, "updated_at": utcnow(),
                                           "first_home": first_home})
        db.session.refresh(deal)
        deal.contract_no = _number("HT", deal.project)
        deal.filing_due = signed_on + dt.timedelta(days=FILING_DAYS)
        deal.filing_no, deal.filed_on = filing_no, filed_on
        _write_schedule(deal, trial)
        _sync(room, "signed")
        event(deal, "sign", user, note, {"number": deal.contract_no, "signed_on": signed_on.isoformat(),
                                         "filing_no": filing_no})
        _advance_opportunity(deal, [b.customer_id for b in deal.buyers])
        _notify(deal, user, _("Contract %(number)s signed for room %(room)s", number=deal.contract_no, room=room.code),
                managers=True)
        _finish(commit)
    return deal


def _rescaled(trial, deal):
    """A trial whose price moved since the subscription: keep the agreed total on the schedule by
    recomputing with the agreed figures (the deposit and the first payment absorb a difference)."""
    difference = deal.total - trial.total
    trial.total = deal.total
    for payment in trial.payments:
        if payment.kind in ("full", "down_payment", "instalment"):
            payment.amount += difference
            break
    return trial


def _policies(ids):
    from app.sales.models import DiscountPolicy
    ids = [int(i) for i in ids or []]
    if not ids:
        return []
    rows = {p.id: p for p in db.session.query(DiscountPolicy).filter(DiscountPolicy.id.in_(ids))}
    return [rows[i] for i in ids if i in rows]


def _check_filing(filing_no, filed_on, signed_on, today):
    if filed_on is not None and not filing_no:
        raise BusinessError(_("Enter the online filing number with its date."))
    if filing_no and filed_on is None:
        raise BusinessError(_("Enter the date of the online filing."))
    if filed_on is not None and (filed_on < signed_on or filed_on > today):
        raise BusinessError(_("The filing date is between the signing date and today."))


def record_filing(deal, filing_no, filed_on, user=None, commit=True):
    """The online filing number (网签备案号) and its date, for a signed contract."""
    user = _user(user)
    _check_own_deal(deal, user)
    if deal.state != "active" or deal.stage != "signed":
        raise BusinessError(_("Only a signed contract is filed."))
    filing_no = _filing_no(filing_no)
    if not filing_no:
        raise BusinessError(_("Enter the online filing number."))
    filed_on = _date(filed_on, _("Enter the filing date as YYYY-MM-DD."), clock.local_today())
    _check_filing(filing_no, filed_on, deal.signed_on, clock.local_today())
    with _acting(user):
        deal.filing_no, deal.filed_on, deal.updated_at = filing_no, filed_on, utcnow()
        event(deal, "file", user, None, {"filing_no": filing_no, "filed_on": filed_on.isoformat()})
        _finish(commit)
    return deal


def filing_overdue(deal, today=None):
    today = today or clock.local_today()
    return (deal.state == "active" and deal.stage == "signed" and not deal.filing_no and deal.filing_due is not None
            and deal.filing_due < today)


def flag_filing_overdue(today=None):
    """The scheduler's job: signed contracts not filed within 30 days are flagged once."""
    today = today or clock.local_today()
    deals = (db.session.query(Deal).filter(Deal.state == "active", Deal.stage == "signed", Deal.filing_no.is_(None),
                                           Deal.filing_due < today, Deal.filing_overdue_notified_on.is_(None))
             .order_by(Deal.id).all())
    for deal in deals:
        with _default_locale():
            event(deal, "filing_overdue", None, _("To be filed by %(date)s", date=deal.filing_due.isoformat()))
            _notify(deal, None, _("Contract %(number)s (room %(room)s) was to be filed online by %(date)s.",
                                  number=deal.contract_no, room=deal.room.code, date=deal.filing_due.isoformat()),
                    managers=True)
        deal.filing_overdue_notified_on = today
    db.session.commit()
    return len(deals)


# ---------------------------------------------------------------- reading

def timeline(deal):
    """The deal's events, oldest first, with their users loaded in one query."""
    from sqlalchemy.orm import joinedload
    return (db.session.query(DealEvent).options(joinedload(DealEvent.user)).filter(DealEvent.deal_id == deal.id)
            .order_by(DealEvent.at, DealEvent.id).all())


def room_history(room_id):
    """Every deal event on a room (also of deals that moved away from it), newest first."""
    from sqlalchemy.orm import joinedload
    return (db.session.query(DealEvent).options(joinedload(DealEvent.user)).filter(DealEvent.room_id == room_id)
            .order_by(DealEvent.at.desc(), DealEvent.id.desc()).all())


def allowed_actions(room, user=None):
    """What the user may do on the room now: a list of action codes for the room card."""
    user = _user(user)
    grants = permissions.grants_for(user)
    if not grants.may_sell(room.project_id, room.building_id):
        return []
    if room.status == "available":
        return ["hold", "book", "subscribe"]
    deal = active_deal(room.id)
    if deal is None or not scope.may_see_owner(deal.employee_id):
        return []
    # rename, change_room and cancel are requests for approval (deal_changes.py).
    actions = {"held": ["book", "subscribe", "release"], "booked": ["subscribe", "release", "change_room", "cancel"],
               "subscribed": ["sign", "rename", "change_room", "cancel"],
               "signed": ([] if deal.filing_no else ["file"]) + ["rename", "change_room", "cancel"]}[deal.stage]
    return actions


def timeline_entries(customer):
    """The customer's deal events for Customer 360 (deals where they are a buyer), one query."""
    from sqlalchemy.orm import joinedload
    from app.crm.services.timeline import Entry
    deal_ids = sa.select(DealBuyer.deal_id).where(DealBuyer.customer_id == customer.id)
    rows = (db.session.query(DealEvent, Deal, Room.code)
            .join(Deal, Deal.id == DealEvent.deal_id).join(Room, Room.id == DealEvent.room_id)
            .options(joinedload(DealEvent.user))
            .filter(sa.or_(DealEvent.deal_id.in_(deal_ids), Deal.customer_id == customer.id))
            .order_by(DealEvent.at.desc(), DealEvent.id.desc()).limit(200).all())
    out = []
    for ev, deal, room_code in rows:
        detail = "%s · %s" % (deal.project.name, room_code)
        if ev.note:
            detail += " · " + ev.note
        who = ev.user.first_name and (ev.user.last_name + ev.user.first_name) if ev.user is not None else ""
        out.append(Entry(at=ev.at, kind="deal", title=action_label(ev.action), detail=detail,
                         link="/sales/deals/%d" % deal.id, who=who or ""))
    return out
