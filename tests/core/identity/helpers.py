"""Small builders shared by the identity tests."""

from __future__ import annotations

from typing import Any

from core.canonical import Person, RecordRef
from core.identity import default_nicknames, default_role_mailboxes, prepare_records
from core.identity.records import RecordTable


def person(source_id: str, *, system: str = "crm", **fields: Any) -> Person:
    """A Person from system ``system``, stream ``people``."""
    return Person(source=RecordRef(system=system, stream="people", source_id=source_id), **fields)


def table(*people: Person) -> RecordTable:
    """Prepare people with the bundled tables (records end up sorted by key)."""
    return prepare_records(list(people), nicknames=default_nicknames(), roles=default_role_mailboxes())
