"""Backup and restore: a round trip loses nothing (every table compared row by row, as the
application reads it and as stored), and a bad file or a failed restore changes nothing."""
import contextlib
import datetime as dt
import decimal
import gzip
import json
import os

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from app.core import backup
from app.core.crypto import EncryptedString
from app.core.models import LookupList, Notification
from app.extensions import db
from app.jobs.models import JobRun
from app.org.models import Department, Employee
from app.sales.models import SalesPermission


@contextlib.contextmanager
def english(app):
    """Messages are checked in English (the default language is Chinese)."""
    with app.app_context(), force_locale("en"):
        yield


def typed_snapshot(engine, tables=None):
    """Every row of every table as the application reads it, ordered by primary key."""
    data = {}
    with engine.connect() as conn:
        for table in tables or db.metadata.sorted_tables:
            query = sa.select(table).order_by(*table.primary_key.columns)
            data[table.name] = [dict(r._mapping) for r in conn.execute(query)]
    return data


def raw_snapshot(engine, tables=None):
    """The same, as stored (ciphertext for encrypted columns, JSON as text)."""
    data = {}
    with engine.connect() as conn:
        for table in tables or db.metadata.sorted_tables:
            raw = backup._raw_table(table, engine.dialect.name)
            query = sa.select(raw).order_by(*raw.primary_key.columns)
            data[table.name] = [dict(r._mapping) for r in conn.execute(query)]
    return data


def assert_same(before, after):
    assert sorted(before) == sorted(after)
    for name in before:
        assert len(after[name]) == len(before[name]), name
        for old, new in zip(before[name], after[name]):
            assert old == new, (name, old, new)


def idle():
    """No session of this process may hold locks across a restore (PostgreSQL TRUNCATE)."""
    db.session.remove()


def _dept(code):
    return db.session.query(Department).filter_by(code=code).one()


@pytest.fixture
def varied_data(app):
    """Rows that make a restore work: a child department stored before its parent,
    personal data, JSON, job runs, notifications."""
    with english(app):
        parent = Department(code="ZZ-NEW", name="新设区域", kind="company", parent=_dept("GROUP"))
        db.session.add(parent)
        db.session.flush()
        _dept("GZ-TH").parent = parent  # a lower id whose parent has a higher id
        employee = db.session.query(Employee).filter_by(number="E1006").one()
        employee.phone = "139 0013 9999"
        employee.custom = {"爱好": ["羽毛球", "围棋"], "level": 3, "score": 9.5, "vip": True, "note": None}
        admin = app.appbuilder.sm.find_user(username="admin")
        db.session.add(Notification(user_id=admin.id, title="备份前的通知", body="第一行\n第二行 \u2028 \"引号\""))
        t = dt.datetime(2026, 3, 2, 9, 0, 0)
        db.session.add(JobRun(job_id="approval_reminders", due_at=t, started_at=t, finished_at=t,
                              status="succeeded", message="2 reminder(s) sent", runner="h:1"))
        db.session.commit()
        idle()


