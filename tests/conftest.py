"""Test harness: one app per session on SQLite or PostgreSQL (LOUPAN_TEST_DB), the schema
built from the models, roles/lookups/demo organisation seeded once, and every test starting
from that same baseline."""
import os
import re
import tempfile

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

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
        app.extensions["loupan_writes"] = WriteTracker(db.engine).install()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


class Baseline(dict):
    """table name -> rows as the application reads them (to write them back); `.raw` holds each
    table's rows as the driver returns them, by primary key (to compare quickly)."""

    raw = None


class _PgJSONText(sa.types.TypeDecorator):
    """A PostgreSQL json column read and written as its text (no parsing either way)."""

    impl = sa.Text
    cache_ok = True

    def column_expression(self, colexpr):
        return sa.cast(colexpr, sa.Text)

    def bind_expression(self, bindvalue):
        return sa.cast(bindvalue, sa.JSON)


_RAW_TABLES = {}


def _raw_table(table, dialect):
    """The table with columns the driver's values pass through untouched, both ways: faster to
    compare, and a row written back is exactly the row that was read (ciphertexts included)."""
    key = (table.name, dialect)
    if key not in _RAW_TABLES:
        columns = [sa.Column(c.name, _PgJSONText() if dialect == "postgresql" and isinstance(c.type, sa.JSON)
                             else sa.types.NullType(), primary_key=c.primary_key) for c in table.columns]
        _RAW_TABLES[key] = sa.Table(table.name, sa.MetaData(), *columns)
    return _RAW_TABLES[key]


def _raw_rows(conn, table):
    raw = _raw_table(table, conn.dialect.name)
    columns = [c.name for c in raw.columns]
    positions = [columns.index(c.name) for c in raw.primary_key.columns]
    return {tuple(row[i] for i in positions): tuple(row) for row in conn.execute(raw.select())}


def snapshot(engine):
    data = Baseline()
    data.raw = {}
    with engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            data[table.name] = [dict(r._mapping) for r in conn.execute(table.select())]
            data.raw[table.name] = _raw_rows(conn, table)
    return data


WRITE_RE = re.compile(r'^\s*(?:INSERT\s+(?:OR\s+\w+\s+)?INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+'
                      r'(?:"?\w+"?\.)?"?(\w+)"?', re.I)
READ_RE = re.compile(r"^\s*(SELECT|PRAGMA|SAVEPOINT|RELEASE|ROLLBACK|BEGIN|COMMIT|SHOW|SET|EXPLAIN)\b", re.I)


class WriteTracker:
    """Which tables the tests wrote since the baseline: every statement on the test database
    (ORM, Core or text, any engine on the same URL) is read on its way to the driver; anything
    that is not a plain read or an INSERT/UPDATE/DELETE of one table (TRUNCATE, DDL…) asks for a
    full restore."""

    def __init__(self, engine):
        self.url = engine.url
        self.tables = set()
        self.everything = False

    def install(self):
        sa.event.listen(sa.engine.Engine, "before_cursor_execute", self._seen)
        return self

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if conn.engine.url != self.url or READ_RE.match(statement):
            return
        match = WRITE_RE.match(statement)
        if match and match.group(1).lower() in db.metadata.tables:
            self.tables.add(match.group(1).lower())
        else:
            self.everything = True

    def take(self):
        """The tables to restore (None: all of them), and start counting afresh.
        LOUPAN_TEST_FULL_RESTORE=1 restores every table after every test (to rule this out)."""
        full = self.everything or os.environ.get("LOUPAN_TEST_FULL_RESTORE") == "1"
        tables = None if full else set(self.tables)
        self.tables, self.everything = set(), False
        return tables


def _with_cascades(names):
    """The written tables and those a database-side ON DELETE CASCADE may have changed unseen."""
    cascades = {}
    for table in db.metadata.sorted_tables:
        for fk in table.foreign_keys:
            if (fk.ondelete or "").upper() == "CASCADE":
                cascades.setdefault(fk.column.table.name, set()).add(table.name)
    wanted, stack = set(names), list(names)
    while stack:
        for name in cascades.get(stack.pop(), ()):
            if name not in wanted:
                wanted.add(name)
                stack.append(name)
    return wanted


def _foreign_keys_off(conn):
    """Let a partial restore put rows back in any order; False where that is not allowed."""
    if conn.dialect.name == "postgresql":
        if conn.execute(sa.text("SHOW is_superuser")).scalar() != "on":
            return False
        conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
    else:
        conn.execute(sa.text("PRAGMA defer_foreign_keys = ON"))
    return True


