from __future__ import annotations

import sqlite3

import sqlalchemy as sa

from core.store import open_store


def wal_frames(path) -> tuple[int, int]:
    with sqlite3.connect(path) as conn:
        _busy, log, done = conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    return log, done


def test_background_wal_checkpoints_take_checkpoints_off_commits_and_catch_up_on_close(tmp_path):
    path = tmp_path / "s.db"
    store = open_store(f"sqlite:///{path}")
    store.checkpoint_wal_in_background()
    store.checkpoint_wal_in_background()  # idempotent: one thread
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 0
        conn.exec_driver_sql("CREATE TABLE t (x TEXT)")
        for i in range(300):
            conn.exec_driver_sql("INSERT INTO t VALUES (?)", (f"{i:0>2000}",))
            conn.commit()
    checkpointer = store._wal_checkpointer
    assert checkpointer is not None
    assert checkpointer._thread.is_alive()
    store.close()
    assert not checkpointer._thread.is_alive()
    log, done = wal_frames(path)
    assert log == done  # everything written is in the database file
    with sa.create_engine(f"sqlite:///{path}").connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 300


def test_without_background_wal_checkpoints_commits_keep_sqlites_default(tmp_path):
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store, store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one() == 1000
    assert store._wal_checkpointer is None
