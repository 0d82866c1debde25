"""``store.forget``: remove every row about a person, for an erasure, in the caller's transaction.

    merged_away  the records that lost a merge into these (``merged_into``), transitively: the person's
                 duplicates, deleted at their source and often linked to no profile, go with them
    person_keys  the identifier keys these records' people carry (an erasure tombstones some of them)
    records      every row keyed by these records: as pulled, mapped, indexed, linked, parked, written back
    profiles     the profiles (and aliases), their decisions, alerts, ledger chains, sessions, links and tokens

``records`` and ``profiles`` return how many rows went, per table: the erasure's audit keeps
those counts, never the data.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from core.store.database import Repository, chunked, of_records, record_chunks
from core.store.identity_tables import IdentityBlockKey, IdentityPin, IdentityRecord
from core.store.keys import record_key
from core.store.ledger_tables import LedgerEntryRow, LedgerLinkRow, LedgerSessionRow, OAuthCodeRow, OAuthTokenRow
from core.store.report_tables import IdentityReviewRow
from core.store.tables import (
    Alert,
    CanonicalRecord,
    FieldProblemRow,
    Link,
    ParkedRecord,
    Profile,
    ProfileAlias,
    ProfileDecision,
    RecordIdentifier,
    SourceRecordRow,
    WritebackEntry,
    WritebackFailure,
    WritebackOwed,
)

__all__ = ["Forget"]

_BY_RECORD = (SourceRecordRow, CanonicalRecord, RecordIdentifier, FieldProblemRow, WritebackEntry, WritebackFailure,
              Link)  # fmt: skip
_BY_KEY = ((IdentityRecord, "record"), (IdentityBlockKey, "record"))
_BY_PROFILE = ((Profile, "profile_id"), (ProfileAlias, "profile_id"), (ProfileAlias, "alias"),
               (ProfileDecision, "profile_id"), (Alert, "profile_id"), (LedgerEntryRow, "chain"),
               (LedgerLinkRow, "profile_id"), (LedgerSessionRow, "profile_id"), (OAuthCodeRow, "profile_id"),
               (OAuthTokenRow, "profile_id"), (WritebackOwed, "profile_id"))  # fmt: skip


def _table(model: type) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


class Forget(Repository):
    """Deleting a person's rows (an erasure)."""

    def merged_away(self, records: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
        """Return the records that lost a merge into these, transitively (A merged into B merged into one of these).

        A loser names its winner in ``merged_into`` by source ID, within its own system and
        stream. The given records themselves are left out; a merge cycle ends.

        Raises:
            StoreError: When the database fails.
        """
        erased = set(records)
        c = _table(SourceRecordRow).c
        losers: dict[tuple[str, str, str], list[str]] = defaultdict(list)  # the winner's key: its losers' IDs
        with self._db.connection() as conn:
            for streams in chunked(sorted({(system, stream) for system, stream, _ in erased}), 100):
                query = sa.select(c.system, c.stream, c.source_id, c.merged_into).where(
                    c.merged_into.is_not(None), sa.tuple_(c.system, c.stream).in_(streams)
                )
                for system, stream, source_id, winner in conn.execute(query):
                    losers[(str(system), str(stream), str(winner))].append(str(source_id))
        found: set[tuple[str, str, str]] = set()
        frontier = list(erased)
        while frontier:
            system, stream, source_id = frontier.pop()
            for loser in losers.get((system, stream, source_id), ()):
                if (ref := (system, stream, loser)) not in erased and ref not in found:
                    found.add(ref)
                    frontier.append(ref)
        return sorted(found)

    def person_keys(self, records: Iterable[tuple[str, str, str]]) -> set[str]:
        """Return the identifier keys (``email:…``, ``external_id:…``) the records' Person models carry.

        Raises:
            StoreError: When the database fails.
        """
        t = _table(RecordIdentifier)
        keys: set[str] = set()
        with self._db.connection() as conn:
            for system, stream, source_ids in record_chunks(records, 300):
                query = sa.select(t.c.key).where(of_records(t, system, stream, source_ids), t.c.model == "Person")
                keys.update(str(k) for k in conn.execute(query).scalars())
        return keys

    def records(self, records: Iterable[tuple[str, str, str]]) -> Counter[str]:
        """Delete every row keyed by these records (and pins and reviews naming them); return counts by table."""
        wanted = sorted(set(records))
        keys = [record_key(*r) for r in wanted]
        removed: Counter[str] = Counter()
        with self._db.transaction() as conn:
            for system, stream, source_ids in record_chunks(wanted, 300):
                for by_record in (*_BY_RECORD, ParkedRecord):
                    t = _table(by_record)
                    removed[t.name] += conn.execute(
                        sa.delete(t).where(of_records(t, system, stream, source_ids))
                    ).rowcount
            for part in chunked(keys, 300):
                for by_key, column in _BY_KEY:
                    t = _table(by_key)
                    removed[t.name] += conn.execute(sa.delete(t).where(t.c[column].in_(part))).rowcount
                for pairs in (_table(IdentityPin), _table(IdentityReviewRow)):
                    touching = sa.or_(pairs.c.left_record.in_(part), pairs.c.right_record.in_(part))
                    removed[pairs.name] += conn.execute(sa.delete(pairs).where(touching)).rowcount
        return removed

    def profiles(self, profile_ids: Sequence[str]) -> Counter[str]:
        """Delete the profiles' own rows (profile, aliases, decisions, alerts, ledger, sessions); return counts."""
        removed: Counter[str] = Counter()
        with self._db.transaction() as conn:
            for model, column in _BY_PROFILE:
                t = _table(model)
                removed[t.name] += conn.execute(sa.delete(t).where(t.c[column].in_(list(profile_ids)))).rowcount
        return removed
