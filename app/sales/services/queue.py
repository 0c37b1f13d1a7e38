"""Sincerity tickets (认筹/排号) before opening day, and the opening-day selection (开盘选房).

Registering a ticket takes the project's next queue number (gapless: numbering.next_number in
the same transaction), checks the customer is the user's to serve (私客保护) and holds no other
live ticket of the project, and moves the customer's opportunity to "intent".

On opening day a supervisor (销售经理) or admin runs one session per project: "call next" calls
the lowest valid number (a number still called and not chosen is passed over: skipped, and may
be called again later), the called customer picks a room and `choose` makes the subscription
(deals.subscribe, commit=False) and in the same transaction marks the ticket chosen with the
deal and the amount converted into the deposit. A room taken meanwhile is refused by the deal
services (deals.Taken) and nothing changes.

Every status change is a compare-and-set UPDATE (`… WHERE id = :id AND status = :expected`), so
two operators pressing at once get one change and one clear refusal."""
import datetime as dt

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from app.core import clock, roles
from app.core.errors import BusinessError
from app.core.models.base import utcnow
from app.core.services import notifications, numbering
from app.crm.services import opportunities, scope
from app.extensions import db
from app.inventory.models import Building, Layout, Project
from app.sales.models import LIVE_STATUSES, PAYMENT_METHODS, OpeningSession, SincerityTicket
from app.sales.services import deals, hooks, permissions

TICKET = SincerityTicket.__table__
SESSION = OpeningSession.__table__
PAGE_SIZE = 50
SCREEN_NEXT = 5
MAX_ID = 2 ** 31 - 1
REFUNDING = ("refund_requested", "refunded")

STATUS_LABELS = {"valid": _l("Valid"), "called": _l("Called"), "chose": _l("Chose a room"),
                 "skipped": _l("Passed over"),
                 "refund_requested": _l("Refund requested"), "refunded": _l("Refunded"), "void": _l("Void")}
METHOD_LABELS = {"cash": _l("Cash"), "pos": _l("POS card"), "transfer": _l("Bank transfer"),
                 "wechat": _l("WeChat Pay"), "alipay": _l("Alipay")}


class NotFound(deals.NotFound):
    pass


class Moved(BusinessError):
    """The ticket or the session changed meanwhile (another operator, another tab)."""


def status_label(status):
    return str(STATUS_LABELS.get(status, status or ""))


def method_label(method):
    return str(METHOD_LABELS.get(method, method or ""))


def _money_text(value):
    return "{:,.2f}".format(value)


def _id(value):
    try:
        value = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return value if 0 < value <= MAX_ID else None


# ---------------------------------------------------------------- who, what

def is_supervisor(user):
    """销售经理 or admin (or the system): may run the opening day and see the whole queue."""
    if user is None:
        return True
    names = {r.name for r in (getattr(user, "roles", None) or [])}
    return roles.ADMIN in names or roles.MANAGER in names


def _check_supervisor(user):
    if not is_supervisor(user):
        raise BusinessError(_("Only a sales manager or an administrator may run the opening-day selection."))


def get_project(project_id, user=None):
    """A project the user may sell in (BusinessError otherwise)."""
    project = project_id if isinstance(project_id, Project) else None
    if project is None:
        pk = _id(project_id)
        project = db.session.get(Project, pk) if pk else None
    if project is None:
        raise NotFound(_("There is no such project."))
    user = deals._user(user)
    ids = permissions.grants_for(user).project_ids()
    if ids is not None and project.id not in ids:
        raise BusinessError(_("You have no sales permission for %(project)s; ask an administrator.",
                              project=project.name))
    return project


def queue_projects(user=None):
    return permissions.sellable_projects(deals._user(user))


def visible_condition(refunds=False):
    """Tickets the user may see: of their own customers' salesperson scope; with refunds=True
    (finance) also every ticket handed over for refund."""
    condition = scope.owner_condition(SincerityTicket.employee_id)
    if condition is None:
        return None
    if refunds:
        return sa.or_(condition, SincerityTicket.status.in_(REFUNDING))
    return condition


def get_ticket(ticket_id, refunds=False):
    pk = _id(ticket_id)
    ticket = db.session.get(SincerityTicket, pk) if pk else None
    if ticket is None:
        raise NotFound(_("There is no such sincerity ticket."))
    if not scope.may_see_owner(ticket.employee_id) and not (refunds and ticket.status in REFUNDING):
        scope.log_refusal("sincerity_ticket", ticket.id)
        raise deals.OutOfScope(_("This sincerity ticket belongs to another salesperson; you may not open it."))
    return ticket


