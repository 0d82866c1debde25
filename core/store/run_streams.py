"""``store.run_streams``: what each run did per system and stream, and the reports' snapshots.

    record      keep one step's counters of one stream in one run (a resumed run's step is replaced)
    of_runs     the rows of some runs, in run order
    snapshot    keep a report's headline figures; ``last_snapshot`` the newest one

The run ledger (``store.runs``) counts a whole run; these rows say which system and
stream each count belongs to, so a report can say "HubSpot contacts: 1,204 pulled, 3
parked (2 invalid email), 0 deleted" without reading a log.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, chunked, insert
from core.store.report_tables import ReportSnapshotRow, RunStreamRow

__all__ = ["RunStreams", "StreamStep"]

_ROWS = RunStreamRow.__table__  # type: ignore[attr-defined]
_SNAPSHOTS = ReportSnapshotRow.__table__  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True)
class StreamStep:
    """One step's counters for one stream of one system (``pull``, ``writeback``, ``erase``)."""

    system: str
    stream: str
    step: str
    counters: Mapping[str, Any]


class RunStreams(Repository):
    """Per-stream counters of runs, and report snapshots."""

    def record(self, run_id: str, steps: Iterable[StreamStep]) -> int:
        """Keep the counters of ``steps`` for ``run_id``; a step recorded again replaces its counters.

        Raises:
            StoreError: When the database fails.
        """
        now = self._db.now()
        rows = {
            (s.system, s.stream, s.step): {"run_id": run_id, "system": s.system, "stream": s.stream, "step": s.step,
                                           "counters": dict(s.counters), "recorded_at": now}
            for s in steps
        }  # fmt: skip
        if not rows:
            return 0
        with self._db.transaction() as conn:
            stmt = insert(conn, _ROWS)
            stmt = stmt.on_conflict_do_update(
                index_elements=["run_id", "system", "stream", "step"],
                set_={"counters": stmt.excluded.counters, "recorded_at": stmt.excluded.recorded_at},
            )
            conn.execute(stmt, builtins.list(rows.values()))
        return len(rows)

    def of_runs(self, run_ids: Iterable[str]) -> builtins.list[RunStreamRow]:
        """Return the rows of these runs, ordered by run, system, stream and step."""
        found: builtins.list[RunStreamRow] = []
        for part in chunked(run_ids, 500):
            query = select(RunStreamRow).where(_ROWS.c.run_id.in_(part))
            found += self._db.select_all(query)
        return sorted(found, key=lambda r: (r.run_id, r.system, r.stream, r.step))

    def snapshot(self, report_id: str, figures: Mapping[str, Any], *, since_run: str | None) -> None:
        """Keep a report's headline figures (the next report compares with them).

        Raises:
            StoreError: When the database fails.
        """
        row = {"report_id": report_id, "created_at": self._db.now(), "since_run": since_run, "figures": dict(figures)}
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_SNAPSHOTS).values(**row))

    def last_snapshot(self) -> ReportSnapshotRow | None:
        """Return the newest report snapshot, or None before the first report."""
        query = select(ReportSnapshotRow).order_by(_SNAPSHOTS.c.created_at.desc(), _SNAPSHOTS.c.report_id.desc())
        rows = self._db.select_all(query.limit(1))
        return rows[0] if rows else None
