"""Approvals (审批): a module proposes a change, a supervisor approves or rejects it, and on
approval the module's own `apply` makes the change in the same transaction that records
the decision — both happen or neither does.

A module registers each kind of request once, from its init_app():

    approvals.register_kind(
        "employee_transfer", _l("Employee transfer"), apply=apply_transfer,
        approver_roles=(roles.ADMIN,), describe=describe_transfer, validate=validate_transfer)

and submits requests from its own services:

    approvals.submit("employee_transfer", user, "employee", emp.id, payload, summary, reason)

Hooks (all optional except apply):
  validate(payload, requester) -> cleaned payload or None; raises BusinessError to refuse.
  apply(request)               -> makes the change; raises BusinessError to refuse (all rolls back).
  describe(request)            -> [(label, value), ...] shown on the detail page (as text).
  link(request)                -> (label, url), a list of them, or None: buttons on the detail
                                  page to the record the request is about (check permissions).
  scope(request, user)         -> False when this approver may not decide this request
                                  (e.g. another project); admins are not limited.
  on_close(request)            -> called in the same transaction when a request is rejected
                                  or withdrawn (release whatever the module held meanwhile).

Rules: only a pending request can be decided or withdrawn; an approver holds one of the
kind's approver_roles or the admin role (管理员); nobody decides their own request, admins
included (four-eyes principle); a rejection needs a comment; only the requester withdraws.
"""
import datetime as dt
import logging
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Optional

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from app.core import roles
from app.core.context import acting_as, current_user_obj
from app.core.errors import BusinessError
from app.core.models import ApprovalRequest
from app.core.models.base import utcnow
from app.core.services import notifications
from app.extensions import db

log = logging.getLogger(__name__)

STATUS_LABELS = {
    "pending": _l("Pending"), "approved": _l("Approved"),
    "rejected": _l("Rejected"), "withdrawn": _l("Withdrawn"),
}
SUMMARY_MAX = 500
TEXT_MAX = 1000


@dataclass(frozen=True)
class Kind:
    code: str
    label: object
    apply: Callable
    approver_roles: tuple = ()
    describe: Optional[Callable] = None
    validate: Optional[Callable] = None
    scope: Optional[Callable] = None
    on_close: Optional[Callable] = None
    link: Optional[Callable] = None


_kinds = {}


def register_kind(code, label, apply, approver_roles=(), describe=None, validate=None, scope=None,
                  on_close=None, link=None):
    """Register (or re-register) a kind of approval request. Approvers are the users holding
    one of approver_roles, and admins (管理员) always."""
    if not callable(apply):
        raise TypeError("apply must be callable")
    kind = Kind(code, label, apply, tuple(approver_roles or ()), describe, validate, scope, on_close, link)
    _kinds[code] = kind
    return kind


def kinds():
    return dict(_kinds)


def get_kind(code):
    return _kinds.get(code)


def kind_label(code):
    kind = _kinds.get(code)
    return str(kind.label) if kind is not None else code


def status_label(status):
    return str(STATUS_LABELS.get(status, status))


# ---------------------------------------------------------------- who may do what

def _role_names(user):
    return {r.name for r in (getattr(user, "roles", None) or [])}


def is_admin(user):
    return roles.ADMIN in _role_names(user)


def is_approver(req, user):
    """May this user decide requests like this one (leaving aside who asked)?"""
    if user is None:
        return False
    names = _role_names(user)
    if roles.ADMIN in names:
        return True
    kind = _kinds.get(req.kind)
    if kind is None or not names & set(kind.approver_roles):
        return False
    return kind.scope is None or bool(kind.scope(req, user))


def may_decide(req, user):
    return req.status == "pending" and user is not None and req.requester_id != user.id and is_approver(req, user)


def may_withdraw(req, user):
    return req.status == "pending" and user is not None and req.requester_id == user.id


