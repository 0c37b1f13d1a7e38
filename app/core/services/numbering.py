"""Gapless numbering: `next_number(scope, key)` gives 1, 2, 3 … per (scope, key), taken in the
caller's transaction. The counter row is incremented by one UPDATE … RETURNING, which holds the
row's lock (PostgreSQL) or the database's write lock (SQLite) until the caller commits or rolls
back: a concurrent caller waits and then gets the next number; a rollback gives the number back.
So numbers have no gaps and no duplicates, also under concurrent use."""
import sqlalchemy as sa

from app.core.models import NumberSequence
from app.extensions import db

T = NumberSequence.__table__


def _bump(scope, key):
    return db.session.execute(
        T.update().where(T.c.scope == scope, T.c.key == key).values(last=T.c.last + 1).returning(T.c.last)
    ).scalar()


def next_number(scope, key=0):
    """The next number of the sequence (1 for a new one). Does not commit."""
    value = _bump(scope, key)
    if value is not None:
        return value
    # First use: create the row (a concurrent first use may win the insert; then bump theirs).
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.execute(insert(T).values(scope=scope, key=key, last=0).on_conflict_do_nothing())
    return _bump(scope, key)


def peek(scope, key=0):
    """The last number given (0 when none), for display; not a reservation."""
    return db.session.execute(sa.select(T.c.last).where(T.c.scope == scope, T.c.key == key)).scalar() or 0


def hold(scope, key=0):
    """Take the sequence's lock without a number (to the end of the caller's transaction), so that
    steps that change what was numbered queue with those that number."""
    done = db.session.execute(T.update().where(T.c.scope == scope, T.c.key == key).values(last=T.c.last)).rowcount
    if not done:
        next_number(scope, key)
        db.session.execute(T.update().where(T.c.scope == scope, T.c.key == key).values(last=T.c.last - 1))
