"""``store.identity_index``: the index incremental identity resolution searches.

    identity_block_keys  (key, sub_key) → record             indexed on (key, sub_key); the profile: identity_records
    identity_records     record → profile                    indexed on profile_id (its Person: its canonical row)
    identity_wide_keys   key → rows a whole batch left out    (a key too common to search but by sub-key)

Batch runs replace both (``replace``) and manual changes move records (``move``);
incremental resolution reads candidates (``block_key_sizes``, ``block_key_records``,
``members``, ``records_of``, ``profiles_of``) and writes one record's decision in
one transaction (``commit``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.canonical import RecordRef
from core.store.database import Repository, chunked, insert, select_rows
from core.store.identity_tables import BLOCK_KEY_LENGTH, IdentityBlockKey, IdentityRecord, IdentityWideKey
from core.store.keys import record_key, split_record_key
from core.store.links import LINK_SPEC, LinkInput, link_row
from core.store.profiles import PROFILE_SPEC, ProfileInput, profile_row
from core.store.records import CANONICAL_SPEC, Records, canonical_text_row, meaning_hash
from core.store.tables import ProfileAlias

__all__ = ["BlockKeyInput", "IdentityChange", "IdentityIndex", "IndexedRecord"]

_KEYS = IdentityBlockKey.__table__  # type: ignore[attr-defined]
_RECORDS = IdentityRecord.__table__  # type: ignore[attr-defined]
_WIDE = IdentityWideKey.__table__  # type: ignore[attr-defined]
_ALIASES = ProfileAlias.__table__  # type: ignore[attr-defined]
_IN_LIST = 500
_REPLACES: dict[tuple[str, str], Any] = {}

# Built once: incremental resolution runs these for every record.
_SIZES = (
    sa.select(_KEYS.c.key, sa.func.count())
    .where(_KEYS.c.key.in_(sa.bindparam("keys", expanding=True)))
    .group_by(_KEYS.c.key)
)
_WIDE_SIZES = sa.select(_WIDE.c.key, _WIDE.c.left_out).where(_WIDE.c.key.in_(sa.bindparam("keys", expanding=True)))
_KEYED = sa.select(_KEYS.c.record, _RECORDS.c.profile_id).join_from(
    _KEYS, _RECORDS, _KEYS.c.record == _RECORDS.c.record
)
_BY_KEYS = _KEYED.where(_KEYS.c.key.in_(sa.bindparam("keys", expanding=True)))
_BY_KEY_AND_SUB = _KEYED.where(_KEYS.c.key == sa.bindparam("key"), _KEYS.c.sub_key == sa.bindparam("sub"))
_MEMBERS = (
    sa.select(_RECORDS.c.record, _RECORDS.c.profile_id)
    .where(_RECORDS.c.profile_id.in_(sa.bindparam("profiles", expanding=True)))
    .order_by(_RECORDS.c.record)
)
_RECORDS_OF = (
    sa.select(_RECORDS.c.record, _RECORDS.c.profile_id)
    .where(_RECORDS.c.record.in_(sa.bindparam("records", expanding=True)))
    .order_by(_RECORDS.c.record)
)
_PROFILES_OF = sa.select(_RECORDS.c.record, _RECORDS.c.profile_id).where(
    _RECORDS.c.record.in_(sa.bindparam("records", expanding=True))
)
_DELETE_KEYS = sa.delete(_KEYS).where(_KEYS.c.record == sa.bindparam("record"))
_INSERT_KEYS = sa.insert(_KEYS)


@dataclass(frozen=True, slots=True)
class BlockKeyInput:
    """One blocking key (and its sub-key) of one record (its profile is the record's, in ``identity_records``)."""

    key: str
    sub_key: str
    record: str


@dataclass(frozen=True, slots=True)
class IndexedRecord:
    """A resolved record: its key, its profile, and its Person as canonical JSON text."""

    record: str
    profile_id: str
    person: str


@dataclass(frozen=True)
class IdentityChange:
    """Everything one incremental decision writes, in one transaction.

    Attributes:
        ref: The record.
        indexed: The record in ``identity_records`` with its profile; its Person (canonical JSON
            text) is stored as its canonical row. ``keys``: its blocking keys.
        link: Its link. ``profiles``: profiles to store (golden records). ``aliases``: ``{alias: profile}``.
    """

    ref: RecordRef
    indexed: IndexedRecord
    keys: Sequence[BlockKeyInput]
    link: LinkInput
    profiles: Sequence[ProfileInput] = field(default_factory=tuple)
    aliases: Mapping[str, str] = field(default_factory=dict)


def _key_row(item: BlockKeyInput) -> dict[str, Any]:
    key, sub_key = item.key[:BLOCK_KEY_LENGTH], item.sub_key[:BLOCK_KEY_LENGTH]
    return {"key": key, "sub_key": sub_key, "record": item.record}


def _record_row(item: IndexedRecord) -> dict[str, Any]:
    return {"record": item.record, "profile_id": item.profile_id}


class IdentityIndex(Repository):
    """Blocking keys and resolved records, for incremental resolution."""

    def remove(self, records: Sequence[str]) -> None:
        """Take records out of the index (deleted at their source): they match nothing any more."""
        with self._db.transaction() as conn:
            for chunk in chunked(records, _IN_LIST):
                conn.execute(sa.delete(_KEYS).where(_KEYS.c.record.in_(chunk)))
                conn.execute(sa.delete(_RECORDS).where(_RECORDS.c.record.in_(chunk)))

    def size(self) -> int:
        """Return how many records the index holds (the people resolved so far)."""
        with self._db.connection() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(_RECORDS)).scalar_one())

    def move(self, records: Mapping[str, str]) -> None:
        """Point indexed records at new profiles: ``{record: profile_id}`` (after a manual change)."""
        if not records:
            return
        params = [{"r": record, "p": profile} for record, profile in records.items()]
        query = sa.update(_RECORDS).where(_RECORDS.c.record == sa.bindparam("r")).values(profile_id=sa.bindparam("p"))
        with self._db.transaction() as conn:
            conn.execute(query, params)

    def block_key_sizes(self, keys: Sequence[str]) -> dict[str, int]:
        """Return how many rows each of ``keys`` has (keys with none are left out).

        A wide key's rows that the last whole batch left out (``identity_wide_keys``) count too.
        """
        sizes: dict[str, int] = {}
        with self._db.connection() as conn:
            for query in (_SIZES, _WIDE_SIZES):
                for key, count in select_rows(conn, query, {"keys": list(keys)}):
                    sizes[key] = sizes.get(key, 0) + int(count)
        return sizes

    def block_key_records(self, keys: Sequence[str], keyed: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
        """Return ``(record, profile_id)`` once per key in ``keys`` or ``(key, sub_key)`` in ``keyed`` it holds."""
        found: list[tuple[str, str]] = []
        with self._db.connection() as conn:
            if keys:
                found.extend(select_rows(conn, _BY_KEYS, {"keys": list(keys)}))
            for key, sub_key in keyed:
                found.extend(select_rows(conn, _BY_KEY_AND_SUB, {"key": key, "sub": sub_key}))
        return found

    def members(self, profile_ids: Sequence[str]) -> list[IndexedRecord]:
        """Return the indexed records of these profiles, in record order (each with its canonical Person)."""
        with self._db.connection() as conn:
            rows = select_rows(conn, _MEMBERS, {"profiles": list(profile_ids)})
        return self._with_persons(rows)

    def records_of(self, records: Sequence[str]) -> list[IndexedRecord]:
        """Return the indexed records among ``records``, in record order (each with its canonical Person)."""
        if not records:
            return []
        with self._db.connection() as conn:
            rows = select_rows(conn, _RECORDS_OF, {"records": list(records)})
        return self._with_persons(rows)

    def _with_persons(self, rows: list[tuple[str, str]]) -> list[IndexedRecord]:
        """``(record, profile)`` rows with each record's Person, from its canonical row (a record without one is left out).

        The text is the first ``Person`` row's (ordinal 0) as ``Records.canonical_texts_of`` reads
        it: SQLite's as stored, PostgreSQL's JSONB text (the same values in another layout).
        """
        texts: dict[str, str] = {}
        found = Records(self._db).canonical_texts_of((split_record_key(r) for r, _ in rows), models=["Person"])
        for system, stream, source_id, _, text in found:
            texts.setdefault(record_key(system, stream, source_id), text)  # rows come by ordinal: the first is 0
        return [IndexedRecord(record, profile, texts[record]) for record, profile in rows if record in texts]

    def profiles_of(self, records: Sequence[str]) -> dict[str, str]:
        """Return ``{record: profile_id}`` for the indexed records among ``records``."""
        with self._db.connection() as conn:
            return dict(select_rows(conn, _PROFILES_OF, {"records": list(records)}))

    def _replace_statement(self, conn: sa.Connection, table: sa.Table, key: str, columns: tuple[str, ...]) -> Any:
        """An insert that overwrites ``columns`` of the row with the same ``key``, built once per dialect."""
        cache_key = (conn.dialect.name, table.name)
        found = _REPLACES.get(cache_key)
        if found is None:
            stmt = insert(conn, table)
            found = _REPLACES[cache_key] = stmt.on_conflict_do_update(
                index_elements=[key], set_={c: stmt.excluded[c] for c in columns}
            )
        return found

    def commit(self, change: IdentityChange) -> None:
        """Write one incremental decision: canonical row, link, index, profiles, aliases; one transaction.

        Rows equal to the stored ones are left untouched (content hashes).

        Raises:
            StoreError: When the database fails.
        """
        now, indexed = self._db.now(), change.indexed
        with self._db.transaction() as conn:
            meaning = meaning_hash(json.loads(indexed.person))
            canonical = canonical_text_row(change.ref, "Person", 0, indexed.person, now, None, meaning=meaning)
            conn.execute(self._db.upsert_statement(conn, CANONICAL_SPEC), [canonical])
            conn.execute(self._db.upsert_statement(conn, LINK_SPEC), [link_row(change.link, now, None)])
            if change.profiles:
                profiles = [profile_row(p, now, None) for p in change.profiles]
                conn.execute(self._db.upsert_statement(conn, PROFILE_SPEC), profiles)
            conn.execute(_DELETE_KEYS, {"record": indexed.record})
            if change.keys:
                conn.execute(_INSERT_KEYS, [_key_row(item) for item in change.keys])
            conn.execute(self._replace_statement(conn, _RECORDS, "record", ("profile_id",)), [_record_row(indexed)])
            if change.aliases:
                rows = [
                    {"alias": a, "profile_id": p, "created_at": now, "run_id": None} for a, p in change.aliases.items()
                ]
                conn.execute(self._replace_statement(conn, _ALIASES, "alias", ("profile_id",)), rows)
