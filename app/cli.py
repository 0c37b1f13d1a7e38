"""Command-line commands: `flask loupan ...` for set-up and operations, `flask scheduler ...`."""
import logging
import os
import sys

import click
from flask import current_app
from flask.cli import AppGroup
from flask_migrate import upgrade

loupan = AppGroup("loupan", help="Loupan set-up and operations.")


@loupan.command("seed")
def seed():
    """Create permissions, the shipped roles and the lookup lists (safe to re-run)."""
    from app.core.services import setup
    setup.seed_all()
    click.echo("Roles, permissions, lookup lists and print templates are in place.")


@loupan.command("create-admin")
@click.option("--password", envvar="LOUPAN_ADMIN_PASSWORD", default=None)
def create_admin(password):
    """Create the user `admin` with the 管理员 role if it does not exist."""
    from app.core.services import setup
    created = setup.ensure_admin(password)
    click.echo("admin created." if created else "admin already exists.")


@loupan.command("demo")
def demo():
    """Load the demo organisation and logins into an empty database."""
    from app import demo as demo_data
    if not demo_data.is_empty():
        click.echo("The database already has data; demo data not loaded.")
        return
    demo_data.load()
    click.echo("Demo data loaded.")


@loupan.command("setup")
@click.option("--demo/--no-demo", default=True)
def setup_command(demo):
    """What `make run` does before serving: migrate, seed, first admin, demo data."""
    from app import demo as demo_data
    from app.core.services import setup
    upgrade(directory=current_app.extensions["migrate"].directory)
    setup.seed_all()
    password = setup.ensure_admin(os.environ.get("LOUPAN_ADMIN_PASSWORD"))
    loaded = False
    if demo and demo_data.is_empty():
        demo_data.load()
        loaded = True
    port = os.environ.get("PORT", "5000")
    click.echo("")
    click.echo("Loupan is ready at http://127.0.0.1:%s" % port)
    if password:
        click.echo("  admin / %s   (管理员; shown once, change it after logging in)" % password)
    else:
        click.echo("  admin / (the password set on first start)")
    if loaded or not demo_data.is_empty():
        for username, role, *_rest in demo_data.DEMO_LOGINS:
            click.echo("  %-8s / %s   (%s)" % (username, demo_data.DEMO_PASSWORD, role))
    click.echo("")


@loupan.command("backup")
@click.argument("path", required=False)
def backup_command(path):
    """Write a backup of the whole database to PATH (a file or a directory; LOUPAN_BACKUP_DIR
    by default): one gzip file that `flask loupan restore` reads on SQLite or PostgreSQL."""
    from app.core import backup
    try:
        summary = backup.backup(path)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo("Backup written to %s: %d tables, %d rows (revision %s)." % (
        summary.path, len(summary.rows), summary.total_rows, summary.alembic_revision or "-"))


@loupan.command("restore")
@click.argument("path")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--allow-key-mismatch", is_flag=True,
              help="Restore even if the backup was encrypted with another LOUPAN_DATA_KEY "
                   "(its personal data will be unreadable).")
def restore_command(path, yes, allow_key_mismatch):
    """Replace ALL data in the database with the backup at PATH. The file is checked first;
    a failed restore changes nothing."""
    from app.core import backup
    from app.extensions import db
    try:
        summary = backup.verify(path)
        click.echo("Backup of %s (%s, revision %s): %d tables, %d rows." % (
            summary.created_at, summary.dialect, summary.alembic_revision or "-",
            len(summary.rows), summary.total_rows))
        target = db.engine.url.render_as_string(hide_password=True)
        if not yes:
            click.confirm("This replaces every row in %s. Continue?" % target, abort=True)
        backup.restore(path, allow_key_mismatch=allow_key_mismatch)
    except backup.BackupError as exc:
        raise click.ClickException(str(exc))
    click.echo("Restored %d rows into %s." % (summary.total_rows, target))


