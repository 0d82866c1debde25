"""``store.reviews``: the pairs identity was unsure of, kept until a data steward decides them.

    refresh   replace the open pairs by those of the latest batch resolution (decided ones are kept)
    list      pairs by status, most probable first
    get       one pair
    count     pairs by status
    decide    record a steward's decision (accepted / rejected) with the pins it wrote
    forget    drop every pair naming some records (an erased person)

A pair is the two record keys (``system/stream/source_id``) in sorted order, its match
probability and weight, why it is in review, and the explanation ``identity explain``
shows (each field's level and weight in bits).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from enum import StrEnum
from types import MappingProxyType
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlmodel import select

from core.store.bulk import bind_value
from core.store.database import Repository, chunked
from core.store.identity_writes import insert_rows, update_rows
from core.store.report_tables import IdentityReviewRow
from core.store.types import canonical_json

__all__ = ["ReviewInput", "ReviewStatus", "Reviews"]

_REVIEWS = IdentityReviewRow.__table__  # type: ignore[attr-defined]
_INSERTED = (
    "left_record",
    "right_record",
    "probability",
    "match_weight",
    "reason",
    "explanation",
    "status",
    "found_at",
    "run_id",
)
_KEY = ("left_record", "right_record")
_UPDATED = ("probability", "match_weight", "reason", "explanation", "status", "run_id")


class ReviewStatus(StrEnum):
    """The states of a review pair (wire values)."""

    OPEN = "open"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    GONE = "gone"


_UNDECIDED = (ReviewStatus.OPEN.value, ReviewStatus.GONE.value)


class ReviewInput(NamedTuple):
    """A pair in the review band, as a batch resolution found it (a tuple: a batch makes a million)."""

    left: str
    right: str
    probability: float
    match_weight: float
    reason: str | None
    explanation: Mapping[str, Any] | str = MappingProxyType({})
    """The explanation, or its canonical JSON text (``canonical_json``) when the caller made it."""


class Reviews(Repository):
    """Identity review pairs."""

    def refresh(self, pairs: Iterable[ReviewInput], *, run_id: str | None) -> int:
        """Make the open pairs exactly ``pairs`` (decided pairs stay as decided); return how many are open.

        An open pair no longer in review (linked, or its records gone) becomes ``gone``.

        Raises:
            StoreError: When the database fails.
        """
        c, kept = _REVIEWS.c, 0
        with self._db.transaction() as conn:
            status_of = {(left, right): status for left, right, status in conn.execute(
                sa.select(c.left_record, c.right_record, c.status))}  # fmt: skip
            conn.execute(sa.update(_REVIEWS).where(c.status == ReviewStatus.OPEN).values(status=ReviewStatus.GONE))
            found_at = bind_value(conn.dialect, c.found_at, self._db.now())
            opened = ReviewStatus.OPEN.value
            for chunk in chunked(pairs):  # a chunk at a time: a large batch has a million pairs
                new: dict[tuple[str, str], tuple[Any, ...]] = {}
                again: dict[tuple[str, str], tuple[Any, ...]] = {}
                for p in chunk:
                    left, right = sorted((p.left, p.right))
                    status = status_of.get((left, right))
                    if status is not None and status not in _UNDECIDED:
                        continue
                    values = (
                        float(p.probability),
                        float(p.match_weight),
                        p.reason,
                        p.explanation if isinstance(p.explanation, str) else canonical_json(dict(p.explanation)),
                    )
                    if status is None:  # twice in one chunk: the last one stands
                        new[(left, right)] = (left, right, *values, opened, found_at, run_id)
                    else:
                        again[(left, right)] = (*values, opened, run_id, left, right)
                insert_rows(conn, _REVIEWS, _INSERTED, new.values())
                update_rows(conn, _REVIEWS, _KEY, _UPDATED, builtins.list(again.values()))
                status_of.update(dict.fromkeys(new, opened))  # a later chunk updates them
                kept += len(new) + len(again)
        return kept

    def list(
        self, *, status: str = ReviewStatus.OPEN, limit: int | None = None, offset: int = 0
    ) -> builtins.list[IdentityReviewRow]:
        """Return pairs of one status, most probable first (ties by pair)."""
        c = _REVIEWS.c
        query = (
            select(IdentityReviewRow)
            .where(c.status == status)
            .order_by(c.probability.desc(), c.left_record, c.right_record)
            .offset(offset)
            .limit(limit)
        )
        return self._db.select_all(query)

    def get(self, review_id: int) -> IdentityReviewRow | None:
        """Return one pair, or None."""
        rows = self._db.select_all(select(IdentityReviewRow).where(_REVIEWS.c.id == review_id))
        return rows[0] if rows else None

    def count(self) -> dict[str, int]:
        """Return how many pairs are in each status."""
        c = _REVIEWS.c
        with self._db.connection() as conn:
            return {str(s): int(n) for s, n in conn.execute(sa.select(c.status, sa.func.count()).group_by(c.status))}

    def decide(self, review_id: int, *, status: str, by: str | None, note: str | None = None) -> bool:
        """Record a steward's decision on an open pair; return False when it was not open.

        Raises:
            StoreError: When the database fails.
        """
        c = _REVIEWS.c
        values = {"status": status, "decided_by": by, "decided_at": self._db.now(), "note": note}
        with self._db.transaction() as conn:
            query = sa.update(_REVIEWS).where(c.id == review_id, c.status == ReviewStatus.OPEN).values(**values)
            return bool(conn.execute(query).rowcount)

    def forget(self, records: Sequence[str]) -> int:
        """Delete every pair naming one of ``records``; return how many."""
        c, removed = _REVIEWS.c, 0
        with self._db.transaction() as conn:
            for part in chunked(records, 500):
                query = sa.delete(_REVIEWS).where(sa.or_(c.left_record.in_(part), c.right_record.in_(part)))
                removed += conn.execute(query).rowcount
        return removed
