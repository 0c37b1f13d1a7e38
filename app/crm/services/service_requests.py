"""Complaints and service requests (投诉/客户服务): recorded for a customer, assigned to an
employee (who is told), worked on with progress notes, resolved, and closed with the customer's
satisfaction; a resolved or closed request may be reopened.

    open → assigned → in_progress → resolved → closed        (resolved/closed → reopen → assigned/open)

Who sees which requests: service staff (客服, permission can_see_all on ServiceRequestScope) and
admins all of them; everyone else the requests of the customers in their confidentiality scope
(a salesperson their own customers', a supervisor their department's), plus those they received
or were given themselves. Service staff may record a request for any customer, found by phone; they see the
customer's name (to address them) and personal data masked as everywhere else."""
import datetime as dt

import sqlalchemy as sa
from flask import current_app, g, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.errors import BusinessError
from app.core.models import LookupValue
from app.core.models.base import utcnow
from app.core.services import notifications
from app.crm.models import Customer, ServiceRequest, ServiceRequestNote
from app.crm.models.service_request import ACTIVE_STATUSES, REQUEST_KINDS, TYPE_LISTS, URGENCIES
from app.crm.services import customers as customer_service
from app.crm.services import scope
from app.crm.services.validation import clean_phone
from app.extensions import db
from app.inventory.models import Project
from app.org.models import Employee

VIEW = "ServiceRequestView"
SCOPE_MENU = "ServiceRequestScope"
SEE_ALL = "can_see_all"
CONTENT_MAX = 4000
NOTE_MAX = 2000

KIND_LABELS = {"complaint": _l("Complaint"), "service": _l("Service request")}
URGENCY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
STATUS_LABELS = {"open": _l("Waiting to be assigned"), "assigned": _l("Assigned"), "in_progress": _l("In progress"),
                 "resolved": _l("Resolved"), "closed": _l("Closed")}
ACTION_LABELS = {"record": _l("Recorded"), "note": _l("Progress note"), "assign": _l("Assign"),
                 "start": _l("Work started"), "resolve": _l("Resolved"), "close": _l("Closed"),
                 "reopen": _l("Reopened")}
SATISFACTION_LABELS = {1: _l("Very dissatisfied"), 2: _l("Dissatisfied"), 3: _l("Neutral"), 4: _l("Satisfied"),
                       5: _l("Very satisfied")}
# Most urgent first on work lists.
URGENCY_ORDER = sa.case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=ServiceRequest.urgency, else_=4)
SERVICE_TYPES = ("按揭办理", "产权证办理", "交付验房", "维修报修", "资料变更", "业务咨询", "其他")


def seed_lookups():
    """The service types (服务类型) list; complaint types (投诉类型) are seeded by the platform."""
    from app.core.services import lookup
    lookup.ensure_list("service_type", "服务类型", list(SERVICE_TYPES))


# ---------------------------------------------------------------- who sees and does what

def sees_all():
    """Service staff and admins see every request (outside requests: the system, everything)."""
    if not has_request_context():
        return True
    if "_loupan_service_all" not in g:
        sm = current_app.appbuilder.sm
        g._loupan_service_all = scope.mode() == scope.ALL or sm.has_access(SEE_ALL, SCOPE_MENU)
    return g._loupan_service_all


def _granted(permission):
    if not has_request_context():
        return True
    return current_app.appbuilder.sm.has_access(permission, VIEW)


def is_coordinator():
    """Who may assign requests may also act on those assigned to someone else."""
    return _granted("can_assign")


def visible_condition():
    """SQL condition on ServiceRequest: what the user may see (None: everything)."""
    if sees_all():
        return None
    customers = scope.owner_condition(Customer.owner_id)
    mine = scope.own_employee_ids(scope.acting_user())
    return sa.or_(ServiceRequest.customer_id.in_(sa.select(Customer.id).where(customers)),
                  ServiceRequest.assigned_to_id.in_(mine), ServiceRequest.received_by_id.in_(mine))


