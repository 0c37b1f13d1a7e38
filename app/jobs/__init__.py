"""Jobs: the scheduler, its job runs and the jobs Loupan ships; also registers /healthz."""
from flask_babel import lazy_gettext as _l

from app.core import SETTINGS


def init_app(app, appbuilder):
    from app.core import health
    from app.jobs import services
    from app.jobs.tasks import register_builtin_jobs
    from app.jobs.views import JobRunView, ScheduledJobsView

    register_builtin_jobs(app)
    appbuilder.add_view(ScheduledJobsView, "Scheduled jobs", label=_l("Scheduled jobs"), icon="fa-clock",
                        category=SETTINGS)
    appbuilder.add_view(JobRunView, "Job runs", label=_l("Job runs"), icon="fa-tasks", category=SETTINGS)
    health.init_app(app, scheduler_status=lambda conn: services.heartbeat_status(conn))

    # Production runs `flask scheduler run` as its own process; `make run` asks the web
    # process to run one too. The lease keeps any extra runner idle.
    if app.config.get("LOUPAN_SCHEDULER_IN_PROCESS") and services.serving_process(app):
        services.start_in_process(app)
