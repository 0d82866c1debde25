"""Stable profile IDs over the store: re-runs, joins, merges with aliases, deletions, manual pins."""

from __future__ import annotations

import pytest

from connectors.base import SourceRecord
from core.errors import IdentityError
from core.identity.manual import merge_profiles, split_profile
from core.store import PinInput, PinKind, ProfileStatus, open_store
from tests.core.identity.stable_helpers import (
    ALICE,
    ALICE_AGAIN,
    ALICE_BRIDGE,
    BOB,
    MARY,
    ROBERT,
    key,
    load,
    person,
    run,
)


@pytest.fixture
def clocked(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        yield store


def test_resolving_the_same_store_twice_keeps_every_id(store):
    load(store, ROBERT, BOB, MARY)
    first = run(store).profile_of()
    second = run(store, "again")
    assert second.profile_of() == first
    assert second.summary()["new"] == 0
    assert first[key(ROBERT)] == first[key(BOB)] != first[key(MARY)]


def test_links_carry_the_rule_score_and_contributions(store):
    load(store, ROBERT, BOB, MARY)
    run(store)
    links = {f"{link.system}/{link.stream}/{link.source_id}": link for link in store.links.iter()}
    bob = links[key(BOB)]
    assert bob.method == "rule" and bob.rule == "same_personal_email"
    assert {c["comparison"] for c in bob.explanation["contributions"]} >= {"first_name", "email"}
    assert links[key(MARY)].explanation["decision"] == "new"
    golden = store.profiles.get(bob.profile_id).golden
    assert golden["last_name"]["value"] == "Smith"
    assert golden["last_name"]["source"]["system"] in {"crm", "desk"}


def test_a_new_record_joining_a_profile_never_renames_it(store):
    load(store, ROBERT, MARY)
    before = run(store).profile_of()
    load(store, BOB)
    after = run(store, "next")
    assert after.profile_of()[key(BOB)] == before[key(ROBERT)]
    assert after.profile_of()[key(ROBERT)] == before[key(ROBERT)]
    assert after.summary()["new"] == 0


def test_a_merge_keeps_the_older_id_and_the_other_resolves_as_an_alias(clocked, fixed_clock):
    load(clocked, ALICE)
    older = run(clocked, "one").profile_of()[key(ALICE)]
    fixed_clock.advance(hours=1)
    load(clocked, ALICE_AGAIN)
    younger = run(clocked, "two").profile_of()[key(ALICE_AGAIN)]
    assert older != younger
    fixed_clock.advance(hours=1)
    load(clocked, ALICE_BRIDGE)
    result = run(clocked, "three")
    assert set(result.profile_of().values()) == {older}
    assert result.ids.merged == {older: [younger]}
    assert clocked.aliases.resolve(younger) == older
    assert clocked.profiles.get(younger).status == ProfileStatus.MERGED
    assert len(clocked.links.of_profile(younger)) == 3


def test_a_deleted_source_record_leaves_its_profile(store):
    load(store, ROBERT, BOB)
    profile = run(store).profile_of()[key(ROBERT)]
    store.records.upsert_source(
        [SourceRecord(system="desk", stream="people", source_id="2", raw={}, deleted=True)], run_id=None
    )
    result = run(store, "after-delete")
    assert result.removed == [key(BOB)]
    assert store.links.profile_of("desk", "people", "2") is None
    assert [f"{link.system}/{link.source_id}" for link in store.links.of_profile(profile)] == ["crm/1"]


def test_a_manual_split_is_applied_at_once_and_survives_a_rerun(store):
    load(store, ROBERT, BOB, MARY)
    profile = run(store).profile_of()[key(ROBERT)]
    change = split_profile(store, profile, [key(BOB)], reason="two people")
    assert store.links.profile_of("desk", "people", "2") == change.other_id
    again = run(store, "rerun").profile_of()
    assert again[key(BOB)] == change.other_id
    assert again[key(ROBERT)] == profile


def test_a_manual_merge_is_applied_at_once_and_survives_a_rerun(clocked, fixed_clock):
    load(clocked, MARY)
    mary = run(clocked, "one").profile_of()[key(MARY)]
    fixed_clock.advance(hours=1)
    load(clocked, ALICE)
    alice = run(clocked, "two").profile_of()[key(ALICE)]
    change = merge_profiles(clocked, alice, mary, reason="same person")
    assert (change.profile_id, change.other_id) == (mary, alice)  # the older survives
    assert clocked.links.profile_of("crm", "people", "4") == mary
    assert clocked.aliases.resolve(alice) == mary
    again = run(clocked, "rerun").profile_of()
    assert again[key(ALICE)] == again[key(MARY)] == mary


def test_a_split_after_a_merge_undoes_it_and_both_pins_hold(store):
    load(store, MARY, ALICE)
    ids = run(store).profile_of()
    merged = merge_profiles(store, ids[key(MARY)], ids[key(ALICE)])
    split = split_profile(store, merged.profile_id, [key(ALICE)])
    again = run(store, "rerun").profile_of()
    assert again[key(ALICE)] == split.other_id != again[key(MARY)]


def test_manual_changes_name_unknown_profiles_and_foreign_records(store):
    load(store, ROBERT, BOB, MARY)
    ids = run(store).profile_of()
    with pytest.raises(IdentityError, match="unknown profile") as caught:
        merge_profiles(store, "cp_doesnotexist", ids[key(MARY)])
    assert "explain" in caught.value.hint
    with pytest.raises(IdentityError, match="not in profile"):
        split_profile(store, ids[key(ROBERT)], [key(MARY)])
    with pytest.raises(IdentityError, match="empty"):
        split_profile(store, ids[key(ROBERT)], [key(ROBERT), key(BOB)])
    with pytest.raises(IdentityError, match="already one profile"):
        merge_profiles(store, ids[key(ROBERT)], ids[key(BOB)])


def test_a_model_and_the_index_are_stored_for_incremental_mode(store):
    load(store, ROBERT, person("9", first_name="Zed", last_name="Zulu"))
    result = run(store)
    model = store.identity_models.latest()
    assert model.model_id == result.model_id
    assert "first_name" in model.parameters["comparisons"]
    found = store.identity_index.block_key_records(["email:bobsmith@gmail.com"], [])
    assert found == [(key(ROBERT), result.profile_of()[key(ROBERT)])]


def test_a_must_link_pin_never_lets_the_model_chain_a_conflicting_birth_date_onto_it(store):
    """a (born 1980) and b (no date) are pinned together; the model's b-c link would bring c (born 1990)."""
    a = person("a", first_name="Robert", last_name="Smith", date_of_birth="1980-01-01", email="rob.smith@example.org")
    b = person("b", first_name="Robert", last_name="Smith", phone="+442079460018", email="bob.s@example.net")
    c = person("c", first_name="Robert", last_name="Smith", phone="+442079460018", date_of_birth="1990-06-06")
    load(store, a, b, c)
    before = run(store).profile_of()
    assert before[key(b)] == before[key(c)] != before[key(a)]  # the model links b and c only
    store.pins.add([PinInput(PinKind.MUST_LINK, key(a), key(b), reason="same person")])
    result = run(store, "pinned")
    ids = result.profile_of()
    assert ids[key(a)] == ids[key(b)] != ids[key(c)]
    people = result.resolution.people
    for members in result.clusters:
        assert len({people[i].date_of_birth for i in members} - {None}) <= 1
    refused = [e for e in result.resolution.reviews() if {e.left, e.right} == {key(b), key(c)}]
    assert [e.reason for e in refused] == ["conflict: date_of_birth"]
    links = {f"{link.system}/{link.stream}/{link.source_id}": link for link in store.links.iter()}
    assert links[key(a)].method == links[key(b)].method == "manual"
    assert links[key(a)].explanation["pin_id"] > 0 and links[key(a)].rule == "pin"


def test_a_cannot_link_pin_sends_the_model_link_to_review_with_the_pin_as_reason(store):
    load(store, ROBERT, BOB, MARY)
    before = run(store).profile_of()
    assert before[key(ROBERT)] == before[key(BOB)]
    store.pins.add([PinInput(PinKind.CANNOT_LINK, key(ROBERT), key(BOB), reason="two people")])
    result = run(store, "pinned")
    assert result.profile_of()[key(ROBERT)] != result.profile_of()[key(BOB)]
    refused = [e for e in result.resolution.reviews() if {e.left, e.right} == {key(ROBERT), key(BOB)}]
    assert refused and all(e.reason == "conflict: pin" for e in refused)
