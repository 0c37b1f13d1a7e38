"""Who is acting: the logged-in user in a request, or the named actor of a CLI command
or scheduled job. Used by the audit log and by services that record a decider."""
import contextlib
import contextvars

from flask import g, has_request_context, request

_actor = contextvars.ContextVar("loupan_actor", default=None)


@contextlib.contextmanager
def acting_as(user=None, name="system"):
    token = _actor.set((getattr(user, "id", None), getattr(user, "username", None) or name))
    try:
        yield
    finally:
        _actor.reset(token)


def current_actor():
    """(user_id, username, client_address) of whoever is acting now."""
    actor = _actor.get()
    if actor is not None:
        return actor[0], actor[1], None
    if has_request_context():
        user = getattr(g, "user", None)
        address = request.headers.get("X-Forwarded-For", request.remote_addr or "")
        address = address.split(",")[0].strip() or None
        if user is not None and getattr(user, "is_authenticated", False):
            return user.id, user.username, address
        return None, None, address
    return None, "system", None


def current_user_obj():
    if has_request_context():
        user = getattr(g, "user", None)
        if user is not None and getattr(user, "is_authenticated", False):
            return user
    return None
