"""``store.writeback``: the value last written to each field of each system record.

    record         remember the values a push wrote (and clear the records' failures)
    last_written   ``{field: value}`` last written to one record
    written        ``{source_id: {field: value}}`` last written to many records (``written_when``: and when)
    diff           the part of the desired values not already written
    fail           keep the error and retry state of refused writes, in a transaction of their own
    failures       the writes that failed, and how often
    owe / owed / owed_counts / settle   profiles whose writes wait for a system that failed during a run

Write-back plans ``desired - last written``: ``diff`` returns only the fields whose
desired value differs from what was last written (compared by the hash of their
canonical JSON), and ``record`` stores what a push actually wrote. The rows live in
the ``writeback_ledger`` table.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, UpsertCounts, UpsertSpec, chunked, insert
from core.store.tables import WritebackEntry, WritebackFailure, WritebackOwed
from core.store.types import content_hash

__all__ = ["WRITEBACK_SPEC", "FailedWrite", "WritebackLog", "WrittenOp"]

_WRITTEN = WritebackEntry.__table__  # type: ignore[attr-defined]
_FAILED = WritebackFailure.__table__  # type: ignore[attr-defined]
_OWED = WritebackOwed.__table__  # type: ignore[attr-defined]

WRITEBACK_SPEC = UpsertSpec(
    table=_WRITTEN,
    key=("system", "stream", "source_id", "field"),
    lookup=3,
    hash_column="value_hash",
    update=("value", "value_hash", "written_at", "run_id"),
)


class FailedWrite(Protocol):
    """A write that failed: the record, the fields it tried, and the vendor's answer."""

    @property
    def source_id(self) -> str:
        """The record's ID in the system."""
        ...

    @property
    def fields(self) -> Mapping[str, Any]:
        """Field name → value it tried to write."""
        ...

    @property
    def code(self) -> str | None:
        """The vendor's error code."""
        ...

    @property
    def message(self) -> str | None:
        """The vendor's message."""
        ...

    @property
    def retryable(self) -> bool:
        """Whether trying again may succeed."""
        ...


class WrittenOp(Protocol):
    """What was written to one record: ``connectors.base.WriteOp`` or anything shaped like it."""

    @property
    def source_id(self) -> str:
        """The record's ID in the system."""
        ...

    @property
    def fields(self) -> Mapping[str, Any]:
        """Field name → value written."""
        ...


def _written_rows(
    system: str, stream: str, ops: Iterable[WrittenOp], now: datetime, run_id: str | None
) -> Iterable[dict[str, Any]]:
    for op in ops:
        for name, value in op.fields.items():
            yield {
                "system": system,
                "stream": stream,
                "source_id": op.source_id,
                "field": name,
                "value": value,
                "value_hash": content_hash(value),
                "written_at": now,
                "run_id": run_id,
            }


