"""The run ledger, stream cursors and parked (rejected) records."""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import select

from core.errors import StoreError
from core.logs import redact_text
from core.store.base import StoreBase, chunked
from core.store.tables import Cursor, ParkedRecord, Run, RunStatus
from core.store.types import content_hash

__all__ = ["ParkedInput", "RunsMixin", "new_run_id", "parked_content_hash"]

_RUNS = Run.__table__  # type: ignore[attr-defined]
_CURSORS = Cursor.__table__  # type: ignore[attr-defined]
_PARKED = ParkedRecord.__table__  # type: ignore[attr-defined]


class ParkedInput(Protocol):
    """A record to park: ``connectors.base.RejectedRecord`` or anything shaped like it."""

    @property
    def system(self) -> str:
        """The system it came from."""
        ...

    @property
    def stream(self) -> str:
        """The stream it came from."""
        ...

    @property
    def reason(self) -> str:
        """Why it was rejected, for a person to read."""
        ...

    @property
    def raw(self) -> Any:
        """The record as received (any JSON-compatible value)."""
        ...

    @property
    def source_id(self) -> str | None:
        """Its ID, when it could be read."""
        ...

    @property
    def position(self) -> str | None:
        """Where it was in the source (file line, page)."""
        ...


def new_run_id(kind: str, *, at: Any) -> str:
    """Return a new, time-sortable run ID such as ``sync-20240501T093000Z-3f9a1c``."""
    return f"{kind}-{at:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def parked_content_hash(item: ParkedInput) -> str:
    """Return the hash that identifies a parked record: its source ID and raw content."""
    return content_hash({"source_id": item.source_id, "raw": item.raw})