scheduler = AppGroup("scheduler", help="The job scheduler: run it, or run one job now.")


@scheduler.command("run")
@click.option("--owner", default=None, help="Name of this runner (default host:pid).")
def scheduler_run(owner):
    """Run the scheduler in this process until stopped (SIGTERM or Ctrl-C). Start one per
    installation or more for failover: only the holder of the lease runs jobs."""
    import signal

    from app.jobs import services

    stop_in_process = current_app.extensions.pop("loupan_scheduler", None)
    if stop_in_process is not None:
        stop_in_process.shutdown(wait=False)
    _log_to_stdout()
    app = current_app._get_current_object()
    scheduler_, runner = services.build_scheduler(app, blocking=True,
                                                  runner=services.Runner(app, owner=owner))

    def terminate(_signum, _frame):
        scheduler_.shutdown(wait=False)  # the loop ends; running jobs finish below

    signal.signal(signal.SIGTERM, terminate)
    click.echo("Scheduler %s started with %d job(s): %s" % (
        runner.owner, len(services.jobs()), ", ".join(s.job_id for s in services.jobs()) or "-"))
    sys.stdout.flush()
    try:
        scheduler_.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        _finish_running_jobs(scheduler_)
        runner.release()
        click.echo("Scheduler %s stopped." % runner.owner)


def _finish_running_jobs(scheduler_):
    """Let the runs in progress end (and record their result) before the lease goes."""
    from apscheduler.schedulers import SchedulerNotRunningError
    try:
        scheduler_.shutdown(wait=True)
    except SchedulerNotRunningError:
        for executor in scheduler_._executors.values():
            executor.shutdown(wait=True)


def _log_to_stdout():
    """The scheduler process logs every run to stdout (its service manager keeps it);
    APScheduler's own line per heartbeat is left out."""
    import logging
    root = logging.getLogger()
    if not any(isinstance(h, _StdoutHandler) for h in root.handlers):
        handler = _StdoutHandler()
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time."""

    @property
    def stream(self):
        return sys.stdout

    @stream.setter
    def stream(self, _value):
        pass


@scheduler.command("run-once")
@click.argument("job_id")
@click.option("--now", "extra", is_flag=True,
              help="An extra run due this second, even if the current due time already ran.")
def scheduler_run_once(job_id, extra):
    """Run JOB_ID for its current due time (nothing happens if that already ran), or with
    --now as an extra run. Exit code 1 if the run failed."""
    from app.jobs import services
    try:
        if extra:
            result = services.run_now(job_id, triggered_by="cli")
        else:
            result = services.run_current(job_id, triggered_by="cli")
    except services.JobNotFound:
        raise click.ClickException("Unknown job %s. Known jobs: %s" % (
            job_id, ", ".join(s.job_id for s in services.jobs()) or "-"))
    click.echo("%s for %s: %s%s" % (job_id, result.due_at, result.status,
                                   (" - " + result.message) if result.message else ""))
    if result.status == "failed":
        raise SystemExit(1)


@scheduler.command("list")
def scheduler_list():
    """The registered jobs, when each is next due and how its last run went."""
    from app.jobs import services
    state = services.heartbeat_status()
    click.echo("Active runner: %s (heartbeat %s s ago, %s)" % (
        state["owner"] or "-", state["heartbeat_age_seconds"], state["status"]))
    for item in services.overview():
        run = item["last_run"]
        click.echo("%-24s %-22s next %s  last %s" % (
            item["job_id"], item["schedule"], item["next_due"],
            "%s %s %s" % (run.due_at, run.status, run.message or "") if run else "never"))


def init_app(app):
    app.cli.add_command(loupan)
    app.cli.add_command(scheduler)
    for extra in _extra_commands:
        app.cli.add_command(extra)


_extra_commands = []


def register(command):
    """Modules add their own command groups."""
    if command not in _extra_commands:
        _extra_commands.append(command)
    return command
