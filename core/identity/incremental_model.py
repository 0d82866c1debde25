"""What incremental resolution needs from the batch model: stored parameters and stored people.

``load_person`` rebuilds a Person the identity index stored (a ``model_dump``
of a validated Person) without validating it again: validation (email syntax
above all) would cost more than resolving the record.

Stored parameters are read back with ``ModelParameters.from_dict``; scored links
are checked with the batch engine's own ``required_failed``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from core.canonical import Identifier, IdentifierKind, Person, RecordRef
from core.identity.records import RecordTable

__all__ = ["Candidates", "load_person"]


@dataclass(frozen=True)
class Candidates:
    """A record and the records it is resolved against, prepared in one table.

    Attributes:
        table: The prepared records (sorted by key).
        index: The record's position in ``table``.
        profile_of: Every other record's key → its profile ID.
        people: The record first, then the others (as read from the store).
    """

    table: RecordTable
    index: int
    profile_of: dict[str, str]
    people: list[Person]


def load_person(text: str) -> Person:
    """Rebuild a Person from JSON that ``Person.model_dump(mode="json")`` wrote, without re-validating.

    Only for text the store wrote from a validated Person; anything else goes through
    ``Person.model_validate_json``.
    """
    data = json.loads(text)
    data["source"] = RecordRef.model_construct(**data["source"])
    data["identifiers"] = [
        Identifier.model_construct(**{**item, "kind": IdentifierKind(item["kind"])})
        for item in data.get("identifiers") or ()
    ]
    for name in ("updated_at", "created_at"):
        if data.get(name):
            data[name] = datetime.fromisoformat(data[name])
    if data.get("date_of_birth"):
        data["date_of_birth"] = date.fromisoformat(data["date_of_birth"])
    return Person.model_construct(**data)
