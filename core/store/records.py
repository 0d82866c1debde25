"""``store.records``: source records as pulled and the canonical records mapped from them.

upsert_source, upsert_canonical   batch upserts that change nothing when nothing changed
get_source                        one stored source row
iter_source, iter_canonical       streaming reads in key order
iter_canonical_texts              one model's first rows as JSON text, for a parser that validates as it reads
canonical_of, canonical_texts_of  given records' rows of some models (as JSON text: likewise)
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import groupby
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from connectors.base import SourceRecord
from core.errors import StoreError
from core.store import bulk
from core.store.database import (
    CHUNK_SIZE,
    Repository,
    UpsertCounts,
    UpsertSpec,
    chunked,
    of_records,
    record_chunks,
    select_rows,
)
from core.store.keys import RecordKey
from core.store.tables import CanonicalRecord, SourceRecordRow
from core.store.types import canonical_json, content_hash, text_hash

__all__ = ["CanonicalInput", "Records", "StoredCanonical", "source_content_hash"]

_SOURCE = SourceRecordRow.__table__  # type: ignore[attr-defined]
_CANONICAL = CanonicalRecord.__table__  # type: ignore[attr-defined]

SOURCE_SPEC = UpsertSpec(
    table=_SOURCE,
    key=("system", "stream", "source_id"),
    lookup=3,
    hash_column="content_hash",
    update=("updated_at", "deleted", "merged_into", "raw", "content_hash", "last_seen_at", "last_run_id"),
    json_text=("raw",),
)
CANONICAL_SPEC = UpsertSpec(
    table=_CANONICAL,
    key=("system", "stream", "source_id", "model", "ordinal"),
    lookup=3,
    hash_column="content_hash",
    update=("data", "content_hash", "updated_at", "run_id"),
    json_text=("data",),
)

CanonicalInput = tuple[RecordKey, str, int, Mapping[str, Any] | Any]
"""``(record, model name, ordinal, data)``: data is a mapping or a pydantic model."""


@dataclass(frozen=True, slots=True)
class StoredCanonical:
    """A canonical row as read back from the store."""

    system: str
    stream: str
    source_id: str
    model: str
    ordinal: int
    data: dict[str, Any]
    content_hash: str
    updated_at: datetime


def source_content_hash(record: SourceRecord) -> str:
    """Return the hash that decides whether a source record changed: raw, deleted, merged_into."""
    return content_hash({"raw": record.raw, "deleted": record.deleted, "merged_into": record.merged_into})


def _source_text_and_hash(record: SourceRecord) -> tuple[str, str]:
    """Serialise ``raw`` once; hash the same envelope as ``source_content_hash`` around it."""
    raw = canonical_json(record.raw)
    deleted = "true" if record.deleted is True else "false" if record.deleted is False else json.dumps(record.deleted)
    merged = "null" if record.merged_into is None else json.dumps(record.merged_into)
    envelope = f'{{"deleted":{deleted},"merged_into":{merged},"raw":{raw}}}'
    return raw, text_hash(envelope)


def _require_aware(value: datetime | None, record: RecordKey) -> None:
    if value is not None and (value.tzinfo is None or value.utcoffset() is None):
        msg = f"{record.system}/{record.stream}/{record.source_id}: updated_at {value.isoformat()} has no timezone"
        raise StoreError(
            msg,
            hint="connectors must give timezone-aware datetimes (e.g. parse with a UTC default)",
            system=record.system,
            stream=record.stream,
            record_id=record.source_id,
        )


def _source_row(record: SourceRecord, now: datetime, run_id: str | None) -> dict[str, Any]:
    _require_aware(record.updated_at, record)
    raw, digest = _source_text_and_hash(record)
    return {
        "system": record.system,
        "stream": record.stream,
        "source_id": record.source_id,
        "updated_at": record.updated_at,
        "deleted": record.deleted,
        "merged_into": record.merged_into,
        "raw": raw,
        "content_hash": digest,
        "first_seen_at": now,
        "last_seen_at": now,
        "last_run_id": run_id,
    }


def _canonical_row(item: CanonicalInput, now: datetime, run_id: str | None) -> dict[str, Any]:
    ref, model, ordinal, data = item
    values = data.model_dump(mode="json") if hasattr(data, "model_dump") else dict(data)
    payload, meaning = text_and_meaning(values, model)
    return canonical_text_row(ref, model, ordinal, payload, now, run_id, meaning=meaning)


_UPDATED_AT = frozenset({"updated_at"})
_TIMES_OF_RESTATEMENT = {"Consent": frozenset({"updated_at", "at"})}
"""Per model, the fields whose change alone is no change of meaning (``updated_at`` for every model)."""


def meaning_hash(values: Mapping[str, Any], model: str | None = None) -> str:
    """The hash that says whether a canonical row changed: its values but the record's change time.

    A record changes its ``updated_at`` whenever anything in it changes, Contactpoint's
    own write-back included; that alone changes nothing identity or policies read, so it
    is no reason to store the row again or to start work (the echo of a write-back).

    A Consent's ``at`` is left out as well: a record that states the same consent again
    (a flag on a contact, dated with the contact's last change, re-read after a
    write-back moved that date) keeps the row, so the stored ``at`` stays the first
    time the status was seen, "denied since". A new status, channel or purpose is a
    new meaning and stores the row with its new time.
    """
    ignored = _ignored_in_meaning(model)
    return content_hash({name: value for name, value in values.items() if name not in ignored})


def _ignored_in_meaning(model: str | None) -> frozenset[str]:
    return _TIMES_OF_RESTATEMENT.get(model or "", _UPDATED_AT)


def text_and_meaning(values: Mapping[str, Any], model: str | None = None) -> tuple[str, str]:
    """``(canonical_json(values), meaning_hash(values, model))`` from one serialisation of the values.

    Canonical JSON sorts the keys, so the text is the runs of kept fields (each run encoded
    as one object, its braces dropped) with the ignored fields between them, and the
    meaning's text is the same runs without them.

    Raises:
        StoreError: When a value cannot be stored as JSON.
    """
    whole: list[str] = []
    kept: list[str] = []
    for ignored, names in groupby(sorted(values), key=_ignored_in_meaning(model).__contains__):
        if ignored:
            whole += (f"{canonical_json(name)}:{canonical_json(values[name])}" for name in names)
        else:
            kept.append(canonical_json({name: values[name] for name in names})[1:-1])
            whole.append(kept[-1])
    return "{" + ",".join(whole) + "}", text_hash("{" + ",".join(kept) + "}")


def canonical_text_row(
    ref: RecordKey,
    model: str,
    ordinal: int,
    payload: str,
    now: datetime,
    run_id: str | None,
    *,
    meaning: str | None = None,
) -> dict[str, Any]:
    """The ``canonical_records`` row of a model already serialised as canonical JSON text.

    ``meaning`` is the row's change hash (``meaning_hash``); the text's own hash when not given.
    """
    return {
        "system": ref.system,
        "stream": ref.stream,
        "source_id": ref.source_id,
        "model": model,
        "ordinal": ordinal,
        "data": payload,
        "content_hash": meaning or text_hash(payload),
        "updated_at": now,
        "run_id": run_id,
    }


_SOURCE_COLUMNS = ("system", "stream", "source_id", "updated_at", "deleted", "merged_into", "raw", "content_hash",
                   "first_seen_at", "last_seen_at", "last_run_id")  # fmt: skip
_CANONICAL_COLUMNS = (
    "system",
    "stream",
    "source_id",
    "model",
    "ordinal",
    "data",
    "content_hash",
    "updated_at",
    "run_id",
)


def _source_tuple(record: SourceRecord, now: Any, run_id: str | None) -> tuple[Any, ...]:
    _require_aware(record.updated_at, record)
    raw, digest = _source_text_and_hash(record)
    return (record.system, record.stream, record.source_id, record.updated_at, record.deleted, record.merged_into,
            raw, digest, now, now, run_id)  # fmt: skip


def _canonical_tuple(item: CanonicalInput, now: Any, run_id: str | None) -> tuple[Any, ...]:
    ref, model, ordinal, data = item
    values = data.model_dump(mode="json") if hasattr(data, "model_dump") else dict(data)
    payload, meaning = text_and_meaning(values, model)
    return (ref.system, ref.stream, ref.source_id, model, ordinal, payload, meaning, now, run_id)


class Records(Repository):
    """Source records as pulled, and the canonical records mapped from them."""

    def stream_is_empty(self, system: str, stream: str) -> bool:
        """Whether no source record of this stream is stored (a first load: nothing to compare against).

        Raises:
            StoreError: When the database fails.
        """
        c = _SOURCE.c
        query = sa.select(c.id).where(c.system == system, c.stream == stream).limit(1)
        with self._db.connection() as conn:
            return conn.execute(query).first() is None

    def upsert_source(
        self, records: Iterable[SourceRecord], *, run_id: str | None, fresh: bool = False
    ) -> UpsertCounts:
        """Store pulled records; a record equal to the stored one is left untouched.

        "Equal" means the same ``source_content_hash`` (raw, deleted, merged_into): loading
        the same records twice changes no row, not even its timestamps or run ID.
        Works in chunks of ``CHUNK_SIZE`` rows, one transaction each.

        ``fresh`` says the stream had no stored record when the run began: rows are then
        inserted as they are, with no look-up of stored hashes, and a chunk that meets a
        stored row after all (a record pulled twice in one run) is undone and upserted.

        Returns:
            How many rows were inserted, updated and left unchanged.

        Raises:
            StoreError: When a record cannot be stored or the database fails.
        """
        now = self._db.now()
        if fresh:
            stamp = bulk.bind_value(self._db.engine.dialect, _SOURCE.c.first_seen_at, now)
            return self._insert_fresh(SOURCE_SPEC, _SOURCE_COLUMNS, ("first_seen_at", "last_seen_at"), now,
                                      (_source_tuple(r, stamp, run_id) for r in records), None)  # fmt: skip
        return self._db.upsert(SOURCE_SPEC, (_source_row(r, now, run_id) for r in records))

    def upsert_canonical(
        self,
        items: Iterable[CanonicalInput],
        *,
        run_id: str | None,
        changed: list[tuple[Any, ...]] | None = None,
        fresh: bool = False,
    ) -> UpsertCounts:
        """Store canonical records ``(record, model, ordinal, data)``; equal data is left untouched.

        ``fresh`` inserts without looking up stored hashes, as ``upsert_source`` does.

        One source record may map to several models, or to several rows of one model
        (``ordinal`` 0, 1, ...). Rows are never deleted here (``drop_stale_canonical`` does).
        ``changed``, when given, receives ``(system, stream, source_id, model, ordinal)`` of
        every row inserted or updated: the records whose meaning changed.

        Returns:
            How many rows were inserted, updated and left unchanged.

        Raises:
            StoreError: When data cannot be stored as JSON or the database fails.
        """
        now = self._db.now()
        if fresh:
            stamp = bulk.bind_value(self._db.engine.dialect, _CANONICAL.c.updated_at, now)
            return self._insert_fresh(CANONICAL_SPEC, _CANONICAL_COLUMNS, ("updated_at",), now,
                                      (_canonical_tuple(i, stamp, run_id) for i in items), changed)  # fmt: skip
        rows = (_canonical_row(i, now, run_id) for i in items)
        return self._db.upsert(CANONICAL_SPEC, rows, changed_keys=changed)

    def _insert_fresh(
        self,
        spec: UpsertSpec,
        columns: tuple[str, ...],
        stamped: tuple[str, ...],
        now: datetime,
        rows: Iterable[tuple[Any, ...]],
        changed: list[tuple[Any, ...]] | None,
    ) -> UpsertCounts:
        """Insert rows of a stream that was empty when the run began, a chunk a transaction.

        ``stamped`` columns hold the batch's time ``now``, already converted for the database.
        A chunk that clashes with a stored row is undone and goes through the hash-guarded upsert.
        """
        at = [columns.index(name) for name in spec.key]
        counts = UpsertCounts()
        for chunk in chunked(rows, CHUNK_SIZE):
            unique = {tuple(row[i] for i in at): row for row in chunk}  # the last of a key wins, as in upsert
            with self._db.transaction() as conn:
                writer = bulk.prepare(conn, spec.table, columns, as_is=spec.json_text)
                with bulk.savepoint(conn) as clashed:
                    writer.write(list(unique.values()), converted=stamped)
            if clashed[0]:
                dicts = [
                    {**dict(zip(columns, row, strict=True)), **dict.fromkeys(stamped, now)} for row in unique.values()
                ]
                counts += self._db.upsert(spec, dicts, changed_keys=changed)
                continue
            if changed is not None:
                changed.extend(unique)
            counts += UpsertCounts(inserted=len(unique))
        return counts

    def drop_stale_canonical(self, kept: Mapping[tuple[str, str, str], Iterable[tuple[str, int]]]) -> int:
        """Delete canonical rows of these records that their new mapping no longer makes; return how many.

        ``kept`` maps each re-mapped record ``(system, stream, source_id)`` to the
        ``(model, ordinal)`` rows it has now (none: every row of it goes).

        Raises:
            StoreError: When the database fails.
        """
        c, dropped = _CANONICAL.c, 0
        wanted = {key: set(rows) for key, rows in kept.items()}
        with self._db.transaction() as conn:
            for system, stream, source_ids in record_chunks(wanted, CHUNK_SIZE):
                query = sa.select(c.id, c.source_id, c.model, c.ordinal).where(
                    of_records(_CANONICAL, system, stream, source_ids)
                )
                stale = [
                    row.id
                    for row in conn.execute(query)
                    if (row.model, row.ordinal) not in wanted[(system, stream, row.source_id)]
                ]
                for part in chunked(stale):
                    dropped += conn.execute(sa.delete(_CANONICAL).where(c.id.in_(part))).rowcount
        return dropped

    def newer_stored(self, system: str, stream: str, times: Mapping[str, datetime]) -> set[str]:
        """Return which of ``{source_id: change time}`` are stored with a later change time.

        A record whose stored version the system changed later must not be overwritten by
        an older one (an export read after a newer one, an ID twice in one pull).

        Raises:
            StoreError: When the database fails.
        """
        c, found = _SOURCE.c, set[str]()
        with self._db.connection() as conn:
            for part in chunked(sorted(times), 500):
                query = sa.select(c.source_id, c.updated_at).where(
                    c.system == system, c.stream == stream, c.source_id.in_(part), c.updated_at.is_not(None)
                )
                found.update(source_id for source_id, at in conn.execute(query) if at > times[source_id])
        return found

    def live_ids(self, system: str, stream: str) -> list[str]:
        """Return the source IDs of one stream's stored records not marked deleted, in key order."""
        c = _SOURCE.c
        query = sa.select(c.source_id).where(c.system == system, c.stream == stream, c.deleted.is_(False))
        with self._db.connection() as conn:
            return [source_id for (source_id,) in conn.execute(query.order_by(c.source_id))]

    def raw_of(self, system: str, stream: str, source_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return ``{source_id: raw}`` of stored records of one stream (as the last pull brought them)."""
        return {sid: raw for sid, (raw, _) in self.raw_seen_of(system, stream, source_ids).items()}

    def raw_seen_of(
        self, system: str, stream: str, source_ids: Iterable[str]
    ) -> dict[str, tuple[dict[str, Any], datetime]]:
        """Return ``{source_id: (raw, stored at)}``: each record as the last pull brought it, and when it was stored."""
        c, found = _SOURCE.c, {}
        with self._db.connection() as conn:
            for part in chunked(source_ids, 500):
                query = sa.select(c.source_id, c.raw, c.last_seen_at).where(
                    c.system == system, c.stream == stream, c.source_id.in_(part)
                )
                found.update({sid: (_as_dict(raw), seen) for sid, raw, seen in conn.execute(query)})
        return found

    def canonical_of(
        self, records: Iterable[tuple[str, str, str]], *, models: Sequence[str]
    ) -> builtins.list[StoredCanonical]:
        """Return the canonical rows of ``models`` of these records, in key order."""
        found = []
        with self._db.connection() as conn:
            for system, stream, source_ids in record_chunks(records):
                params = {"system": system, "stream": stream, "ids": source_ids, "models": builtins.list(models)}
                found += [
                    StoredCanonical(system, stream, row.source_id, row.model, row.ordinal,
                                    _as_dict(row.data), row.content_hash, row.updated_at)
                    for row in conn.execute(_ROWS_OF, params)
                ]  # fmt: skip
        return found

    def canonical_texts_of(
        self, records: Iterable[tuple[str, str, str]], *, models: Sequence[str]
    ) -> Iterator[tuple[str, str, str, str, str]]:
        """Yield ``(system, stream, source_id, model, data as JSON text)`` of these records' rows, in key order.

        ``canonical_of`` for a parser that validates as it reads (see ``iter_canonical_texts``):
        read 500 records at a time, no dict made of any row.

        Raises:
            StoreError: When the database fails.
        """
        for system, stream, source_ids in record_chunks(records):
            params = {"system": system, "stream": stream, "ids": source_ids, "models": builtins.list(models)}
            with self._db.connection() as conn:
                found = select_rows(conn, _TEXTS_OF, params)
            for source_id, model, text in found:
                yield system, stream, source_id, model, text

    def touch(self, records: Iterable[tuple[str, str, str]]) -> int:
        """Mark records' canonical rows as changed now (their content unchanged): the next sync takes them as work.

        For a record whose write-back fields a person changed by hand in the vendor: nothing
        Contactpoint maps changed, yet the planner must look at it again.
        """
        now, touched = self._db.now(), 0
        with self._db.transaction() as conn:
            for system, stream, source_ids in record_chunks(records):
                query = sa.update(_CANONICAL).where(of_records(_CANONICAL, system, stream, source_ids))
                touched += conn.execute(query.values(updated_at=now)).rowcount
        return touched

    def changed_since(self, since: datetime) -> Iterator[tuple[str, str, str, str]]:
        """Yield ``(system, stream, source_id, model)`` of canonical rows that changed at or after ``since``, each once.

        A row's ``updated_at`` moves only when its content does, so this is exactly the
        work a run left undone or a later run brought, whatever happened in between. Rows
        are found by their time's index, so a run with little new reads little, however
        large the store (a ``DISTINCT`` would make SQLite read every row in key order
        instead); ``datetime.min`` reads the whole table in one pass.
        """
        c = _CANONICAL.c
        columns = (c.system, c.stream, c.source_id, c.model)
        if since <= datetime.min.replace(tzinfo=since.tzinfo):
            for row in self._db.stream(sa.select(*columns).distinct()):
                yield (row.system, row.stream, row.source_id, row.model)
            return
        seen: set[tuple[str, str, str, str]] = set()
        for row in self._db.stream(sa.select(*columns).where(c.updated_at >= since)):
            key = (row.system, row.stream, row.source_id, row.model)
            if key not in seen:
                seen.add(key)
                yield key

    def get_source(self, system: str, stream: str, source_id: str) -> SourceRecordRow | None:
        """Return the stored row of one source record, or None."""
        rows = self._db.select_all(
            select(SourceRecordRow).where(
                _SOURCE.c.system == system, _SOURCE.c.stream == stream, _SOURCE.c.source_id == source_id
            )
        )
        return rows[0] if rows else None

    def iter_source(
        self, *, system: str | None = None, stream: str | None = None, include_deleted: bool = True
    ) -> Iterator[SourceRecord]:
        """Yield stored source records as ``SourceRecord`` values, in key order, streaming.

        Raises:
            StoreError: When the database fails.
        """
        query = sa.select(
            _SOURCE.c.system, _SOURCE.c.stream, _SOURCE.c.source_id, _SOURCE.c.raw,
            _SOURCE.c.updated_at, _SOURCE.c.deleted, _SOURCE.c.merged_into,
        ).order_by(_SOURCE.c.system, _SOURCE.c.stream, _SOURCE.c.source_id)  # fmt: skip
        query = _filter(query, _SOURCE, system=system, stream=stream)
        if not include_deleted:
            query = query.where(_SOURCE.c.deleted.is_(False))
        for row in self._db.stream(query):
            yield SourceRecord(
                system=row.system, stream=row.stream, source_id=row.source_id, raw=row.raw,
                updated_at=row.updated_at, deleted=row.deleted, merged_into=row.merged_into,
            )  # fmt: skip

    def iter_canonical(
        self, model: str | None = None, *, system: str | None = None, stream: str | None = None
    ) -> Iterator[StoredCanonical]:
        """Yield stored canonical rows (of one model when given), in key order, streaming.

        Raises:
            StoreError: When the database fails.
        """
        c = _CANONICAL.c
        query = sa.select(
            c.system, c.stream, c.source_id, c.model, c.ordinal, c.data, c.content_hash, c.updated_at
        ).order_by(c.system, c.stream, c.source_id, c.model, c.ordinal)
        query = _filter(query, _CANONICAL, system=system, stream=stream)
        if model is not None:
            query = query.where(c.model == model)
        for row in self._db.stream(query):
            yield StoredCanonical(
                system=row.system, stream=row.stream, source_id=row.source_id, model=row.model, ordinal=row.ordinal,
                data=row.data, content_hash=row.content_hash, updated_at=row.updated_at,
            )  # fmt: skip

    def iter_canonical_texts(self, model: str, *, system: str | None = None) -> Iterator[tuple[str, str, str, str]]:
        """Yield ``(system, stream, source_id, data as JSON text)`` of one model's first rows, in key order, streaming.

        The text goes to a parser that validates as it reads (pydantic's ``model_validate_json``)
        without a dict made first. SQLite gives the canonical text stored; PostgreSQL its JSONB
        text, the same values in another layout.

        Raises:
            StoreError: When the database fails.
        """
        c = _CANONICAL.c
        query = (
            sa.select(c.system, c.stream, c.source_id, sa.cast(c.data, sa.Text))
            .where(c.model == model, c.ordinal == 0)
            .order_by(c.system, c.stream, c.source_id)
        )
        for row in self._db.stream(_filter(query, _CANONICAL, system=system, stream=None)):
            yield row[0], row[1], row[2], row[3]


def _rows_select(*columns: Any) -> Any:
    """Select ``columns`` of given records' canonical rows of some models, in key order (see ``record_chunks``).

    Built once: the records' stream, their IDs and the models are bound when it runs.
    """
    c = _CANONICAL.c
    return (
        sa.select(*columns)
        .where(
            c.system == sa.bindparam("system"),
            c.stream == sa.bindparam("stream"),
            c.source_id.in_(sa.bindparam("ids", expanding=True)),
            c.model.in_(sa.bindparam("models", expanding=True)),
        )
        .order_by(c.source_id, c.model, c.ordinal)
    )


_ROWS_OF = _rows_select(
    *(_CANONICAL.c[name] for name in ("source_id", "model", "ordinal", "data", "content_hash", "updated_at"))
)
_TEXTS_OF = _rows_select(_CANONICAL.c.source_id, _CANONICAL.c.model, sa.cast(_CANONICAL.c.data, sa.Text))


def _filter(query: Any, table: sa.Table, *, system: str | None, stream: str | None) -> Any:
    if system is not None:
        query = query.where(table.c.system == system)
    if stream is not None:
        query = query.where(table.c.stream == stream)
    return query


def _as_dict(raw: Any) -> dict[str, Any]:
    """A JSON column's value as a dict (SQLite may hand back text)."""
    return dict(json.loads(raw) if isinstance(raw, str) else raw)
