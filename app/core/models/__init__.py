"""Core tables: lookup lists, custom fields, audit log, approvals, notifications."""
from app.core.models.base import Audited, CustomFieldsMixin, utcnow  # noqa: F401
from app.core.models.lookup import LookupList, LookupValue  # noqa: F401
from app.core.models.custom_field import CustomFieldDef, FieldLabel  # noqa: F401
from app.core.models.audit import AuditLog  # noqa: F401
from app.core.models.approval import ApprovalRequest  # noqa: F401
from app.core.models.notification import Notification  # noqa: F401
from app.core.models.numbering import NumberSequence  # noqa: F401
