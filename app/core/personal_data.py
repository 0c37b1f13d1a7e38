"""Who sees personal data in full: holders of the permission can_view_full on PersonalData;
everyone else sees it masked (138****1234)."""
from flask import current_app, g, has_request_context

from app.core.crypto import mask

PERMISSION = "can_view_full"
VIEW_MENU = "PersonalData"


def may_see_full():
    if not has_request_context():
        return True
    if "_loupan_full_pd" not in g:  # once per request, not once per row
        g._loupan_full_pd = current_app.appbuilder.sm.has_access(PERMISSION, VIEW_MENU)
    return g._loupan_full_pd


def shown(value):
    if not value:
        return ""
    return value if may_see_full() else mask(value)


class MaskedApiMixin:
    """For a REST resource: the fields named in `personal_fields` leave masked for users who may
    not see them in full (in the one record and in every row of a list)."""

    personal_fields = ()

    def _mask(self, row):
        if not may_see_full():
            for key in self.personal_fields:
                if row.get(key):
                    row[key] = mask(row[key])

    def pre_get(self, data):
        self._mask(data.get("result", {}))

    def pre_get_list(self, data):
        for row in data.get("result", []):
            self._mask(row)
