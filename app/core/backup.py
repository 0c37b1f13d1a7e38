"""Backup and restore of the whole database, the same on SQLite and PostgreSQL.

A backup is one gzip file of JSON lines:

    {"format": "loupan-backup", "version": 1, "dialect": ..., "alembic_revision": ...,
     "tables": [{"name": ..., "columns": [...]}, ...], ...}        the header
    {"table": "ab_permission"}                                     a table starts
    [1, "can_list"]                                                its rows, in column order
    ...
    {"end": true, "rows": {"ab_permission": 42, ...}}              the trailer

Every table of the application's metadata is in it (FAB's ab_* tables too) and
alembic_version when it exists. Values that JSON cannot hold exactly are tagged
({"$d": "12.30"} for a Decimal, {"$dt": ...}, {"$date": ...}, {"$b": base64}, ...).
Columns stored through a type decorator (the encrypted personal data) are read and written
as stored, so ciphertext stays ciphertext; JSON columns are kept as their stored text.

A restore checks the whole file first, then in one transaction empties every table and
inserts the backup's rows in dependency order (rows of a table that refers to itself get
those references once all its rows are in), and on PostgreSQL moves each id sequence past
the highest id. If anything fails, the transaction is rolled back and nothing has changed.
"""
import base64
import datetime as dt
import decimal
import gzip
import hashlib
import hmac
import io
import json
import math
import os
import tempfile
import uuid
import zlib
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.exc import SQLAlchemyError

from app.extensions import db

FORMAT = "loupan-backup"
VERSION = 1
ALEMBIC_TABLE = "alembic_version"
BATCH = 1000
RESTORE_LOCK_TIMEOUT = 30  # seconds to wait for other sessions to let go of the tables


class BackupError(Exception):
    """A backup or restore refused with a message for the operator; nothing was changed."""


@dataclass
class Summary:
    path: str
    created_at: str = None
    dialect: str = None
    alembic_revision: str = None
    rows: dict = field(default_factory=dict)

    @property
    def total_rows(self):
        return sum(self.rows.values())


# --- values ------------------------------------------------------------------------------

def encode_value(value):
    """A database value as JSON that decodes to an equal value of the same type."""
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"$f": repr(value)}
    if isinstance(value, decimal.Decimal):
        return {"$d": str(value)}
    if isinstance(value, dt.datetime):
        return {"$dt": value.isoformat()}
    if isinstance(value, dt.date):
        return {"$date": value.isoformat()}
    if isinstance(value, dt.time):
        return {"$time": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"$td": [value.days, value.seconds, value.microseconds]}
    if isinstance(value, (bytes, bytearray, memoryview)):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, uuid.UUID):
        return {"$uuid": str(value)}
    if isinstance(value, (list, tuple)):
        return {"$list": [encode_value(v) for v in value]}
    if isinstance(value, dict):
        return {"$dict": {str(k): encode_value(v) for k, v in value.items()}}
    raise BackupError(_("Cannot back up a value of type %(type)s.", type=type(value).__name__))


_DECODERS = {
    "$f": float,
    "$d": decimal.Decimal,
    "$dt": dt.datetime.fromisoformat,
    "$date": dt.date.fromisoformat,
    "$time": dt.time.fromisoformat,
    "$td": lambda v: dt.timedelta(days=v[0], seconds=v[1], microseconds=v[2]),
    "$b": lambda v: base64.b64decode(v.encode("ascii"), validate=True),
    "$uuid": uuid.UUID,
    "$list": lambda v: [decode_value(x) for x in v],
    "$dict": lambda v: {k: decode_value(x) for k, x in v.items()},
}


def decode_value(value):
    if isinstance(value, dict):
        if len(value) != 1:
            raise ValueError("bad tagged value")
        (tag, inner), = value.items()
        return _DECODERS[tag](inner)
    if isinstance(value, list):
        raise ValueError("bad value")
    return value


# --- tables as stored --------------------------------------------------------------------

class _PgRawJSON(sa.types.TypeDecorator):
    """A PostgreSQL json/jsonb column as its text, both ways."""

    impl = sa.Text
    cache_ok = True

    def __init__(self, original=None):
        super().__init__()
        self.original = original or sa.JSON()

    def column_expression(self, colexpr):
        return sa.cast(colexpr, sa.Text)

    def bind_expression(self, bindvalue):
        return sa.cast(bindvalue, self.original)


def _raw_type(type_, dialect):
    if isinstance(type_, sa.types.TypeDecorator):
        return _raw_type(type_.impl_instance, dialect)
    if isinstance(type_, sa.JSON):
        return _PgRawJSON(type_) if dialect == "postgresql" else sa.Text()
    return type_


