"""The first real job: remind approvers of requests pending too long (the reminders
themselves belong to app.core.services.approvals.remind_overdue)."""
import datetime as dt
import importlib
import importlib.util

import pytest

from app.core.models import ApprovalRequest, Notification
from app.core.models.base import utcnow
from app.extensions import db
from app.jobs import services


def _remind_overdue_or_skip():
    if importlib.util.find_spec("app.core.services.approvals") is None:
        pytest.skip("app.core.services.approvals is not written yet")
    approvals = importlib.import_module("app.core.services.approvals")
    if not hasattr(approvals, "remind_overdue"):
        pytest.skip("approvals.remind_overdue is not written yet")


def test_approval_reminder_job_is_registered_hourly(app):
    spec = services.get_job("approval_reminders")
    assert spec.interval_seconds == app.config["LOUPAN_APPROVAL_REMINDER_INTERVAL_MINUTES"] * 60


def test_approval_reminders_remind_once_per_period(app, ctx):
    _remind_overdue_or_skip()
    sm = app.appbuilder.sm
    sales = sm.find_user(username="sales")
    old = utcnow() - dt.timedelta(hours=app.config["LOUPAN_APPROVAL_REMINDER_HOURS"] + 2)
    overdue = ApprovalRequest(kind="test_overdue", summary="等待审批的测试申请", payload={}, status="pending",
                              requester_id=sales.id, created_at=old)
    recent = ApprovalRequest(kind="test_recent", summary="刚提交的申请", payload={}, status="pending",
                             requester_id=sales.id, created_at=utcnow())
    db.session.add_all([overdue, recent])
    db.session.commit()
    overdue_id, recent_id = overdue.id, recent.id
    before = db.session.query(Notification).count()

    due = services.current_due_time(services.get_job("approval_reminders"))
    first = services.run_due("approval_reminders", due)
    assert first.status == "succeeded", first.message
    sent = int(first.message.split()[0])
    assert sent >= 1  # at least the admins hear about it
    db.session.expire_all()
    assert db.session.query(Notification).count() == before + sent
    assert db.session.get(ApprovalRequest, overdue_id).reminded_at is not None
    assert db.session.get(ApprovalRequest, recent_id).reminded_at is None

    # The next due time finds nothing new to remind: idempotent.
    second = services.run_due("approval_reminders", due + dt.timedelta(hours=1))
    assert second.status == "succeeded" and second.message.startswith("0 ")
    db.session.expire_all()
    assert db.session.query(Notification).count() == before + sent