def tickets(project_id, status=None, employee_id=None, refunds=False, page=None):
    """The queue of a project in number order, with customers and salespeople loaded: (total, rows).
    page=None: every row (export, print)."""
    query = (db.session.query(SincerityTicket).options(joinedload(SincerityTicket.customer),
                                                       joinedload(SincerityTicket.employee))
             .filter(SincerityTicket.project_id == project_id))
    condition = visible_condition(refunds)
    if condition is not None:
        query = query.filter(condition)
    if status in STATUS_LABELS:
        query = query.filter(SincerityTicket.status == status)
    if employee_id:
        query = query.filter(SincerityTicket.employee_id == employee_id)
    total = query.order_by(None).count()
    query = query.order_by(SincerityTicket.number)
    if page is not None:
        query = query.offset(page * PAGE_SIZE).limit(PAGE_SIZE)
    return total, query.all()


def preference_names(rows):
    """{ticket id: (layout names, building names)} for a page of tickets, in two queries."""
    layout_ids = {i for t in rows for i in (t.want_layout_ids or [])}
    building_ids = {i for t in rows for i in (t.want_building_ids or [])}
    layouts = dict(db.session.query(Layout.id, Layout.name).filter(Layout.id.in_(sorted(layout_ids)))) \
        if layout_ids else {}
    buildings = dict(db.session.query(Building.id, Building.name).filter(Building.id.in_(sorted(building_ids)))) \
        if building_ids else {}
    return {t.id: ([layouts[i] for i in (t.want_layout_ids or []) if i in layouts],
                   [buildings[i] for i in (t.want_building_ids or []) if i in buildings]) for t in rows}


def live_ticket(project_id, customer_id):
    return (db.session.query(SincerityTicket)
            .filter(SincerityTicket.project_id == project_id, SincerityTicket.customer_id == customer_id,
                    SincerityTicket.status.in_(LIVE_STATUSES)).first())


# ---------------------------------------------------------------- 认筹 register

def _ids_of(values, model, project, message):
    ids = []
    for value in values or []:
        if value in (None, ""):
            continue
        pk = _id(value)
        if pk is None:
            raise BusinessError(message)
        ids.append(pk)
    ids = list(dict.fromkeys(ids))
    if ids:
        found = {i for (i,) in db.session.query(model.id).filter(model.id.in_(ids), model.project_id == project.id)}
        if found != set(ids):
            raise BusinessError(message)
    return ids or None


def register(project, customer, amount, paid_on=None, method="transfer", reference=None, employee=None,
             layouts=(), buildings=(), floors=None, note=None, user=None, commit=True):
    """认筹: the customer pays the sincerity deposit and gets the project's next queue number.
    Returns the ticket."""
    user = deals._user(user)
    project = get_project(project, user)
    customer = deals._customer(customer)
    amount = deals._money(amount, _("Enter the sincerity deposit as an amount above zero."))
    today = clock.local_today()
    paid_on = deals._date(paid_on, _("Enter the payment date as YYYY-MM-DD."), today)
    if paid_on > today:
        raise BusinessError(_("The payment date cannot be in the future."))
    if paid_on < today - dt.timedelta(days=365):
        raise BusinessError(_("The payment date can be at most a year ago."))
    if method not in PAYMENT_METHODS:
        raise BusinessError(_("Choose how the sincerity deposit was paid."))
    layout_ids = _ids_of(layouts, Layout, project, _("Choose layouts of this project."))
    building_ids = _ids_of(buildings, Building, project, _("Choose buildings of this project."))
    existing = live_ticket(project.id, customer.id)
    if existing is not None:
        raise BusinessError(_("%(customer)s already holds queue number %(number)s of %(project)s.",
                              customer=customer.name, number=existing.number, project=project.name))
    seller = deals._seller(user, employee)
    with deals._acting(user):
        number = numbering.next_number("sincerity", project.id)
        ticket = SincerityTicket(
            project_id=project.id, number=number, customer_id=customer.id, employee_id=seller.id, amount=amount,
            paid_on=paid_on, method=method, reference=(reference or "").strip()[:60] or None,
            want_layout_ids=layout_ids, want_building_ids=building_ids, want_floors=(floors or "").strip()[:40] or None,
            note=(note or "").strip()[:500] or None, status="valid", created_at=utcnow(),
            created_by_id=getattr(user, "id", None))
        db.session.add(ticket)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise BusinessError(_("%(customer)s already holds a queue number of %(project)s.",
                                  customer=customer.name, project=project.name))
        opportunities.advance(customer.id, project.id, "intent", employee=seller)
        deals._finish(commit)
    return ticket


