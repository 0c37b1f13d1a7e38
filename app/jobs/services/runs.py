"""Running a due time exactly once: the job_run row inserted before the run is the claim."""
import datetime as dt
import inspect
import logging
import os
import socket
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError

from app.core.context import acting_as
from app.core.models.base import utcnow
from app.extensions import db
from app.jobs.models import JobRun
from app.jobs.services.registry import current_due_time, get_job, truncate

log = logging.getLogger("loupan.scheduler")

MESSAGE_LENGTH = 2000


def runner_id():
    return "%s:%d" % (socket.gethostname(), os.getpid())


# --- running a due time once ------------------------------------------------------------

@dataclass
class RunResult:
    job_id: str
    due_at: dt.datetime
    status: str
    message: str = ""
    run_id: int = None


def _call(func, due_at):
    try:
        wants_due = "due_at" in inspect.signature(func).parameters
    except (TypeError, ValueError):
        wants_due = False
    return func(due_at=due_at) if wants_due else func()


def run_due(job_id, due_at, runner=None, triggered_by="scheduler", clock=None):
    """Run `job_id` for `due_at` unless some process already has: the inserted job_run row
    is the claim. Returns a RunResult whose status is succeeded, failed or skipped."""
    spec = get_job(job_id)
    clock = clock or utcnow
    due_at = truncate(due_at)
    runner = runner or runner_id()
    table = JobRun.__table__
    try:
        with db.engine.begin() as conn:
            run_id = conn.execute(table.insert().values(
                job_id=job_id, due_at=due_at, started_at=clock(), status="running",
                runner=runner[:200], triggered_by=(triggered_by or "")[:100],
            )).inserted_primary_key[0]
    except IntegrityError:
        log.info("Job %s for %s: already run by another runner; skipped", job_id, due_at)
        return RunResult(job_id, due_at, "skipped", "already run for this due time")

    log.info("Job %s for %s: started by %s (%s)", job_id, due_at, runner, triggered_by)
    status, message = "succeeded", ""
    try:
        with acting_as(name="scheduler"):
            result = _call(spec.func, due_at)
        db.session.commit()
        message = "" if result is None else str(result)
    except Exception as exc:  # the run is recorded as failed, the scheduler carries on
        db.session.rollback()
        log.exception("Job %s for %s failed", job_id, due_at)
        status, message = "failed", ("%s: %s" % (type(exc).__name__, exc)).strip().rstrip(":")
    message = message[:MESSAGE_LENGTH]
    with db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.id == run_id).values(
            status=status, finished_at=clock(), message=message))
    log.info("Job %s for %s: %s %s", job_id, due_at, status, message)
    return RunResult(job_id, due_at, status, message, run_id)


def run_current(job_id, triggered_by="cli", runner=None, clock=None):
    """Run the job for its current due time (nothing happens if that already ran)."""
    clock = clock or utcnow
    due = current_due_time(get_job(job_id), clock())
    if due is None:
        return RunResult(job_id, None, "skipped", "the job has no due time yet")
    return run_due(job_id, due, runner=runner, triggered_by=triggered_by, clock=clock)


def run_now(job_id, triggered_by, runner=None, clock=None):
    """An extra run now (the admin's "run now"): its due time is this second."""
    clock = clock or utcnow
    get_job(job_id)
    return run_due(job_id, clock(), runner=runner, triggered_by=triggered_by, clock=clock)


def mark_interrupted(previous_owner, now):
    """Runs left 'running' by a runner whose lease expired: it stopped before finishing."""
    table = JobRun.__table__
    with db.engine.begin() as conn:
        result = conn.execute(
            table.update().where(table.c.status == "running", table.c.runner == previous_owner)
            .values(status="failed", finished_at=now,
                    message="Interrupted: the runner %s stopped before the run finished" % previous_owner))
    return result.rowcount
