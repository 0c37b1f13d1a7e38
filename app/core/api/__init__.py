"""Core REST resources (approvals, notifications) under /api/v1/."""
from flask import request
from flask_babel import gettext as _

from app.core.errors import BusinessError


def paging():
    """(page, page_size) from ?page=&page_size=; BusinessError with the reason when invalid."""
    try:
        page = int(request.args.get("page", 0))
        page_size = int(request.args.get("page_size", 20))
    except ValueError:
        raise BusinessError(_("page and page_size must be whole numbers."))
    if page < 0 or not 1 <= page_size <= 200:
        raise BusinessError(_("page must be 0 or more and page_size between 1 and 200."))
    return page, page_size
