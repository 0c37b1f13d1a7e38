"""The admin pages: scheduled jobs with "run now", and the job-run log."""
import datetime as dt

from app.extensions import db
from app.jobs.models import JobRun
from tests.conftest import form_token, login


def test_scheduled_jobs_page_lists_the_jobs_for_admin(admin_client, app):
    page = admin_client.get("/scheduledjobs/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "approval_reminders" in html
    assert "loupan-run-now" in html


def test_run_now_runs_the_job_and_logs_who_asked(admin_client, app, counter_job):
    token = form_token(admin_client, "/scheduledjobs/")
    response = admin_client.post("/scheduledjobs/run/test_counter", data={"csrf_token": token})
    assert response.status_code == 302
    assert counter_job.count == 1
    with app.app_context():
        [run] = db.session.query(JobRun).filter_by(job_id="test_counter").all()
        assert (run.status, run.triggered_by, run.message) == ("succeeded", "admin", "counted")
    page = admin_client.get("/scheduledjobs/").get_data(as_text=True)
    assert "counted" in page


def test_run_now_needs_the_csrf_token_and_a_known_job(admin_client, app, counter_job):
    # (JSON error answer: the HTML error page for a CSRF failure is app/errors.py's business.)
    refused = admin_client.post("/scheduledjobs/run/test_counter", headers={"Accept": "application/json"})
    assert refused.status_code == 400
    assert counter_job.count == 0
    token = form_token(admin_client, "/scheduledjobs/")
    assert admin_client.post("/scheduledjobs/run/nope", data={"csrf_token": token}).status_code == 404


def test_job_run_list_newest_first_with_status_filter(admin_client, app):
    with app.app_context():
        t = dt.datetime(2026, 3, 2, 9, 0)
        db.session.add_all([
            JobRun(job_id="approval_reminders", due_at=t, started_at=t, finished_at=t,
                   status="succeeded", message="message-of-the-older-run", runner="h:1"),
            JobRun(job_id="approval_reminders", due_at=t + dt.timedelta(hours=1), started_at=t + dt.timedelta(hours=1),
                   status="failed", message="message-of-the-newer-run", runner="h:1"),
        ])
        db.session.commit()
    html = admin_client.get("/jobrunview/list/").get_data(as_text=True)
    assert html.index("message-of-the-newer-run") < html.index("message-of-the-older-run")
    failed = admin_client.get("/jobrunview/list/?_flt_3_status=failed").get_data(as_text=True)
    assert "message-of-the-newer-run" in failed and "message-of-the-older-run" not in failed
    assert "_flt_3_status=failed" in html  # the status filter buttons


def test_sales_may_not_see_or_run_jobs(client, app, counter_job):
    assert login(client, "sales").status_code == 302
    for url in ("/scheduledjobs/", "/jobrunview/list/"):
        response = client.get(url)
        assert response.status_code in (302, 403), url
        assert "loupan-run-now" not in response.get_data(as_text=True)
    token = form_token(client, "/resetmypassword/form")
    response = client.post("/scheduledjobs/run/test_counter", data={"csrf_token": token})
    assert response.status_code in (302, 403)
    assert counter_job.count == 0
    with app.app_context():
        assert db.session.query(JobRun).count() == 0
