"""Scheduler tables: one row per run of a job and due time (the unique key is what makes a
run happen once, whichever process tries it), and the lease that says which scheduler
process is the active one (its heartbeat is what /healthz reports)."""
import sqlalchemy as sa
from flask_appbuilder import Model

RUN_STATUSES = ("running", "succeeded", "failed", "skipped")


class JobRun(Model):
    """A run of a scheduled job for one due time (任务运行记录)."""

    __tablename__ = "job_run"
    __table_args__ = (
        # Two runners that try the same job for the same due time: the second insert fails.
        sa.UniqueConstraint("job_id", "due_at", name="uq_job_run_job_due"),
        sa.Index("ix_job_run_status", "status"),
    )
    id = sa.Column(sa.Integer, primary_key=True)
    job_id = sa.Column(sa.String(100), nullable=False)
    due_at = sa.Column(sa.DateTime, nullable=False)  # UTC, whole seconds
    started_at = sa.Column(sa.DateTime, nullable=False, index=True)
    finished_at = sa.Column(sa.DateTime)
    status = sa.Column(sa.String(20), nullable=False, default="running")
    message = sa.Column(sa.String(2000))
    runner = sa.Column(sa.String(200))  # host:pid of the process that ran it
    triggered_by = sa.Column(sa.String(100))  # "scheduler", "cli" or the admin's login

    def __str__(self):
        return "%s @ %s" % (self.job_id, self.due_at)


class SchedulerLease(Model):
    """Which scheduler process is active; renewed by its heartbeat, taken over by another
    process once it has expired."""

    __tablename__ = "scheduler_lease"
    name = sa.Column(sa.String(50), primary_key=True)
    owner = sa.Column(sa.String(200), nullable=False)
    acquired_at = sa.Column(sa.DateTime, nullable=False)
    heartbeat_at = sa.Column(sa.DateTime, nullable=False)
    expires_at = sa.Column(sa.DateTime, nullable=False)
