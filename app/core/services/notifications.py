"""The notification centre (通知): short messages to one user, shown under the navbar's bell.

Texts are stored as written: callers translate them when they notify (approvals and the
scheduler write them in the application's default language, see `default_language()`).
Links are paths inside the application ("/approvals/show/12"), never other sites."""
from contextlib import contextmanager

import sqlalchemy as sa
from flask import current_app, has_app_context
from flask_babel import force_locale

from app.core.models import Notification
from app.core.models.base import utcnow
from app.extensions import db

ALL = "all"
TITLE_MAX = 200
BODY_MAX = 2000
LINK_MAX = 500


@contextmanager
def default_language():
    """Texts written for someone else (not the user of this request) are written in the
    application's default language (BABEL_DEFAULT_LOCALE, 简体中文)."""
    locale = current_app.config.get("BABEL_DEFAULT_LOCALE", "zh") if has_app_context() else "zh"
    with force_locale(locale):
        yield


def _user_id(user_or_id):
    if user_or_id is None:
        raise ValueError("a notification needs a user")
    if isinstance(user_or_id, int):
        return user_or_id
    return int(getattr(user_or_id, "id", user_or_id))


def safe_link(link):
    """A path inside the application, or None: notifications never send users elsewhere."""
    if not link:
        return None
    link = str(link).strip()
    if not link.startswith("/") or link.startswith("//") or link.startswith("/\\") or len(link) > LINK_MAX:
        return None
    if any(ord(c) < 32 for c in link):
        return None
    return link


def clip(text, limit):
    text = "" if text is None else str(text)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def notify(user_or_id, title, body=None, link=None, commit=True):
    """Add a notification for one user. With commit=False it joins the caller's transaction
    (approvals notify inside the transaction that decides the request)."""
    note = Notification(
        user_id=_user_id(user_or_id),
        title=clip(title, TITLE_MAX) or "—",
        body=clip(body, BODY_MAX) if body else None,
        link=safe_link(link),
        created_at=utcnow(),
    )
    db.session.add(note)
    if commit:
        db.session.commit()
    return note


def notify_many(users_or_ids, title, body=None, link=None, commit=True):
    seen, notes = set(), []
    for user in users_or_ids:
        uid = _user_id(user)
        if uid in seen:
            continue
        seen.add(uid)
        notes.append(notify(uid, title, body, link, commit=False))
    if commit:
        db.session.commit()
    return notes


def unread_count(user):
    """One indexed query (ix_notification_user_unread)."""
    if user is None:
        return 0
    return db.session.execute(
        sa.select(sa.func.count(Notification.id)).where(
            Notification.user_id == _user_id(user), Notification.read_at.is_(None)
        )
    ).scalar_one()


def list_for(user, unread_only=False, page=0, page_size=20):
    """(total, notifications of this page), newest first; only the user's own."""
    query = db.session.query(Notification).filter(Notification.user_id == _user_id(user))
    if unread_only:
        query = query.filter(Notification.read_at.is_(None))
    total = query.count()
    items = (query.order_by(Notification.id.desc())
             .offset(max(int(page), 0) * page_size).limit(page_size).all())
    return total, items


def get_for(user, notification_id):
    """The user's own notification, or None (someone else's is as good as missing)."""
    try:
        notification_id = int(notification_id)
    except (TypeError, ValueError):
        return None
    return (db.session.query(Notification)
            .filter(Notification.id == notification_id, Notification.user_id == _user_id(user))
            .one_or_none())


def mark_read(user, ids):
    """Mark the user's own notifications read: `ids` is a list of ids or ALL. Ids of other
    users' notifications are ignored. Returns how many changed from unread to read."""
    condition = [Notification.user_id == _user_id(user), Notification.read_at.is_(None)]
    if ids != ALL:
        ids = [int(i) for i in (ids or [])]
        if not ids:
            return 0
        condition.append(Notification.id.in_(ids))
    result = db.session.execute(
        sa.update(Notification).where(*condition).values(read_at=utcnow()),
        execution_options={"synchronize_session": False},
    )
    db.session.commit()
    return result.rowcount


def open_for(user, notification_id):
    """Mark one notification read and return it (None when it is not the user's)."""
    note = get_for(user, notification_id)
    if note is None:
        return None
    if note.read_at is None:
        note.read_at = utcnow()
        db.session.commit()
    return note