def visible_requests():
    query = db.session.query(ServiceRequest)
    condition = visible_condition()
    return query.filter(condition) if condition is not None else query


class Refused(BusinessError):
    """The record exists but is outside the user's scope (the refusal is logged)."""


def get_visible(pk):
    """The request if the user may see it; None if there is none; Refused (logged) otherwise."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    if not 0 < pk < 2 ** 31:
        return None
    item = db.session.get(ServiceRequest, pk)
    if item is None:
        return None
    condition = visible_condition()
    if condition is not None and visible_requests().filter(ServiceRequest.id == pk).first() is None:
        scope.log_refusal("service_request", pk)
        raise Refused(_("This service request is of another salesperson's customer; you may not open it."))
    return item


def may_serve(customer):
    """May the user record a request for this customer?"""
    return sees_all() or scope.may_see_owner(customer.owner_id)


def find_customer(phone):
    """The customer with this phone (anyone's), or None; a malformed phone is refused."""
    phone = clean_phone(phone)
    if not phone:
        raise BusinessError(_("Enter the customer's phone number."))
    return customer_service.find_by_phone(phone)


def customer_summary(customer):
    """What the page tells of a customer found by phone: service staff see whom they serve
    (name, masked phone, owner); a salesperson is only told who owns another's customer."""
    info = customer_service.summary(customer)
    if may_serve(customer):
        info.update(id=customer.id, visible=True, name=customer.name)
    return info


# ---------------------------------------------------------------- recording and steps

def _me():
    return scope.current_employee()


def _note(item, action, text="", detail=None):
    user = scope.acting_user()
    note = ServiceRequestNote(request=item, at=utcnow(), employee=_me(), user_id=getattr(user, "id", None),
                              action=action, text=(text or "")[:NOTE_MAX], detail=(detail or None) and detail[:200])
    db.session.add(note)
    return note


def _text(value, message, limit):
    value = (value or "").strip()
    if not value:
        raise BusinessError(message)
    if len(value) > limit:
        raise BusinessError(_("Keep it under %(n)d characters.", n=limit))
    return value


def _int(value, message):
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise BusinessError(message)
    if not 0 < number < 2 ** 31:
        raise BusinessError(message)
    return number


def _date(value):
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise BusinessError(_("“%(value)s” is not a date; write it as 2026-11-26.", value=str(value)[:30]))


def _active_employee(employee_id, message):
    employee = db.session.get(Employee, _int(employee_id, message))
    if employee is None:
        raise BusinessError(message)
    if employee.status != "active":
        raise BusinessError(_("%(name)s no longer works here; choose someone else.", name=employee.name))
    return employee


def _link(item):
    return "/servicerequestview/show/%d" % item.id


def _summary(item):
    return "%s · %s · %s" % (kind_label(item.kind), item.type.name if item.type is not None else "",
                             item.customer.name if item.customer is not None else "")


def _tell_assignee(item):
    assignee = item.assigned_to
    user = scope.acting_user()
    if assignee is None or not assignee.user_id or assignee.user_id == getattr(user, "id", None):
        return
    with notifications.default_language():
        notifications.notify(assignee.user_id, _("Service request #%(id)d is yours: %(summary)s", id=item.id,
                                                 summary=_summary(item)),
                             _("Urgency: %(urgency)s. %(content)s", urgency=urgency_label(item.urgency),
                               content=item.content[:200]),
                             link=_link(item), commit=False)


def record(customer_id, kind, type_id, content, urgency="normal", project_id=None, due_date=None,
           assigned_to_id=None):
    """Record a complaint or service request received now by the acting user. Commits."""
    customer = db.session.get(Customer, _int(customer_id, _("Choose the customer.")))
    if customer is None:
        raise BusinessError(_("Choose the customer."))
    if not may_serve(customer):
        scope.log_refusal("customer", customer.id)
        raise BusinessError(_("This customer belongs to another salesperson; you may not open it."))
    if kind not in REQUEST_KINDS:
        raise BusinessError(_("Choose whether this is a complaint or a service request."))
    type_message = _("Choose the type of complaint.") if kind == "complaint" else _("Choose the type of service.")
    if type_id in (None, ""):
        raise BusinessError(type_message)
    value = db.session.get(LookupValue, _int(type_id, type_message))
    if value is None or value.list_code != TYPE_LISTS[kind] or not value.active:
        raise BusinessError(type_message)
    urgency = urgency or "normal"
    if urgency not in URGENCIES:
        raise BusinessError(_("Choose the urgency."))
    content = _text(content, _("Write what the customer asks for or complains about."), CONTENT_MAX)
    project = None
    if project_id not in (None, ""):
        project = db.session.get(Project, _int(project_id, _("Choose the project.")))
        if project is None:
            raise BusinessError(_("Choose the project."))
    due = _date(due_date)
    if due is not None and due < clock.local_today():
        raise BusinessError(_("The due date %(date)s is in the past.", date=due.isoformat()))
    assignee = None
    if assigned_to_id not in (None, ""):
        if not is_coordinator():
            raise BusinessError(_("You may not assign service requests."))
        assignee = _active_employee(assigned_to_id, _("Choose whom to assign it to."))
    now = utcnow()
    item = ServiceRequest(customer=customer, project=project, kind=kind, type=value, content=content,
                          urgency=urgency, status="open", received_at=now, received_by=_me(), due_date=due)
    db.session.add(item)
    _note(item, "record")
    if assignee is not None:
        item.assigned_to, item.assigned_at, item.status = assignee, now, "assigned"
        _note(item, "assign", detail=assignee.name)
    db.session.flush()
    _tell_assignee(item)
    owner = customer.owner
    user = scope.acting_user()
    if kind == "complaint" and owner is not None and owner.user_id and owner.user_id != getattr(user, "id", None):
        with notifications.default_language():
            notifications.notify(owner.user_id, _("Your customer %(name)s complained: %(type)s", name=customer.name,
                                                  type=value.name),
                                 content[:200], link=_link(item), commit=False)
    db.session.commit()
    return item


def _check_status(item, allowed, message):
    if item.status not in allowed:
        raise BusinessError(message % {"status": status_label(item.status)})


def _may_work_on(item):
    me = _me()
    if is_coordinator() or (me is not None and item.assigned_to_id == me.id):
        return True
    return False


def _require_worker(item):
    if not _may_work_on(item):
        raise BusinessError(_("Only the person it is assigned to, or a service coordinator, may do this."))


def assign(item, employee_id):
    """Give the request to an active employee (again, while it is not resolved); they are told."""
    if not is_coordinator():
        raise BusinessError(_("You may not assign service requests."))
    _check_status(item, ACTIVE_STATUSES, _("A %(status)s request cannot be assigned; reopen it first."))
    employee = _active_employee(employee_id, _("Choose whom to assign it to."))
    if item.assigned_to_id == employee.id:
        raise BusinessError(_("It is already assigned to %(name)s.", name=employee.name))
    item.assigned_to, item.assigned_at, item.status = employee, utcnow(), "assigned"
    _note(item, "assign", detail=employee.name)
    db.session.flush()
    _tell_assignee(item)
    db.session.commit()
    return item


def start(item):
    """The assignee starts working on it."""
    _check_status(item, ("assigned",), _("Only an assigned request can be started; this one is %(status)s."))
    _require_worker(item)
    item.status = "in_progress"
    _note(item, "start")
    db.session.commit()
    return item


def add_note(item, text):
    """A progress note (who, when, what) on a request that is not closed."""
    if item.status == "closed":
        raise BusinessError(_("The request is closed; reopen it to add to it."))
    text = _text(text, _("Write the note."), NOTE_MAX)
    note = _note(item, "note", text)
    db.session.commit()
    return note


def resolve(item, resolution):
    """Record how it was resolved; the request then waits for the customer's satisfaction."""
    _check_status(item, ACTIVE_STATUSES, _("A %(status)s request cannot be resolved."))
    _require_worker(item)
    resolution = _text(resolution, _("Write how it was resolved."), CONTENT_MAX)
    me = _me()
    if item.assigned_to_id is None and me is not None:
        item.assigned_to, item.assigned_at = me, utcnow()
    item.status, item.resolution, item.resolved_at = "resolved", resolution, utcnow()
    _note(item, "resolve", resolution)
    db.session.commit()
    return item


def close(item, satisfaction, comment=None):
    """Close a resolved request with the customer's satisfaction (1 to 5, required)."""
    if not _granted("can_close"):
        raise BusinessError(_("You may not close service requests."))
    _check_status(item, ("resolved",), _("Only a resolved request can be closed; this one is %(status)s."))
    if satisfaction in (None, ""):
        raise BusinessError(_("Ask the customer how satisfied they are (1 to 5) before closing."))
    try:
        satisfaction = int(str(satisfaction).strip())
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        raise BusinessError(_("The customer's satisfaction is a number from 1 to 5."))
    comment = (comment or "").strip()
    if len(comment) > NOTE_MAX:
        raise BusinessError(_("Keep it under %(n)d characters.", n=NOTE_MAX))
    item.status, item.satisfaction, item.closed_at = "closed", satisfaction, utcnow()
    _note(item, "close", comment, detail=str(satisfaction))
    db.session.commit()
    return item


def reopen(item, reason):
    """A resolved or closed request is not done after all: back to its assignee (told again)."""
    if not _granted("can_close"):
        raise BusinessError(_("You may not reopen service requests."))
    _check_status(item, ("resolved", "closed"), _("Only a resolved or closed request can be reopened; "
                                                  "this one is %(status)s."))
    reason = _text(reason, _("Say why the request is reopened."), NOTE_MAX)
    item.status = "assigned" if item.assigned_to_id else "open"
    item.resolved_at = item.closed_at = item.satisfaction = None
    _note(item, "reopen", reason)
    db.session.flush()
    _tell_assignee(item)
    db.session.commit()
    return item


def actions_for(item):
    """The steps the user may take on the request now (the page shows these buttons)."""
    actions = set()
    if item.status != "closed" and _granted("can_handle"):
        actions.add("note")
        if _may_work_on(item):
            if item.status == "assigned":
                actions.add("start")
            if item.status in ACTIVE_STATUSES:
                actions.add("resolve")
    if item.status in ACTIVE_STATUSES and _granted("can_assign"):
        actions.add("assign")
    if _granted("can_close"):
        if item.status == "resolved":
            actions.add("close")
        if item.status in ("resolved", "closed"):
            actions.add("reopen")
    return actions


def notes_of(item):
    return (db.session.query(ServiceRequestNote).filter(ServiceRequestNote.request_id == item.id)
            .order_by(ServiceRequestNote.at, ServiceRequestNote.id).all())


# ---------------------------------------------------------------- work lists

def assigned_to(employee, include_done=False):
    """Requests assigned to an employee, most urgent and oldest first."""
    query = db.session.query(ServiceRequest).filter(ServiceRequest.assigned_to_id == employee.id)
    if not include_done:
        query = query.filter(ServiceRequest.status.in_(ACTIVE_STATUSES + ("resolved",)))
    return query.order_by(URGENCY_ORDER, ServiceRequest.due_date.is_(None), ServiceRequest.due_date,
                          ServiceRequest.received_at).limit(500).all()


def unassigned():
    """Open requests nobody has yet (what the service coordinators hand out)."""
    query = visible_requests().filter(ServiceRequest.status == "open")
    return query.order_by(URGENCY_ORDER, ServiceRequest.received_at).limit(500).all()


def is_overdue(item, today=None):
    return (item.due_date is not None and item.status in ACTIVE_STATUSES
            and item.due_date < (today or clock.local_today()))


def home_panel(user):
    """My service requests (what is assigned to me), and for coordinators what nobody has yet."""
    from flask import url_for
    if not _granted("can_mine"):
        return None
    me = db.session.query(Employee).filter(Employee.user_id == user.id).one_or_none()
    mine = assigned_to(me) if me is not None else []
    waiting = unassigned() if is_coordinator() else []
    if not mine and not waiting:
        return None
    today = clock.local_today()
    items = []
    for item in (waiting[:4] + mine)[:8]:
        flags = [urgency_label(item.urgency), status_label(item.status)]
        if is_overdue(item, today):
            flags.append(_("overdue since %(date)s", date=item.due_date.isoformat()))
        items.append(("#%d · %s · %s" % (item.id, _summary(item), " · ".join(flags)),
                      url_for("ServiceRequestView.show", pk=item.id)))
    items.append((_("All my service requests…"), url_for("ServiceRequestView.mine")))
    return {"title": _("Service requests: %(mine)d mine, %(waiting)d unassigned", mine=len(mine),
                       waiting=len(waiting)),
            "count": len(mine) + len(waiting), "items": items, "empty": _("Nothing is waiting for you.")}


# ---------------------------------------------------------------- labels and history

def kind_label(kind):
    return str(KIND_LABELS.get(kind, kind or ""))


def urgency_label(urgency):
    return str(URGENCY_LABELS.get(urgency, urgency or ""))


def status_label(status):
    return str(STATUS_LABELS.get(status, status or ""))


def action_label(action):
    return str(ACTION_LABELS.get(action, action or ""))


def satisfaction_label(value):
    if not value:
        return ""
    return "%d/5 · %s" % (value, SATISFACTION_LABELS.get(value, ""))


def timeline_entries(customer):
    """Customer 360: each request recorded, resolved and closed (one query)."""
    from flask import url_for
    from app.crm.services.timeline import Entry
    rows = (db.session.query(ServiceRequest).filter(ServiceRequest.customer_id == customer.id)
            .order_by(ServiceRequest.received_at.desc()).limit(200).all())
    may_open = _granted("can_show")
    entries = []
    for item in rows:
        link = url_for("ServiceRequestView.show", pk=item.id) if may_open else None
        kind = "complaint" if item.kind == "complaint" else "service"
        what = "%s · %s" % (kind_label(item.kind), item.type.name if item.type is not None else "")
        entries.append(Entry(at=item.received_at, kind=kind, link=link,
                             title=_("%(what)s recorded (%(status)s)", what=what, status=status_label(item.status)),
                             detail=item.content[:120], who=item.received_by.name if item.received_by else ""))
        if item.resolved_at is not None:
            entries.append(Entry(at=item.resolved_at, kind=kind, link=link, title=_("%(what)s resolved", what=what),
                                 detail=(item.resolution or "")[:120],
                                 who=item.assigned_to.name if item.assigned_to else ""))
        if item.closed_at is not None:
            entries.append(Entry(at=item.closed_at, kind=kind, link=link,
                                 title=_("%(what)s closed: %(satisfaction)s", what=what,
                                         satisfaction=satisfaction_label(item.satisfaction))))
    return entries



# ---------------------------------------------------------------- demo data

DEMO_CONTENT = {
    "complaint": ["卫生间渗水，楼下天花板有水迹", "交房时间一再推迟，要求给出明确日期", "样板间与交付标准不符",
                  "置业顾问承诺的车位优惠没有兑现", "物业维修响应太慢"],
    "service": ["咨询按揭审批进度", "办理产权证需要准备哪些材料", "预约交付验房时间", "申请更改通讯地址",
                "厨房水龙头漏水报修"],
}
DEMO_RESOLUTIONS = ["工程部上门处理，已更换防水层", "已向客户书面说明交付时间并致歉", "已协调财务兑现优惠",
                    "已电话告知所需材料清单", "已安排维修师傅上门更换"]


def load_demo():
    """Demo complaints and service requests in every status, received by customer service and
    assigned to the customers' salespeople, with their progress notes (bulk inserts)."""
    import random
    rnd = random.Random(9)
    staff = db.session.query(Employee).filter_by(number="E1005").one_or_none()
    owners = db.session.query(Employee).filter(Employee.number.in_(("E1003", "E1006", "E1009"))).all()
    types = {kind: [v.id for v in db.session.query(LookupValue).filter_by(list_code=code)]
             for kind, code in TYPE_LISTS.items()}
    if staff is None or not owners or not all(types.values()):
        return
    customers = []
    for owner in owners:
        customers += (db.session.query(Customer.id, Customer.owner_id).filter(Customer.owner_id == owner.id)
                      .order_by(Customer.id).limit(10).all())
    now = utcnow().replace(microsecond=0)
    statuses = ["open", "assigned", "in_progress", "resolved", "closed", "closed"]
    rows, plans = [], []
    for n, (customer_id, owner_id) in enumerate(customers):
        kind = "complaint" if n % 3 == 0 else "service"
        status = statuses[n % len(statuses)]
        received = now - dt.timedelta(days=rnd.randint(1, 40), hours=rnd.randint(0, 8))
        assigned = received + dt.timedelta(hours=2) if status != "open" else None
        resolved = received + dt.timedelta(days=2) if status in ("resolved", "closed") else None
        closed = received + dt.timedelta(days=3) if status == "closed" else None
        rows.append({
            "customer_id": customer_id, "project_id": None, "kind": kind, "type_id": rnd.choice(types[kind]),
            "content": rnd.choice(DEMO_CONTENT[kind]), "urgency": rnd.choice(URGENCIES), "status": status,
            "received_at": received, "received_by_id": staff.id, "assigned_to_id": owner_id if assigned else None,
            "assigned_at": assigned, "due_date": (received + dt.timedelta(days=7)).date() if n % 2 else None,
            "resolution": rnd.choice(DEMO_RESOLUTIONS) if resolved else None, "resolved_at": resolved,
            "satisfaction": rnd.choice([3, 4, 4, 5, 5]) if closed else None, "closed_at": closed})
        plans.append((received, assigned, status, resolved, closed, owner_id))
    db.session.execute(ServiceRequest.__table__.insert(), rows)
    ids = db.session.execute(sa.select(ServiceRequest.id).order_by(ServiceRequest.id.desc())
                             .limit(len(rows))).scalars().all()
    names = {e.id: e.name for e in owners}
    notes = []
    for pk, row, (received, assigned, status, resolved, closed, owner_id) in zip(sorted(ids), rows, plans):
        notes.append({"request_id": pk, "at": received, "employee_id": staff.id, "action": "record", "text": ""})
        if assigned:
            notes.append({"request_id": pk, "at": assigned, "employee_id": staff.id, "action": "assign", "text": "",
                          "detail": names[owner_id]})
        if status != "open" and status != "assigned":
            notes.append({"request_id": pk, "at": assigned + dt.timedelta(hours=1), "employee_id": owner_id,
                          "action": "start", "text": ""})
        if resolved:
            notes.append({"request_id": pk, "at": resolved, "employee_id": owner_id, "action": "resolve",
                          "text": row["resolution"]})
        if closed:
            notes.append({"request_id": pk, "at": closed, "employee_id": staff.id, "action": "close",
                          "text": "电话回访", "detail": str(row["satisfaction"])})
    for note in notes:
        note.setdefault("detail", None)
        note.setdefault("user_id", None)
    db.session.execute(ServiceRequestNote.__table__.insert(), notes)
    db.session.flush()