def _raw_table(table, dialect):
    """The table with column types that neither encrypt, decrypt nor parse."""
    columns = [sa.Column(c.name, _raw_type(c.type, dialect), primary_key=c.primary_key,
                         nullable=c.nullable, autoincrement=False) for c in table.columns]
    return sa.Table(table.name, sa.MetaData(), *columns, schema=table.schema)


def _alembic_table():
    return sa.Table(ALEMBIC_TABLE, sa.MetaData(), sa.Column("version_num", sa.String(32), primary_key=True))


def _tables(conn, metadata=None):
    """Every table to back up or restore, parents before children."""
    tables = list((metadata or db.metadata).sorted_tables)
    if sa.inspect(conn).has_table(ALEMBIC_TABLE):
        tables.append(_alembic_table())
    return tables


def _revision(conn):
    if not sa.inspect(conn).has_table(ALEMBIC_TABLE):
        return None
    revisions = sorted(r[0] for r in conn.execute(sa.text("SELECT version_num FROM alembic_version")))
    return ",".join(revisions) or None


def _key_check():
    """Tells whether two databases share LOUPAN_DATA_KEY without revealing it."""
    key = current_app.config.get("LOUPAN_DATA_KEY")
    if not key:
        return None
    return hmac.new(key.encode(), b"loupan-backup-data-key-check", hashlib.sha256).hexdigest()[:16]


def _encrypted_columns(tables):
    return {t.name: [c.name for c in t.columns if isinstance(c.type, sa.types.TypeDecorator)]
            for t in tables if any(isinstance(c.type, sa.types.TypeDecorator) for c in t.columns)}


def _dumps(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


# --- backup ------------------------------------------------------------------------------

def default_path(now=None):
    now = now or dt.datetime.now()
    return os.path.join(current_app.config["LOUPAN_BACKUP_DIR"], now.strftime("loupan-%Y%m%d-%H%M%S.jsonl.gz"))


def _snapshot_connection(engine):
    """A connection reading one consistent state of every table."""
    if engine.dialect.name == "postgresql":
        conn = engine.connect().execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        conn.begin()
        return conn
    conn = engine.connect()
    if engine.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")  # hold one read transaction over all the tables
    else:
        conn.begin()
    return conn


def backup(path=None, engine=None, metadata=None):
    """Write a backup of the database to `path` (a file, or a directory for a dated file;
    LOUPAN_BACKUP_DIR by default). The file appears only when complete (mode 0600)."""
    engine = engine or db.engine
    path = path or default_path()
    if os.path.isdir(path):
        path = os.path.join(path, os.path.basename(default_path()))
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".loupan-backup-", suffix=".tmp")
    except OSError as exc:
        raise BackupError(_("Cannot write the backup to %(path)s: %(error)s", path=path, error=exc.strerror))
    summary = Summary(path=path, dialect=engine.dialect.name,
                      created_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat())
    try:
        os.fchmod(fd, 0o600)
        with open(fd, "wb") as raw, gzip.GzipFile(filename="", mode="wb", fileobj=raw) as zipped, \
                io.TextIOWrapper(zipped, encoding="utf-8", newline="\n") as out:
            conn = _snapshot_connection(engine)
            try:
                tables = _tables(conn, metadata)
                summary.alembic_revision = _revision(conn)
                header = {
                    "format": FORMAT, "version": VERSION, "created_at": summary.created_at,
                    "dialect": summary.dialect, "alembic_revision": summary.alembic_revision,
                    "data_key_check": _key_check(),
                    "encrypted_columns": _encrypted_columns(tables),
                    "tables": [{"name": t.name, "columns": [c.name for c in t.columns]} for t in tables],
                }
                out.write(_dumps(header) + "\n")
                for table in tables:
                    raw_table = _raw_table(table, summary.dialect)
                    out.write(_dumps({"table": table.name}) + "\n")
                    query = sa.select(raw_table).order_by(*raw_table.primary_key.columns)
                    count = 0
                    for row in conn.execute(query.execution_options(yield_per=BATCH)):
                        out.write(_dumps([encode_value(v) for v in row]) + "\n")
                        count += 1
                    summary.rows[table.name] = count
                out.write(_dumps({"end": True, "rows": summary.rows}) + "\n")
            finally:
                conn.rollback()
                conn.close()
            out.flush()
            zipped.flush()
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        if os.path.exists(tmp):
            os.unlink(tmp)
        if isinstance(exc, SQLAlchemyError):
            detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
            raise BackupError(_("The backup failed (%(detail)s); no file was written.", detail=detail)) from exc
        if isinstance(exc, OSError):
            raise BackupError(_("Cannot write the backup to %(path)s: %(error)s", path=path,
                                error=exc.strerror or exc)) from exc
        raise
    return summary