# ---------------------------------------------------------------- compare-and-set

def _move(ticket, expected, values):
    expected = (expected,) if isinstance(expected, str) else tuple(expected)
    result = db.session.execute(TICKET.update().where(TICKET.c.id == ticket.id, TICKET.c.status.in_(expected))
                                .values(**values))
    if result.rowcount != 1:
        db.session.rollback()
        raise Moved(_("Queue number %(number)s changed meanwhile; reload the page and try again.",
                      number=ticket.number))
    for key, value in values.items():
        # The ORM's ticket follows (and the audit log records the change).
        setattr(ticket, key, value)


def _set_current(session, old_id, new_id):
    condition = SESSION.c.current_ticket_id.is_(None) if old_id is None else SESSION.c.current_ticket_id == old_id
    result = db.session.execute(SESSION.update().where(SESSION.c.id == session.id, SESSION.c.ended_at.is_(None),
                                                       condition).values(current_ticket_id=new_id))
    if result.rowcount != 1:
        db.session.rollback()
        raise Moved(_("The selection moved on meanwhile; reload the page."))
    session.current_ticket_id = new_id


# ---------------------------------------------------------------- void and refund

def void(ticket, reason, user=None, commit=True):
    """作废: a ticket registered by mistake (never deleted), with the reason."""
    user = deals._user(user)
    reason = (reason or "").strip()
    if not reason:
        raise BusinessError(_("Give the reason for voiding the ticket."))
    if ticket.status not in ("valid", "skipped"):
        raise BusinessError(_("Queue number %(number)s is %(status)s and cannot be voided.", number=ticket.number,
                              status=status_label(ticket.status)))
    with deals._acting(user):
        _move(ticket, ("valid", "skipped"), {"status": "void", "voided_at": utcnow(),
                                             "voided_by_id": getattr(user, "id", None), "void_reason": reason[:500]})
        deals._finish(commit)
    return ticket


def finance_user_ids():
    from flask_appbuilder.security.sqla.models import Role, User, assoc_user_role
    return sorted(set(db.session.execute(
        sa.select(User.id).join(assoc_user_role, assoc_user_role.c.user_id == User.id)
        .join(Role, Role.id == assoc_user_role.c.role_id)
        .where(Role.name == roles.FINANCE, User.active.is_(True))).scalars()))


def request_refund(ticket, reason=None, user=None, commit=True):
    """退筹: a customer who did not buy gets the sincerity deposit back; finance is told and pays it."""
    user = deals._user(user)
    if ticket.status not in ("valid", "skipped"):
        raise BusinessError(_("Queue number %(number)s is %(status)s: no refund can be requested.",
                              number=ticket.number, status=status_label(ticket.status)))
    with deals._acting(user):
        _move(ticket, ("valid", "skipped"), {"status": "refund_requested", "refund_requested_at": utcnow(),
                                             "refund_requested_by_id": getattr(user, "id", None),
                                             "refund_reason": (reason or "").strip()[:500] or None})
        with deals._default_locale():
            title = _("Refund the sincerity deposit of %(customer)s: ¥%(amount)s (%(project)s No. %(number)s)",
                      customer=ticket.customer.name, amount=_money_text(ticket.amount), project=ticket.project.name,
                      number=ticket.number)
        ids = [i for i in finance_user_ids() if i != getattr(user, "id", None)]
        if ids:
            notifications.notify_many(ids, title, body=ticket.refund_reason,
                                      link="/sales/queue/tickets/%d" % ticket.id, commit=False)
        deals._finish(commit)
    return ticket


def mark_refunded(ticket, user=None, commit=True):
    """Finance paid the refund back."""
    user = deals._user(user)
    if ticket.status != "refund_requested":
        raise BusinessError(_("Queue number %(number)s is %(status)s, not waiting for a refund.",
                              number=ticket.number, status=status_label(ticket.status)))
    with deals._acting(user):
        _move(ticket, "refund_requested", {"status": "refunded", "refunded_at": utcnow(),
                                           "refunded_by_id": getattr(user, "id", None)})
        deals._finish(commit)
    return ticket


