"""The scheduler lease: which one process is the active runner, and its heartbeat."""
import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.core.models.base import utcnow
from app.extensions import db
from app.jobs.models import SchedulerLease

LEASE_NAME = "scheduler"


# --- the lease ----------------------------------------------------------------------------

@dataclass
class LeaseState:
    held: bool
    owner: str = None
    newly_acquired: bool = False
    previous_owner: str = None


def acquire_lease(owner, now, seconds, name=LEASE_NAME):
    """Take or renew the lease: one UPDATE that succeeds only if we hold it or it has
    expired (the database serialises concurrent attempts), an INSERT the first time."""
    table = SchedulerLease.__table__
    expires = now + dt.timedelta(seconds=seconds)
    for _attempt in range(2):
        with db.engine.begin() as conn:
            updated = conn.execute(
                table.update()
                .where(table.c.name == name, sa.or_(table.c.owner == owner, table.c.expires_at < now))
                .values(owner=owner, heartbeat_at=now, expires_at=expires,
                        acquired_at=sa.case((table.c.owner == owner, table.c.acquired_at), else_=now))
            )
            if updated.rowcount == 1:
                return LeaseState(True, owner)
            row = conn.execute(sa.select(table.c.owner).where(table.c.name == name)).first()
        if row is not None:
            return LeaseState(False, row.owner)
        try:
            with db.engine.begin() as conn:
                conn.execute(table.insert().values(name=name, owner=owner, acquired_at=now,
                                                   heartbeat_at=now, expires_at=expires))
            return LeaseState(True, owner, newly_acquired=True)
        except IntegrityError:
            continue  # another runner inserted it at the same moment: try the update again
    return LeaseState(False)


def take_lease(owner, now, seconds, name=LEASE_NAME):
    """acquire_lease, telling also whether the lease changed hands and from whom."""
    table = SchedulerLease.__table__
    with db.engine.connect() as conn:
        before = conn.execute(sa.select(table.c.owner, table.c.expires_at)
                              .where(table.c.name == name)).first()
    state = acquire_lease(owner, now, seconds, name)
    if state.held and before is not None and before.owner != owner:
        state.newly_acquired = True
        state.previous_owner = before.owner
    return state


def release_lease(owner, now=None, name=LEASE_NAME):
    """Let another runner take over at once (on a clean shutdown)."""
    now = now or utcnow()
    table = SchedulerLease.__table__
    with db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.name == name, table.c.owner == owner)
                     .values(expires_at=now - dt.timedelta(microseconds=1)))


def lease_status(name=LEASE_NAME, conn=None):
    table = SchedulerLease.__table__
    query = sa.select(table.c.owner, table.c.acquired_at, table.c.heartbeat_at, table.c.expires_at) \
        .where(table.c.name == name)
    if conn is not None:
        return conn.execute(query).first()
    with db.engine.connect() as conn:
        return conn.execute(query).first()


def heartbeat_status(conn=None, now=None):
    """For /healthz: the active runner and how old its last heartbeat is."""
    now = now or utcnow()
    row = lease_status(conn=conn)
    if row is None:
        return {"status": "missing", "heartbeat_age_seconds": None, "owner": None}
    age = round((now - row.heartbeat_at).total_seconds(), 1)
    return {"status": "ok" if row.expires_at >= now else "stale",
            "heartbeat_age_seconds": age, "owner": row.owner}
