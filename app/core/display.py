"""How values read on screen: dates as 2026-11-26, yes/no in words, nothing for an empty
value, money as ¥1,234,567.00, areas as 89.50㎡, people's names in their own order."""
import datetime as dt
import decimal
import re

from flask_babel import gettext as _

from app.core import clock

_CJK = re.compile(r"[\u3400-\u9fff]")


def plain(value):
    """The default formatter of every list and detail column."""
    if value is None:
        return ""
    if value is True:
        return _("Yes")
    if value is False:
        return _("No")
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def local_time(moment):
    """A stored moment (naive UTC) as the sales office reads it: 2026-11-26 14:30."""
    if moment is None:
        return ""
    return clock.to_local(moment).strftime("%Y-%m-%d %H:%M")


def local_day(moment):
    """The office's date of a stored moment: 2026-11-26."""
    if moment is None:
        return ""
    return clock.local_date(moment).isoformat()


def money(value):
    if value is None:
        return ""
    value = decimal.Decimal(value).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    return "¥{:,.2f}".format(value)


def area(value):
    if value is None:
        return ""
    value = decimal.Decimal(value).quantize(decimal.Decimal("0.01"), rounding=decimal.ROUND_HALF_UP)
    return "{:,.2f}㎡".format(value)


def person_name(first_name, last_name):
    """Chinese names are written family name first, without a space: 陈志明, not 志明 陈."""
    first_name, last_name = (first_name or "").strip(), (last_name or "").strip()
    if _CJK.search(first_name + last_name):
        return last_name + first_name
    return " ".join(part for part in (first_name, last_name) if part)
