"""Text messages (短信群发): templates with placeholders, each send (SmsMessage) and its one row
per recipient (SmsRecipient) — the send log, and the queue the dispatcher claims rows from."""
import sqlalchemy as sa
from flask_appbuilder import Model
from sqlalchemy.orm import relationship

from app.core.crypto import EncryptedString
from app.core.display import person_name
from app.core.models import Audited
from app.core.models.base import utcnow

# queued: waiting for the dispatcher; sending: claimed by one dispatch run (never claimed twice);
# sent: accepted by the gateway (or kept in the outbox); failed: the gateway refused or did not
# answer (the reason is kept); skipped: never sent (the customer opted out or has no phone).
RECIPIENT_STATUSES = ("queued", "sending", "sent", "failed", "skipped")
SKIP_REASONS = ("opted_out", "no_phone")


class SmsTemplate(Audited, Model):
    """A message text with placeholders ({客户姓名}, {项目}, …), managed by supervisors."""

    __tablename__ = "sms_template"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False, unique=True)
    content = sa.Column(sa.Text, nullable=False)
    active = sa.Column(sa.Boolean, nullable=False, default=True, server_default=sa.true())
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow)

    def __str__(self):
        return self.name


class SmsMessage(Model):
    """One send: who sent which text to which list, with the counts of its recipients."""

    __tablename__ = "sms_message"
    id = sa.Column(sa.Integer, primary_key=True)
    sender_id = sa.Column(sa.Integer, sa.ForeignKey("ab_user.id"))
    sender = relationship("User", lazy="joined")
    # The sender's employee record: whose log this is (the scope of the send log).
    sender_employee_id = sa.Column(sa.Integer, sa.ForeignKey("employee.id"), index=True)
    sender_employee = relationship("Employee", lazy="joined")
    template_id = sa.Column(sa.Integer, sa.ForeignKey("sms_template.id"), index=True)
    template = relationship(SmsTemplate, lazy="joined")
    project_id = sa.Column(sa.Integer, sa.ForeignKey("project.id"))
    project = relationship("Project", lazy="joined")
    # The template's text as it was when sent (templates change later).
    text = sa.Column(sa.Text, nullable=False)
    # Who it went to, in words (e.g. 项目：云璟; 商机等级：A; 30 天未到访), and as data.
    filter_description = sa.Column(sa.String(500))
    criteria = sa.Column(sa.JSON)
    gateway = sa.Column(sa.String(20))
    recipient_count = sa.Column(sa.Integer, nullable=False, default=0)
    skipped_count = sa.Column(sa.Integer, nullable=False, default=0)
    sent_count = sa.Column(sa.Integer, nullable=False, default=0)
    failed_count = sa.Column(sa.Integer, nullable=False, default=0)
    created_at = sa.Column(sa.DateTime, nullable=False, default=utcnow, index=True)
    # When the last recipient left the queue (sent or failed).
    finished_at = sa.Column(sa.DateTime)

    @property
    def sender_name(self):
        if self.sender_employee is not None:
            return self.sender_employee.name
        if self.sender is not None:
            return person_name(self.sender.first_name, self.sender.last_name)
        return ""

    @property
    def pending_count(self):
        return max(0, (self.recipient_count or 0) - (self.skipped_count or 0) - (self.sent_count or 0)
                   - (self.failed_count or 0))

    def __str__(self):
        return "#%d · %s" % (self.id or 0, self.template.name if self.template else "")


class SmsRecipient(Model):
    """One recipient of a send: the phone it went to (encrypted), the text as rendered for
    them, and what became of it."""

    __tablename__ = "sms_recipient"
    # The dispatcher's queue: "status = queued ORDER BY id".
    __table_args__ = (sa.Index("ix_sms_recipient_status_id", "status", "id"),)
    id = sa.Column(sa.Integer, primary_key=True)
    message_id = sa.Column(sa.Integer, sa.ForeignKey("sms_message.id"), nullable=False, index=True)
    message = relationship(SmsMessage, lazy="joined", innerjoin=True)
    customer_id = sa.Column(sa.Integer, sa.ForeignKey("customer.id"), nullable=False, index=True)
    customer = relationship("Customer", lazy="joined", innerjoin=True)
    phone = sa.Column(EncryptedString)
    text = sa.Column(sa.Text, nullable=False)
    status = sa.Column(sa.String(10), nullable=False, default="queued")
    skip_reason = sa.Column(sa.String(20))
    error = sa.Column(sa.String(500))
    gateway = sa.Column(sa.String(20))
    gateway_ref = sa.Column(sa.String(100))
    # The dispatch run that took the row (a random token) and when: a row is claimed once.
    claim = sa.Column(sa.String(32))
    claimed_at = sa.Column(sa.DateTime)
    sent_at = sa.Column(sa.DateTime)

    @property
    def outcome(self):
        """(skip reason, error): why it was not sent, if it was not."""
        return self.skip_reason, self.error

    @property
    def sender_name(self):
        return self.message.sender_name if self.message is not None else ""

    def __str__(self):
        return "%s · %s" % (self.customer, self.status)