# ---------------------------------------------------------------- 开盘选房 opening day

def open_session(project_id):
    return (db.session.query(OpeningSession)
            .filter(OpeningSession.project_id == project_id, OpeningSession.ended_at.is_(None)).one_or_none())


def latest_session(project_id):
    return (db.session.query(OpeningSession).filter(OpeningSession.project_id == project_id)
            .order_by(OpeningSession.ended_at.isnot(None), OpeningSession.started_at.desc(), OpeningSession.id.desc())
            .first())


def get_session(session_id):
    pk = _id(session_id)
    session = db.session.get(OpeningSession, pk) if pk else None
    if session is None:
        raise NotFound(_("There is no such opening-day session."))
    return session


def start(project, user=None):
    """Start the opening-day selection of a project (one open session at a time)."""
    user = deals._user(user)
    _check_supervisor(user)
    project = get_project(project, user)
    if open_session(project.id) is not None:
        raise BusinessError(_("The opening-day selection of %(project)s is running already.", project=project.name))
    with deals._acting(user):
        session = OpeningSession(project_id=project.id, started_by_id=getattr(user, "id", None), started_at=utcnow())
        db.session.add(session)
        try:
            db.session.flush()
        except IntegrityError:
            db.session.rollback()
            raise BusinessError(_("The opening-day selection of %(project)s is running already.",
                                  project=project.name))
        db.session.commit()
    return session


def _check_running(session, user):
    _check_supervisor(user)
    get_project(session.project, user)
    if not session.open:
        raise BusinessError(_("This opening-day selection has ended."))


def _pass_over_current(session):
    """The number still called (the customer did not choose) is passed over: skipped."""
    current = session.current_ticket
    if current is not None and current.status == "called":
        _move(current, "called", {"status": "skipped", "skipped_at": utcnow()})
        return current
    return None


def next_valid(project_id, limit=1):
    return (db.session.query(SincerityTicket).options(joinedload(SincerityTicket.customer))
            .filter(SincerityTicket.project_id == project_id, SincerityTicket.status == "valid")
            .order_by(SincerityTicket.number).limit(limit).all())


def call_next(session, user=None):
    """Call the lowest valid number; returns (called ticket or None, passed-over ticket or None)."""
    user = deals._user(user)
    _check_running(session, user)
    with deals._acting(user):
        old_id = session.current_ticket_id
        passed = _pass_over_current(session)
        found = next_valid(session.project_id)
        ticket = found[0] if found else None
        if ticket is not None:
            _move(ticket, "valid", {"status": "called", "called_at": utcnow()})
        _set_current(session, old_id, ticket.id if ticket is not None else None)
        db.session.commit()
    return ticket, passed


def skip(session, user=None):
    """The called customer is absent: their number is skipped (it may be called again later)."""
    user = deals._user(user)
    _check_running(session, user)
    current = session.current_ticket
    if current is None or current.status != "called":
        raise BusinessError(_("No number is being called."))
    with deals._acting(user):
        old_id = session.current_ticket_id
        _move(current, "called", {"status": "skipped", "skipped_at": utcnow()})
        _set_current(session, old_id, None)
        db.session.commit()
    return current


def recall(session, ticket, user=None):
    """Call a skipped number again (the customer came back); the number being called is passed over."""
    user = deals._user(user)
    _check_running(session, user)
    if ticket.project_id != session.project_id:
        raise NotFound(_("There is no such sincerity ticket."))
    if ticket.status != "skipped":
        raise BusinessError(_("Queue number %(number)s is %(status)s; only a skipped number can be called again.",
                              number=ticket.number, status=status_label(ticket.status)))
    with deals._acting(user):
        old_id = session.current_ticket_id
        if old_id != ticket.id:
            _pass_over_current(session)
        _move(ticket, "skipped", {"status": "called", "called_at": utcnow()})
        _set_current(session, old_id, ticket.id)
        db.session.commit()
    return ticket


