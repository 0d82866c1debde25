from __future__ import annotations

from datetime import UTC, datetime

from connectors.base import WriteOp
from core.store import UpsertCounts, open_store

from .helpers import snapshot


def test_writeback_diff_returns_only_what_changed(store):
    ops = [
        WriteOp("003A", {"cp_profile_id": "cp_aaaaaaaa", "cp_open_tickets": 2, "cp_tags": ["vip"]}),
        WriteOp("003B", {"cp_profile_id": "cp_bbbbbbbb"}),
    ]
    assert store.writeback.record("salesforce", "Contact", ops, run_id="r1") == UpsertCounts(inserted=4)
    desired = {
        "003A": {"cp_profile_id": "cp_aaaaaaaa", "cp_open_tickets": 3, "cp_tags": ["vip"]},
        "003B": {"cp_profile_id": "cp_bbbbbbbb", "cp_suppressed": True},
        "003C": {"cp_profile_id": "cp_cccccccc"},
    }
    assert store.writeback.diff("salesforce", "Contact", desired) == {
        "003A": {"cp_open_tickets": 3},
        "003B": {"cp_suppressed": True},
        "003C": {"cp_profile_id": "cp_cccccccc"},
    }
    assert store.writeback.diff("hubspot", "contacts", {"003A": {"cp_open_tickets": 2}}) == {
        "003A": {"cp_open_tickets": 2}
    }
    assert store.writeback.last_written("salesforce", "Contact", "003A") == {
        "cp_profile_id": "cp_aaaaaaaa",
        "cp_open_tickets": 2,
        "cp_tags": ["vip"],
    }
    assert store.writeback.last_written("salesforce", "Contact", "nope") == {}


def test_recording_the_same_writes_again_changes_nothing(store_url, fixed_clock):
    when = datetime(2024, 4, 1, tzinfo=UTC)
    ops = [WriteOp("1", {"last_activity": when, "score": 0.5, "none": None})]
    with open_store(store_url, clock=fixed_clock) as store:
        store.writeback.record("hubspot", "contacts", ops, run_id="r1")
        before = snapshot(store, "writeback_ledger")
        fixed_clock.advance(days=1)
        assert store.writeback.record("hubspot", "contacts", ops, run_id="r2") == UpsertCounts(unchanged=3)
        assert snapshot(store, "writeback_ledger") == before
        assert store.writeback.diff("hubspot", "contacts", {"1": ops[0].fields}) == {}
        changed = [WriteOp("1", {"score": 0.75})]
        assert store.writeback.record("hubspot", "contacts", changed, run_id="r3") == UpsertCounts(updated=1)
        assert store.writeback.last_written("hubspot", "contacts", "1") == {
            "last_activity": "2024-04-01T00:00:00+00:00",
            "score": 0.75,
            "none": None,
        }
