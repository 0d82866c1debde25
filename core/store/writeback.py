"""``store.writeback``: the value last written to each field of each system record.

    record         remember the values a push wrote
    last_written   ``{field: value}`` last written to one record
    diff           the part of the desired values not already written

Write-back plans ``desired - last written``: ``diff`` returns only the fields whose
desired value differs from what was last written (compared by the hash of their
canonical JSON), and ``record`` stores what a push actually wrote. The rows live in
the ``writeback_ledger`` table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from core.store.database import Repository, UpsertCounts, UpsertSpec, chunked
from core.store.tables import WritebackEntry
from core.store.types import content_hash

__all__ = ["WRITEBACK_SPEC", "WritebackLog", "WrittenOp"]

_WRITTEN = WritebackEntry.__table__  # type: ignore[attr-defined]

WRITEBACK_SPEC = UpsertSpec(
    table=_WRITTEN,
    key=("system", "stream", "source_id", "field"),
    lookup=3,
    hash_column="value_hash",
    update=("value", "value_hash", "written_at", "run_id"),
)


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

        A field written again with the same value keeps its original ``written_at``.

        Returns:
            Counts of fields inserted, updated and unchanged.

        Raises:
            StoreError: When a value cannot be stored as JSON or the database fails.
        """
        return self._db.upsert(WRITEBACK_SPEC, _written_rows(system, stream, ops, self._db.now(), run_id))

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
