"""The job registry: which jobs there are, their schedules, and their due times."""
import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import current_app
from flask_babel import gettext as _

from app.core.models.base import utcnow

# Interval jobs count from this instant (midnight in the scheduler's time zone), so that
# every process, whenever it started, agrees on the due times.
ANCHOR = dt.datetime(2000, 1, 1)
UTC = dt.timezone.utc
INTERVAL_UNITS = ("weeks", "days", "hours", "minutes", "seconds")


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
