"""``store.identifiers``: the identifiers each stored canonical record carries.

    replace       set the identifiers of re-mapped records (one row per record, model and key)
    profiles_of   the profiles whose people carry the identifiers of given records
    records_of    the interaction and consent records whose identifiers a profile's people carry

A ticket names its requester's Zendesk user ID, an email event its recipient's address,
a product event a Mixpanel distinct ID. Identity links *people* records to profiles;
this index says which person an interaction or a consent is about, through an
identifier a person record of the profile carries. Only identifiers that name one
person are indexed for that purpose: the caller leaves out role mailboxes (``info@``).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from core.store import bulk
from core.store.database import Repository, chunked, insert, of_records, record_chunks
from core.store.keys import RecordKey
from core.store.tables import Link, RecordIdentifier

__all__ = ["Identifiers", "PERSON_MODEL"]

_IDS = RecordIdentifier.__table__  # type: ignore[attr-defined]
_LINKS = Link.__table__  # type: ignore[attr-defined]

PERSON_MODEL = "Person"


class Identifiers(Repository):
    """The identifier index of canonical records."""

    def replace(self, records: Iterable[tuple[RecordKey, Iterable[tuple[str, str]]]], *, fresh: bool = False) -> None:
        """Make each record's indexed identifiers exactly ``(model, key)`` pairs given (none clears them).

        ``fresh`` says none of these records was stored before this batch: nothing is
        deleted first and rows go in as tuples (a clash with a stored row falls back to replacing).

        Raises:
            StoreError: When the database fails.
        """
        for chunk in chunked(records):
            if fresh and self._insert_new(chunk):
                continue
            rows = {
                (key.system, key.stream, key.source_id, model, ident): {
                    "system": key.system, "stream": key.stream, "source_id": key.source_id,
                    "model": model, "key": ident[:600],
                }
                for key, pairs in chunk
                for model, ident in pairs
            }  # fmt: skip
            with self._db.transaction() as conn:
                for system, stream, source_ids in record_chunks((k.system, k.stream, k.source_id) for k, _ in chunk):
                    conn.execute(sa.delete(_IDS).where(of_records(_IDS, system, stream, source_ids)))
                if rows:
                    conn.execute(insert(conn, _IDS), builtins.list(rows.values()))

    def _insert_new(self, chunk: Sequence[tuple[RecordKey, Iterable[tuple[str, str]]]]) -> bool:
        """Insert the identifiers of records new to the store; False (nothing written) on a clash."""
        rows = {
            (key.system, key.stream, key.source_id, model, ident[:600]): None
            for key, pairs in chunk
            for model, ident in pairs
        }
        with self._db.transaction() as conn:
            writer = bulk.prepare(conn, _IDS, ("system", "stream", "source_id", "model", "key"))
            with bulk.savepoint(conn) as clashed:
                writer.write(builtins.list(rows))
        return not clashed[0]

    def profiles_of(self, records: Sequence[RecordKey]) -> dict[tuple[str, str, str], set[str]]:
        """Return, for each record, the profiles of the people records that carry one of its identifiers.

        Records are looked up stream by stream (``record_chunks``), from the identifiers' unique index.
        """
        mine, person, link = _IDS.alias("mine"), _IDS.alias("person"), _LINKS
        found: dict[tuple[str, str, str], set[str]] = {}
        with self._db.connection() as conn:
            for system, stream, source_ids in record_chunks((r.system, r.stream, r.source_id) for r in records):
                query = (
                    sa.select(mine.c.source_id, link.c.profile_id)
                    .join(person, (person.c.key == mine.c.key) & (person.c.model == PERSON_MODEL))
                    .join(
                        link,
                        (link.c.system == person.c.system)
                        & (link.c.stream == person.c.stream)
                        & (link.c.source_id == person.c.source_id),
                    )
                    .where(of_records(mine, system, stream, source_ids))
                    .distinct()
                )
                for source_id, profile_id in conn.execute(query):
                    found.setdefault((system, stream, source_id), set()).add(profile_id)
        return found

    def records_of(
        self, profile_ids: Iterable[str], *, models: Sequence[str]
    ) -> dict[str, builtins.list[tuple[str, str, str, str]]]:
        """Return, per profile, ``(system, stream, source_id, model)`` of the records of ``models`` its people name."""
        person, other, link = _IDS.alias("person"), _IDS.alias("other"), _LINKS
        found: dict[str, builtins.list[tuple[str, str, str, str]]] = {}
        with self._db.connection() as conn:
            for part in chunked(profile_ids, 500):
                query = (
                    sa.select(link.c.profile_id, other.c.system, other.c.stream, other.c.source_id, other.c.model)
                    .join(person, (person.c.key == other.c.key) & (person.c.model == PERSON_MODEL))
                    .join(
                        link,
                        (link.c.system == person.c.system)
                        & (link.c.stream == person.c.stream)
                        & (link.c.source_id == person.c.source_id),
                    )
                    .where(link.c.profile_id.in_(part), other.c.model.in_(builtins.list(models)))
                    .distinct()
                    .order_by(link.c.profile_id, other.c.system, other.c.stream, other.c.source_id, other.c.model)
                )
                for pid, system, stream, source_id, model in conn.execute(query):
                    found.setdefault(pid, []).append((system, stream, source_id, model))
        return found