def visible_to(req, user, see_all=False):
    """The requester, the decider, anyone who may decide it, and holders of 'all requests'."""
    if req is None or user is None:
        return False
    return see_all or user.id in (req.requester_id, req.decider_id) or is_approver(req, user)


def get_visible(request_id, user, see_all=False):
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        return None
    req = db.session.get(ApprovalRequest, request_id)
    return req if visible_to(req, user, see_all) else None


def approver_ids(req):
    """Users to notify about a request: active holders of the kind's approver roles (within
    its scope), except the requester; admins when there is nobody else."""
    sm = current_app.appbuilder.sm
    User, Role = sm.user_model, sm.role_model
    kind = _kinds.get(req.kind)
    wanted = set(kind.approver_roles) if kind is not None else set()

    def holders(role_names):
        if not role_names:
            return []
        return (db.session.query(User).join(User.roles)
                .filter(Role.name.in_(sorted(role_names)), User.active.is_(True), User.id != req.requester_id)
                .order_by(User.id).distinct().all())

    users = [u for u in holders(wanted - {roles.ADMIN}) if is_approver(req, u)]
    if roles.ADMIN in wanted or not users:
        users += holders({roles.ADMIN})
    seen, ids = set(), []
    for user in users:
        if user.id not in seen:
            seen.add(user.id)
            ids.append(user.id)
    return ids


# ---------------------------------------------------------------- reading

def pending_for(user):
    """The inbox: pending requests this user may decide, oldest first."""
    if user is None:
        return []
    names = _role_names(user)
    query = db.session.query(ApprovalRequest).filter(
        ApprovalRequest.status == "pending", ApprovalRequest.requester_id != user.id)
    if roles.ADMIN not in names:
        codes = [code for code, kind in _kinds.items() if names & set(kind.approver_roles)]
        if not codes:
            return []
        query = query.filter(ApprovalRequest.kind.in_(codes))
    items = query.order_by(ApprovalRequest.created_at, ApprovalRequest.id).all()
    return [r for r in items if is_approver(r, user)]


def requests_of(user, status=None, page=0, page_size=20):
    """(total, this page of) the user's own requests, newest first."""
    query = db.session.query(ApprovalRequest).filter(ApprovalRequest.requester_id == user.id)
    if status:
        query = query.filter(ApprovalRequest.status == status)
    total = query.count()
    items = query.order_by(ApprovalRequest.id.desc()).offset(max(int(page), 0) * page_size).limit(page_size).all()
    return total, items


def describe(req):
    """The proposed change as [(label, value)] for people, through the kind's describe()."""
    kind = _kinds.get(req.kind)
    if kind is not None and kind.describe is not None:
        try:
            return [(str(label), "" if value is None else str(value)) for label, value in kind.describe(req)]
        except Exception:  # a describe() bug must not hide the request from its approver
            log.exception("describe() failed for approval request %s", req.id)
    return [(str(key), str(value)) for key, value in sorted((req.payload or {}).items())]


def links(req):
    """[(label, url)] to the records the request is about, through the kind's link(); only
    relative URLs or http(s) ones, so that a link can never run script."""
    kind = _kinds.get(req.kind)
    if kind is None or kind.link is None:
        return []
    try:
        found = kind.link(req)
    except Exception:  # like describe(): the request stays visible
        log.exception("link() failed for approval request %s", req.id)
        return []
    if not found:
        return []
    if isinstance(found, tuple):
        found = [found]
    result = []
    for label, url in found:
        url = str(url or "")
        if url.startswith("/") and not url.startswith("//") or url.startswith(("http://", "https://")):
            result.append((str(label), url))
    return result


# ---------------------------------------------------------------- changing

def _as(user):
    """Record changes under the deciding user (the request's own user keeps its address)."""
    current = current_user_obj()
    if current is not None and current.id == user.id:
        return nullcontext()
    return acting_as(user)


