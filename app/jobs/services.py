"""The scheduler: a registry of jobs, their due times, and running each due time exactly once.

How "exactly once" holds with any number of processes on any number of machines:

1. Due times come from the trigger alone (interval triggers are anchored at a fixed
   instant, cron triggers at the wall clock), so every process computes the same due times.
2. Before a job runs, its run is inserted into `job_run`, committed on its own, under the
   unique key (job_id, due_at). The database lets exactly one insert through; every other
   runner of that due time gets an IntegrityError and skips. A run that the runner did not
   finish (the process died) stays visible and is marked failed when another process takes
   the lease over.
3. A lease row (`scheduler_lease`) names the one active scheduler process. It is renewed by
   a heartbeat every LOUPAN_SCHEDULER_HEARTBEAT_SECONDS; another process takes it over once
   it has expired (LOUPAN_SCHEDULER_LEASE_SECONDS). Only the holder fires jobs, so idle
   runners cost nothing; the unique key, not the lease, is what guarantees one run.
4. The active runner catches up on a due time that nobody ran (the previous holder died,
   or the scheduler was stopped) if it is at most the job's catch_up_seconds old.

Times in the tables are naive UTC, whole seconds for due times.
"""
import datetime as dt
import inspect
import logging
import os
import socket
import threading
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from app.core.context import acting_as
from app.core.models.base import utcnow
from app.extensions import db
from app.jobs.models import JobRun, SchedulerLease

log = logging.getLogger("loupan.scheduler")

LEASE_NAME = "scheduler"
HEARTBEAT_JOB = "loupan:heartbeat"
# Interval jobs count from this instant (midnight in the scheduler's time zone), so that
# every process, whenever it started, agrees on the due times.
ANCHOR = dt.datetime(2000, 1, 1)
UTC = dt.timezone.utc
INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")
# A catch-up waits this long after a due time, so that the regular fire goes first.
CATCH_UP_MIN_AGE = dt.timedelta(seconds=5)
MESSAGE_LENGTH = 2000


class JobNotFound(KeyError):
    pass


@dataclass
class JobSpec:
    job_id: str
    func: object
    label: object
    cron: object = None
    interval: dict = None
    catch_up_seconds: int = 3600

    @property
    def interval_seconds(self):
        return int(dt.timedelta(**self.interval).total_seconds()) if self.interval else None

    def trigger(self, tz):
        if self.cron is not None:
            if isinstance(self.cron, str):
                return CronTrigger.from_crontab(self.cron, timezone=tz)
            return CronTrigger(timezone=tz, **self.cron)
        return IntervalTrigger(timezone=tz, start_date=ANCHOR.replace(tzinfo=tz), **self.interval)

    def describe(self):
        """The schedule in words, for the scheduled-jobs page."""
        if self.cron is not None:
            if isinstance(self.cron, str):
                return _("Cron: %(spec)s", spec=self.cron)
            return _("Cron: %(spec)s", spec=", ".join("%s=%s" % kv for kv in sorted(self.cron.items())))
        seconds = self.interval_seconds
        for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
            if seconds % size == 0:
                count = seconds // size
                return {"days": _("Every %(num)d day(s)", num=count),
                        "hours": _("Every %(num)d hour(s)", num=count),
                        "minutes": _("Every %(num)d minute(s)", num=count)}[unit]
        return _("Every %(num)d second(s)", num=seconds)


_registry = {}


def register_job(job_id, func, label=None, cron=None, catch_up_seconds=3600, **interval):
    """Register (or replace) a job. Give either `cron` (a crontab string such as
    "0 2 * * *" or a dict of CronTrigger fields, in LOUPAN_SCHEDULER_TIMEZONE) or interval
    fields (weeks/days/hours/minutes/seconds). The function takes no argument, or a keyword
    `due_at`; it must be idempotent. What it returns is kept as the run's message."""
    if (cron is None) == (not interval):
        raise ValueError("register_job(%r): give either cron or an interval" % job_id)
    unknown = set(interval) - set(INTERVAL_UNITS)
    if unknown:
        raise ValueError("register_job(%r): unknown interval fields %s" % (job_id, sorted(unknown)))
    spec = JobSpec(job_id=job_id, func=func, label=label or job_id, cron=cron,
                   interval=dict(interval) or None, catch_up_seconds=catch_up_seconds)
    if spec.interval and (spec.interval_seconds <= 0
                          or dt.timedelta(**spec.interval).microseconds):
        raise ValueError("register_job(%r): the interval must be a positive number of seconds" % job_id)
    spec.trigger(UTC)  # a bad crontab fails here, at start-up
    _registry[job_id] = spec
    return spec


def unregister_job(job_id):
    _registry.pop(job_id, None)


def jobs():
    return list(_registry.values())


def get_job(job_id):
    try:
        return _registry[job_id]
    except KeyError:
        raise JobNotFound(job_id) from None


def job_label(job_id):
    spec = _registry.get(job_id)
    return str(spec.label) if spec else job_id


def runner_id():
    return "%s:%d" % (socket.gethostname(), os.getpid())


def scheduler_timezone(app=None):
    config = (app or current_app).config
    return ZoneInfo(config.get("LOUPAN_SCHEDULER_TIMEZONE") or config.get("BABEL_DEFAULT_TIMEZONE") or "UTC")


# --- due times (naive UTC in and out) ---------------------------------------------------

