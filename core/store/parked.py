"""``store.parked``: records rejected on the way in, with their reasons, until fixed at the source.

    add       park rejected records with reason code, field and reason (idempotent per run)
    list      parked records, oldest first, filtered by system, stream and run
    reasons   open parked records grouped by (code, field), for summaries and reports
    count     how many ``list`` would return without a limit
    resolve   mark records resolved

A record is the same when its system, stream, source ID and raw content are.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, chunked, insert, of_records, record_chunks
from core.store.tables import ParkedRecord
from core.store.types import content_hash

__all__ = ["Parked", "ParkedInput", "parked_content_hash"]

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

    @property
    def code(self) -> str:
        """The kind of problem (``connectors.base.RejectionCode``)."""
        ...

    @property
    def field(self) -> str | None:
        """The field involved, when one is."""
        ...


def parked_content_hash(item: ParkedInput) -> str:
    """Return the hash that identifies a parked record: its source ID and raw content."""
    return content_hash({"source_id": item.source_id, "raw": item.raw})


class Parked(Repository):
    """Parked (rejected) records."""

    def add(self, rejected: Iterable[ParkedInput], *, run_id: str | None) -> int:
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
        now, total = self._db.now(), 0
        for chunk in chunked(rejected):
            rows = {}
            for item in chunk:
                row = _parked_row(item, now, run_id)
                rows[(row["system"], row["stream"], row["content_hash"])] = row
            with self._db.transaction() as conn:
                stmt = insert(conn, _PARKED)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["system", "stream", "content_hash"],
                    set_={
                        "times_seen": _PARKED.c.times_seen + 1,
                        "reason": stmt.excluded.reason,
                        "code": stmt.excluded.code,
                        "field": stmt.excluded.field,
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

    def list(
        self,
        system: str | None = None,
        stream: str | None = None,
        run_id: str | None = None,
        *,
        include_resolved: bool = False,
        limit: int | None = None,
    ) -> builtins.list[ParkedRecord]:
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
        return self._db.select_all(query)

    def reasons(
        self, system: str | None = None, stream: str | None = None, run_id: str | None = None
    ) -> builtins.list[tuple[str, str | None, int]]:
        """Return open parked records grouped by (reason code, field), most frequent first."""
        c = _PARKED.c
        filters = _parked_filters(system, stream, run_id, include_resolved=False)
        query = (
            sa.select(c.code, c.field, sa.func.count())
            .where(*filters)
            .group_by(c.code, c.field)
            .order_by(sa.func.count().desc(), c.code, c.field)
        )
        with self._db.connection() as conn:
            return [(str(code or "unreadable"), field, int(n)) for code, field, n in conn.execute(query)]

    def count(
        self,
        system: str | None = None,
        stream: str | None = None,
        run_id: str | None = None,
        *,
        include_resolved: bool = False,
    ) -> int:
        """Return how many parked records ``list`` with the same filters returns without a limit."""
        filters = _parked_filters(system, stream, run_id, include_resolved=include_resolved)
        query = sa.select(sa.func.count()).select_from(_PARKED).where(*filters)
        with self._db.connection() as conn:
            return int(conn.execute(query).scalar_one())

    def close_stored(self, records: Iterable[tuple[str, str, str]]) -> int:
        """Mark the open parked records of these ``(system, stream, source_id)`` resolved: read again and stored.

        Returns:
            How many were open.

        Raises:
            StoreError: When the database fails.
        """
        count = 0
        with self._db.transaction() as conn:
            for system, stream, source_ids in record_chunks(records):
                query = sa.update(_PARKED).where(
                    of_records(_PARKED, system, stream, source_ids), _PARKED.c.resolved.is_(False)
                )
                count += conn.execute(query.values(resolved=True)).rowcount
        return count

    def resolve(self, ids: Iterable[int]) -> int:
        """Mark parked records as resolved (fixed at the source); return how many were open."""
        wanted, count = list(ids), 0
        with self._db.transaction() as conn:
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
        "code": str(item.code),
        "field": item.field,
        "raw": item.raw,
        "position": item.position,
        "run_id": run_id,
        "content_hash": parked_content_hash(item),
        "first_parked_at": now,
        "last_parked_at": now,
        "times_seen": 1,
        "resolved": False,
    }
