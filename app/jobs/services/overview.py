"""What the scheduled-jobs page and `flask scheduler list` show."""
import sqlalchemy as sa

from app.core.models.base import utcnow
from app.extensions import db
from app.jobs.models import JobRun
from app.jobs.services.registry import jobs, next_due_time, scheduler_timezone

# --- what the pages show ------------------------------------------------------------------

def last_runs():
    """job_id → its newest JobRun."""
    newest = sa.select(JobRun.job_id, sa.func.max(JobRun.id).label("id")).group_by(JobRun.job_id).subquery()
    rows = db.session.query(JobRun).join(newest, JobRun.id == newest.c.id).all()
    return {run.job_id: run for run in rows}


def overview(now=None):
    now = now or utcnow()
    tz = scheduler_timezone()
    latest = last_runs()
    return [{
        "job_id": spec.job_id, "label": spec.label, "schedule": spec.describe(),
        "next_due": next_due_time(spec, now, tz), "last_run": latest.get(spec.job_id),
    } for spec in sorted(jobs(), key=lambda s: s.job_id)]
