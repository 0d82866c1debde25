from __future__ import annotations

from core.store import ProfileInput, ProfileStatus, UpsertCounts, open_store

from .helpers import snapshot


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
