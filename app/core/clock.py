"""The sales office's clock: dates a user sees and types (release dates, price-list dates,
follow-up dates) are local to the business's time zone (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai
by default), not the server's UTC. Moments are stored as naive UTC; `to_local` turns one into
the office's wall-clock time for display."""
import datetime as dt
from zoneinfo import ZoneInfo

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


def zone():
    """The business's time zone (an unknown name falls back to the default one)."""
    name = DEFAULT_TIMEZONE
    if has_app_context():
        name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", name) or name
    try:
        return ZoneInfo(name)
    except Exception:  # noqa: BLE001 - a misconfigured name must not take the pages down
        return ZoneInfo(DEFAULT_TIMEZONE)


def local_now():
    """Now in the business's time zone, naive, to the second."""
    return dt.datetime.now(zone()).replace(tzinfo=None, microsecond=0)


def local_today():
    return local_now().date()


def to_local(moment):
    """A stored moment (naive UTC) as the office's naive wall-clock time."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.timezone.utc)
    return moment.astimezone(zone()).replace(tzinfo=None)


def local_date(moment):
    """The office's date of a stored (naive UTC) moment."""
    local = to_local(moment)
    return local.date() if local is not None else None


def utc_start_of(day):
    """The first instant of the office's `day`, as the naive UTC the database stores."""
    local = dt.datetime.combine(day, dt.time(0, 0), tzinfo=zone())
    return local.astimezone(dt.timezone.utc).replace(tzinfo=None)


def moment_filters(column, start, end):
    """SQL conditions on a stored moment (naive UTC) for the office's days start to end, both
    included (None: no bound)."""
    filters = []
    if start is not None:
        filters.append(column >= utc_start_of(start))
    if end is not None:
        filters.append(column < utc_start_of(end + dt.timedelta(days=1)))
    return filters


def day_filters(column, start, end):
    """SQL conditions on a date column for the days start to end, both included (None: no bound)."""
    filters = []
    if start is not None:
        filters.append(column >= start)
    if end is not None:
        filters.append(column <= end)
    return filters