def test_round_trip_restores_every_table_exactly(app, varied_data, tmp_path):
    with english(app):
        engine = db.engine
        typed, raw = typed_snapshot(engine), raw_snapshot(engine)
        summary = backup.backup(str(tmp_path / "b.jsonl.gz"))
        assert summary.rows["department"] == len(typed["department"])
        assert set(summary.rows) >= {t.name for t in db.metadata.sorted_tables}
        assert oct(os.stat(summary.path).st_mode & 0o777) == "0o600"

        # Change a lot after the backup.
        _dept("HN").name = "改过的名字"
        gone = db.session.query(Employee).filter_by(number="E1010").one()
        db.session.query(SalesPermission).filter_by(employee_id=gone.id).delete()
        db.session.delete(gone)
        db.session.query(Employee).filter_by(number="E1006").one().phone = "13700000000"
        db.session.add(LookupList(code="after_backup", name="备份之后"))
        db.session.query(JobRun).delete()
        app.appbuilder.sm.find_user(username="sales").active = False
        db.session.commit()
        idle()
        assert typed_snapshot(engine) != typed
        if engine.dialect.name == "postgresql":
            # As in a fresh database: the id sequences start again at 1.
            with engine.begin() as conn:
                conn.execute(sa.text("SELECT setval(pg_get_serial_sequence('department', 'id'), 1, false)"))
                conn.execute(sa.text("SELECT setval('ab_user_id_seq', 1, false)"))

        backup.restore(summary.path)
        assert_same(typed, typed_snapshot(engine))
        assert_same(raw, raw_snapshot(engine))
        # The application reads the restored data as before (decrypts the phone).
        assert db.session.query(Employee).filter_by(number="E1006").one().phone == "13900139999"
        assert _dept("GZ-TH").parent.code == "ZZ-NEW"
        # New rows get fresh ids (PostgreSQL sequences follow the restored ids).
        top = max(r["id"] for r in typed["department"])
        extra = Department(code="AFTER", name="恢复之后", kind="department", parent=_dept("HN"))
        db.session.add(extra)
        db.session.commit()
        assert extra.id > top
        user = app.appbuilder.sm.add_user("after_restore", "A", "R", "ar@example.com",
                                          [app.appbuilder.sm.find_role("置业顾问")], password="Loupan2026x")
        assert user is not None and user.id > max(r["id"] for r in typed["ab_user"])
        idle()


def test_cli_backup_and_restore(app, varied_data, tmp_path):
    cli = app.test_cli_runner()
    with english(app):
        before = typed_snapshot(db.engine)
    result = cli.invoke(args=["loupan", "backup", str(tmp_path)])
    assert result.exit_code == 0, result.output
    [path] = [str(p) for p in tmp_path.iterdir()]
    assert path.endswith(".jsonl.gz") and "Backup written to" in result.output
    with english(app):
        _dept("HN").name = "改过的名字"
        db.session.commit()
        idle()
    declined = cli.invoke(args=["loupan", "restore", path], input="n\n")
    assert declined.exit_code != 0
    with english(app):
        assert _dept("HN").name == "改过的名字"
        idle()
    restored = cli.invoke(args=["loupan", "restore", path], input="y\n")
    assert restored.exit_code == 0, restored.output
    with english(app):
        assert_same(before, typed_snapshot(db.engine))
        idle()


# --- refusals: nothing changes --------------------------------------------------------------

def _rewrite(src, dst, edit):
    with gzip.open(src, "rt", encoding="utf-8", newline="\n") as fh:
        lines = [json.loads(line) for line in fh]
    lines = edit(lines)
    with gzip.open(dst, "wt", encoding="utf-8", newline="\n") as fh:
        for line in lines:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
    return dst


