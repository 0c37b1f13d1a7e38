"""Phone numbers and ID numbers as Chinese sales offices write them."""
import datetime as dt
import re

from flask_babel import gettext as _

from app.core.crypto import normalize
from app.core.errors import BusinessError

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
# Area code (0 + 2 or 3 digits), 7 or 8 digits; dashes and spaces are dropped before the check.
LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}$")
OTHER_ID_RE = re.compile(r"^[0-9A-Z]{5,30}$")
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CODES = "10X98765432"


def clean_phone(value):
    """The phone as stored (digits only), or None; a malformed number is refused."""
    value = normalize(value)
    if not value:
        return None
    for prefix in ("+86", "0086"):
        if value.startswith(prefix) and len(value) > 11:
            value = value[len(prefix):]
    if MOBILE_RE.match(value) or LANDLINE_RE.match(value):
        return value
    raise BusinessError(_("“%(phone)s” is not a phone number: enter an 11-digit mobile number starting with 1 "
                          "or a landline with its area code, e.g. 020-12345678.", phone=value[:30]))


def id_check_code(first17):
    return ID_CHECK_CODES[sum(int(d) * w for d, w in zip(first17, ID_WEIGHTS)) % 11]


def valid_id_card(value):
    """An 18-character resident ID: 17 digits, a real birth date, and the ISO 7064 check code."""
    if not re.match(r"^\d{17}[\dX]$", value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return id_check_code(value[:17]) == value[17]


def clean_id_number(id_type, value):
    value = normalize(value)
    if not value:
        return None
    if (id_type or "id_card") == "id_card":
        if not valid_id_card(value):
            raise BusinessError(_("“%(number)s” is not a valid resident ID number: it must have 18 characters, "
                                  "a real birth date and the right check digit.", number=value[:30]))
    elif not OTHER_ID_RE.match(value):
        raise BusinessError(_("Enter an ID number of 5 to 30 letters and digits."))
    return value
