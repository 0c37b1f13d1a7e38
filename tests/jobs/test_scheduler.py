"""The scheduler's guarantees: one run per job and due time whatever the number of runners,
one active runner through the lease, failures recorded, missed due times caught up."""
import datetime as dt
import threading
import time

import pytest

from app.core.context import current_actor
from app.core.models import LookupList
from app.core.models.base import utcnow
from app.extensions import db
from app.jobs import services
from app.jobs.models import JobRun, SchedulerLease

T0 = dt.datetime(2026, 3, 2, 9, 0, 0)


class Clock:
    def __init__(self, now):
        self.now = now

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += dt.timedelta(**delta)


def runs(job_id="test_counter"):
    db.session.expire_all()
    return db.session.query(JobRun).filter_by(job_id=job_id).order_by(JobRun.id).all()


# --- due times ---------------------------------------------------------------------------

def test_interval_due_times_do_not_depend_on_when_a_process_started(ctx, only_test_jobs):
    spec = services.register_job("every5", lambda: None, minutes=5)
    # Any moment inside the same 5 minutes gives the same due time, in whole seconds.
    due = services.current_due_time(spec, dt.datetime(2026, 3, 2, 9, 7, 59, 999999))
    assert due == dt.datetime(2026, 3, 2, 9, 5, 0)
    assert services.current_due_time(spec, dt.datetime(2026, 3, 2, 9, 5, 0)) == due
    assert services.next_due_time(spec, dt.datetime(2026, 3, 2, 9, 7)) == dt.datetime(2026, 3, 2, 9, 10)
    assert "5" in services.get_job("every5").describe()


def test_cron_due_times_are_read_in_the_scheduler_time_zone(ctx, only_test_jobs):
    # 02:30 in Asia/Shanghai is 18:30 UTC the day before.
    spec = services.register_job("nightly", lambda: None, cron="30 2 * * *")
    assert services.current_due_time(spec, dt.datetime(2026, 3, 2, 9, 0)) == dt.datetime(2026, 3, 1, 18, 30)
    assert services.current_due_time(spec, dt.datetime(2026, 3, 1, 18, 30)) == dt.datetime(2026, 3, 1, 18, 30)
    assert services.next_due_time(spec, dt.datetime(2026, 3, 2, 9, 0)) == dt.datetime(2026, 3, 2, 18, 30)
    yearly = services.register_job("yearly", lambda: None, cron={"month": 1, "day": 1, "hour": 0})
    assert services.current_due_time(yearly, dt.datetime(2026, 3, 2)) == dt.datetime(2025, 12, 31, 16, 0)


def test_register_job_refuses_bad_schedules(only_test_jobs):
    with pytest.raises(ValueError):
        services.register_job("x", lambda: None)
    with pytest.raises(ValueError):
        services.register_job("x", lambda: None, cron="0 2 * * *", minutes=5)
    with pytest.raises(ValueError):
        services.register_job("x", lambda: None, fortnights=1)
    with pytest.raises(ValueError):
        services.register_job("x", lambda: None, cron="not a crontab")


# --- exactly once ------------------------------------------------------------------------

def test_second_runner_of_the_same_due_time_skips(ctx, counter_job):
    first = services.run_due("test_counter", T0, runner="host-a:1")
    second = services.run_due("test_counter", T0.replace(microsecond=250000), runner="host-b:2")
    assert (first.status, second.status) == ("succeeded", "skipped")
    assert counter_job.count == 1
    [run] = runs()
    assert (run.status, run.runner, run.message, run.due_at) == ("succeeded", "host-a:1", "counted", T0)
    assert run.finished_at is not None and run.triggered_by == "scheduler"
    # The next due time is a new run.
    assert services.run_due("test_counter", T0 + dt.timedelta(minutes=5)).status == "succeeded"
    assert counter_job.count == 2


