"""Loupan's security manager: FAB's database authentication with our password policy."""
import re

from flask_appbuilder.exceptions import PasswordComplexityValidationError
from flask_appbuilder.security.sqla.manager import SecurityManager
from flask import g, has_request_context
from flask_appbuilder.security.sqla.models import User, assoc_permissionview_role
from flask_appbuilder.security.views import (
    PermissionViewModelView, RoleModelView, UserDBModelView, UserGroupModelView,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

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


def _full_name(user):
    from app.core.display import person_name
    return person_name(user.first_name, user.last_name)


# FAB writes every name "first last"; a Chinese name reads family name first (陈志明). Its
# user screens, menus and every __repr__ go through this one method.
User.get_full_name = _full_name


class _PlainValues:
    """Empty values, yes/no and dates on FAB's own user screens read like ours."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from app.core.display import plain
        self.formatters_columns = dict(self.formatters_columns or {})
        for column in set(self.list_columns or []) | set(self.show_columns or []):
            self.formatters_columns.setdefault(column, plain)
        for fieldset in self.show_fieldsets or []:
            for column in fieldset[1].get("fields", []):
                self.formatters_columns.setdefault(column, plain)


# Subclasses keep FAB's permission names, so roles and grants are those of FAB's own views.
class LoupanUserDBModelView(_PlainValues, UserDBModelView):
    class_permission_name = "UserDBModelView"


class LoupanGroupModelView(_PlainValues, UserGroupModelView):
    class_permission_name = "UserGroupModelView"
    label_columns = {
        "name": _l("Name"), "label": _l("Label"), "description": _l("Description"),
        "users": _l("Users"), "roles": _l("Roles"),
    }


class LoupanRoleModelView(RoleModelView):
    class_permission_name = "RoleModelView"
    label_columns = dict(RoleModelView.label_columns, user=_l("User"), groups=_l("Groups"))


class LoupanPermissionViewModelView(PermissionViewModelView):
    class_permission_name = "PermissionViewModelView"
    label_columns = dict(PermissionViewModelView.label_columns, role=_l("Role"))


class LoupanSecurityManager(SecurityManager):
    """FAB's database security, with each request's permission checks answered from one query
    (FAB asks the database once per menu entry and button otherwise)."""

    def exist_permission_on_roles(self, view_name, permission_name, role_ids):
        if not has_request_context():
            return super().exist_permission_on_roles(view_name, permission_name, role_ids)
        cache = g.setdefault("_loupan_permissions", {})
        key = tuple(sorted(role_ids))
        if key not in cache:
            rows = (
                self.session.query(self.viewmenu_model.name, self.permission_model.name)
                .select_from(self.permissionview_model)
                .join(assoc_permissionview_role,
                      self.permissionview_model.id == assoc_permissionview_role.c.permission_view_id)
                .join(self.permission_model)
                .join(self.viewmenu_model)
                .filter(assoc_permissionview_role.c.role_id.in_(key))
            )
            cache[key] = set(rows)
        return (view_name, permission_name) in cache[key]

    def is_item_public(self, permission_name, view_name):
        # FAB reads the Public role and its permissions for every check; once per request here.
        if not has_request_context():
            return super().is_item_public(permission_name, view_name)
        if "_loupan_public" not in g:
            g._loupan_public = {(p.view_menu.name, p.permission.name) for p in self.get_public_permissions()}
        return (view_name, permission_name) in g._loupan_public

    userdbmodelview = LoupanUserDBModelView
    groupmodelview = LoupanGroupModelView
    rolemodelview = LoupanRoleModelView
    permissionviewmodelview = LoupanPermissionViewModelView
    # FAB's user statistics chart loads Google Charts from the internet; sales offices may
    # have none, and the page adds nothing an admin needs.
    userstatschartview = None
