"""GET /healthz: database reachable and the scheduler's heartbeat age, without a login."""
import datetime as dt

from app import create_app
from app.core.models.base import utcnow
from app.extensions import db
from app.jobs import services


def test_healthz_reports_the_heartbeat_age_and_owner(app, client):
    runner = services.Runner(app, owner="sched-host:4242", clock=lambda: utcnow() - dt.timedelta(seconds=5))
    assert runner.heartbeat(catch_up=False)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ok" and body["database"] == "ok"
    assert body["scheduler"]["owner"] == "sched-host:4242"
    assert 4 <= body["scheduler"]["heartbeat_age_seconds"] < 60
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_is_degraded_without_a_live_scheduler(app, client):
    body = client.get("/healthz").get_json()
    assert body["status"] == "degraded" and body["database"] == "ok"
    assert body["scheduler"]["heartbeat_age_seconds"] is None
    stale = services.Runner(app, owner="gone:1", clock=lambda: utcnow() - dt.timedelta(minutes=10))
    assert stale.heartbeat(catch_up=False)
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "degraded" and body["scheduler"]["status"] == "stale"
    assert body["scheduler"]["heartbeat_age_seconds"] >= 600


def test_healthz_answers_503_when_the_database_is_unreachable(app, database_url):
    if database_url.startswith("postgresql"):
        unreachable = "postgresql+psycopg://loupan:secret-password@127.0.0.1:1/nowhere"
    else:
        unreachable = "sqlite:////nonexistent-loupan-dir/secret-name.db"
    broken = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=unreachable)
    try:
        response = broken.test_client().get("/healthz")
        assert response.status_code == 503
        body = response.get_json()
        assert body == {"status": "error", "database": "error", "scheduler": None}
        text = response.get_data(as_text=True)
        assert "secret" not in text and "nowhere" not in text
    finally:
        with broken.app_context():
            db.engine.dispose()
