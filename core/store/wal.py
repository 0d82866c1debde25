"""SQLite write-ahead log (WAL) checkpoints, from a thread of their own.

By default SQLite checkpoints inside the commit that crosses 1,000 WAL pages, so
one write in a few hundred pays tens of milliseconds for copying the log into the
database. A latency-sensitive writer (incremental identity resolution) turns that
off for its connections and lets this thread checkpoint in the background with
``PRAGMA wal_checkpoint(PASSIVE)``, which never blocks readers or writers.
"""

from __future__ import annotations

import sqlite3
import threading
from typing import Any

import sqlalchemy as sa
import structlog
from sqlalchemy import event

__all__ = ["WalCheckpointer"]

log = structlog.get_logger(__name__)


class WalCheckpointer:
    """Checkpoints one SQLite database every ``interval_s`` seconds until stopped.

    Args:
        engine: A SQLite engine on a file; its connections stop checkpointing on commit.
        interval_s: Seconds between passive checkpoints.
    """

    def __init__(self, engine: sa.Engine, *, interval_s: float = 0.5) -> None:
        if not self.applies_to(engine):
            msg = "background WAL checkpoints need a SQLite database file"
            raise ValueError(msg)
        database = str(engine.url.database)
        self.path = database
        self.engine = engine
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"wal-checkpoint:{database}", daemon=True)

    @staticmethod
    def applies_to(engine: sa.Engine) -> bool:
        """Whether ``engine`` is on a SQLite database file (the only kind with a WAL to checkpoint)."""
        database = engine.url.database
        return engine.dialect.name == "sqlite" and bool(database) and database != ":memory:"

    @staticmethod
    def _no_commit_checkpoints(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA wal_autocheckpoint=0")
        cursor.close()

    def start(self) -> WalCheckpointer:
        """Stop commits from checkpointing and start the background thread; returns self."""
        event.listen(self.engine, "checkout", self._no_commit_checkpoints)
        self._thread.start()
        return self

    def _checkpoint(self, connection: sqlite3.Connection, mode: str) -> None:
        try:
            connection.execute(f"PRAGMA wal_checkpoint({mode})").fetchall()
        except sqlite3.Error as err:  # a busy database is retried on the next tick
            log.debug("store.wal_checkpoint_skipped", error=str(err))

    def _run(self) -> None:
        connection = sqlite3.connect(self.path, timeout=10, check_same_thread=False)
        try:
            while not self._stop.wait(self.interval_s):
                self._checkpoint(connection, "PASSIVE")
            self._checkpoint(connection, "PASSIVE")
        finally:
            connection.close()

    def stop(self) -> None:
        """Run a last checkpoint and stop the thread; connections checked out later checkpoint on commit again."""
        if event.contains(self.engine, "checkout", self._no_commit_checkpoints):
            event.remove(self.engine, "checkout", self._no_commit_checkpoints)
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)
