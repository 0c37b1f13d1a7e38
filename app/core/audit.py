"""The audit log is written from here alone: one session listener records every insert,
update and delete of an Audited model, with who, from where and each field's before/after."""
import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy import inspect

from app.core import crypto
from app.core.context import current_actor
from app.core.models.audit import AuditLog
from app.core.models.base import utcnow


def _plain(value):
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, (dt.date, dt.datetime, dt.time)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return "<%d bytes>" % len(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, (list, dict)):
        return value
    return str(value)


def _columns(obj):
    mapper = inspect(type(obj))
    for attr in mapper.column_attrs:
        if len(attr.columns) != 1:
            continue
        column = attr.columns[0]
        if column.table is not mapper.local_table and not column.primary_key:
            continue
        yield attr.key, column


def _shown(obj, key, column, value):
    # Personal data never enters the log in clear.
    if isinstance(column.type, crypto.EncryptedString):
        return crypto.mask(value) if value else value
    if key.endswith("_hash") and key[:-5] in getattr(type(obj), "__encrypted_fields__", ()):
        return None
    return _plain(value)


def _row_id(obj):
    identity = inspect(obj).identity
    if identity is None:
        pk = inspect(type(obj)).primary_key
        identity = tuple(getattr(obj, c.key) for c in pk)
    return "-".join(str(v) for v in identity)


def _changes(obj, action):
    state = inspect(obj)
    changes = {}
    encrypted = getattr(type(obj), "__encrypted_fields__", ())
    for key, column in _columns(obj):
        if key.endswith("_hash") and key[:-5] in encrypted:
            continue  # derived from the encrypted field; the log shows that one, masked
        if action == "insert":
            if column.primary_key:
                continue  # the row id is the entry's own "row" column
            value = getattr(obj, key)
            if value is not None:
                changes[key] = [None, _shown(obj, key, column, value)]
        elif action == "delete":
            value = state.attrs[key].loaded_value
            if value is not sa.orm.base.NO_VALUE and value is not None:
                changes[key] = [_shown(obj, key, column, value), None]
        else:
            history = state.attrs[key].history
            if not history.has_changes():
                continue
            before = history.deleted[0] if history.deleted else None
            after = history.added[0] if history.added else None
            if _plain(before) == _plain(after):
                continue
            changes[key] = [_shown(obj, key, column, before), _shown(obj, key, column, after)]
    return changes


EXTRA_ROWS = "loupan_audit_rows"


def record_update(session, obj, changes):
    """A change written with a statement of its own (e.g. a compare-and-set UPDATE) rather than
    through the ORM: recorded with the rows of the session's next flush, in the same
    transaction; forgotten if the transaction rolls back first. changes: {field: [old, new]}."""
    session.info.setdefault(EXTRA_ROWS, []).append(("update", obj, changes))


def _load_old_values(mapper, cls):
    # An attribute set on an expired object must still know its value before the change.
    if getattr(cls, "__audited__", False):
        for prop in mapper.column_attrs:
            mapper.class_manager[prop.key].impl.active_history = True


def install(session_class):
    sa.event.listen(sa.orm.Mapper, "mapper_configured", _load_old_values)
    for mapper in list(sa.orm.class_mapper(AuditLog).registry.mappers):
        if mapper.configured:
            _load_old_values(mapper, mapper.class_)

    @sa.event.listens_for(session_class, "after_flush")
    def _record(session, flush_context):
        rows = []
        for action, objs in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
            for obj in objs:
                if not getattr(type(obj), "__audited__", False):
                    continue
                if action == "update" and not session.is_modified(obj, include_collections=False):
                    continue
                changes = _changes(obj, action)
                if action == "update" and not changes:
                    continue
                rows.append((action, obj, changes))
        rows.extend(session.info.pop(EXTRA_ROWS, ()))
        if not rows:
            return
        user_id, username, address = current_actor()
        now = utcnow()
        session.connection().execute(
            AuditLog.__table__.insert(),
            [
                {
                    "created_at": now, "user_id": user_id, "username": username,
                    "client_address": address, "action": action,
                    "table_name": type(obj).__tablename__, "row_id": _row_id(obj),
                    "changes": changes,
                }
                for action, obj, changes in rows
            ],
        )

    @sa.event.listens_for(session_class, "after_soft_rollback")
    def _forget(session, previous_transaction):
        session.info.pop(EXTRA_ROWS, None)

    @sa.event.listens_for(session_class, "before_flush")
    def _append_only(session, flush_context, instances):
        for obj in list(session.dirty) + list(session.deleted):
            if isinstance(obj, AuditLog):
                raise PermissionError("The audit log is append-only")
