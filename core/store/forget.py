"""``store.forget``: remove every row about a person, for an erasure, in the caller's transaction.

    records   every row keyed by these records: as pulled, mapped, indexed, linked, parked, written back
    profiles  the profiles (and aliases), their decisions, alerts, ledger chains, sessions, links and tokens

Returns how many rows went, per table: the erasure's audit keeps those counts, never the data.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import sqlalchemy as sa

from core.store.database import Repository, chunked
from core.store.keys import record_key
from core.store.ledger_tables import LedgerEntryRow, LedgerLinkRow, LedgerSessionRow, OAuthCodeRow, OAuthTokenRow
from core.store.report_tables import IdentityReviewRow
from core.store.tables import (
    Alert,
    CanonicalRecord,
    FieldProblemRow,
    IdentityBlockKey,
    IdentityPin,
    IdentityRecord,
    Link,
    ParkedRecord,
    Profile,
    ProfileAlias,
    ProfileDecision,
    RecordIdentifier,
    SourceRecordRow,
    WritebackEntry,
    WritebackFailure,
)

__all__ = ["Forget"]

_BY_RECORD = (SourceRecordRow, CanonicalRecord, RecordIdentifier, FieldProblemRow, WritebackEntry, WritebackFailure,
              Link)  # fmt: skip
_BY_KEY = ((IdentityRecord, "record"), (IdentityBlockKey, "record"))
_BY_PROFILE = ((Profile, "profile_id"), (ProfileAlias, "profile_id"), (ProfileAlias, "alias"),
               (ProfileDecision, "profile_id"), (Alert, "profile_id"), (LedgerEntryRow, "chain"),
               (LedgerLinkRow, "profile_id"), (LedgerSessionRow, "profile_id"), (OAuthCodeRow, "profile_id"),
               (OAuthTokenRow, "profile_id"))  # fmt: skip


def _table(model: type) -> sa.Table:
    table: sa.Table = model.__table__  # type: ignore[attr-defined]
    return table


class Forget(Repository):
    """Deleting a person's rows (an erasure)."""

    def records(self, records: Iterable[tuple[str, str, str]]) -> Counter[str]:
        """Delete every row keyed by these records (and pins and reviews naming them); return counts by table."""
        wanted = sorted(set(records))
        keys = [record_key(*r) for r in wanted]
        removed: Counter[str] = Counter()
        with self._db.transaction() as conn:
            for rows in chunked(wanted, 300):
                for by_record in _BY_RECORD:
                    t = _table(by_record)
                    where = sa.tuple_(t.c.system, t.c.stream, t.c.source_id).in_(rows)
                    removed[t.name] += conn.execute(sa.delete(t).where(where)).rowcount
                parked = _table(ParkedRecord)
                by_id = sa.tuple_(parked.c.system, parked.c.stream, parked.c.source_id).in_(rows)
                removed[parked.name] += conn.execute(sa.delete(parked).where(by_id)).rowcount
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
