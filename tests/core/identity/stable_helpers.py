"""Builders for the store-backed identity tests: people in the store, resolve runs."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core.canonical import Identifier, Person, RecordRef
from core.identity.persist import StoreResolution, resolve_store
from core.store import Store


def person(
    source_id: str, *, system: str = "crm", emails: Sequence[str] = (), external: str | None = None, **fields: Any
) -> Person:
    """A Person of ``system``/people; ``emails`` become email identifiers, ``external`` (``system:id``) an external ID."""
    identifiers = [Identifier(kind="email", value=e) for e in emails]
    if external:
        issuer, _, value = external.partition(":")
        identifiers.append(Identifier(kind="external_id", system=issuer, value=value))
    return Person(
        source=RecordRef(system=system, stream="people", source_id=source_id), identifiers=identifiers, **fields
    )


def load(store: Store, *people: Person) -> None:
    """Store people as canonical Person rows (as a sync would)."""
    store.records.upsert_canonical([(p.source, "Person", 0, p) for p in people], run_id=None)


def run(store: Store, run_id: str = "run") -> StoreResolution:
    """Resolve the store's people once."""
    return resolve_store(store, run_id=run_id)


def key(p: Person) -> str:
    """The record key of a person."""
    return str(p.source)


ROBERT = person("1", first_name="Robert", last_name="Smith", email="bob.smith@gmail.com")
BOB = person("2", system="desk", first_name="Bob", last_name="Smith", email="bobsmith@gmail.com")
MARY = person("3", first_name="Mary", last_name="Jones", email="mary.jones@example.org")
ALICE = person("4", first_name="Alice", last_name="Brown", email="alice.brown@gmail.com")
ALICE_AGAIN = person("5", system="desk", first_name="Alice", last_name="Brown", email="abrown@outlook.com")
ALICE_BRIDGE = person(
    "6",
    system="shop",
    first_name="Alice",
    last_name="Brown",
    email="alice.brown@gmail.com",
    emails=["abrown@outlook.com"],
)