def _naive_utc(moment):
    return moment.astimezone(UTC).replace(tzinfo=None)


def _local(naive_utc, tz):
    return naive_utc.replace(tzinfo=UTC).astimezone(tz)


def truncate(moment):
    return moment.replace(microsecond=0)


_CRON_WINDOWS = (dt.timedelta(hours=1), dt.timedelta(days=1), dt.timedelta(days=32),
                 dt.timedelta(days=367), dt.timedelta(days=5 * 366))


def current_due_time(spec, now=None, tz=None):
    """The latest due time of the job at or before `now`: the due time a fire at `now`
    is for. None if the trigger has never fired."""
    now = now or utcnow()
    tz = tz or scheduler_timezone()
    if spec.interval:
        anchor = _naive_utc(ANCHOR.replace(tzinfo=tz))
        step = dt.timedelta(seconds=spec.interval_seconds)
        return truncate(anchor + ((now - anchor) // step) * step)
    trigger = spec.trigger(tz)
    local_now = _local(now, tz)
    for window in _CRON_WINDOWS:
        fire = trigger.get_next_fire_time(None, local_now - window)
        if fire is None or fire > local_now:
            continue
        while True:
            following = trigger.get_next_fire_time(fire, fire)
            if following is None or following > local_now:
                return truncate(_naive_utc(fire))
            fire = following
    return None


def next_due_time(spec, now=None, tz=None):
    now = now or utcnow()
    tz = tz or scheduler_timezone()
    if spec.interval:
        return current_due_time(spec, now, tz) + dt.timedelta(seconds=spec.interval_seconds)
    fire = spec.trigger(tz).get_next_fire_time(None, _local(now, tz) + dt.timedelta(microseconds=1))
    return truncate(_naive_utc(fire)) if fire else None


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


# --- the lease ----------------------------------------------------------------------------

@dataclass
class LeaseState:
    held: bool
    owner: str = None
    newly_acquired: bool = False
    previous_owner: str = None


def acquire_lease(owner, now, seconds, name=LEASE_NAME):
    """Take or renew the lease: one UPDATE that succeeds only if we hold it or it has
    expired (the database serialises concurrent attempts), an INSERT the first time."""
    table = SchedulerLease.__table__
    expires = now + dt.timedelta(seconds=seconds)
    for _attempt in range(2):
        with db.engine.begin() as conn:
            updated = conn.execute(
                table.update()
                .where(table.c.name == name, sa.or_(table.c.owner == owner, table.c.expires_at < now))
                .values(owner=owner, heartbeat_at=now, expires_at=expires,
                        acquired_at=sa.case((table.c.owner == owner, table.c.acquired_at), else_=now))
            )
            if updated.rowcount == 1:
                return LeaseState(True, owner)
            row = conn.execute(sa.select(table.c.owner).where(table.c.name == name)).first()
        if row is not None:
            return LeaseState(False, row.owner)
        try:
            with db.engine.begin() as conn:
                conn.execute(table.insert().values(name=name, owner=owner, acquired_at=now,
                                                   heartbeat_at=now, expires_at=expires))
            return LeaseState(True, owner, newly_acquired=True)
        except IntegrityError:
            continue  # another runner inserted it at the same moment: try the update again
    return LeaseState(False)


def take_lease(owner, now, seconds, name=LEASE_NAME):
    """acquire_lease, telling also whether the lease changed hands and from whom."""
    table = SchedulerLease.__table__
    with db.engine.connect() as conn:
        before = conn.execute(sa.select(table.c.owner, table.c.expires_at)
                              .where(table.c.name == name)).first()
    state = acquire_lease(owner, now, seconds, name)
    if state.held and before is not None and before.owner != owner:
        state.newly_acquired = True
        state.previous_owner = before.owner
    return state


def release_lease(owner, now=None, name=LEASE_NAME):
    """Let another runner take over at once (on a clean shutdown)."""
    now = now or utcnow()
    table = SchedulerLease.__table__
    with db.engine.begin() as conn:
        conn.execute(table.update().where(table.c.name == name, table.c.owner == owner)
                     .values(expires_at=now - dt.timedelta(microseconds=1)))


def lease_status(name=LEASE_NAME, conn=None):
    table = SchedulerLease.__table__
    query = sa.select(table.c.owner, table.c.acquired_at, table.c.heartbeat_at, table.c.expires_at) \
        .where(table.c.name == name)
    if conn is not None:
        return conn.execute(query).first()
    with db.engine.connect() as conn:
        return conn.execute(query).first()


def heartbeat_status(conn=None, now=None):
    """For /healthz: the active runner and how old its last heartbeat is."""
    now = now or utcnow()
    row = lease_status(conn=conn)
    if row is None:
        return {"status": "missing", "heartbeat_age_seconds": None, "owner": None}
    age = round((now - row.heartbeat_at).total_seconds(), 1)
    return {"status": "ok" if row.expires_at >= now else "stale",
            "heartbeat_age_seconds": age, "owner": row.owner}


def mark_interrupted(previous_owner, now):
    """Runs left 'running' by a runner whose lease expired: it stopped before finishing."""
    table = JobRun.__table__
    with db.engine.begin() as conn:
        result = conn.execute(
            table.update().where(table.c.status == "running", table.c.runner == previous_owner)
            .values(status="failed", finished_at=now,
                    message="Interrupted: the runner %s stopped before the run finished" % previous_owner))
    return result.rowcount


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
