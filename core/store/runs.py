"""``store.runs``: the run ledger, one row per sync, mapping or identity run.

start    record that a run started (or resume one)
finish   record how it ended, its counters and API usage
get      one run
list     the newest runs first
"""

from __future__ import annotations

import builtins
import secrets
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.errors import StoreError
from core.logs import redact_text
from core.store.database import Repository, insert
from core.store.tables import Run, RunStatus

__all__ = ["Runs", "new_run_id"]

_RUNS = Run.__table__  # type: ignore[attr-defined]


def new_run_id(kind: str, *, at: Any) -> str:
    """Return a new, time-sortable run ID such as ``sync-20240501T093000Z-3f9a1c``."""
    return f"{kind}-{at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


class Runs(Repository):
    """Runs: when each started and ended, how, and what it counted."""

    def start(self, kind: str, *, run_id: str | None = None) -> str:
        """Record that a run of ``kind`` (``sync``, ``mapping``, ``identity``...) started.

        Giving the ``run_id`` of an earlier run resumes it: its status goes back to
        ``started`` and its end time and error are cleared; counters are kept.

        Returns:
            The run ID.

        Raises:
            StoreError: When the database fails.
        """
        now = self._db.now()
        run_id = run_id or new_run_id(kind, at=now)
        row = {"run_id": run_id, "kind": kind, "status": RunStatus.STARTED.value, "started_at": now}
        with self._db.transaction() as conn:
            stmt = insert(conn, _RUNS).values(**row, counters={}, api_usage={})
            stmt = stmt.on_conflict_do_update(
                index_elements=["run_id"], set_={"status": RunStatus.STARTED.value, "finished_at": None, "error": None}
            )
            conn.execute(stmt)
        return run_id

    def finish(
        self,
        run_id: str,
        status: RunStatus,
        counters: Mapping[str, Any] | None = None,
        api_usage: Mapping[str, Any] | None = None,
        error: str | None = None,
    ) -> None:
        """Record how a run ended, what it counted and what API it spent.

        ``counters`` (pulled, stored, unchanged, rejected...) and ``api_usage`` (per
        system: calls, retries, throttled_seconds) replace the stored ones when given.
        ``error`` is stored with secrets masked and emails hashed.

        Raises:
            StoreError: When the run is unknown or the database fails.
        """
        values: dict[str, Any] = {"status": RunStatus(status).value, "finished_at": self._db.now()}
        if counters is not None:
            values["counters"] = dict(counters)
        if api_usage is not None:
            values["api_usage"] = dict(api_usage)
        values["error"] = redact_text(error) if error else None
        with self._db.transaction() as conn:
            result = conn.execute(sa.update(_RUNS).where(_RUNS.c.run_id == run_id).values(**values))
        if result.rowcount == 0:
            msg = f"run {run_id!r} is not in the run ledger"
            raise StoreError(msg, hint="start it with store.runs.start() first")

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
