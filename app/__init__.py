"""Loupan application factory: the web server, the CLI, the scheduler and the tests
all build the app here."""
import logging
import os
import sys
from importlib import import_module

from flask import Flask
from flask_appbuilder import AppBuilder
from jinja2 import ChoiceLoader, FileSystemLoader

from app.extensions import MIGRATE_OPTIONS, csrf, db, migrate

# Business modules in dependency order; each package exposes init_app(app, appbuilder).
MODULES = ("app.core", "app.org", "app.inventory", "app.crm", "app.sales", "app.finance", "app.marketing", "app.printing", "app.jobs",
           "app.reports")


def create_app(config=None, **overrides):
    app = Flask(__name__, instance_path=_instance_path())
    app.config.from_object(config or "config.Config")
    app.config.update(overrides)
    _configure_logging(app)

    from app.core import secrets
    secrets.load_or_create(app)

    # Every table first: Flask-AppBuilder's security views configure the mappers when imported,
    # and relationships name models of other modules.
    for name in MODULES:
        import_module(name + ".models")
    from app.security import password_policy
    app.config.setdefault("FAB_PASSWORD_COMPLEXITY_VALIDATOR", password_policy)
    # Each module keeps its pages in <module>/templates/<module>/.
    app.jinja_loader = ChoiceLoader(
        [FileSystemLoader(os.path.join(app.root_path, "templates"))]
        + [FileSystemLoader(os.path.join(app.root_path, n.split(".")[1], "templates")) for n in MODULES]
    )

    with app.app_context():
        db.init_app(app)
        migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"),
                         **MIGRATE_OPTIONS)
        csrf.init_app(app)
        appbuilder = AppBuilder(update_perms=app.config.get("FAB_UPDATE_PERMS", True))
        appbuilder.init_app(app, db.session)
        for name in MODULES:
            import_module(name).init_app(app, appbuilder)
        # Token-authenticated JSON API: no CSRF token (the browser's own calls send one).
        for name, blueprint in app.blueprints.items():
            if blueprint.url_prefix and blueprint.url_prefix.startswith("/api/"):
                csrf.exempt(blueprint)

    @app.route("/favicon.ico")
    def favicon():
        return app.send_static_file("favicon.ico")

    from app.core import display
    # Stored moments are UTC; pages show the sales office's time: {{ row.created_at|localtime }}.
    app.jinja_env.filters["localtime"] = display.local_time
    app.jinja_env.filters["localday"] = display.local_day

    from app import cli, errors
    errors.init_app(app)
    cli.init_app(app)
    return app


def _instance_path():
    from config import INSTANCE_DIR
    os.makedirs(INSTANCE_DIR, exist_ok=True)
    return INSTANCE_DIR


def _configure_logging(app):
    """Everything logs to stdout (the process manager collects it); INFO and above."""
    root = logging.getLogger()
    if not any(getattr(h, "_loupan", False) for h in root.handlers):
        handler = logging.StreamHandler(sys.stdout)
        handler._loupan = True
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.INFO)
    app.logger.handlers.clear()  # Flask's own stderr handler would print every line twice
    app.logger.propagate = True
    # Flask-AppBuilder warns at every start about filters on its own security models.
    logging.getLogger("flask_appbuilder.models.filters").setLevel(logging.ERROR)
    # APScheduler logs every heartbeat; our own runner logs each job run (loupan.scheduler).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
