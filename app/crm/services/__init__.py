"""Customer rules (客户管理). One file per concept; import the one you need:
validation (phones, ID numbers), scope (私客保护), customers, visits, opportunities, follow_ups."""
from app.crm.services import customers, follow_ups, opportunities, scope, validation, visits  # noqa: F401
from app.crm.services import lifecycle, service_requests, team  # noqa: F401
from app.crm.services import sms  # noqa: F401
from app.crm.services import pool, transfers  # noqa: F401
