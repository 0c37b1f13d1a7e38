"""Loupan's security manager: FAB's database authentication with our password policy."""
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask_babel import gettext as _

MIN_PASSWORD_LENGTH = 8


def password_policy(password):
    """At least 8 characters with letters and digits; not all one character."""
    password = password or ""
    if (
        len(password) < MIN_PASSWORD_LENGTH
        or not re.search(r"[A-Za-z]", password)
        or not re.search(r"\d", password)
        or len(set(password)) < 4
    ):
        raise PasswordComplexityValidationError(
            _("The password must be at least %(n)d characters long and contain letters and digits.",
              n=MIN_PASSWORD_LENGTH)
        )


class LoupanSecurityManager(SecurityManager):
    # FAB's user statistics chart loads Google Charts from the internet; sales offices may
    # have none, and the page adds nothing an admin needs.
    userstatschartview = None