def _text(value, missing=None):
    """A reason or comment: text of at most TEXT_MAX characters; `missing` is the message
    when it is required and empty."""
    if value is not None and not isinstance(value, str):
        raise BusinessError(_("The reason or comment must be text."))
    value = (value or "").strip()
    if missing is not None and not value:
        raise BusinessError(missing)
    if len(value) > TEXT_MAX:
        raise BusinessError(_("The reason or comment may be at most %(n)d characters long.", n=TEXT_MAX))
    return value or None


def _locked(request_id):
    try:
        request_id = int(request_id)
    except (TypeError, ValueError):
        request_id = None
    req = None
    if request_id is not None:
        req = (db.session.query(ApprovalRequest).options(lazyload("*"))
               .filter(ApprovalRequest.id == request_id)
               .with_for_update(of=ApprovalRequest).populate_existing().one_or_none())
    if req is None:
        raise BusinessError(_("This approval request does not exist."))
    return req


def _check_pending(req):
    if req.status == "approved":
        raise BusinessError(_("This request has already been approved."))
    if req.status == "rejected":
        raise BusinessError(_("This request has already been rejected."))
    if req.status != "pending":
        raise BusinessError(_("This request has been withdrawn."))


def _check_decider(req, user):
    if req.requester_id == user.id:
        raise BusinessError(_("You cannot decide your own request; another approver has to."))
    if not is_approver(req, user):
        raise BusinessError(_("You may not decide requests of the kind “%(kind)s”.", kind=kind_label(req.kind)))


def _link(req):
    return "/approvals/show/%d" % req.id


def display_name(user):
    """陈志明 rather than FAB's "志明 陈"; Latin names stay first-name first."""
    if user is None:
        return "—"
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if any("\u4e00" <= c <= "\u9fff" for c in first + last):
        return last + first
    return (first + " " + last).strip() or user.username


def _notify_approvers(req, title_msg):
    with notifications.default_language():
        title = title_msg(req)
        body = _("%(requester)s asks: %(summary)s", requester=display_name(req.requester), summary=req.summary)
        ids = approver_ids(req)
        for uid in ids:
            notifications.notify(uid, title, body, _link(req), commit=False)
    return len(ids)


def _notify_requester(req, decider):
    with notifications.default_language():
        if req.status == "approved":
            title = _("Approved: %(summary)s", summary=req.summary)
        else:
            title = _("Rejected: %(summary)s", summary=req.summary)
        body = _("%(decider)s: %(comment)s", decider=display_name(decider),
                 comment=req.comment or "—")
        notifications.notify(req.requester_id, title, body, _link(req), commit=False)


def _finish(action):
    """Run one decision as a transaction: commit, or roll back everything and re-raise."""
    try:
        result = action()
        db.session.commit()
        return result
    except BusinessError:
        db.session.rollback()
        raise
    except IntegrityError:
        db.session.rollback()
        log.exception("Approval change refused by the database")
        raise BusinessError(_("The change conflicts with other data and was not saved. Please check and try again."))
    except Exception:
        db.session.rollback()
        raise


def submit(kind, requester, target_table, target_id, payload, summary, reason=None):
    """Create a pending request and notify its approvers. One pending request per kind and
    target: a second one is refused."""
    definition = _kinds.get(kind)
    if definition is None:
        raise BusinessError(_("Unknown kind of approval request."))
    reason = _text(reason)
    payload = dict(payload or {})
    target_id = None if target_id is None else str(target_id)

    def action():
        nonlocal payload
        if definition.validate is not None:
            cleaned = definition.validate(payload, requester)
            if cleaned is not None:
                payload = dict(cleaned)
        clash = db.session.query(ApprovalRequest.id).filter(
            ApprovalRequest.kind == kind, ApprovalRequest.status == "pending",
            ApprovalRequest.target_table == target_table, ApprovalRequest.target_id == target_id,
        ).first() if target_id is not None else None
        if clash is not None:
            raise BusinessError(_("There is already a pending request of this kind for the same record (#%(id)d).",
                                  id=clash[0]))
        req = ApprovalRequest(
            kind=kind, target_table=target_table, target_id=target_id, payload=payload,
            summary=notifications.clip(summary or definition.label, SUMMARY_MAX),
            status="pending", requester_id=requester.id, reason=reason, created_at=utcnow(),
        )
        db.session.add(req)
        try:
            db.session.flush()
        except IntegrityError:  # the partial unique index: someone submitted the same instant
            db.session.rollback()
            raise BusinessError(_("There is already a pending request of this kind for the same record."))
        _notify_approvers(req, lambda r: _("Approval needed: %(kind)s", kind=kind_label(r.kind)))
        return req

    with _as(requester):
        return _finish(action)


