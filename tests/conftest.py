"""Test harness: one app per session on SQLite or PostgreSQL (LOUPAN_TEST_DB), the schema
built from the models, roles/lookups/demo organisation seeded once, and every test starting
from that same baseline."""
import os
import re
import tempfile

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db

PG_DEFAULT = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def test_database_url():
    kind = os.environ.get("LOUPAN_TEST_DB", "sqlite")
    if kind == "sqlite":
        path = os.path.join(tempfile.mkdtemp(prefix="loupan-test-"), "test.db")
        return "sqlite:///" + path
    from config import database_url
    return database_url(os.environ.get("TEST_DATABASE_URL") or PG_DEFAULT)


def reset_schema(engine):
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA IF EXISTS public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
    else:
        db.metadata.drop_all(engine)


@pytest.fixture(scope="session")
def database_url():
    return test_database_url()


@pytest.fixture(scope="session")
def app(database_url):
    app = create_app("config.TestConfig", SQLALCHEMY_DATABASE_URI=database_url)
    with app.app_context():
        reset_schema(db.engine)
        db.create_all()
        from app import demo
        from app.core.services import setup
        setup.seed_all()
        setup.ensure_admin("Admin12345")
        demo.load()
        db.session.remove()
        app.extensions["loupan_baseline"] = snapshot(db.engine)
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def snapshot(engine):
    data = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            data[table.name] = [dict(r._mapping) for r in conn.execute(table.select())]
    return data


def restore(engine, baseline):
    tables = db.metadata.sorted_tables
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            names = ", ".join('"%s"' % t.name for t in tables)
            conn.execute(sa.text("TRUNCATE %s RESTART IDENTITY CASCADE" % names))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())
        for table in tables:
            rows = baseline.get(table.name)
            if rows:
                conn.execute(table.insert(), rows)
        if engine.dialect.name == "postgresql":
            for table in tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and isinstance(pk[0].type, sa.Integer) and rows_of(baseline, table):
                    conn.execute(sa.text(
                        "SELECT setval(pg_get_serial_sequence('\"%s\"', '%s'), "
                        "(SELECT MAX(\"%s\") FROM \"%s\"))" % (table.name, pk[0].name, pk[0].name, table.name)
                    ))


def rows_of(baseline, table):
    return bool(baseline.get(table.name))


@pytest.fixture(autouse=True)
def _baseline(request):
    """Each test starts from the seeded baseline, whatever the previous one did."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            db.session.remove()
            restore(db.engine, app.extensions["loupan_baseline"])


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def client(app):
    return app.test_client()


CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|id="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(html):
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


def login(client, username, password=None):
    from app.demo import DEMO_PASSWORD
    password = password or ("Admin12345" if username == "admin" else DEMO_PASSWORD)
    page = client.get("/login/")
    token = csrf_token(page.get_data(as_text=True))
    response = client.post("/login/", data={"username": username, "password": password, "csrf_token": token})
    return response


def form_token(client, url):
    return csrf_token(client.get(url).get_data(as_text=True))


@pytest.fixture
def admin_client(client):
    assert login(client, "admin").status_code == 302
    return client


def api_token(client, username, password=None):
    from app.demo import DEMO_PASSWORD
    password = password or ("Admin12345" if username == "admin" else DEMO_PASSWORD)
    response = client.post("/api/v1/security/login",
                           json={"username": username, "password": password, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": "Bearer " + response.json["access_token"]}