class RunsMixin(StoreBase):
    """Runs, cursors and parked records."""

    def start_run(self, kind: str, *, run_id: str | None = None) -> str:
        """Record that a run of ``kind`` (``sync``, ``mapping``, ``identity``...) started.

        Giving the ``run_id`` of an earlier run resumes it: its status goes back to
        ``started`` and its end time and error are cleared; counters are kept.

        Returns:
            The run ID.

        Raises:
            StoreError: When the database fails.
        """
        now = self.now()
        run_id = run_id or new_run_id(kind, at=now)
        row = {"run_id": run_id, "kind": kind, "status": RunStatus.STARTED.value, "started_at": now}
        with self._tx() as conn:
            stmt = self._insert(conn, _RUNS).values(**row, counters={}, api_usage={})
            stmt = stmt.on_conflict_do_update(
                index_elements=["run_id"], set_={"status": RunStatus.STARTED.value, "finished_at": None, "error": None}
            )
            conn.execute(stmt)
        return run_id

    def finish_run(
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
        values: dict[str, Any] = {"status": RunStatus(status).value, "finished_at": self.now()}
        if counters is not None:
            values["counters"] = dict(counters)
        if api_usage is not None:
            values["api_usage"] = dict(api_usage)
        values["error"] = redact_text(error) if error else None
        with self._tx() as conn:
            result = conn.execute(sa.update(_RUNS).where(_RUNS.c.run_id == run_id).values(**values))
        if result.rowcount == 0:
            msg = f"run {run_id!r} is not in the run ledger"
            raise StoreError(msg, hint="start it with start_run() first")

    def get_run(self, run_id: str) -> Run | None:
        """Return one run, or None when unknown."""
        rows = self._select_all(select(Run).where(_RUNS.c.run_id == run_id))
        return rows[0] if rows else None

    def list_runs(self, *, kind: str | None = None, limit: int = 20) -> list[Run]:
        """Return the newest runs first (of one kind when given)."""
        query = select(Run).order_by(_RUNS.c.started_at.desc(), _RUNS.c.run_id.desc()).limit(limit)
        if kind is not None:
            query = query.where(_RUNS.c.kind == kind)
        return self._select_all(query)

    def get_cursor(self, system: str, stream: str) -> dict[str, Any] | None:
        """Return the saved cursor of a stream, or None when it was never pulled."""
        query = sa.select(_CURSORS.c.cursor).where(_CURSORS.c.system == system, _CURSORS.c.stream == stream)
        with self._read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return dict(value) if value is not None else None

    def save_cursor(self, system: str, stream: str, cursor: Mapping[str, Any], *, run_id: str | None) -> None:
        """Save a stream's cursor (after its batch is stored), replacing the previous one.

        Raises:
            StoreError: When the cursor is not JSON or the database fails.
        """
        content_hash(cursor)  # fail early, with a hint, on values JSON cannot hold
        row = {"system": system, "stream": stream, "cursor": dict(cursor), "updated_at": self.now(), "run_id": run_id}
        with self._tx() as conn:
            stmt = self._insert(conn, _CURSORS).values(**row)
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["system", "stream"],
                    set_={k: stmt.excluded[k] for k in ("cursor", "updated_at", "run_id")},
                )
            )

    def park(self, rejected: Iterable[ParkedInput], *, run_id: str | None) -> int:
        """Park rejected records with their reasons.

        A record is the same when its system, stream, source ID and raw content are:
        parking it again in a later run bumps ``times_seen``, updates the reason and
        position and reopens it (``resolved`` false); parking it again in the same
        run changes nothing, so a replayed batch does not inflate the count.

        Returns:
            How many distinct records this call parked.

        Raises:
            StoreError: When the database fails.
        """
        now, total = self.now(), 0
        for chunk in chunked(rejected):
            rows = {}
            for item in chunk:
                row = _parked_row(item, now, run_id)
                rows[(row["system"], row["stream"], row["content_hash"])] = row
            with self._tx() as conn:
                stmt = self._insert(conn, _PARKED)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["system", "stream", "content_hash"],
                    set_={
                        "times_seen": _PARKED.c.times_seen + 1,
                        "reason": stmt.excluded.reason,
                        "position": stmt.excluded.position,
                        "run_id": stmt.excluded.run_id,
                        "last_parked_at": stmt.excluded.last_parked_at,
                        "resolved": False,
                    },
                    where=_PARKED.c.run_id.is_distinct_from(stmt.excluded.run_id),
                )
                conn.execute(stmt, list(rows.values()))
            total += len(rows)
        return total

    def list_parked(
        self,
        system: str | None = None,
        stream: str | None = None,
        run_id: str | None = None,
        *,
        include_resolved: bool = False,
        limit: int | None = None,
    ) -> list[ParkedRecord]:
        """Return parked records, oldest first, filtered by system, stream and last run.

        Args:
            system: Only this system's.
            stream: Only this stream's.
            run_id: Only those last parked by this run.
            include_resolved: Also those marked resolved.
            limit: At most this many (the oldest); all when None.
        """
        query = select(ParkedRecord).where(*_parked_filters(system, stream, run_id, include_resolved=include_resolved))
        query = query.order_by(_PARKED.c.first_parked_at, _PARKED.c.id).limit(limit)
        return self._select_all(query)

    def count_parked(
        self,
        system: str | None = None,
        stream: str | None = None,
        run_id: str | None = None,
        *,
        include_resolved: bool = False,
    ) -> int:
        """Return how many parked records ``list_parked`` with the same filters returns without a limit."""
        filters = _parked_filters(system, stream, run_id, include_resolved=include_resolved)
        query = sa.select(sa.func.count()).select_from(_PARKED).where(*filters)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def resolve_parked(self, ids: Iterable[int]) -> int:
        """Mark parked records as resolved (fixed at the source); return how many were open."""
        wanted, count = list(ids), 0
        with self._tx() as conn:
            for chunk in chunked(wanted):
                query = sa.update(_PARKED).where(_PARKED.c.id.in_(chunk), _PARKED.c.resolved.is_(False))
                count += conn.execute(query.values(resolved=True)).rowcount
        return count


def _parked_filters(
    system: str | None, stream: str | None, run_id: str | None, *, include_resolved: bool
) -> list[sa.ColumnElement[bool]]:
    filters = [
        _PARKED.c[column] == value
        for column, value in (("system", system), ("stream", stream), ("run_id", run_id))
        if value is not None
    ]
    if not include_resolved:
        filters.append(_PARKED.c.resolved.is_(False))
    return filters


def _parked_row(item: ParkedInput, now: Any, run_id: str | None) -> dict[str, Any]:
    return {
        "system": item.system,
        "stream": item.stream,
        "source_id": item.source_id,
        "reason": item.reason,
        "raw": item.raw,
        "position": item.position,
        "run_id": run_id,
        "content_hash": parked_content_hash(item),
        "first_parked_at": now,
        "last_parked_at": now,
        "times_seen": 1,
        "resolved": False,
    }