# --- reading a backup --------------------------------------------------------------------

def _damaged(path, detail):
    return BackupError(_("%(path)s is not a Loupan backup or is damaged (%(detail)s); nothing was changed.",
                         path=path, detail=detail))


def _open(path):
    if not os.path.isfile(path):
        raise BackupError(_("There is no backup file at %(path)s.", path=path))
    return gzip.open(path, "rt", encoding="utf-8", newline="\n")


def _lines(path, handle):
    try:
        for number, line in enumerate(handle, start=1):
            if not line.endswith("\n"):
                raise _damaged(path, _("the file is cut short"))
            try:
                yield number, json.loads(line)
            except ValueError:
                raise _damaged(path, _("line %(number)d is not valid", number=number)) from None
    except (gzip.BadGzipFile, zlib.error):
        raise _damaged(path, _("not a gzip file")) from None
    except EOFError:
        raise _damaged(path, _("the file is cut short")) from None
    except UnicodeDecodeError:
        raise _damaged(path, _("not UTF-8 text")) from None
    except OSError as exc:
        raise _damaged(path, exc.strerror or str(exc)) from None


def _read_header(path, lines):
    try:
        _number, header = next(lines)
    except StopIteration:
        raise _damaged(path, _("the file is empty")) from None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise _damaged(path, _("unknown format"))
    if header.get("version") != VERSION:
        raise BackupError(_("%(path)s is a Loupan backup of format version %(version)s, which this version "
                            "of Loupan cannot read; nothing was changed.", path=path, version=header.get("version")))
    tables = header.get("tables")
    if not isinstance(tables, list) or not all(
            isinstance(t, dict) and isinstance(t.get("name"), str) and isinstance(t.get("columns"), list)
            for t in tables):
        raise _damaged(path, _("bad table list"))
    return header


def _records(path, handle):
    """(header, generator of (table name, column names, decoded row)); the generator checks
    the order of the tables, the width of each row and the trailer's counts."""
    lines = _lines(path, handle)
    header = _read_header(path, lines)
    columns = {t["name"]: t["columns"] for t in header["tables"]}
    order = [t["name"] for t in header["tables"]]

    def rows():
        current, seen, counts = None, [], {}
        for number, item in lines:
            if isinstance(item, list):
                if current is None or len(item) != len(columns[current]):
                    raise _damaged(path, _("line %(number)d does not fit its table", number=number))
                try:
                    values = [decode_value(v) for v in item]
                except (ValueError, KeyError, TypeError, decimal.InvalidOperation):
                    raise _damaged(path, _("line %(number)d has a bad value", number=number)) from None
                counts[current] += 1
                yield current, columns[current], values
            elif isinstance(item, dict) and "table" in item:
                name = item["table"]
                if len(seen) >= len(order) or name != order[len(seen)]:
                    raise _damaged(path, _("line %(number)d: unexpected table", number=number))
                seen.append(name)
                current, counts[name] = name, 0
                yield name, columns[name], None
            elif isinstance(item, dict) and item.get("end") is True:
                if seen != order or item.get("rows") != counts:
                    raise _damaged(path, _("the row counts do not match"))
                for _extra in lines:
                    raise _damaged(path, _("data after the end"))
                return
            else:
                raise _damaged(path, _("line %(number)d is not valid", number=number))
        raise _damaged(path, _("the file is cut short"))

    return header, rows()


def verify(path):
    """Read the whole file; a Summary if it is a complete, readable backup."""
    with _open(path) as handle:
        header, rows = _records(path, handle)
        counts = {}
        for name, _columns, values in rows:
            counts[name] = counts.get(name, 0) + (values is not None)
    return Summary(path=path, created_at=header.get("created_at"), dialect=header.get("dialect"),
                   alembic_revision=header.get("alembic_revision"), rows=counts)


# --- restore -----------------------------------------------------------------------------

def _check_compatible(conn, header, tables, allow_key_mismatch):
    revision = _revision(conn)
    if header.get("alembic_revision") != revision:
        raise BackupError(_(
            "The backup was made at database revision %(backup)s but this database is at %(current)s. "
            "Bring the database to the backup's revision first (flask db upgrade); nothing was changed.",
            backup=header.get("alembic_revision") or "-", current=revision or "-"))
    expected = {t.name: {c.name for c in t.columns} for t in tables}
    found = {t["name"]: set(t["columns"]) for t in header["tables"]}
    if set(found) != set(expected):
        missing = sorted(set(expected) - set(found))
        extra = sorted(set(found) - set(expected))
        raise BackupError(_("The backup's tables do not match this database (missing: %(missing)s; unknown: "
                            "%(extra)s); nothing was changed.",
                            missing=", ".join(missing) or "-", extra=", ".join(extra) or "-"))
    for name, cols in found.items():
        if cols != expected[name]:
            raise BackupError(_("The columns of table %(table)s in the backup do not match this database; "
                                "nothing was changed.", table=name))
    check = _key_check()
    if (header.get("encrypted_columns") and header.get("data_key_check") and check
            and header["data_key_check"] != check and not allow_key_mismatch):
        raise BackupError(_(
            "The backup's personal data was encrypted with a different data key (LOUPAN_DATA_KEY). Restore "
            "with the key of the backed-up installation (its instance/secrets.json or environment); "
            "nothing was changed."))