def _put_back(conn, table, raw):
    """Make `table` hold exactly its baseline rows `raw` again, touching only the rows that differ."""
    current = _raw_rows(conn, table)
    if current == raw:
        return
    writer = _raw_table(table, conn.dialect.name)
    columns = [c.name for c in writer.columns]
    pk = [c.name for c in writer.primary_key.columns]
    as_dict = lambda values: dict(zip(columns, values))  # noqa: E731
    where = sa.and_(*[writer.c[c] == sa.bindparam("_pk_" + c) for c in pk])
    extra = [dict(zip(("_pk_" + c for c in pk), key)) for key in current if key not in raw]
    missing = [as_dict(row) for key, row in raw.items() if key not in current]
    changed = [dict(as_dict(raw[key]), **{"_pk_" + c: v for c, v in zip(pk, key)})
               for key, row in current.items() if key in raw and row != raw[key]]
    if extra:
        conn.execute(writer.delete().where(where), extra)
    if changed:
        conn.execute(writer.update().where(where), changed)
    if missing:
        conn.execute(writer.insert(), missing)


def _reset_sequences(conn, tables):
    # Every restored sequence continues after the baseline's rows, as after the seeding.
    calls = []
    for table in tables:
        pk = list(table.primary_key.columns)
        if len(pk) == 1 and isinstance(pk[0].type, sa.Integer):
            calls.append("setval(pg_get_serial_sequence('\"%s\"', '%s'), "
                         "COALESCE((SELECT MAX(\"%s\") FROM \"%s\"), 0) + 1, false)"
                         % (table.name, pk[0].name, pk[0].name, table.name))
    if calls:
        conn.execute(sa.text("SELECT " + ", ".join(calls)))


def _key_order(item):
    return tuple((value is None, value if isinstance(value, (int, float)) else str(value)) for value in item[0])


def restore(engine, baseline, only=None):
    """Put the baseline back: every table (only=None), or only the tables written since (and
    those a cascade may have changed), row by row where they differ, with their sequences."""
    postgresql = engine.dialect.name == "postgresql"
    if only is not None and getattr(baseline, "raw", None) is not None:
        if not only:
            return
        wanted = _with_cascades(only)
        tables = [t for t in db.metadata.sorted_tables if t.name in wanted]
        try:
            with engine.begin() as conn:
                if _foreign_keys_off(conn):
                    for table in tables:
                        _put_back(conn, table, baseline.raw.get(table.name) or {})
                    if postgresql:
                        _reset_sequences(conn, tables)
                    return
        except sa.exc.DBAPIError:
            pass  # e.g. two rows that swapped a unique value: the full restore below sorts it out
    tables = db.metadata.sorted_tables
    with engine.begin() as conn:
        # Rows of a table that refer to other rows of the same table (a reissued receipt, a late
        # fee's receivable) go back in key order, and without foreign-key checks where allowed.
        _foreign_keys_off(conn)
        if postgresql:
            names = ", ".join('"%s"' % t.name for t in tables)
            conn.execute(sa.text("TRUNCATE %s RESTART IDENTITY CASCADE" % names))
        else:
            for table in reversed(tables):
                conn.execute(table.delete())
        for table in tables:
            raw = getattr(baseline, "raw", None)
            if raw is not None:
                # The rows exactly as they were read (no re-encryption, JSON null stays NULL).
                writer = _raw_table(table, engine.dialect.name)
                rows = [dict(zip([c.name for c in writer.columns], row))
                        for _key, row in sorted(raw[table.name].items(), key=_key_order)]
                if rows:
                    conn.execute(writer.insert(), rows)
            elif baseline.get(table.name):
                conn.execute(table.insert(), baseline[table.name])
        if postgresql:
            _reset_sequences(conn, tables)


@pytest.fixture(autouse=True)
def _baseline(request):
    """Each test starts from the seeded baseline, whatever the previous one did."""
    yield
    if "app" in request.fixturenames:
        app = request.getfixturevalue("app")
        with app.app_context():
            db.session.remove()
            writes, baseline = app.extensions["loupan_writes"], app.extensions["loupan_baseline"]
            restore(db.engine, baseline, writes.take())
            writes.take()  # the restore's own statements
            if os.environ.get("LOUPAN_TEST_CHECK_RESTORE") == "1":
                # Debugging aid: prove the partial restore left every table as the baseline.
                with db.engine.connect() as conn:
                    wrong = [t.name for t in db.metadata.sorted_tables
                             if _raw_rows(conn, t) != baseline.raw[t.name]]
                if wrong:
                    restore(db.engine, baseline)
                    writes.take()
                    pytest.fail("the restore after this test left these tables changed: %s" % ", ".join(wrong))


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield
        db.session.remove()


def forget_request_state():
    """A test holding an application context (the `ctx` fixture) shares it — and its `g` — with
    the test client's requests: drop what one request left there (the logged-in user, their
    scope and permission caches) before the next, as separate requests would in production."""
    from flask import g, has_app_context
    if has_app_context():
        for name in list(vars(g)):
            delattr(g, name)


class FreshClient(FlaskClient):
    """The test client, each request with a clean `g` (see forget_request_state)."""

    def open(self, *args, **kwargs):
        forget_request_state()
        try:
            return super().open(*args, **kwargs)
        finally:
            forget_request_state()


@pytest.fixture
def client(app):
    return FreshClient(app, app.response_class, use_cookies=True)


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
