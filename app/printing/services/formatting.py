"""Formatting of money, areas and dates: pure functions, also the template filters."""
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation


def _decimal(value):
    """Decimal from a Decimal, int or numeric string. Floats are refused: money is never a float."""
    if isinstance(value, bool):
        raise TypeError("a boolean is not an amount")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, str):
        try:
            result = Decimal(value.strip().replace(",", ""))
        except InvalidOperation:
            raise ValueError("%r is not a number" % value) from None
    elif isinstance(value, float):
        raise TypeError("amounts must be Decimal, not float")
    else:
        raise TypeError("%r is not a number" % (value,))
    if not result.is_finite():
        raise ValueError("%r is not a finite number" % (value,))
    return result


def _display_decimal(value):
    # Display only: a float literal written in a template ({{ 1.5|money }}) is shown, not refused.
    if isinstance(value, float):
        value = repr(value)
    return _decimal(value)


def format_money(value, symbol="¥", places=2):
    """¥1,234,567.00 (rounded half up); "" for None; negative as -¥1,234.00."""
    if value is None or value == "":
        return ""
    amount = _display_decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    sign = "-" if amount < 0 else ""
    return "%s%s%s" % (sign, symbol, "{:,.{p}f}".format(abs(amount), p=int(places)))


def format_area(value, unit="㎡", places=2):
    """89.50㎡; "" for None."""
    if value is None or value == "":
        return ""
    area = _display_decimal(value).quantize(Decimal(1).scaleb(-int(places)), rounding=ROUND_HALF_UP)
    return "{:.{p}f}{u}".format(area, p=int(places), u=unit)


def format_date(value, fmt="%Y-%m-%d"):
    """2026-11-26 from a date or datetime; "" for None; a string is shown as it is."""
    if value is None or value == "":
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        if len(fmt) > 100:
            raise ValueError("date format too long")
        return value.strftime(fmt)
    return str(value)


def format_date_cn(value):
    """2026年11月26日."""
    if value is None or value == "":
        return ""
    if isinstance(value, (dt.date, dt.datetime)):
        return "%d年%d月%d日" % (value.year, value.month, value.day)
    return str(value)
