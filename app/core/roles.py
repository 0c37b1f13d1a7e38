"""The shipped roles and what each may do. `flask loupan seed` applies this; it is safe to
re-run, and admins change roles further in the browser (Security → Roles)."""

ADMIN = "管理员"
MANAGER = "销售经理"
SALES = "置业顾问"
FINANCE = "财务"
SERVICE = "客服"

READ = ("can_list", "can_show")
CRUD = ("can_list", "can_show", "can_add", "can_edit", "can_delete")
API_READ = ("can_get", "can_info")

# role -> {view or menu name: permissions}; "menu_access" entries open a menu.
# The admin role gets every permission and needs no entry.
ROLE_PERMISSIONS = {
    MANAGER: {
        "DepartmentView": READ + ("can_tree",),
        "EmployeeView": READ + ("can_export",),
        "PersonalData": ("can_view_full",),
    },
    SALES: {
        "DepartmentView": ("can_tree",),
    },
    FINANCE: {
        "DepartmentView": ("can_tree",),
    },
    SERVICE: {
        "DepartmentView": ("can_tree",),
    },
}

# Menus each role sees (FAB checks menu_access on the item and on its category).
ROLE_MENUS = {
    MANAGER: ["Organisation", "Departments", "Employees", "Organisation chart"],
    SALES: ["Organisation", "Organisation chart"],
    FINANCE: ["Organisation", "Organisation chart"],
    SERVICE: ["Organisation", "Organisation chart"],
}

# Every logged-in role may do these (own profile, own notifications, own approvals...).
COMMON = {
    "UserInfoEditView": ("can_this_form_get", "can_this_form_post"),
    "ResetMyPasswordView": ("can_this_form_get", "can_this_form_post"),
}
COMMON_USER_VIEW = "can_userinfo"

ROLE_NAMES = [ADMIN, MANAGER, SALES, FINANCE, SERVICE]


def extend(permissions=None, menus=None):
    """A module adds its own grants for the shipped roles from its init_app()."""
    for role, grants in (permissions or {}).items():
        target = ROLE_PERMISSIONS.setdefault(role, {})
        for view, perms in grants.items():
            target[view] = tuple(dict.fromkeys(tuple(target.get(view, ())) + tuple(perms)))
    for role, names in (menus or {}).items():
        target = ROLE_MENUS.setdefault(role, [])
        target.extend(n for n in names if n not in target)
