"""The write-out of a batch identity resolution: profiles, links and the identity index, on a lean path.

    write_profiles(db, profiles, run_id=)      hash-guarded: unchanged profiles are not written
    write_links(db, links, run_id=)            hash-guarded: unchanged links are not written
    replace_index(db, records, keys, scope=)   the identity index of the batch (and its wide keys)

A batch resolution writes a row per record and per profile: 100,000 people make
some 400,000 rows. Here each row is a tuple; the values every row of the batch
shares (the time, the run) go through their column's type once; JSON is
serialised once, and its content hash is built from that same text. New rows go
in through the driver in one call per chunk (``executemany`` on SQLite, ``COPY``
on PostgreSQL through psycopg), changed rows with one ``executemany`` ``UPDATE``;
rows whose hash is unchanged are left as they are (``updated_at`` and ``run_id``
stay). The existing hashes are read in one pass over the table, and not at all
when the table is empty. Call these inside ``Database.atomic`` so the whole
write-out lands in one transaction, as ``resolve_store`` does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from itertools import chain
from json.encoder import encode_basestring_ascii
from operator import itemgetter
from types import MappingProxyType
from typing import Any

import sqlalchemy as sa

from core.store.bulk import bind_value, prepare
from core.store.database import CHUNK_SIZE, Database, chunked
from core.store.golden_codec import pack_golden
from core.store.identity_tables import BLOCK_KEY_LENGTH, IdentityBlockKey, IdentityRecord, IdentityWideKey
from core.store.links import LinkInput
from core.store.profiles import ProfileInput
from core.store.tables import Link, LinkMethod, Profile, ProfileStatus
from core.store.types import CanonicalText, canonical_json, text_hash

__all__ = ["insert_rows", "replace_index", "update_rows", "write_links", "write_profiles"]

_PROFILES: sa.Table = Profile.__table__  # type: ignore[attr-defined]
_LINKS: sa.Table = Link.__table__  # type: ignore[attr-defined]
_KEYS: sa.Table = IdentityBlockKey.__table__  # type: ignore[attr-defined]
_RECORDS: sa.Table = IdentityRecord.__table__  # type: ignore[attr-defined]
_WIDE: sa.Table = IdentityWideKey.__table__  # type: ignore[attr-defined]
_WIDE_KEYS = sa.select(_WIDE.c.key)
_IN_LIST = 500
_INDEX_BUILD_MEMORY = "256MB"
"""PostgreSQL's memory for building the block keys' indexes after a whole load, for that transaction only."""

_PROFILE_COLUMNS = (
    "profile_id",
    "status",
    "golden",
    "content_hash",
    "created_at",
    "updated_at",
    "merged_into",
    "run_id",
)
_PROFILE_UPDATE = ("status", "golden", "content_hash", "updated_at", "merged_into", "run_id")
_LINK_KEY = ("system", "stream", "source_id")
_LINK_COLUMNS = (
    *_LINK_KEY, "profile_id", "method", "rule", "score", "explanation", "content_hash", "linked_at", "run_id",
)  # fmt: skip
_LINK_UPDATE = ("profile_id", "method", "rule", "score", "explanation", "content_hash", "linked_at", "run_id")


_dumped = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode
"""One JSON scalar or list as canonical JSON text (for the pieces of a content hash); one encoder for every call."""


def insert_rows(conn: sa.Connection, table: sa.Table, columns: Sequence[str], rows: Iterable[tuple[Any, ...]]) -> int:
    """Insert ``rows`` (tuples in ``columns`` order, values as the driver takes them); return how many.

    ``bulk.BulkInsert``, ``CHUNK_SIZE`` rows at a time: SQLite's ``executemany`` for each,
    PostgreSQL's one ``COPY`` for them all.
    Rows must be new: a duplicate key fails the statement (and the transaction).

    Raises:
        sqlalchemy.exc.DBAPIError: When the database refuses a row (``store_errors`` turns it into ``StoreError``).
    """
    return prepare(conn, table, columns, as_is=columns).write_all(chunked(rows, CHUNK_SIZE))


def update_rows(
    conn: sa.Connection, table: sa.Table, keys: Sequence[str], columns: Sequence[str], rows: list[tuple[Any, ...]]
) -> None:
    """``UPDATE table SET columns WHERE keys``, one ``executemany``: each row is ``(*columns, *keys)`` values."""
    if not rows:
        return
    mark = "%s" if conn.dialect.name == "postgresql" else "?"
    quote = conn.dialect.identifier_preparer.quote
    statement = (
        f"UPDATE {quote(table.name)} SET {', '.join(f'{quote(c)} = {mark}' for c in columns)} "
        f"WHERE {' AND '.join(f'{quote(k)} = {mark}' for k in keys)}"
    )
    for chunk in chunked(rows, CHUNK_SIZE):
        conn.exec_driver_sql(statement, chunk)


def _existing(conn: sa.Connection, table: sa.Table, keys: Sequence[str]) -> dict[tuple[Any, ...], str]:
    """``{key: content_hash}`` of every row of ``table``, in one pass (none read when it is empty)."""
    if conn.execute(sa.select(sa.literal(1)).select_from(table).limit(1)).first() is None:
        return {}
    query = sa.select(*(table.c[k] for k in keys), table.c.content_hash)
    return {tuple(row[:-1]): row[-1] for row in conn.execute(query)}


def _guarded_write(
    conn: sa.Connection,
    table: sa.Table,
    spec: tuple[Sequence[str], Sequence[str], Sequence[str]],
    rows: Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]],
    update_of: Callable[[tuple[Any, ...]], tuple[Any, ...]],
) -> tuple[int, int]:
    """Insert the new rows, update the changed ones, leave the equal ones; return ``(inserted, updated)``.

    ``spec`` is ``(key columns, insert columns, update columns)``; ``rows`` are ``(key, insert
    tuple)``, each key once, taken ``CHUNK_SIZE`` at a time (only the stored keys and hashes
    are held whole); ``update_of`` turns an insert tuple into ``(*update values, *key)``.
    """
    keys, columns, _ = spec
    hash_at = list(columns).index("content_hash")
    existing = _existing(conn, table, keys)
    if not existing:  # an empty table (a first batch): every row is new, in one stream
        return insert_rows(conn, table, columns, (row for _, row in rows)), 0
    inserted = updated = 0
    for chunk in chunked(rows, CHUNK_SIZE):
        new = [row for key, row in chunk if key not in existing]
        changed = [update_of(row) for key, row in chunk if key in existing and existing[key] != row[hash_at]]
        insert_rows(conn, table, columns, new)
        update_rows(conn, table, keys, spec[2], changed)
        inserted, updated = inserted + len(new), updated + len(changed)
    return inserted, updated


def write_profiles(db: Database, profiles: Iterable[ProfileInput], *, run_id: str | None) -> tuple[int, int]:
    """Store profiles (each ID once) as ``Profiles.upsert`` does (same rows, same hashes); return ``(inserted, updated)``.

    Raises:
        StoreError: When a golden record cannot be stored as JSON or the database fails.
    """
    now = db.now()
    with db.transaction() as conn:
        created = bind_value(conn.dialect, _PROFILES.c.created_at, now)

        tails: dict[tuple[object, str | None], tuple[str, str]] = {}  # (status, merged_into): its value, hash tail

        def rows() -> Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]]:
            for profile in profiles:
                given = profile.golden
                golden = given if isinstance(given, CanonicalText) else canonical_json(pack_golden(given))
                found = tails.get((profile.status, profile.merged_into))
                if found is None:
                    value = ProfileStatus(profile.status).value
                    found = tails[profile.status, profile.merged_into] = (
                        value, f",{_dumped(value)},{_dumped(profile.merged_into)}]"
                    )  # fmt: skip
                status = found[0]
                hashed = text_hash(f"[{golden}{found[1]}")
                yield (profile.profile_id,), (profile.profile_id, status, golden, hashed, created, created,
                                              profile.merged_into, run_id)  # fmt: skip

        return _guarded_write(
            conn,
            _PROFILES,
            (("profile_id",), _PROFILE_COLUMNS, _PROFILE_UPDATE),
            rows(),
            lambda r: (r[1], r[2], r[3], r[5], r[6], r[7], r[0]),
        )


def write_links(db: Database, links: Iterable[LinkInput], *, run_id: str | None) -> tuple[int, int]:
    """Store links (each record once) as ``Links.save`` does (same rows, same hashes); return ``(inserted, updated)``.

    Raises:
        StoreError: When an explanation cannot be stored as JSON or the database fails.
    """
    now = db.now()
    with db.transaction() as conn:
        linked = bind_value(conn.dialect, _LINKS.c.linked_at, now)

        def rows() -> Iterable[tuple[tuple[Any, ...], tuple[Any, ...]]]:
            given: object = None  # an explanation object shared by many links is encoded once
            explanation = ""
            methods: dict[object, str] = {}
            for link in links:
                method = methods.get(link.method) or methods.setdefault(link.method, LinkMethod(link.method).value)
                if link.explanation is not given or type(given) is not MappingProxyType:
                    given, explanation = link.explanation, canonical_json(dict(link.explanation))
                hashed = text_hash(f"{_link_head(link.profile_id, method, link.rule, link.score)},{explanation}]")
                key = (link.system, link.stream, link.source_id)
                score = None if link.score is None else float(link.score)
                yield key, (*key, link.profile_id, method, link.rule, score, explanation, hashed, linked, run_id)

        return _guarded_write(
            conn, _LINKS, (_LINK_KEY, _LINK_COLUMNS, _LINK_UPDATE), rows(), lambda r: (*r[3:], *r[:3])
        )


def _link_head(profile_id: str, method: str, rule: str | None, score: float | None) -> str:
    """``_dumped([profile_id, method, rule, score])`` without its closing bracket, from its parts when they are plain."""
    plain = type(profile_id) is str and (rule is None or type(rule) is str)
    if plain and (score is None or (type(score) is float and -_INFINITY < score < _INFINITY)):
        return (
            f"[{_quoted(profile_id)},{_quoted(method)},{'null' if rule is None else _quoted(rule)},"
            f"{'null' if score is None else float.__repr__(score)}"
        )
    return _dumped([profile_id, method, rule, score])[:-1]


_INFINITY = float("inf")
_quoted = encode_basestring_ascii


def _empty(conn: sa.Connection, tables: Sequence[sa.Table]) -> None:
    """Delete every row of ``tables`` in the caller's transaction.

    PostgreSQL empties them with ``TRUNCATE`` (transactional there: a rollback brings the rows
    back): a ``DELETE`` of 1.5 million key rows takes about a second and leaves them as dead
    tuples the next load writes past, so the table and its indexes grow at every full
    re-resolution until a vacuum. SQLite's ``DELETE`` with no ``WHERE`` already truncates.
    """
    if conn.dialect.name == "postgresql":
        names = ", ".join(conn.dialect.identifier_preparer.format_table(table) for table in tables)
        conn.execute(sa.text(f"TRUNCATE {names}"))
        return
    for table in tables:
        conn.execute(sa.delete(table))


def _key_chunks(keys: Iterable[tuple[str, str, str]], wide: set[str]) -> Iterator[list[tuple[str, str, str]]]:
    """``keys`` cut at the column's length, leaving out rows of a ``wide`` key without a sub-key.

    Taken a chunk at a time: a chunk whose keys all fit and that has no wide key to look
    for passes as it is, without a Python step per row (a whole batch's rows come cut).
    """
    cut, key, sub = BLOCK_KEY_LENGTH, itemgetter(0), itemgetter(1)
    for chunk in chunked(keys, CHUNK_SIZE):
        if max(map(len, map(key, chunk))) > cut or max(map(len, map(sub, chunk))) > cut:
            chunk = [(k[:cut], s[:cut], r) for k, s, r in chunk]
        if wide:
            chunk = [row for row in chunk if row[1] or row[0] not in wide]
        yield chunk


def replace_index(
    db: Database,
    records: Iterable[tuple[str, str]],
    keys: Iterable[tuple[str, str, str]],
    *,
    scope: Sequence[str] | None,
    left_out: Mapping[str, int] | None = None,
) -> None:
    """Replace the identity index: all of it (``scope`` None) or the records in ``scope``.

    ``records`` are ``(record, profile_id)``; ``keys`` are ``(key, sub_key, record)`` (a
    key's profile is its record's); keys longer than the column are cut as ``IdentityIndex`` cuts them.
    Replacing all of it drops the block keys' indexes for the load and builds them again
    after it, in the same transaction (a failure leaves the old rows and indexes), and
    replaces the wide keys with ``left_out`` (``{key: rows left out of keys}``, read once
    ``keys`` are taken). A scoped replace keeps the wide keys and their counts as they are
    and stores none of their rows without a sub-key (the last whole replace counted them).

    Raises:
        StoreError: When the database fails.
    """
    with db.transaction() as conn:
        rebuilt = sorted(_KEYS.indexes, key=lambda index: str(index.name)) if scope is None else []
        if scope is None:
            _empty(conn, (_KEYS, _RECORDS, _WIDE))
        else:
            for chunk in chunked(scope, _IN_LIST):
                conn.execute(sa.delete(_KEYS).where(_KEYS.c.record.in_(chunk)))
                conn.execute(sa.delete(_RECORDS).where(_RECORDS.c.record.in_(chunk)))
        insert_rows(conn, _RECORDS, ("record", "profile_id"), records)
        for index in rebuilt:  # about ten keys a record: built once after the load, not row by row
            index.drop(conn)
        if rebuilt and conn.dialect.name == "postgresql":  # sorted in memory, not in temporary files
            conn.execute(sa.text(f"SET LOCAL maintenance_work_mem = '{_INDEX_BUILD_MEMORY}'"))
        wide = set[str]() if scope is None else set(conn.execute(_WIDE_KEYS).scalars())
        insert_rows(conn, _KEYS, ("key", "sub_key", "record"), chain.from_iterable(_key_chunks(keys, wide)))
        for index in rebuilt:
            index.create(conn)
        if scope is None and left_out:
            insert_rows(conn, _WIDE, ("key", "left_out"), sorted(left_out.items()))
