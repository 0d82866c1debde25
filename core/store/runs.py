"""``store.runs``: the run ledger, one row per sync, mapping or identity run.

start      record that a run started (or resume one), with its process and machine
heartbeat  the run is alive
finish     record how it ended, its counters, API usage and error
abandon    mark runs whose process is gone as abandoned (a killed run cannot say so itself)
get        one run
list       the newest runs first
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.errors import StoreError
from core.logs import redact_text
from core.store.database import Repository, insert
from core.store.locks import process_alive
from core.store.tables import Run, RunStatus

__all__ = ["Runs", "new_run_id"]

_RUNS = Run.__table__  # type: ignore[attr-defined]


def new_run_id(kind: str, *, at: Any) -> str:
    """Return a new, time-sortable run ID such as ``sync-20240501T093000Z-3f9a1c``."""
    return f"{kind}-{at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class Runs(Repository):
    """Runs: when each started and ended, how, and what it counted."""

    def start(
        self,
        kind: str,
        *,
        run_id: str | None = None,
        pid: int | None = None,
        host: str | None = None,
        job: str | None = None,
    ) -> str:
        """Record that a run of ``kind`` (``sync``, ``mapping``, ``identity``...) started.

        Giving the ``run_id`` of an earlier run resumes it: its status goes back to
        ``started`` and its end time and error are cleared; counters are kept.
        ``pid`` and ``host`` say which process runs it, so a later run can tell it was killed;
        ``job`` names the schedule that started it.

        Returns:
            The run ID.

        Raises:
            StoreError: When the database fails.
        """
        now = self._db.now()
        run_id = run_id or new_run_id(kind, at=now)
        row = {
            "run_id": run_id, "kind": kind, "status": RunStatus.STARTED.value, "started_at": now,
            "heartbeat_at": now, "pid": pid, "host": host, "job": job,
        }  # fmt: skip
        restart = {"status": RunStatus.STARTED.value, "finished_at": None, "error": None, "error_type": None,
                   "heartbeat_at": now, "pid": pid, "host": host}  # fmt: skip
        with self._db.transaction() as conn:
            stmt = insert(conn, _RUNS).values(**row, counters={}, api_usage={})
            conn.execute(stmt.on_conflict_do_update(index_elements=["run_id"], set_=restart))
        return run_id

    def heartbeat(self, run_id: str, *, counters: Mapping[str, int] | None = None) -> None:
        """Record that the run is alive now, and its counters so far when given (kept if it never finishes)."""
        values: dict[str, Any] = {"heartbeat_at": self._db.now()}
        if counters is not None:
            values["counters"] = dict(counters)
        with self._db.transaction() as conn:
            conn.execute(sa.update(_RUNS).where(_RUNS.c.run_id == run_id).values(**values))

    def abandon(self, *, host: str, stale_after: timedelta, found_by: str) -> builtins.list[str]:
        """Mark started runs whose process is gone as ``abandoned``; return their IDs.

        A run is gone when it ran on this ``host`` and its process no longer exists, or
        when its heartbeat is older than ``stale_after`` (another machine, or an old run
        that recorded no process).
        """
        now = self._db.now()
        query = sa.select(_RUNS.c.run_id, _RUNS.c.pid, _RUNS.c.host, _RUNS.c.heartbeat_at, _RUNS.c.started_at)
        with self._db.connection() as conn:
            started = conn.execute(query.where(_RUNS.c.status == RunStatus.STARTED.value)).all()
        gone: dict[str, str] = {}
        for run_id, pid, on_host, heartbeat_at, started_at in started:
            last = heartbeat_at or started_at
            if pid is not None and on_host == host and not process_alive(pid):
                gone[run_id] = f"its process {pid} on {on_host} ended without finishing the run (killed?)"
            elif now - last > stale_after:
                gone[run_id] = f"no sign of life since {last:%Y-%m-%d %H:%M:%S} UTC (process {pid} on {on_host})"
        for run_id, why in gone.items():
            values = {"status": RunStatus.ABANDONED.value, "finished_at": now, "error_type": "Abandoned",
                      "error": f"{why}; found by run {found_by}"}  # fmt: skip
            with self._db.transaction() as conn:
                conn.execute(
                    sa.update(_RUNS)
                    .where(_RUNS.c.run_id == run_id, _RUNS.c.status == RunStatus.STARTED.value)
                    .values(**values)
                )
        return builtins.list(gone)

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        counters: Mapping[str, Any] | None = None,
        api_usage: Mapping[str, Any] | None = None,
        error: str | None = None,
        error_type: str | None = None,
    ) -> None:
        """Record how a run ended, what it counted and what API it spent.

        ``counters`` (pulled, stored, unchanged, rejected...) and ``api_usage`` (per
        system: calls, retries, throttled_seconds) replace the stored ones when given.
        ``error`` is stored with secrets masked and emails hashed; ``error_type`` names its kind.

        Raises:
            StoreError: When the run is unknown or the database fails.
        """
        values: dict[str, Any] = {"status": RunStatus(status).value, "finished_at": self._db.now()}
        if counters is not None:
            values["counters"] = dict(counters)
        if api_usage is not None:
            values["api_usage"] = dict(api_usage)
        values["error"] = redact_text(error) if error else None
        values["error_type"] = error_type
        with self._db.transaction() as conn:
            result = conn.execute(sa.update(_RUNS).where(_RUNS.c.run_id == run_id).values(**values))
        if result.rowcount == 0:
            msg = f"run {run_id!r} is not in the run ledger"
            raise StoreError(msg, hint="start it with store.runs.start() first")

    def last_completed(self, kind: str) -> Run | None:
        """Return the newest run of ``kind`` that ran to its end (succeeded or partial), or None."""
        done = (RunStatus.SUCCEEDED.value, RunStatus.PARTIAL.value)
        query = (
            select(Run)
            .where(_RUNS.c.kind == kind, _RUNS.c.status.in_(done))
            .order_by(_RUNS.c.started_at.desc(), _RUNS.c.run_id.desc())
            .limit(1)
        )
        rows = self._db.select_all(query)
        return rows[0] if rows else None

    def last_of_job(self, job: str) -> Run | None:
        """Return the newest run a schedule started, or None."""
        query = select(Run).where(_RUNS.c.job == job).order_by(_RUNS.c.started_at.desc(), _RUNS.c.run_id.desc())
        rows = self._db.select_all(query.limit(1))
        return rows[0] if rows else None

    def get(self, run_id: str) -> Run | None:
        """Return one run, or None when unknown."""
        rows = self._db.select_all(select(Run).where(_RUNS.c.run_id == run_id))
        return rows[0] if rows else None

    def list(self, *, kind: str | None = None, limit: int = 20) -> builtins.list[Run]:
        """Return the newest runs first (of one kind when given)."""
        query = select(Run).order_by(_RUNS.c.started_at.desc(), _RUNS.c.run_id.desc()).limit(limit)
        if kind is not None:
            query = query.where(_RUNS.c.kind == kind)
        return self._db.select_all(query)
