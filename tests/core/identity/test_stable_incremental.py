"""Incremental resolution: a new or changed record against the stored profiles, through the index."""

from __future__ import annotations

import math

import pytest

from core.errors import IdentityError
from core.identity import IncrementalResolver, Outcome, resolve_few, resolve_one
from core.identity.manual import split_profile
from core.store import LinkMethod, PinInput, PinKind
from tests.core.identity.stable_helpers import ALICE, BOB, MARY, ROBERT, key, load, person, run


@pytest.fixture
def resolved(store):
    load(store, ROBERT, BOB, MARY, ALICE)
    return store, run(store).profile_of()


def test_a_new_record_joins_the_profile_it_matches(resolved):
    store, ids = resolved
    bobby = person("9", system="shop", first_name="Bobby", last_name="Smith", email="bob.smith+shop@gmail.com")
    decision = resolve_one(store, bobby)
    assert decision.outcome is Outcome.JOINED
    assert decision.profile_id == ids[key(ROBERT)]
    assert decision.method is LinkMethod.RULE and decision.rule == "same_personal_email"
    assert {c["comparison"] for c in decision.explanation["contributions"]} >= {"first_name", "email"}
    assert store.links.profile_of("shop", "people", "9") == ids[key(ROBERT)]
    assert store.identity_index.block_key_records(["external_id:shop:9"], []) == [(key(bobby), ids[key(ROBERT)])]


def test_a_record_matching_nobody_gets_a_new_profile(resolved):
    store, ids = resolved
    decision = resolve_one(store, person("10", system="shop", first_name="Zed", last_name="Zulu", email="zz@zulu.org"))
    assert decision.outcome is Outcome.NEW
    assert decision.profile_id not in set(ids.values())
    assert store.profiles.get(decision.profile_id).golden["last_name"]["value"] == "Zulu"


def test_a_changed_record_that_no_longer_matches_leaves_its_profile(resolved):
    store, ids = resolved
    changed = person("2", system="desk", first_name="Carla", last_name="Diaz", email="carla.diaz@example.net")
    load(store, changed)
    decision = resolve_one(store, changed)
    assert decision.outcome is Outcome.NEW
    assert decision.left == ids[key(ROBERT)]
    assert [f"{link.system}/{link.stream}/{link.source_id}" for link in store.links.of_profile(decision.left)] == [
        key(ROBERT)
    ]
    golden = store.profiles.get(decision.left).golden
    assert golden["first_name"]["source"]["system"] == "crm"  # recomputed without the record that left


def test_a_changed_record_that_matches_another_profile_moves_there(resolved):
    store, ids = resolved
    changed = person("2", system="desk", first_name="Mary", last_name="Jones", email="mary.jones@example.org")
    decision = resolve_one(store, changed)
    assert decision.outcome is Outcome.JOINED
    assert (decision.profile_id, decision.left) == (ids[key(MARY)], ids[key(ROBERT)])


def test_a_lone_record_that_changes_stays_in_its_profile(resolved):
    store, ids = resolved
    decision = resolve_one(store, person("3", first_name="Mary", last_name="Jones-Smith", email="mj@example.org"))
    assert decision.outcome is Outcome.STAYED
    assert decision.profile_id == ids[key(MARY)]


def test_a_cannot_link_pin_keeps_a_record_out_of_the_profile_it_was_split_from(resolved):
    store, ids = resolved
    change = split_profile(store, ids[key(ROBERT)], [key(BOB)])
    decision = resolve_one(store, BOB)
    assert decision.profile_id == change.other_id
    assert decision.method is LinkMethod.MANUAL or decision.outcome is Outcome.STAYED


def test_a_few_records_resolve_in_order_and_see_each_other(resolved):
    store, _ = resolved
    first = person("20", system="shop", first_name="Nina", last_name="Novak", email="nina.novak@example.com")
    second = person("21", system="desk", first_name="Nina", last_name="Novak", email="nina.novak@example.com")
    decisions = resolve_few(store, [first, second])
    assert [d.outcome for d in decisions] == [Outcome.NEW, Outcome.JOINED]
    assert decisions[1].profile_id == decisions[0].profile_id


def test_incremental_mode_needs_a_stored_model(store):
    with pytest.raises(IdentityError, match="no trained identity model") as caught:
        IncrementalResolver(store)
    assert "resolve --store" in caught.value.hint


def test_a_cannot_link_pin_excludes_the_whole_profile_of_the_partner(store):
    zara = person("a1", first_name="Zara", last_name="Xu", email="zara.xu@example.com")
    nora = person("b1", system="desk", first_name="Nora", last_name="Quinn", phone="+442079460958", external="crm:a1")
    load(store, zara, nora)
    ids = run(store).profile_of()
    assert ids[key(zara)] == ids[key(nora)]  # linked by the external ID
    newcomer = person("x1", system="shop", first_name="Nora", last_name="Quinn", phone="+442079460958")
    assert resolve_one(store, newcomer).profile_id == ids[key(nora)]
    store.pins.add([PinInput(PinKind.CANNOT_LINK, key(newcomer), key(zara))])
    decision = resolve_one(store, newcomer)
    assert decision.profile_id != ids[key(nora)]
    assert decision.left == ids[key(nora)]


def test_a_must_link_pin_joins_a_profile_the_model_would_not(resolved):
    store, ids = resolved
    stranger = person("30", system="shop", first_name="Yusuf", last_name="Ortega", email="yo@example.net")
    store.pins.add([PinInput(PinKind.MUST_LINK, key(stranger), key(MARY), reason="same person")])
    decision = resolve_one(store, stranger)
    assert (decision.profile_id, decision.method, decision.outcome) == (
        ids[key(MARY)],
        LinkMethod.MANUAL,
        Outcome.JOINED,
    )
    linked = [f"{link.system}/{link.stream}/{link.source_id}" for link in store.links.of_profile(ids[key(MARY)])]
    assert linked == [key(MARY), key(stranger)]
    assert decision.explanation["pin_id"] > 0


def test_incremental_scores_with_the_term_frequencies_stored_with_the_model(resolved):
    store, ids = resolved
    resolver = IncrementalResolver(store)
    frequencies = resolver.parameters.frequencies
    assert frequencies is not None and frequencies.stored
    assert frequencies.counts["last_name"]["smith"] == 2  # Robert and Bob Smith; values seen once are not kept
    assert "jones" not in frequencies.counts["last_name"] and frequencies.totals["last_name"] == 4
    decision = resolve_one(
        store, person("11", system="shop", first_name="Mary", last_name="Jones", email="mary.jones@example.org")
    )
    assert decision.profile_id == ids[key(MARY)]
    surname = next(c for c in decision.explanation["contributions"] if c["comparison"] == "last_name")
    # jones: seen once in four records, plus this one: 2 of 5
    assert surname["level"] == "exact" and surname["tf_adjustment"] != 0.0
    assert abs(surname["weight"] - (math.log2(surname["m"] / surname["u"]) + surname["tf_adjustment"])) < 1e-3
