"""What incremental resolution needs from the batch model: stored parameters and candidates.

Stored people are rebuilt with ``core.identity.records.stored_person``. Stored parameters
are read back with ``ModelParameters.from_dict``; scored links are checked with the batch
engine's own ``required_failed``.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.identity.records import RecordTable

__all__ = ["Candidates"]


@dataclass(frozen=True)
class Candidates:
    """A record and the records it is resolved against, prepared in one table.

    Attributes:
        table: The prepared records (sorted by key).
        index: The record's position in ``table``.
        profile_of: Every other record's key → its profile ID.
    """

    table: RecordTable
    index: int
    profile_of: dict[str, str]
