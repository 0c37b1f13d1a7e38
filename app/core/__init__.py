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