def approve(request_id, user, comment=None):
    """Lock the request, check it and the approver, apply the change and record the decision
    in one transaction. A BusinessError from apply() leaves everything as it was."""
    comment = _text(comment)

    def action():
        req = _locked(request_id)
        _check_pending(req)
        _check_decider(req, user)
        kind = _kinds.get(req.kind)
        if kind is None:
            raise BusinessError(_("This kind of request is no longer supported; it can only be rejected."))
        kind.apply(req)
        return _record_decision(req, user, "approved", comment)

    with _as(user):
        return _finish(action)


def _record_decision(req, user, status, comment):
    req.status = status
    req.decider_id = user.id
    req.decided_at = utcnow()
    req.comment = comment
    db.session.flush()
    _notify_requester(req, user)
    return req


def reject(request_id, user, comment):
    """Reject with a comment (required): the requester is told why."""
    comment = _text(comment, _("Please say why the request is rejected."))

    def action():
        req = _locked(request_id)
        _check_pending(req)
        _check_decider(req, user)
        kind = _kinds.get(req.kind)
        if kind is not None and kind.on_close is not None:
            kind.on_close(req)
        return _record_decision(req, user, "rejected", comment)

    with _as(user):
        return _finish(action)


def withdraw(request_id, user):
    """The requester takes back a pending request."""

    def action():
        req = _locked(request_id)
        if req.requester_id != user.id:
            raise BusinessError(_("Only the person who made a request can withdraw it."))
        _check_pending(req)
        kind = _kinds.get(req.kind)
        if kind is not None and kind.on_close is not None:
            kind.on_close(req)
        req.status = "withdrawn"
        req.decided_at = utcnow()
        return req

    with _as(user):
        return _finish(action)


def remind_overdue(older_than_hours: int) -> int:
    """Remind the approvers of every request pending for longer than `older_than_hours` and
    not reminded within that time; returns the number of notifications sent. Idempotent, also
    with several processes: each request is claimed by a conditional update of reminded_at
    before its reminders are written, and each request commits on its own."""
    hours = int(older_than_hours)
    if hours < 1:
        raise ValueError("older_than_hours must be at least 1")
    now = utcnow()
    cutoff = now - dt.timedelta(hours=hours)
    due = sa.and_(
        ApprovalRequest.status == "pending", ApprovalRequest.created_at <= cutoff,
        sa.or_(ApprovalRequest.reminded_at.is_(None), ApprovalRequest.reminded_at <= cutoff),
    )
    ids = [row[0] for row in db.session.execute(
        sa.select(ApprovalRequest.id).where(due).order_by(ApprovalRequest.id))]
    sent = 0
    for request_id in ids:
        try:
            claimed = db.session.execute(
                sa.update(ApprovalRequest).where(ApprovalRequest.id == request_id, due).values(reminded_at=now),
                execution_options={"synchronize_session": False},
            ).rowcount
            if claimed != 1:
                db.session.rollback()
                continue
            req = db.session.query(ApprovalRequest).populate_existing().filter_by(id=request_id).one()
            count = _notify_approvers(
                req, lambda r: _("Reminder: still waiting for your approval (%(kind)s)", kind=kind_label(r.kind)))
            db.session.commit()
            sent += count
        except Exception:
            db.session.rollback()
            log.exception("Could not remind the approvers of request %s", request_id)
    return sent
