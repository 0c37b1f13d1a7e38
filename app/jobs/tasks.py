"""The jobs Loupan ships. Each is idempotent: running it twice for the same moment does no
more than running it once."""
from flask import current_app
from flask_babel import lazy_gettext as _l

from app.jobs.services import register_job


def approval_reminders():
    """Remind approvers of requests pending longer than LOUPAN_APPROVAL_REMINDER_HOURS."""
    from app.core.services import approvals
    hours = int(current_app.config["LOUPAN_APPROVAL_REMINDER_HOURS"])
    sent = approvals.remind_overdue(hours)
    return "%d reminder(s) sent for requests pending over %d hour(s)" % (sent, hours)


def register_builtin_jobs(app):
    register_job("approval_reminders", approval_reminders, label=_l("Remind approvers of pending requests"),
                 minutes=int(app.config.get("LOUPAN_APPROVAL_REMINDER_INTERVAL_MINUTES", 60)))
