"""What `make run` does on a fresh database, and that the migrations give exactly the models."""
import os
import tempfile

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from app.extensions import MIGRATE_OPTIONS, db


@pytest.fixture
def fresh_app(database_url):
    """An app on a database of its own, empty."""
    if database_url.startswith("sqlite"):
        url = "sqlite:///" + os.path.join(tempfile.mkdtemp(prefix="loupan-fresh-"), "fresh.db")
        cleanup = None
    else:
        base = sa.engine.make_url(database_url)
        name = base.database + "_fresh"
        admin = sa.create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name))
            conn.execute(sa.text('CREATE DATABASE "%s"' % name))
        url = base.set(database=name).render_as_string(hide_password=False)

        def cleanup():
            with admin.connect() as conn:
                conn.execute(sa.text('DROP DATABASE IF EXISTS "%s" WITH (FORCE)' % name))
            admin.dispose()
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=url)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    if cleanup:
        cleanup()


def test_setup_migrates_seeds_and_keeps_data_on_rerun(fresh_app, monkeypatch):
    monkeypatch.setenv("LOUPAN_ADMIN_PASSWORD", "FirstStart2026")
    runner = fresh_app.test_cli_runner()
    result = runner.invoke(args=["loupan", "setup"])
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:" in result.output
    assert "admin / FirstStart2026" in result.output
    assert "manager" in result.output and "Loupan2026" in result.output

    with fresh_app.app_context():
        # The schema the migrations built is exactly the models' schema.
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": MIGRATE_OPTIONS["compare_type"]})
            diff = compare_metadata(context, db.metadata)
        assert diff == [], diff
        from app.org.models import Employee
        sm = fresh_app.appbuilder.sm
        for name in ("管理员", "销售经理", "置业顾问", "财务", "客服"):
            assert sm.find_role(name) is not None
        assert sm.find_user(username="admin").roles[0].name == "管理员"
        employees = db.session.query(Employee).count()
        assert employees > 0
        db.session.remove()

    again = runner.invoke(args=["loupan", "setup"])
    assert again.exit_code == 0, again.output
    assert "FirstStart2026" not in again.output
    with fresh_app.app_context():
        assert db.session.query(Employee).count() == employees
        client = fresh_app.test_client()
        from tests.conftest import login
        assert login(client, "admin", "FirstStart2026").status_code == 302


def test_random_admin_password_is_printed_when_none_given(fresh_app, monkeypatch):
    monkeypatch.delenv("LOUPAN_ADMIN_PASSWORD", raising=False)
    result = fresh_app.test_cli_runner().invoke(args=["loupan", "setup", "--no-demo"])
    assert result.exit_code == 0, result.output
    line = [l for l in result.output.splitlines() if l.strip().startswith("admin /")][0]
    password = line.split("/")[1].split()[0]
    assert len(password) >= 12
    with fresh_app.app_context():
        from tests.conftest import login
        assert login(fresh_app.test_client(), "admin", password).status_code == 302
