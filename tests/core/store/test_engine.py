from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from core.errors import StoreError
from core.store import DEFAULT_URL, UtcDateTime, database_url, make_engine, mask_url, open_store
from core.store.engine import store_errors


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u:p@db:5432/cp", "postgresql+psycopg://u:p@db:5432/cp"),
        ("postgresql://u@db/cp", "postgresql+psycopg://u@db/cp"),
        ("postgresql+psycopg://u@db/cp", "postgresql+psycopg://u@db/cp"),
        ("  sqlite:////var/lib/cp.db ", "sqlite:////var/lib/cp.db"),
    ],
)
def test_database_url_comes_from_the_environment(monkeypatch, given, expected):
    monkeypatch.setenv("CONTACTPOINT_DATABASE_URL", given)
    assert database_url() == expected


def test_database_url_defaults_to_a_local_sqlite_file(monkeypatch):
    monkeypatch.delenv("CONTACTPOINT_DATABASE_URL", raising=False)
    assert database_url() == DEFAULT_URL == "sqlite:///./contactpoint.db"
    monkeypatch.setenv("CONTACTPOINT_DATABASE_URL", "   ")
    assert database_url() == DEFAULT_URL


def test_mask_url_hides_the_password():
    assert mask_url("postgresql+psycopg://cp:s3cr%40t@db:5432/cp") == "postgresql+psycopg://cp:***@db:5432/cp"
    assert "hunter2" not in mask_url("not a url://me:hunter2@host")


def test_connection_refused_names_host_and_port_but_not_the_password():
    engine = make_engine("postgresql://cp:hunter2@127.0.0.1:1/contactpoint")
    with pytest.raises(StoreError) as caught:
        open_store(str(engine.url.render_as_string(hide_password=False)))
    err = caught.value
    text = f"{err.message} {err.hint} {err.context}"
    assert "127.0.0.1:1" in err.message
    assert "hunter2" not in text
    assert "***" in (err.hint or "")
    assert err.exit_code == 5


@pytest.mark.parametrize("url", ["mysql://u:pw@h/db", "nonsense"])
def test_unsupported_urls_are_store_errors(url):
    with pytest.raises(StoreError) as caught:
        make_engine(url)
    assert "CONTACTPOINT_DATABASE_URL" in (caught.value.hint or "")
    assert "pw" not in caught.value.message


def test_missing_sqlite_directory_gives_a_hint(tmp_path):
    with pytest.raises(StoreError) as caught:
        open_store(f"sqlite:///{tmp_path / 'missing' / 'cp.db'}")
    assert "directory" in (caught.value.hint or "")


def test_unmigrated_database_says_to_migrate(store_url):
    with open_store(store_url, migrate=False) as store, pytest.raises(StoreError) as caught:
        store.cursors.get("a", "b")
    assert caught.value.hint == "run: contactpoint store migrate"


def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'cp.db'}")
    with engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10_000
    engine.dispose()


def test_in_memory_sqlite_is_one_shared_database():
    with open_store("sqlite://") as store:
        store.cursors.save("a", "b", {"n": 1}, run_id=None)
        assert store.cursors.get("a", "b") == {"n": 1}


def test_timestamps_round_trip_as_aware_utc(store):
    table = sa.Table(
        "tz_probe", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", UtcDateTime())
    )
    table.create(store.engine)
    local = datetime(2024, 3, 31, 1, 30, 15, 123456, tzinfo=timezone(timedelta(hours=-5)))
    with store.engine.begin() as conn:
        conn.execute(table.insert(), [{"id": 1, "at": local}, {"id": 2, "at": None}])
    with store.engine.connect() as conn:
        back = dict(conn.execute(sa.select(table.c.id, table.c.at)).all())
    assert back[1] == local and back[1].tzinfo == UTC and back[1].hour == 6
    assert back[2] is None


def test_naive_timestamps_are_refused(store):
    table = sa.Table(
        "tz_probe2", sa.MetaData(), sa.Column("id", sa.Integer, primary_key=True), sa.Column("at", UtcDateTime())
    )
    table.create(store.engine)
    with (
        pytest.raises(StoreError, match="naive datetime"),
        store_errors(store.engine.url),
        store.engine.begin() as conn,
    ):
        conn.execute(table.insert(), [{"id": 1, "at": datetime(2024, 1, 1)}])


def _sqlite_memory_used() -> int:
    import _sqlite3
    import ctypes

    library = ctypes.CDLL(_sqlite3.__file__)  # the SQLite this process runs, linked or built in
    library.sqlite3_memory_used.restype = ctypes.c_int64
    return int(library.sqlite3_memory_used())


def test_sqlite_keeps_a_bounded_number_of_prepared_statements_per_connection(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'statements.db'}")
    with engine.connect() as conn:
        conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY)")
        before = _sqlite_memory_used()
        for size in range(300, 500):  # a look-up of each chunk size is a statement of its own
            marks = ",".join("?" * size)
            conn.exec_driver_sql(f"SELECT id FROM t WHERE id IN ({marks})", tuple(range(size))).fetchall()
        grown = _sqlite_memory_used() - before  # about 2.2 MiB at 32 statements, 7.9 at the sqlite3 default of 128
    engine.dispose()
    assert grown < 4 * 2**20, f"SQLite holds {grown / 2**20:.1f} MiB of prepared statements"
