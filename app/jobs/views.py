from flask import abort, flash, g, redirect, url_for
from flask_appbuilder import BaseView, expose, has_access
from flask_appbuilder.models.sqla.interface import SQLAInterface
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.core import clock
from app.core.views.base import LoupanReadOnlyView
from app.jobs import services
from app.jobs.models import JobRun

STATUS_LABELS = {
    "running": _l("Running"), "succeeded": _l("Succeeded"),
    "failed": _l("Failed"), "skipped": _l("Skipped"),
}
# FAB's "equal to" filter on a string column is the fourth one (_flt_3_<column>).
EQUAL_FILTER = 3


def _time(value):
    return clock.to_local(value).strftime("%Y-%m-%d %H:%M:%S") if value else ""


class JobRunView(LoupanReadOnlyView):
    """任务运行记录: every run of a scheduled job, newest first; rows are written by the
    scheduler only."""

    datamodel = SQLAInterface(JobRun)
    list_template = "jobs/job_runs.html"
    list_title = _l("Job runs")
    show_title = _l("Job run")
    list_columns = ["job_id", "due_at", "started_at", "finished_at", "status", "message", "runner", "triggered_by"]
    show_columns = list_columns
    search_columns = ["job_id", "status", "due_at", "started_at", "runner", "triggered_by"]
    base_order = ("id", "desc")
    label_columns = {
        "job_id": _l("Job"), "due_at": _l("Due (UTC)"), "started_at": _l("Started (UTC)"),
        "finished_at": _l("Finished (UTC)"), "status": _l("Status"), "message": _l("Message"),
        "runner": _l("Runner"), "triggered_by": _l("Started by"),
    }
    formatters_columns = {
        "job_id": services.job_label,
        "status": lambda s: str(STATUS_LABELS.get(s, s)),
        "due_at": _time, "started_at": _time, "finished_at": _time,
    }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Not an audited table: no "change history" link.
        self.extra_args["audit_table"] = None

    def template_context(self):
        context = super().template_context()
        context["status_filters"] = [
            (label, url_for("JobRunView.list", **{"_flt_%d_status" % EQUAL_FILTER: status}))
            for status, label in STATUS_LABELS.items()
        ]
        context["all_runs_url"] = url_for("JobRunView.list")
        return context


class ScheduledJobsView(BaseView):
    """定时任务: the registered jobs, when each is next due, its last run, and "run now"."""

    route_base = "/scheduledjobs"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self):
        heartbeat = services.heartbeat_status()
        return self.render_template(
            "jobs/scheduled.html", jobs=services.overview(), heartbeat=heartbeat,
            status_labels=STATUS_LABELS, fmt_time=_time,
            runs_url=lambda job_id: url_for("JobRunView.list", **{"_flt_%d_job_id" % EQUAL_FILTER: job_id}),
            timezone=str(services.scheduler_timezone()),
            can_run=self.appbuilder.sm.has_access("can_run", self.class_permission_name),
        )

    @expose("/run/<job_id>", methods=["POST"])
    @has_access
    def run(self, job_id):
        try:
            services.get_job(job_id)
        except services.JobNotFound:
            abort(404)
        result = services.run_now(job_id, triggered_by=g.user.username)
        label = services.job_label(job_id)
        if result.status == "succeeded":
            flash(_("%(job)s ran: %(message)s", job=label, message=result.message or _("done")), "success")
        elif result.status == "failed":
            flash(_("%(job)s failed: %(message)s", job=label, message=result.message), "danger")
        else:
            flash(_("%(job)s has just been run by someone else; it was not run again.", job=label), "warning")
        return redirect(url_for("ScheduledJobsView.list"))