def _bad_files(good, tmp_path):
    data = open(good, "rb").read()
    files = {}
    files["not gzip"] = tmp_path / "plain.txt"
    files["not gzip"].write_text("hello, I am not a backup\n")
    files["cut short"] = tmp_path / "cut.gz"
    files["cut short"].write_bytes(data[: len(data) // 2])
    files["empty"] = tmp_path / "empty.gz"
    files["empty"].write_bytes(b"")
    other = tmp_path / "other.gz"
    with gzip.open(other, "wt") as fh:
        fh.write(json.dumps({"format": "something-else", "version": 1}) + "\n")
    files["wrong format"] = other
    files["future version"] = _rewrite(good, tmp_path / "v9.gz", lambda ls: [{**ls[0], "version": 9}] + ls[1:])
    files["count mismatch"] = _rewrite(good, tmp_path / "count.gz", lambda ls: ls[:-1] + [
        {"end": True, "rows": {**ls[-1]["rows"], "ab_user": 999}}])
    files["no trailer"] = _rewrite(good, tmp_path / "notrailer.gz", lambda ls: ls[:-1])
    files["other revision"] = _rewrite(good, tmp_path / "rev.gz",
                                       lambda ls: [{**ls[0], "alembic_revision": "abc123"}] + ls[1:])
    files["missing table"] = _rewrite(good, tmp_path / "table.gz", lambda ls: [
        {**ls[0], "tables": [t for t in ls[0]["tables"] if t["name"] != "notification"]}] + _drop_table(ls[1:], "notification")
        [:-1] + [{"end": True, "rows": {k: v for k, v in ls[-1]["rows"].items() if k != "notification"}}])
    files["bad value"] = _rewrite(good, tmp_path / "value.gz", lambda ls: [ls[0], ls[1], _bad_row(ls)] + ls[2:])
    files["missing"] = tmp_path / "does-not-exist.gz"
    return files


def _drop_table(lines, name):
    out, skipping = [], False
    for line in lines:
        if isinstance(line, dict) and "table" in line:
            skipping = line["table"] == name
        if not skipping:
            out.append(line)
    return out


def _bad_row(lines):
    width = len(lines[0]["tables"][0]["columns"])
    return [{"$date": "not-a-date"}] * width


def test_bad_backup_files_are_refused_and_change_nothing(app, tmp_path):
    with english(app):
        good = backup.backup(str(tmp_path / "good.jsonl.gz")).path
        _dept("HN").name = "备份后的修改"
        db.session.commit()
        idle()
        before = raw_snapshot(db.engine)
        messages = {}
        for what, path in _bad_files(good, tmp_path).items():
            with pytest.raises(backup.BackupError) as err:
                backup.restore(str(path))
            assert "nothing was changed" in str(err.value) or "no backup file" in str(err.value), what
            messages[what] = str(err.value)
            idle()
            assert raw_snapshot(db.engine) == before, what
    assert "not a gzip file" in messages["not gzip"]
    assert "cut short" in messages["cut short"] and "cut short" in messages["no trailer"]
    assert "unknown format" in messages["wrong format"] and "version 9" in messages["future version"]
    assert "row counts" in messages["count mismatch"] and "bad value" in messages["bad value"]
    assert "abc123" in messages["other revision"] and "notification" in messages["missing table"]
    result = app.test_cli_runner().invoke(args=["loupan", "restore", str(tmp_path / "plain.txt"), "--yes"])
    assert result.exit_code != 0
    assert "Error:" in result.output and "plain.txt" in result.output


def test_restore_failing_half_way_rolls_back_everything(app, tmp_path):
    with english(app):
        good = backup.backup(str(tmp_path / "good.jsonl.gz")).path
        columns = [t for t in json.loads(gzip.open(good, "rt").readline())["tables"] if t["name"] == "department"][0]["columns"]
        code = columns.index("code")

        def duplicate_codes(lines):
            out, in_dept, seen = [], False, []
            for line in lines:
                if isinstance(line, dict) and "table" in line:
                    in_dept = line["table"] == "department"
                elif in_dept and isinstance(line, list):
                    seen.append(line)
                    if len(seen) == 2:
                        line = list(line)
                        line[code] = seen[0][code]  # violates the unique code: fails mid-restore
                out.append(line)
            return out

        broken = _rewrite(good, tmp_path / "dup.gz", duplicate_codes)
        _dept("HN").name = "备份后的修改"
        db.session.commit()
        idle()
        before = raw_snapshot(db.engine)
        with pytest.raises(backup.BackupError) as err:
            backup.restore(str(broken))
        assert "rolled back" in str(err.value)
        idle()
        assert raw_snapshot(db.engine) == before


def test_backup_of_another_data_key_is_refused(app, tmp_path, monkeypatch):
    with english(app):
        good = backup.backup(str(tmp_path / "good.jsonl.gz")).path
        monkeypatch.setitem(app.config, "LOUPAN_DATA_KEY", "YW5vdGhlci1rZXktYW5vdGhlci1rZXktYW5vdGhlci0wMQ==")
        with pytest.raises(backup.BackupError) as err:
            backup.restore(good)
        assert "data key" in str(err.value)
        idle()
        backup.restore(good, allow_key_mismatch=True)  # the operator's explicit choice
        idle()


# --- every kind of value ----------------------------------------------------------------------

def test_values_of_every_type_round_trip(app, tmp_path):
    metadata = sa.MetaData()
    probe = sa.Table(
        "loupan_backup_probe", metadata,
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("loupan_backup_probe.id")),
        sa.Column("money", sa.Numeric(14, 2)), sa.Column("rate", sa.Numeric(10, 6)),
        sa.Column("day", sa.Date), sa.Column("moment", sa.DateTime), sa.Column("clock", sa.Time),
        sa.Column("blob", sa.LargeBinary), sa.Column("doc", sa.JSON), sa.Column("flag", sa.Boolean),
        sa.Column("ratio", sa.Float), sa.Column("big", sa.BigInteger), sa.Column("text", sa.Text),
        sa.Column("secret", EncryptedString),
    )
    rows = [
        dict(id=1, parent_id=3, money=decimal.Decimal("12345678.90"), rate=decimal.Decimal("0.000125"),
             day=dt.date(2026, 2, 28), moment=dt.datetime(2026, 1, 2, 3, 4, 5, 678901), clock=dt.time(23, 59, 59, 1),
             blob=bytes(range(256)), doc={"a": [1, 2.5, "中文", None], "b": {"c": True}}, flag=True,
             ratio=0.1, big=2 ** 62, text="第一行\n第二行\r\u2028\"'\\", secret="13800138000"),
        dict(id=2, parent_id=None, money=decimal.Decimal("-0.01"), rate=None, day=None, moment=None, clock=None,
             blob=b"", doc=[], flag=False, ratio=-1.5e-300, big=-(2 ** 62), text="", secret=None),
        dict(id=3, parent_id=None, money=None, rate=None, day=None, moment=None, clock=None, blob=None, doc=None,
             flag=None, ratio=None, big=None, text=None, secret=None),
    ]
    with english(app):
        engine = db.engine
        metadata.create_all(engine)
        try:
            with engine.begin() as conn:
                conn.execute(probe.insert(), [dict(r, parent_id=None) for r in rows])
                conn.execute(probe.update().where(probe.c.id == 1).values(parent_id=3))  # parent after child
            typed, raw = typed_snapshot(engine, [probe]), raw_snapshot(engine, [probe])
            assert typed["loupan_backup_probe"][0]["secret"] == "13800138000"
            assert raw["loupan_backup_probe"][0]["secret"] != "13800138000"  # stored encrypted
            path = backup.backup(str(tmp_path / "probe.jsonl.gz"), metadata=metadata).path
            with gzip.open(path, "rt") as fh:
                assert "13800138000" not in fh.read()  # personal data stays ciphertext in the file
            with engine.begin() as conn:
                conn.execute(probe.update().values(text="changed", doc={"x": 1}, secret="13999999999"))
                conn.execute(probe.delete().where(probe.c.id == 2))
            backup.restore(path, metadata=metadata)
            assert_same(typed, typed_snapshot(engine, [probe]))
            assert_same(raw, raw_snapshot(engine, [probe]))
        finally:
            metadata.drop_all(engine)


def test_encode_decode_values():
    values = [None, "文字", True, False, 0, -7, 2 ** 70, 0.1, float("inf"), decimal.Decimal("1E+2"),
              decimal.Decimal("0.10"), dt.date(2026, 1, 31), dt.datetime(2026, 1, 31, 8, 0, tzinfo=dt.timezone.utc),
              dt.time(7, 30), dt.timedelta(days=-1, seconds=5), b"\x00\xff", ["a", decimal.Decimal("1.5")],
              {"k": dt.date(2026, 1, 1)}]
    for value in values:
        encoded = json.loads(json.dumps(backup.encode_value(value), allow_nan=False))
        decoded = backup.decode_value(encoded)
        assert decoded == value and type(decoded) is type(value), value
    assert str(backup.decode_value(backup.encode_value(decimal.Decimal("0.10")))) == "0.10"
