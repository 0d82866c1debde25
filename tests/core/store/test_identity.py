from __future__ import annotations

import pytest
import sqlalchemy as sa

from core.errors import StoreError
from core.store import LinkInput, LinkMethod, ProfileInput, ProfileStatus, UpsertCounts, open_store
from core.store.aliases import _MAX_ALIAS_HOPS

from .helpers import snapshot


def _link(source_id: str, profile_id: str, **kw) -> LinkInput:
    return LinkInput(system="hubspot", stream="contacts", source_id=source_id, profile_id=profile_id, **kw)


def test_profiles_upsert_is_idempotent_and_keeps_created_at(store_url, fixed_clock):
    golden = {"email": {"value": "a@example.com", "source": "hubspot/contacts/1", "rule": "most_recent"}}
    with open_store(store_url, clock=fixed_clock) as store:
        assert store.profiles.upsert([ProfileInput("cp_aaaaaaaa", golden)], run_id="r1") == UpsertCounts(inserted=1)
        before = snapshot(store, "profiles")
        fixed_clock.advance(hours=2)
        assert store.profiles.upsert([ProfileInput("cp_aaaaaaaa", golden)], run_id="r2") == UpsertCounts(unchanged=1)
        assert snapshot(store, "profiles") == before
        merged = ProfileInput("cp_aaaaaaaa", golden, status=ProfileStatus.MERGED, merged_into="cp_bbbbbbbb")
        assert store.profiles.upsert([merged], run_id="r3") == UpsertCounts(updated=1)
        profile = store.profiles.get("cp_aaaaaaaa")
    assert profile is not None
    assert profile.status == ProfileStatus.MERGED and profile.merged_into == "cp_bbbbbbbb"
    assert profile.updated_at == fixed_clock.now and profile.created_at < profile.updated_at
    assert profile.golden == golden


def test_alias_resolution_follows_chains(store):
    assert store.aliases.resolve("cp_cccccccc") == "cp_cccccccc"
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb"}, run_id="r1")
    store.aliases.add({"cp_bbbbbbbb": "cp_cccccccc"}, run_id="r2")
    assert store.aliases.resolve("cp_aaaaaaaa") == "cp_cccccccc"
    assert store.aliases.resolve("cp_bbbbbbbb") == "cp_cccccccc"


def test_alias_loops_are_reported(store):
    with pytest.raises(StoreError, match="itself"):
        store.aliases.add({"cp_aaaaaaaa": "cp_aaaaaaaa"}, run_id="r1")
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb", "cp_bbbbbbbb": "cp_aaaaaaaa"}, run_id="r1")
    with pytest.raises(StoreError, match="loop") as caught:
        store.aliases.resolve("cp_aaaaaaaa")
    assert caught.value.hint
    assert _MAX_ALIAS_HOPS > 2


def test_links_are_idempotent_and_follow_merges(store_url, fixed_clock):
    links = [
        _link("1", "cp_aaaaaaaa", method=LinkMethod.RULE, rule="same email", explanation={"email": "match"}),
        _link("2", "cp_bbbbbbbb", method=LinkMethod.SCORE, score=0.93, explanation={"name": 0.9, "phone": 1.0}),
    ]
    with open_store(store_url, clock=fixed_clock) as store:
        assert store.links.save(links, run_id="r1") == UpsertCounts(inserted=2)
        before = snapshot(store, "links")
        fixed_clock.advance(minutes=1)
        assert store.links.save(links, run_id="r2") == UpsertCounts(unchanged=2)
        assert snapshot(store, "links") == before
        store.aliases.add({"cp_bbbbbbbb": "cp_aaaaaaaa"}, run_id="r3")
        assert store.links.profile_of("hubspot", "contacts", "2") == "cp_aaaaaaaa"
        assert [link.source_id for link in store.links.of_profile("cp_aaaaaaaa")] == ["1", "2"]
        assert [link.source_id for link in store.links.of_profile("cp_bbbbbbbb")] == ["1", "2"]
        moved = [_link("2", "cp_aaaaaaaa", method=LinkMethod.MANUAL, rule="pin")]
        assert store.links.save(moved, run_id="r4") == UpsertCounts(updated=1)
        link = next(iter(store.links.iter(system="hubspot")))
    assert store_profile_missing(store_url) is None
    assert link.method == LinkMethod.RULE and link.explanation == {"email": "match"}


def store_profile_missing(url):
    with open_store(url) as store:
        return store.links.profile_of("hubspot", "contacts", "404")


def test_remove_links(store):
    store.links.save([_link("1", "cp_aaaaaaaa", method=LinkMethod.RULE)], run_id="r1")
    ref = type("Ref", (), {"system": "hubspot", "stream": "contacts", "source_id": "1"})()
    assert store.links.remove([ref]) == 1
    assert store.links.remove([ref]) == 0
    assert store.links.of_profile("cp_aaaaaaaa") == []


def test_reads_inside_reading_share_one_connection(store):
    checkouts: list[object] = []
    sa.event.listen(store.engine, "checkout", lambda *args: checkouts.append(args[0]))
    store.aliases.add({"cp_aaaaaaaa": "cp_bbbbbbbb"}, run_id="r1")
    writes = len(checkouts)
    with store.database.reading():
        assert store.identity_index.profiles_of(["crm/people/1"]) == {}
        assert store.identity_index.members(["cp_bbbbbbbb"]) == []
        with store.database.reading():  # nested: still the outer connection
            assert store.identity_index.block_key_sizes(["email:bob@acme.com"]) == {}
        assert store.pins.partners("crm/people/1") == ({}, set())
    assert len(checkouts) == writes + 1
    store.identity_index.profiles_of(["crm/people/1"])
    assert len(checkouts) == writes + 2  # outside the block, a read takes its own connection again
