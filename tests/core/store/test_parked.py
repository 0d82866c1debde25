from __future__ import annotations

from datetime import timedelta

from connectors.base import RejectedRecord
from core.store import open_store

from .helpers import snapshot


def _bad(line: int, *, reason: str = "email: not an email", raw: object = None) -> RejectedRecord:
    return RejectedRecord(
        system="files",
        stream="people",
        reason=reason,
        raw=raw or {"email": "nope"},
        source_id="p1",
        position=f"line {line}",
    )


def test_parking_the_same_record_again_counts_instead_of_duplicating(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        assert store.parked.add([_bad(3), _bad(4, raw=["a", "row"], reason="too few columns")], run_id="r1") == 2
        first = snapshot(store, "parked_records")
        assert store.parked.add([_bad(3)], run_id="r1") == 1  # replayed batch of the same run
        assert snapshot(store, "parked_records") == first
        fixed_clock.advance(hours=1)
        store.parked.add([_bad(7, reason="email: still not an email")], run_id="r2")
        parked = store.parked.list(system="files")
    assert len(parked) == 2
    again = next(p for p in parked if p.raw == {"email": "nope"})
    assert again.times_seen == 2
    assert again.reason == "email: still not an email"
    assert again.position == "line 7"
    assert again.run_id == "r2"
    assert again.first_parked_at == fixed_clock.now - timedelta(hours=1)
    assert again.last_parked_at == fixed_clock.now
    assert [p.position for p in store_list(store_url, run_id="r1")] == ["line 4"]


def store_list(url, **filters):
    with open_store(url) as store:
        return store.parked.list(**filters)


def test_resolved_records_are_hidden_until_parked_again(store):
    store.parked.add([_bad(1), _bad(2, raw={"other": 1})], run_id="r1")
    ids = [p.id for p in store.parked.list() if p.raw == {"email": "nope"}]
    assert store.parked.resolve(ids) == 1
    assert store.parked.resolve(ids) == 0
    assert [p.raw for p in store.parked.list()] == [{"other": 1}]
    assert len(store.parked.list(include_resolved=True)) == 2
    store.parked.add([_bad(1)], run_id="r2")
    assert len(store.parked.list()) == 2


def test_parked_raw_may_be_any_json_value(store):
    store.parked.add([_bad(1, raw="a,broken,csv,line"), _bad(2, raw=[1, 2])], run_id="r1")
    assert sorted(str(p.raw) for p in store.parked.list()) == ["[1, 2]", "a,broken,csv,line"]


def test_parked_limit_keeps_the_oldest_and_count_ignores_it(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        for n in range(4):
            store.parked.add([_bad(n, raw={"n": n})], run_id="r1" if n < 3 else "r2")
            fixed_clock.advance(seconds=1)
        store.parked.resolve([p.id for p in store.parked.list() if p.raw == {"n": 0}])
        first_two = [p.raw for p in store.parked.list(limit=2)]
        counts = (store.parked.count(), store.parked.count(run_id="r1"), store.parked.count(system="zendesk"))
        with_resolved = store.parked.count(include_resolved=True)
    assert first_two == [{"n": 1}, {"n": 2}]
    assert counts == (3, 2, 0)
    assert with_resolved == 4
