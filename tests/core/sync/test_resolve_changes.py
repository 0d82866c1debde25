"""A sync's identity step: a batch when one is due, else each changed person against the stored profiles."""

from __future__ import annotations

from core.identity import IdentitySettings
from core.sync.lifecycle import RunContext, RunKind
from core.sync.resolve import resolve_changes
from tests.core.identity.stable_helpers import ALICE, ALICE_AGAIN, BOB, MARY, ROBERT, key, load, person, run

MARY_IN_SHOP = person("7", system="shop", first_name="Mary", last_name="Jones", email="mary.jones@example.org")
ZED_IN_SHOP = person("7", system="shop", first_name="Zed", last_name="Quill", email="zed.quill@example.com")
OTHERS = [
    person(f"x{n}", first_name=first, last_name=last, email=f"{first}.{last}@example.net".lower())
    for n, (first, last) in enumerate(
        [("Ivy", "Stone"), ("Omar", "Reyes"), ("Uma", "Klein"), ("Eli", "Novak"), ("Ada", "Park")]
    )
]


def _changes(store, changed):
    with RunContext(store, RunKind.SYNC, catch_signals=False) as context:
        return resolve_changes(store, IdentitySettings(), changed, full=False, run=context)


def test_a_changed_record_is_resolved_once_as_its_first_person_row(store):
    load(store, ROBERT, BOB, MARY, ALICE, ALICE_AGAIN, *OTHERS)
    run(store)  # trains the model: the next change is resolved on its own
    before = store.links.by_record()
    mary = before[key(MARY)]
    # one record whose mapping gave two people: its first row is the record's person
    rows = [(MARY_IN_SHOP.source, "Person", 0, MARY_IN_SHOP), (ZED_IN_SHOP.source, "Person", 1, ZED_IN_SHOP)]
    store.records.upsert_canonical(rows, run_id=None)
    resolved = _changes(store, [("shop", "people", "7"), ("crm", "people", "3")])
    assert resolved.mode == "incremental"
    assert resolved.counts["records_linked"] == 2
    links = store.links.by_record()
    assert links[key(MARY_IN_SHOP)] == links[key(MARY)] == mary
    assert resolved.affected == {mary}
    assert set(links.values()) == set(before.values())  # no profile made for the record's second row
    assert "zed.quill@example.com" not in str([store.profiles.get(p).golden for p in set(links.values())])  # type: ignore[union-attr]