def test_two_threads_with_their_own_sessions_run_a_due_time_once(app, counter_job):
    counter_job.delay = 0.2  # the first run is still going when the second one tries
    barrier = threading.Barrier(2)
    results, errors = [], []

    def runner(name):
        try:
            with app.app_context():
                barrier.wait(timeout=10)
                results.append(services.run_due("test_counter", T0, runner=name))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=runner, args=("thread-%d" % i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors, errors
    assert sorted(r.status for r in results) == ["skipped", "succeeded"]
    assert counter_job.count == 1
    with app.app_context():
        assert [r.status for r in runs()] == ["succeeded"]
        db.session.remove()


def test_two_runners_firing_the_same_due_time_run_it_once(app, ctx, counter_job):
    clock = Clock(T0 + dt.timedelta(seconds=1))
    a = services.Runner(app, owner="host-a:1", clock=clock, lease_seconds=60)
    b = services.Runner(app, owner="host-b:2", clock=clock, lease_seconds=60)
    assert a.fire("test_counter").status == "succeeded"
    assert b.fire("test_counter") is None  # not the active runner: does nothing
    assert a.fire("test_counter").status == "skipped"  # same due time again
    assert counter_job.count == 1
    assert [(r.due_at, r.runner) for r in runs()] == [(T0, "host-a:1")]


def test_failure_is_logged_with_its_message_and_rolls_back_the_job(ctx, only_test_jobs):
    def broken():
        db.session.add(LookupList(code="half_done", name="written before the failure"))
        db.session.flush()
        raise ValueError("the bank's service did not answer")

    services.register_job("broken", broken, minutes=10)
    result = services.run_due("broken", T0)
    assert result.status == "failed"
    [run] = runs("broken")
    assert run.status == "failed"
    assert run.message == "ValueError: the bank's service did not answer"
    assert run.finished_at is not None
    assert db.session.query(LookupList).filter_by(code="half_done").first() is None
    # A failed due time is not retried by a second runner: the next due time runs again.
    assert services.run_due("broken", T0).status == "skipped"


def test_job_runs_as_the_scheduler_and_may_take_its_due_time(ctx, only_test_jobs):
    seen = {}

    def job(due_at):
        seen["actor"] = current_actor()[1]
        seen["due_at"] = due_at
        return 3

    services.register_job("who", job, hours=1)
    result = services.run_due("who", T0.replace(second=7, microsecond=5))
    assert seen == {"actor": "scheduler", "due_at": T0.replace(second=7)}
    assert result.message == "3"


def test_unknown_job(ctx, only_test_jobs):
    with pytest.raises(services.JobNotFound):
        services.run_due("nope", T0)


# --- the lease ---------------------------------------------------------------------------

def test_second_runner_cannot_take_an_unexpired_lease_but_can_after_expiry(app, ctx, counter_job):
    clock = Clock(T0)
    a = services.Runner(app, owner="host-a:1", clock=clock, lease_seconds=60)
    b = services.Runner(app, owner="host-b:2", clock=clock, lease_seconds=60)
    assert a.heartbeat(catch_up=False) is True
    assert b.heartbeat(catch_up=False) is False
    clock.advance(seconds=45)
    assert a.heartbeat(catch_up=False) is True  # renewed: now valid until T0+105s
    clock.advance(seconds=45)
    assert b.heartbeat(catch_up=False) is False
    # a stops sending heartbeats (its process died in the middle of a run).
    db.session.add(JobRun(job_id="test_counter", due_at=T0, started_at=T0, status="running", runner="host-a:1"))
    db.session.commit()
    clock.advance(seconds=61)
    assert b.heartbeat(catch_up=False) is True
    assert a.heartbeat(catch_up=False) is False
    lease = db.session.get(SchedulerLease, services.LEASE_NAME)
    db.session.refresh(lease)
    assert lease.owner == "host-b:2" and lease.acquired_at == clock.now
    [orphan] = runs()
    assert orphan.status == "failed" and orphan.message.startswith("Interrupted")


def test_released_lease_is_taken_over_at_once(app, ctx):
    clock = Clock(T0)
    a = services.Runner(app, owner="host-a:1", clock=clock, lease_seconds=60)
    b = services.Runner(app, owner="host-b:2", clock=clock, lease_seconds=60)
    assert a.heartbeat(catch_up=False)
    a.release()
    clock.advance(seconds=1)
    assert b.heartbeat(catch_up=False)


def test_concurrent_first_heartbeats_give_one_holder(app, only_test_jobs):
    barrier = threading.Barrier(4)
    held = []

    def go(i):
        runner = services.Runner(app, owner="host-%d:1" % i, lease_seconds=60)
        barrier.wait(timeout=10)
        held.append(runner.heartbeat(catch_up=False))

    threads = [threading.Thread(target=go, args=(i,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(held) == [False, False, False, True]


# --- catching up ---------------------------------------------------------------------------

def test_active_runner_catches_up_a_missed_due_time_once(app, ctx, counter_job):
    clock = Clock(T0 + dt.timedelta(minutes=2))  # the 09:00 run did not happen
    runner = services.Runner(app, owner="host-a:1", clock=clock, lease_seconds=60)
    assert runner.heartbeat() is True
    assert counter_job.count == 1
    assert [r.due_at for r in runs()] == [T0]
    clock.advance(seconds=15)
    runner.heartbeat()
    assert counter_job.count == 1


def test_no_catch_up_for_a_due_time_long_gone_or_already_run(app, ctx, only_test_jobs):
    counter_calls = []
    services.register_job("rare", lambda: counter_calls.append(1), catch_up_seconds=600, hours=6)
    clock = Clock(dt.datetime(2026, 3, 2, 8, 0))  # due at 04:00 Shanghai = 20:00 UTC: hours ago
    runner = services.Runner(app, owner="host-a:1", clock=clock, lease_seconds=60)
    assert runner.catch_up() == []
    services.register_job("hourly", lambda: counter_calls.append(2), hours=1)
    services.run_now("hourly", triggered_by="admin", clock=lambda: dt.datetime(2026, 3, 2, 8, 0, 3))
    clock.advance(seconds=30)
    assert runner.catch_up() == []  # run manually after its due time: counts as done
    assert counter_calls == [2]


# --- APScheduler, for real -----------------------------------------------------------------

def test_two_background_schedulers_run_each_due_time_once(app, only_test_jobs):
    counter = []
    lock = threading.Lock()

    def tick():
        with lock:
            counter.append(1)

    services.register_job("tick", tick, seconds=1)
    built = [services.build_scheduler(app, runner=services.Runner(app, owner="proc-%d" % i, lease_seconds=60))
             for i in range(2)]
    for scheduler, _runner in built:
        scheduler.start()
    try:
        time.sleep(2.6)
    finally:
        for scheduler, runner in built:
            scheduler.shutdown(wait=True)
    holders = [runner.owner for _s, runner in built if runner.held]
    assert len(holders) == 1
    with app.app_context():
        ticks = runs("tick")
        assert len(ticks) >= 1
        assert {r.runner for r in ticks} == set(holders)
        assert all(r.status == "succeeded" for r in ticks)
        assert len({r.due_at for r in ticks}) == len(ticks) == len(counter)
        for r in ticks:
            assert r.due_at.microsecond == 0
        db.session.remove()
    for _s, runner in built:
        runner.release()


def test_in_process_scheduler_is_not_started_by_cli_commands_or_the_reloader_watcher(app, monkeypatch):
    monkeypatch.delenv("FLASK_RUN_FROM_CLI", raising=False)
    monkeypatch.delenv("WERKZEUG_RUN_MAIN", raising=False)
    monkeypatch.delenv("FLASK_DEBUG", raising=False)
    assert services.serving_process(app) is True
    monkeypatch.setenv("FLASK_DEBUG", "1")
    assert services.serving_process(app) is False  # the reloader's watcher process
    monkeypatch.setenv("WERKZEUG_RUN_MAIN", "true")
    assert services.serving_process(app) is True  # the reloaded child that serves
    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    assert services.serving_process(app) is False  # e.g. `flask db upgrade`, `flask scheduler run`


# --- the CLI -------------------------------------------------------------------------------

def test_run_once_runs_the_current_due_time_once(app, counter_job):
    cli = app.test_cli_runner()
    first = cli.invoke(args=["scheduler", "run-once", "test_counter"])
    assert first.exit_code == 0, first.output
    assert "succeeded" in first.output
    again = cli.invoke(args=["scheduler", "run-once", "test_counter"])
    assert again.exit_code == 0 and "skipped" in again.output
    extra = cli.invoke(args=["scheduler", "run-once", "test_counter", "--now"])
    assert extra.exit_code == 0 and "succeeded" in extra.output
    assert counter_job.count == 2
    with app.app_context():
        assert [r.triggered_by for r in runs()] == ["cli", "cli"]
        db.session.remove()
    unknown = cli.invoke(args=["scheduler", "run-once", "nope"])
    assert unknown.exit_code != 0 and "test_counter" in unknown.output
    listed = cli.invoke(args=["scheduler", "list"])
    assert listed.exit_code == 0 and "test_counter" in listed.output


def test_run_once_exit_code_reports_a_failure(app, only_test_jobs):
    def broken():
        raise RuntimeError("no connection")

    services.register_job("broken", broken, minutes=5)
    result = app.test_cli_runner().invoke(args=["scheduler", "run-once", "broken"])
    assert result.exit_code == 1
    assert "RuntimeError: no connection" in result.output


def test_scheduler_run_command_runs_and_releases_its_lease(app, counter_job, monkeypatch):
    real_build = services.build_scheduler
    built = {}

    def build(app_, blocking=False, runner=None):
        scheduler, runner = real_build(app_, blocking=blocking, runner=runner)
        built["scheduler"] = scheduler
        threading.Timer(1.0, scheduler.shutdown, kwargs={"wait": False}).start()
        return scheduler, runner

    monkeypatch.setattr(services, "build_scheduler", build)
    result = app.test_cli_runner().invoke(args=["scheduler", "run", "--owner", "cli-test:1"])
    assert result.exit_code == 0, result.output
    assert "cli-test:1 started" in result.output and "stopped" in result.output
    with app.app_context():
        lease = db.session.get(SchedulerLease, services.LEASE_NAME)
        assert lease.owner == "cli-test:1"
        assert lease.expires_at < utcnow()  # released: another runner may take over at once
        db.session.remove()
