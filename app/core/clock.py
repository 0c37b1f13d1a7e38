"""The sales office's clock: dates a user sees and types (release dates, price-list dates,
follow-up dates) are local to the business's time zone (BABEL_DEFAULT_TIMEZONE, Asia/Shanghai
by default), not the server's UTC."""
import datetime as dt

from flask import current_app, has_app_context

DEFAULT_TIMEZONE = "Asia/Shanghai"


def local_now():
    """Now in the business's time zone, naive, to the second."""
    tz_name = DEFAULT_TIMEZONE
    if has_app_context():
        tz_name = current_app.config.get("BABEL_DEFAULT_TIMEZONE", tz_name)
    try:
        import pytz
        return dt.datetime.now(pytz.timezone(tz_name)).replace(tzinfo=None, microsecond=0)
    except Exception:  # noqa: BLE001 - an unknown zone name falls back to the server's clock
        return dt.datetime.now().replace(microsecond=0)


def local_today():
    return local_now().date()