class WritebackLog(Repository):
    """What was last written where."""

    def record(self, system: str, stream: str, ops: Iterable[WrittenOp], *, run_id: str | None) -> UpsertCounts:
        """Remember the values a push wrote (call it with the operations that succeeded).

        A field written again with the same value (a person's edit set back, a write sent again
        after a crash) gets the new ``written_at`` and ``run_id``: that write is the last one,
        and a record pulled before it says nothing of the field (``written_when``).

        Returns:
            Counts of fields inserted, updated and unchanged.

        Raises:
            StoreError: When a value cannot be stored as JSON or the database fails.
        """
        done, now = builtins.list(ops), self._db.now()
        changed: list[tuple[Any, ...]] = []
        counts = self._db.upsert(WRITEBACK_SPEC, _written_rows(system, stream, done, now, run_id), changed_keys=changed)
        moved = {*changed}
        again = [
            {"s": op.source_id, "f": name, "at": now, "run": run_id}
            for op in done
            for name in op.fields
            if (system, stream, op.source_id, name) not in moved
        ]
        w, f = _WRITTEN.c, _FAILED.c
        with self._db.transaction() as conn:
            if again:
                conn.execute(
                    sa.update(_WRITTEN)
                    .where(w.system == system, w.stream == stream)
                    .where(w.source_id == sa.bindparam("s"), w.field == sa.bindparam("f"))
                    .values(written_at=sa.bindparam("at"), run_id=sa.bindparam("run")),
                    again,
                )
            for part in chunked([op.source_id for op in done], 500):
                conn.execute(sa.delete(_FAILED).where(f.system == system, f.stream == stream, f.source_id.in_(part)))
        return counts

    def written(self, system: str, stream: str, source_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return ``{source_id: {field: value}}`` last written to these records (records never written left out).

        Every record an ingest batch pulls is checked against it (hand-made changes): the
        write times are not read, so no time is converted for each field of each record.
        """
        found: dict[str, dict[str, Any]] = {}
        for source_id, name, value in self._written_rows(system, stream, source_ids):
            found.setdefault(source_id, {})[name] = value
        return found

    def written_when(
        self, system: str, stream: str, source_ids: Iterable[str]
    ) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, datetime]]]:
        """Return ``written``'s values and ``{source_id: {field: when that value was first written}}``."""
        found: dict[str, dict[str, Any]] = {}
        when: dict[str, dict[str, datetime]] = {}
        for source_id, name, value, written_at in self._written_rows(system, stream, source_ids, _WRITTEN.c.written_at):
            found.setdefault(source_id, {})[name] = value
            when.setdefault(source_id, {})[name] = written_at
        return found, when

    def _written_rows(self, system: str, stream: str, source_ids: Iterable[str], *more: Any) -> Iterator[Any]:
        """``(source_id, field, value, *more)`` of the fields last written to these records."""
        c = _WRITTEN.c
        with self._db.connection() as conn:
            for part in chunked(source_ids, 500):
                query = sa.select(c.source_id, c.field, c.value, *more).where(
                    c.system == system, c.stream == stream, c.source_id.in_(part)
                )
                yield from conn.execute(query)

    def fail(self, system: str, stream: str, failed: Iterable[FailedWrite], *, run_id: str | None) -> None:
        """Keep each refused write's error and count its attempts, committed on its own.

        Its own transaction: whatever happens to the batch afterwards, the failure and its
        attempt count stay, so a write that keeps failing is known and not retried blindly.

        Raises:
            StoreError: When the database fails.
        """
        now, f = self._db.now(), _FAILED.c
        rows = [
            {"system": system, "stream": stream, "source_id": item.source_id, "fields": dict(item.fields),
             "code": item.code, "message": item.message, "retryable": item.retryable, "attempts": 1,
             "first_failed_at": now, "last_failed_at": now, "run_id": run_id}
            for item in failed
        ]  # fmt: skip
        if not rows:
            return
        with self._db.transaction() as conn:
            stmt = insert(conn, _FAILED)
            update = {
                name: stmt.excluded[name]
                for name in ("fields", "code", "message", "retryable", "last_failed_at", "run_id")
            }
            conn.execute(
                stmt.on_conflict_do_update(
                    index_elements=["system", "stream", "source_id"], set_={**update, "attempts": f.attempts + 1}
                ),
                rows,
            )

    def release(self, system: str) -> int:
        """Make the writes to ``system`` that failed worth sending again; return how many.

        A write refused for good is not sent again with the same values, and one that failed
        too often is left. Once the cause is fixed (``contactpoint setup`` made the missing
        fields), the next run sends them again: each counts as retryable with no attempts.

        Raises:
            StoreError: When the database fails.
        """
        with self._db.transaction() as conn:
            query = sa.update(_FAILED).where(_FAILED.c.system == system).values(retryable=True, attempts=0)
            return int(conn.execute(query).rowcount)

    def failures(self, system: str | None = None, stream: str | None = None) -> builtins.list[WritebackFailure]:
        """Return the writes that failed, newest first."""
        query = select(WritebackFailure).order_by(_FAILED.c.last_failed_at.desc(), _FAILED.c.id)
        if system is not None:
            query = query.where(_FAILED.c.system == system)
        if stream is not None:
            query = query.where(_FAILED.c.stream == stream)
        return self._db.select_all(query)

    def owe(self, system: str, profile_ids: Iterable[str], *, run_id: str | None) -> None:
        """Note that these profiles' writes to ``system`` were not sent (it failed): the next runs take them again.

        Committed on its own, as failures are; a profile already owed keeps its first run and time.
        """
        now = self._db.now()
        rows = [
            {"system": system, "profile_id": p, "owed_since": now, "run_id": run_id} for p in sorted(set(profile_ids))
        ]
        if not rows:
            return
        with self._db.transaction() as conn:
            conn.execute(insert(conn, _OWED).on_conflict_do_nothing(index_elements=["system", "profile_id"]), rows)

    def owed(self, system: str | None = None, *, besides: Iterable[str] = ()) -> builtins.list[str]:
        """Return the profiles whose writes wait for a system (``system``, or any but ``besides``), each once, in order."""
        query = sa.select(_OWED.c.profile_id).distinct().order_by(_OWED.c.profile_id)
        if system is not None:
            query = query.where(_OWED.c.system == system)
        if skipped := sorted(besides):
            query = query.where(_OWED.c.system.not_in(skipped))
        with self._db.connection() as conn:
            return [str(pid) for (pid,) in conn.execute(query)]

    def owed_counts(self) -> dict[str, int]:
        """Return ``{system: profiles owed}`` of the systems owed something."""
        query = sa.select(_OWED.c.system, sa.func.count()).group_by(_OWED.c.system)
        with self._db.connection() as conn:
            return {str(system): int(count) for system, count in conn.execute(query)}

    def settle(self, systems: Iterable[str]) -> None:
        """Forget what ``systems`` were owed: a run planned it again and they answered throughout."""
        names = sorted(systems)
        if not names:
            return
        with self._db.transaction() as conn:
            conn.execute(sa.delete(_OWED).where(_OWED.c.system.in_(names)))

    def last_written(self, system: str, stream: str, source_id: str) -> dict[str, Any]:
        """Return ``{field: value}`` last written to one record (empty when nothing was)."""
        c = _WRITTEN.c
        query = sa.select(c.field, c.value).where(c.system == system, c.stream == stream, c.source_id == source_id)
        with self._db.connection() as conn:
            return {row.field: row.value for row in conn.execute(query)}

    def diff(self, system: str, stream: str, desired: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
        """Return the part of ``desired`` (``{source_id: {field: value}}``) not already written.

        A field is kept when it was never written or its value's hash differs from the
        last written one; records with nothing to write are left out.

        Raises:
            StoreError: When a value cannot be hashed or the database fails.
        """
        c, changes = _WRITTEN.c, {}
        with self._db.connection() as conn:
            for chunk in chunked(desired):
                query = sa.select(c.source_id, c.field, c.value_hash).where(
                    c.system == system, c.stream == stream, c.source_id.in_(chunk)
                )
                written = {(r.source_id, r.field): r.value_hash for r in conn.execute(query)}
                for source_id in chunk:
                    fields = {
                        name: value
                        for name, value in desired[source_id].items()
                        if written.get((source_id, name)) != content_hash(value)
                    }
                    if fields:
                        changes[source_id] = fields
        return changes
