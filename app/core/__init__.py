"""Core: lookup lists, custom fields, audit log, encryption, approvals, notifications."""
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

_listeners_installed = False

SETTINGS = "System settings"


def init_app(app, appbuilder):
    global _listeners_installed
    from app.core import audit, crypto
    if not _listeners_installed:
        audit.install(Session)
        crypto.install_blind_index_listener(Session)
        _listeners_installed = True
    crypto.configure(app.config["LOUPAN_DATA_KEY"])

    from app.core.views.audit import AuditLogView
    from app.core.views.fields_admin import CustomFieldDefView, FieldLabelView
    from app.core.views.lookup import LookupListView, LookupValueView

    appbuilder.add_view(LookupListView, "Lookup lists", label=_l("Lookup lists"), icon="fa-list",
                        category=SETTINGS, category_label=_l("System settings"), category_icon="fa-cogs")
    appbuilder.add_view_no_menu(LookupValueView)
    appbuilder.add_view(CustomFieldDefView, "Custom fields", label=_l("Custom fields"), icon="fa-puzzle-piece",
                        category=SETTINGS)
    appbuilder.add_view(FieldLabelView, "Field labels", label=_l("Field labels"), icon="fa-tag",
                        category=SETTINGS)
    appbuilder.add_view(AuditLogView, "Audit log", label=_l("Audit log"), icon="fa-history",
                        category=SETTINGS)
    from app.core.api.settings import (AuditLogApi, CustomFieldDefApi, FieldLabelApi, LookupListApi,
                                       LookupValueApi)
    for api in (LookupListApi, LookupValueApi, CustomFieldDefApi, FieldLabelApi, AuditLogApi):
        appbuilder.add_api(api)

    _init_approvals(app, appbuilder)


_panels_registered = False


def _init_approvals(app, appbuilder):
    """Approvals (审批) and the notification centre (通知)."""
    global _panels_registered
    from app.core import home, roles
    from app.core.api.approval import ApprovalApi
    from app.core.api.notification import NotificationApi
    from app.core.views import approval, notification

    appbuilder.add_view(approval.ApprovalView, approval.INBOX_MENU, label=_l("Approval inbox"), icon="fa-inbox",
                        category=approval.APPROVALS, category_label=_l("Approvals"),
                        category_icon="fa-gavel")
    appbuilder.add_link(approval.MINE_MENU, label=_l("My requests"), href="ApprovalView.mine",
                        icon="fa-paper-plane", category=approval.APPROVALS)
    appbuilder.add_view(approval.ApprovalRequestView, approval.ALL_MENU, label=_l("All requests"),
                        icon="fa-list-alt", category=approval.APPROVALS)
    appbuilder.add_view_no_menu(notification.NotificationView)
    appbuilder.add_api(ApprovalApi)
    appbuilder.add_api(NotificationApi)
    app.jinja_env.globals["loupan_unread_count"] = notification.navbar_unread_count
    if not _panels_registered:
        home.register_panel(approval.pending_panel)
        home.register_panel(notification.unread_panel)
        _panels_registered = True

    everyone = {"ApprovalView": tuple(approval.PERMISSIONS), "NotificationView": tuple(notification.PERMISSIONS)}
    menus = [approval.APPROVALS, approval.INBOX_MENU, approval.MINE_MENU]
    roles.extend(
        permissions={role: dict(everyone) for role in (roles.MANAGER, roles.SALES, roles.FINANCE, roles.SERVICE)},
        menus={role: list(menus) for role in (roles.MANAGER, roles.SALES, roles.FINANCE, roles.SERVICE)},
    )
    roles.extend(permissions={roles.MANAGER: {"ApprovalRequestView": roles.READ}},
                 menus={roles.MANAGER: [approval.ALL_MENU]})
