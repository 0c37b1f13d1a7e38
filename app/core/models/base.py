import datetime as dt

import sqlalchemy as sa


def utcnow():
    return dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


class Audited:
    """Marks a business table whose every insert, update and delete goes to the audit log."""

    __audited__ = True


class CustomFieldsMixin:
    """An entity that admins can extend with custom fields (stored in `custom`, a JSON
    object keyed by field name). Each entity names itself in __custom_entity__."""

    __custom_entity__ = None
    custom = sa.Column(sa.JSON, nullable=True)

    def __getattr__(self, name):
        # Custom fields read like attributes (cf_<name>) in forms, lists and templates.
        if name.startswith("cf_"):
            data = self.__dict__.get("custom") or {}
            return data.get(name[3:])
        raise AttributeError(name)