def end(session, user=None):
    """End the selection; a number still called is passed over (skipped)."""
    user = deals._user(user)
    _check_running(session, user)
    with deals._acting(user):
        old_id = session.current_ticket_id
        _pass_over_current(session)
        same = SESSION.c.current_ticket_id.is_(None) if old_id is None else SESSION.c.current_ticket_id == old_id
        result = db.session.execute(SESSION.update().where(SESSION.c.id == session.id, SESSION.c.ended_at.is_(None),
                                                           same)
                                    .values(ended_at=utcnow(), ended_by_id=getattr(user, "id", None),
                                            current_ticket_id=None))
        if result.rowcount != 1:
            db.session.rollback()
            raise Moved(_("The selection moved on meanwhile; reload the page."))
        db.session.commit()
    db.session.refresh(session)
    return session


def screen(project_id):
    """What the hall screen shows: the current number (with its status) and the next ones."""
    session = latest_session(project_id)
    current = session.current_ticket if session is not None and session.open else None
    upcoming = next_valid(project_id, SCREEN_NEXT)
    return {"running": session is not None and session.open,
            "current": current.number if current is not None else None,
            "current_status": current.status if current is not None else None,
            "current_status_label": status_label(current.status) if current is not None else "",
            "next": [t.number for t in upcoming]}


# ---------------------------------------------------------------- 选房 the pick

def check_pickable(ticket, room, user=None):
    """The number being called, a room of its project that is available now (deals.Taken with who
    has it otherwise) and that the user may sell."""
    if ticket.status != "called":
        raise BusinessError(_("Queue number %(number)s is %(status)s: only the number being called may choose a room.",
                              number=ticket.number, status=status_label(ticket.status)))
    if room.project_id != ticket.project_id:
        raise BusinessError(_("Room %(room)s is not in %(project)s.", room=room.code, project=ticket.project.name))
    deals._check_room_for_new_deal(room, deals._user(user))


def choose(ticket, room, plan, user=None, first_home=True):
    """选房: the called customer takes the room; the subscription is made at the trial's price with the
    plan, the sincerity deposit converted into the deposit, the ticket marked chosen — one
    transaction. deals.Taken (the room went meanwhile) changes nothing. Returns the deal."""
    user = deals._user(user)
    room = room if not isinstance(room, (int, str)) else deals.get_room(room)
    check_pickable(ticket, room, user)
    customer = ticket.customer
    employee = ticket.employee
    amount = ticket.amount
    deal = deals.subscribe(room, [(customer, None)], plan, user=user, employee=employee, first_home=first_home,
                           commit=False)
    with deals._acting(user):
        _move(ticket, "called", {"status": "chose", "deal_id": deal.id, "converted_amount": amount,
                                 "chose_at": utcnow()})
        with deals._default_locale():
            note = _("Sincerity deposit ¥%(amount)s converted into the deposit (queue number %(number)s)",
                     amount=_money_text(amount), number=ticket.number)
        deals.event(deal, "note", user, note, {"sincerity_ticket_id": ticket.id, "converted": "%.2f" % amount})
        hooks.fire("converted", ticket, deal)
        db.session.commit()
    return deal


def deposit_split(deposit, amount):
    """(converted towards the deposit, deposit still to pay, beyond the deposit: towards the next payment)."""
    deposit = deposit or 0
    towards = min(amount, deposit)
    return towards, deposit - towards, amount - towards


# ---------------------------------------------------------------- Customer 360

def timeline_entries(customer):
    from app.crm.services.timeline import Entry
    rows = (db.session.query(SincerityTicket).options(joinedload(SincerityTicket.employee))
            .filter(SincerityTicket.customer_id == customer.id).order_by(SincerityTicket.id).all())
    out = []
    for t in rows:
        who = t.employee.name if t.employee is not None else ""
        link = "/sales/queue/tickets/%d" % t.id
        detail = "%s · %s · ¥%s" % (t.project.name, _("No. %(number)s", number=t.number), _money_text(t.amount))
        out.append(Entry(at=t.created_at, kind="sincerity", title=str(_l("Sincerity deposit paid")), detail=detail,
                         link=link, who=who))
        for at, title in ((t.chose_at, _l("Chose a room on opening day")),
                          (t.refund_requested_at, _l("Sincerity deposit refund requested")),
                          (t.refunded_at, _l("Sincerity deposit refunded")),
                          (t.voided_at, _l("Sincerity ticket voided"))):
            if at is not None:
                out.append(Entry(at=at, kind="sincerity", title=str(title), detail=detail, link=link, who=who))
    return out
