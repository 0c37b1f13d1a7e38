"""Customers (客户管理): customers, visits and calls, opportunities and follow-ups."""
from app.crm.models.customer import Customer  # noqa: F401
from app.crm.models.visit import Visit  # noqa: F401
from app.crm.models.opportunity import Opportunity  # noqa: F401
from app.crm.models.follow_up import FollowUp  # noqa: F401
from app.crm.models.service_request import ServiceRequest, ServiceRequestNote  # noqa: F401
from app.crm.models.sms import SmsMessage, SmsRecipient, SmsTemplate  # noqa: F401
from app.crm.models.transfer import CustomerTransfer  # noqa: F401
from app.crm.models.pool import CrmPoolSetting, PoolEvent  # noqa: F401
