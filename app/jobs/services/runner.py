"""A scheduler process: the Runner that APScheduler calls, and building its APScheduler."""
import datetime as dt
import logging
import os
import threading

import sqlalchemy as sa
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy.exc import SQLAlchemyError

from app.core.models.base import utcnow
from app.extensions import db
from app.jobs.models import JobRun
from app.jobs.services.lease import release_lease, take_lease
from app.jobs.services.registry import current_due_time, get_job, jobs, scheduler_timezone
from app.jobs.services.runs import mark_interrupted, run_due, runner_id

log = logging.getLogger("loupan.scheduler")

HEARTBEAT_JOB = "loupan:heartbeat"
# A catch-up waits this long after a due time, so that the regular fire goes first.
CATCH_UP_MIN_AGE = dt.timedelta(seconds=5)


# --- the runner: what APScheduler calls ---------------------------------------------------

class Runner:
    """One scheduler process's side of the protocol. APScheduler calls heartbeat() every
    few seconds and fire(job_id) at each due time; both run in an app context of `app`."""

    def __init__(self, app, owner=None, clock=None, lease_seconds=None):
        self.app = app
        self.owner = owner or runner_id()
        self.clock = clock or utcnow
        self.lease_seconds = lease_seconds or app.config["LOUPAN_SCHEDULER_LEASE_SECONDS"]
        self.scheduler = None
        self.held = False
        self._lock = threading.Lock()

    def heartbeat(self, catch_up=True):
        with self.app.app_context():
            return self._heartbeat(catch_up)

    def _heartbeat(self, catch_up=True):
        with self._lock:
            now = self.clock()
            try:
                state = take_lease(self.owner, now, self.lease_seconds)
            except SQLAlchemyError:
                log.exception("Scheduler %s could not renew its lease", self.owner)
                self.held = False
                return False
            if state.held and not self.held:
                log.info("Scheduler %s is now the active runner", self.owner)
            elif self.held and not state.held:
                log.warning("Scheduler %s lost the lease to %s", self.owner, state.owner)
            if state.newly_acquired and state.previous_owner:
                count = mark_interrupted(state.previous_owner, now)
                log.log(logging.WARNING if count else logging.INFO,
                        "Scheduler %s took over from %s (%d unfinished run(s) marked failed)",
                        self.owner, state.previous_owner, count)
            self.held = state.held
        if self.held and catch_up:
            self.catch_up(now)
        return self.held

    def fire(self, job_id):
        """A job's due time has come: run it if this process is the active runner."""
        with self.app.app_context():
            if not self._heartbeat(catch_up=False):
                log.debug("Scheduler %s is not the active runner; %s left to it", self.owner, job_id)
                return None
            now = self.clock()
            due = current_due_time(get_job(job_id), now)
            if due is None:
                return None
            return run_due(job_id, due, runner=self.owner, triggered_by="scheduler", clock=self.clock)

    def missed_jobs(self, now):
        """Jobs whose latest due time nobody has run yet, and not too long ago."""
        table = JobRun.__table__
        missed = []
        with db.engine.connect() as conn:
            for spec in jobs():
                due = current_due_time(spec, now)
                if due is None or now - due < CATCH_UP_MIN_AGE \
                        or now - due > dt.timedelta(seconds=spec.catch_up_seconds):
                    continue
                recent = now - dt.timedelta(seconds=spec.catch_up_seconds)
                ran = conn.execute(sa.select(table.c.id).where(
                    table.c.job_id == spec.job_id,
                    sa.or_(table.c.due_at == due, table.c.started_at >= due,
                           sa.and_(table.c.status == "running", table.c.started_at >= recent)),
                ).limit(1)).first()
                if ran is None:
                    missed.append(spec.job_id)
        return missed

    def catch_up(self, now=None):
        """Run what was missed: through APScheduler when there is one (so that a long job
        does not hold up the heartbeat), here otherwise."""
        now = now or self.clock()
        try:
            missed = self.missed_jobs(now)
        except SQLAlchemyError:
            log.exception("Scheduler %s could not look for missed runs", self.owner)
            return []
        for job_id in missed:
            log.info("Scheduler %s: catching up on %s", self.owner, job_id)
            if self.scheduler is not None:
                self.scheduler.add_job(self.fire, args=[job_id], id="loupan:catch-up:" + job_id,
                                       replace_existing=True, misfire_grace_time=None)
            else:
                self.fire(job_id)
        return missed

    def release(self):
        with self.app.app_context():
            try:
                release_lease(self.owner, self.clock())
            except SQLAlchemyError:
                log.exception("Scheduler %s could not release its lease", self.owner)
        self.held = False


def build_scheduler(app, blocking=False, runner=None):
    """An APScheduler with every registered job and the heartbeat, driven by `runner`.
    BlockingScheduler for `flask scheduler run`; BackgroundScheduler in-process."""
    from apscheduler.schedulers.background import BackgroundScheduler
    from apscheduler.schedulers.blocking import BlockingScheduler

    tz = scheduler_timezone(app)
    runner = runner or Runner(app)
    cls = BlockingScheduler if blocking else BackgroundScheduler
    scheduler = cls(timezone=tz, job_defaults={
        "coalesce": True, "max_instances": 1,
        "misfire_grace_time": app.config.get("LOUPAN_SCHEDULER_MISFIRE_GRACE_SECONDS", 300),
    })
    for spec in jobs():
        scheduler.add_job(runner.fire, trigger=spec.trigger(tz), args=[spec.job_id],
                          id=spec.job_id, name=spec.job_id)
    scheduler.add_job(runner.heartbeat, IntervalTrigger(seconds=app.config["LOUPAN_SCHEDULER_HEARTBEAT_SECONDS"],
                                                        timezone=tz),
                      id=HEARTBEAT_JOB, name=HEARTBEAT_JOB, next_run_time=dt.datetime.now(tz))
    runner.scheduler = scheduler
    return scheduler, runner


def start_in_process(app):
    """The web process's own scheduler (make run). Idle unless it holds the lease."""
    if app.extensions.get("loupan_scheduler") is not None:
        return app.extensions["loupan_scheduler"]
    import atexit
    scheduler, runner = build_scheduler(app, blocking=False)
    scheduler.start()
    app.extensions["loupan_scheduler"] = scheduler
    log.info("In-process scheduler started (%s)", runner.owner)

    def stop():
        try:
            scheduler.shutdown(wait=False)
        except Exception:  # already stopped
            pass
        runner.release()

    atexit.register(stop)
    return scheduler


def serving_process(app):
    """True in a process that serves requests and should run the in-process scheduler:
    not in the werkzeug reloader's watcher process, not in `flask <command>` other than
    `flask run`."""
    from flask.helpers import get_debug_flag
    reload = None
    if os.environ.get("FLASK_RUN_FROM_CLI") == "true":
        import click
        ctx = click.get_current_context(silent=True)
        if ctx is None or ctx.info_name != "run" or ctx.parent is None or ctx.parent.parent is not None:
            return False
        reload = ctx.params.get("reload")
    if reload is None:
        reload = app.debug or get_debug_flag()
    if reload and os.environ.get("WERKZEUG_RUN_MAIN") != "true":
        return False
    return True
