"""Tamper evidence: each person's history is a hash chain, checked entry by entry.

Each entry's hash covers the chain it belongs to, its position, the previous entry's
hash, when it was recorded and the whole statement, so changing, removing, reordering
or inserting an entry breaks the chain at that entry (and a signed statement's
signature breaks with its content).

    entry_hash(...)            the SHA-256 an entry carries
    check_chain(entries, ...)  the first broken entry of one chain, or None
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger.statements import Statement, iso
from core.ledger.vocabulary import SourceKind
from core.store.types import content_hash

__all__ = ["GENESIS", "Break", "LedgerEntry", "check_chain", "entry_hash"]

GENESIS = "0" * 64
"""The previous hash of a chain's first entry."""


def entry_hash(*, chain: str, seq: int, prev_hash: str, recorded_at: datetime, body: Mapping[str, Any]) -> str:
    """Return the hash an entry carries: SHA-256 of the canonical JSON of all it holds."""
    return content_hash(
        {"chain": chain, "seq": seq, "prev": prev_hash, "recorded_at": iso(recorded_at), "statement": body}
    )


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """A statement as the ledger holds it: in which chain, at which position, with which hashes."""

    entry_id: int
    chain: str
    seq: int
    recorded_at: datetime
    prev_hash: str
    entry_hash: str
    statement: Statement

    def expected_hash(self) -> str:
        """The hash this entry should carry, computed from what it holds."""
        return entry_hash(
            chain=self.chain, seq=self.seq, prev_hash=self.prev_hash, recorded_at=self.recorded_at,
            body=self.statement.body,
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class Break:
    """The first broken entry of a chain, and what is wrong with it."""

    chain: str
    seq: int
    statement_id: str
    reason: str

    def __str__(self) -> str:
        """Render as ``cp_x #3 (st_...): reason``."""
        return f"{self.chain} #{self.seq} ({self.statement_id}): {self.reason}"


def _problem(
    entry: LedgerEntry, previous: LedgerEntry | None, check_signature: Callable[[Statement], str | None]
) -> str | None:
    expected_seq = 1 if previous is None else previous.seq + 1
    if entry.seq != expected_seq:
        return f"position {entry.seq} follows {expected_seq - 1}: an entry is missing or out of place"
    expected_prev = GENESIS if previous is None else previous.entry_hash
    if entry.prev_hash != expected_prev:
        return "its previous-entry hash does not match the entry before it"
    if entry.statement.statement_id != entry.statement.body.get("statement_id"):
        return "its statement ID differs from the statement's own"
    if entry.entry_hash != entry.expected_hash():
        return "its content does not match its hash (changed after it was recorded)"
    if entry.statement.signed:
        return check_signature(entry.statement)
    if entry.statement.source is SourceKind.PREFERENCE_CENTRE:
        return "a preference_centre statement without a signature (the preference centre signs all it records)"
    return None


def check_chain(entries: Sequence[LedgerEntry], *, check_signature: Callable[[Statement], str | None]) -> Break | None:
    """Return the first broken entry of one chain (entries in position order), or None when it holds."""
    previous: LedgerEntry | None = None
    for entry in entries:
        problem = _problem(entry, previous, check_signature)
        if problem is not None:
            return Break(entry.chain, entry.seq, entry.statement.statement_id, problem)
        previous = entry
    return None
