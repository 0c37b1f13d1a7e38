"""GET /healthz for load balancers and monitoring: 200 when the database answers, 503 when it
does not. No login; it shows no secret (no URL, no error text), only states and ages."""
import logging

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify

from app.extensions import db

log = logging.getLogger("loupan.health")

blueprint = Blueprint("health", __name__)


@blueprint.route("/healthz", methods=["GET"])
def healthz():
    try:
        with db.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
            scheduler = _scheduler_state(conn)
    except Exception:
        log.exception("Health check: the database is unreachable")
        response = jsonify(status="error", database="error", scheduler=None)
        response.status_code = 503
        response.headers["Cache-Control"] = "no-store"
        return response
    status = "ok" if scheduler is None or scheduler.get("status") == "ok" else "degraded"
    response = jsonify(status=status, database="ok", scheduler=scheduler)
    response.headers["Cache-Control"] = "no-store"
    return response


def _scheduler_state(conn):
    provider = current_app.extensions.get("loupan_health", {}).get("scheduler")
    if provider is None:
        return None
    try:
        return provider(conn)
    except sa.exc.SQLAlchemyError:
        # The database answered SELECT 1; a missing lease table (schema not migrated yet)
        # is a degraded scheduler, not a dead database.
        log.exception("Health check: cannot read the scheduler heartbeat")
        conn.rollback()
        return {"status": "unknown", "heartbeat_age_seconds": None, "owner": None}


def init_app(app, scheduler_status=None):
    """Register /healthz; `scheduler_status(conn)` returns the scheduler part of the answer
    (given by the jobs module, which core does not import)."""
    if "health" not in app.blueprints:
        app.register_blueprint(blueprint)
    if scheduler_status is not None:
        app.extensions.setdefault("loupan_health", {})["scheduler"] = scheduler_status
