"""``store.field_problems``: values left out of stored records, the records themselves kept.

    replace   set the current problems of mapped records (a record mapped clean again has none)
    list      problems, filtered by system, stream and run
    reasons   problems grouped by (field, code), most frequent first
    count     how many ``list`` would return

A bad country or an impossible date of birth identifies nobody: the mapping leaves the
value out and keeps the record (``core.mapping.FieldProblem``). The problem is kept here,
one row per record and field, so an operator can find and fix it at the source.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlmodel import select

from core.store.bulk import savepoint
from core.store.database import Repository, chunked, insert, of_records, record_chunks
from core.store.keys import RecordKey
from core.store.tables import FieldProblemRow

__all__ = ["FieldProblemInput", "FieldProblems"]

_PROBLEMS = FieldProblemRow.__table__  # type: ignore[attr-defined]


class FieldProblemInput(Protocol):
    """One value left out: ``core.mapping.FieldProblem`` or anything shaped like it."""

    @property
    def field(self) -> str:
        """The canonical field, e.g. ``Person.country``."""
        ...

    @property
    def code(self) -> str:
        """The kind of problem (``transform``, ``invalid``)."""
        ...

    @property
    def message(self) -> str:
        """What was wrong, naming the value."""
        ...


class FieldProblems(Repository):
    """Field-level problems of stored records."""

    def replace(
        self,
        mapped: Iterable[tuple[RecordKey, Sequence[FieldProblemInput]]],
        *,
        run_id: str | None,
        fresh: bool = False,
    ) -> int:
        """Make each record's stored problems exactly the ones given (none clears them); return how many are kept.

        ``fresh`` says none of these records was stored before this batch: they have no
        problems to clear, so nothing is deleted first (a clash falls back to replacing).

        Raises:
            StoreError: When the database fails.
        """
        now, kept = self._db.now(), 0
        for chunk in chunked(mapped):
            rows = {
                (key.system, key.stream, key.source_id, p.field): _row(key, p, run_id, now)
                for key, problems in chunk
                for p in problems
            }
            if fresh and not rows:
                continue
            if fresh:
                with self._db.transaction() as conn, savepoint(conn) as clashed:
                    conn.execute(insert(conn, _PROBLEMS), builtins.list(rows.values()))
                if not clashed[0]:
                    kept += len(rows)
                    continue
            with self._db.transaction() as conn:
                for system, stream, source_ids in record_chunks((k.system, k.stream, k.source_id) for k, _ in chunk):
                    conn.execute(sa.delete(_PROBLEMS).where(of_records(_PROBLEMS, system, stream, source_ids)))
                if rows:
                    conn.execute(insert(conn, _PROBLEMS), builtins.list(rows.values()))
            kept += len(rows)
        return kept

    def list(
        self,
        system: str | None = None,
        stream: str | None = None,
        run_id: str | None = None,
        *,
        limit: int | None = None,
    ) -> builtins.list[FieldProblemRow]:
        """Return problems in the order they were found, filtered by system, stream and run."""
        query = select(FieldProblemRow).where(*_filters(system, stream, run_id)).order_by(_PROBLEMS.c.id).limit(limit)
        return self._db.select_all(query)

    def reasons(
        self, system: str | None = None, stream: str | None = None, run_id: str | None = None
    ) -> builtins.list[tuple[str, str, int]]:
        """Return problems grouped by (field, code), most frequent first."""
        c = _PROBLEMS.c
        query = (
            sa.select(c.field, c.code, sa.func.count())
            .where(*_filters(system, stream, run_id))
            .group_by(c.field, c.code)
            .order_by(sa.func.count().desc(), c.field, c.code)
        )
        with self._db.connection() as conn:
            return [(str(field), str(code), int(n)) for field, code, n in conn.execute(query)]

    def count(self, system: str | None = None, stream: str | None = None, run_id: str | None = None) -> int:
        """Return how many problems ``list`` with the same filters returns without a limit."""
        query = sa.select(sa.func.count()).select_from(_PROBLEMS).where(*_filters(system, stream, run_id))
        with self._db.connection() as conn:
            return int(conn.execute(query).scalar_one())


def _row(key: RecordKey, problem: FieldProblemInput, run_id: str | None, now: datetime) -> dict[str, Any]:
    return {
        "system": key.system,
        "stream": key.stream,
        "source_id": key.source_id,
        "field": problem.field,
        "code": str(problem.code),
        "message": problem.message,
        "run_id": run_id,
        "seen_at": now,
    }


def _filters(system: str | None, stream: str | None, run_id: str | None) -> builtins.list[sa.ColumnElement[bool]]:
    return [
        _PROBLEMS.c[column] == value
        for column, value in (("system", system), ("stream", stream), ("run_id", run_id))
        if value is not None
    ]