def _empty_tables(conn, tables):
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(t) for t in tables)
        # Takes every table's lock first, so that no worker writes in the middle of the restore.
        conn.execute(sa.text("TRUNCATE %s" % names))
    else:
        for table in reversed(tables):
            conn.execute(table.delete())


class _TableLoader:
    """Inserts one table's rows in batches; references of a table to itself are set once
    all its rows are in, so that a child stored before its parent does not fail."""

    def __init__(self, conn, table, columns, dialect):
        self.conn = conn
        self.raw = _raw_table(table, dialect)
        self.columns = columns
        self.self_refs = [fk.parent.name for fk in table.foreign_keys
                          if fk.column.table is table and fk.parent.nullable]
        self.pk = [c.name for c in self.raw.primary_key.columns]
        self.batch, self.later = [], []

    def add(self, values):
        row = dict(zip(self.columns, values))
        if self.self_refs and any(row[c] is not None for c in self.self_refs):
            self.later.append({**{"pk_" + k: row[k] for k in self.pk},
                               **{"ref_" + c: row[c] for c in self.self_refs}})
            row.update({c: None for c in self.self_refs})
        self.batch.append(row)
        if len(self.batch) >= BATCH:
            self.flush()

    def flush(self):
        if self.batch:
            self.conn.execute(self.raw.insert(), self.batch)
            self.batch = []

    def finish(self):
        self.flush()
        if self.later:
            statement = self.raw.update().where(
                *[self.raw.c[k] == sa.bindparam("pk_" + k) for k in self.pk]
            ).values({c: sa.bindparam("ref_" + c) for c in self.self_refs})
            for start in range(0, len(self.later), BATCH):
                self.conn.execute(statement, self.later[start:start + BATCH])


def _reset_sequences(conn, tables):
    preparer = conn.dialect.identifier_preparer
    for table in tables:
        pks = list(table.primary_key.columns)
        if len(pks) != 1 or not isinstance(pks[0].type, sa.Integer):
            continue
        column = pks[0]
        if isinstance(column.default, sa.Sequence):
            sequence = preparer.format_sequence(column.default)
        else:
            sequence = conn.execute(sa.text("SELECT pg_get_serial_sequence(:t, :c)"),
                                    {"t": preparer.format_table(table), "c": column.name}).scalar()
        if not sequence:
            continue
        quoted = preparer.quote(column.name)
        conn.execute(sa.text(
            "SELECT setval(CAST(:seq AS regclass), COALESCE(MAX(%s), 1), MAX(%s) IS NOT NULL) FROM %s"
            % (quoted, quoted, preparer.format_table(table))), {"seq": sequence})


def restore(path, engine=None, allow_key_mismatch=False, metadata=None):
    """Replace every row of the database with the backup's. Refuses (BackupError, nothing
    changed) a damaged file, an unknown format, another schema or another data key."""
    engine = engine or db.engine
    summary = verify(path)
    dialect = engine.dialect.name
    try:
        with _open(path) as handle:
            header, records = _records(path, handle)
            with engine.begin() as conn:
                tables = _tables(conn, metadata)
                _check_compatible(conn, header, tables, allow_key_mismatch)
                if dialect == "postgresql":
                    # Wait for other sessions' locks a while, not forever.
                    conn.execute(sa.text("SET LOCAL lock_timeout = '%ds'" % RESTORE_LOCK_TIMEOUT))
                by_name = {t.name: t for t in tables}
                _empty_tables(conn, tables)
                loader = None
                for name, columns, values in records:
                    if values is None:
                        if loader is not None:
                            loader.finish()
                        loader = _TableLoader(conn, by_name[name], columns, dialect)
                    else:
                        loader.add(values)
                if loader is not None:
                    loader.finish()
                if dialect == "postgresql":
                    _reset_sequences(conn, tables)
    except SQLAlchemyError as exc:
        detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0][:300]
        raise BackupError(_("The restore failed and was rolled back; nothing was changed (%(detail)s).",
                            detail=detail)) from exc
    return summary
