from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

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


def test_recording_the_same_writes_again_keeps_the_values_and_moves_when_they_were_last_written(store_url, fixed_clock):
    when = datetime(2024, 4, 1, tzinfo=UTC)
    ops = [WriteOp("1", {"last_activity": when, "score": 0.5, "none": None})]
    with open_store(store_url, clock=fixed_clock) as store:
        store.writeback.record("hubspot", "contacts", ops, run_id="r1")
        store.writeback.record("hubspot", "contacts", [WriteOp("2", {"score": 0.1})], run_id="r1")
        before = snapshot(store, "writeback_ledger")
        first = store.writeback.written_when("hubspot", "contacts", ["1"])[1]["1"]
        fixed_clock.advance(days=1)
        assert store.writeback.record("hubspot", "contacts", ops, run_id="r2") == UpsertCounts(unchanged=3)
        again = store.writeback.written_when("hubspot", "contacts", ["1", "2"])[1]
        assert set(first.values()) == {datetime(2024, 5, 1, 9, 30, tzinfo=UTC)}
        assert again["1"] == dict.fromkeys(first, datetime(2024, 5, 2, 9, 30, tzinfo=UTC))  # the last write
        assert again["2"] == {"score": datetime(2024, 5, 1, 9, 30, tzinfo=UTC)}  # not written again
        after = snapshot(store, "writeback_ledger")
        columns = [c["name"] for c in sa.inspect(store.engine).get_columns("writeback_ledger")]
        kept = [i for i, name in enumerate(columns) if name not in ("written_at", "run_id")]
        assert [[row[i] for i in kept] for row in after] == [[row[i] for i in kept] for row in before]
        assert sorted(row[columns.index("run_id")] for row in after) == ["r1", "r2", "r2", "r2"]
        assert store.writeback.diff("hubspot", "contacts", {"1": ops[0].fields}) == {}
        changed = [WriteOp("1", {"score": 0.75})]
        assert store.writeback.record("hubspot", "contacts", changed, run_id="r3") == UpsertCounts(updated=1)
        assert store.writeback.last_written("hubspot", "contacts", "1") == {
            "last_activity": "2024-04-01T00:00:00+00:00",
            "score": 0.75,
            "none": None,
        }


def test_writes_refused_for_good_are_worth_sending_again_once_released(store):
    from core.sync.planner import PlannedWrite
    from core.sync.push import MAX_ATTEMPTS, Pushed, _Failed, _worth_sending

    missing = _Failed("5", {"Contactpoint_Profile_Id__c": "cp_1"}, "INVALID_FIELD", "No such column", False)
    store.writeback.fail("salesforce", "Contact", [missing], run_id="r1")
    store.writeback.fail("hubspot", "contacts", [_Failed("9", {"x": 1}, "VALIDATION_ERROR", "no property", False)],
                         run_id="r1")  # fmt: skip
    for _ in range(MAX_ATTEMPTS):
        store.writeback.fail("salesforce", "Lead", [_Failed("7", {"a": 1}, "UNAVAILABLE", "try later", True)],
                             run_id="r1")  # fmt: skip

    def kept(system: str, stream: str, source_id: str, fields: dict) -> bool:
        failures = {f.source_id: f for f in store.writeback.failures(system, stream)}
        write = PlannedWrite(system=system, stream=stream, source_id=source_id, profile_id="cp_1", fields=fields)
        return bool(_worth_sending(failures, system, [write], Pushed()))

    assert not kept("salesforce", "Contact", "5", {"Contactpoint_Profile_Id__c": "cp_1"})  # refused for good
    assert not kept("salesforce", "Lead", "7", {"a": 1})  # failed too often
    assert not kept("hubspot", "contacts", "9", {"x": 1})
    assert store.writeback.release("salesforce") == 2
    assert kept("salesforce", "Contact", "5", {"Contactpoint_Profile_Id__c": "cp_1"})
    assert kept("salesforce", "Lead", "7", {"a": 1})
    assert not kept("hubspot", "contacts", "9", {"x": 1})  # another system's stay as they were
    again = {f.source_id: (f.retryable, f.attempts, f.message) for f in store.writeback.failures("salesforce")}
    assert again == {"5": (True, 0, "No such column"), "7": (True, 0, "try later")}  # the reason is kept
