from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import RejectedRecord
from core.errors import StoreError
from core.store import RunStatus, open_store

from .helpers import snapshot


def test_cursor_round_trip_and_replacement(store):
    assert store.cursors.get("zendesk", "tickets") is None
    store.cursors.save("zendesk", "tickets", {"start_time": 1714550400, "after": "abc", "pages": [1, 2]}, run_id="r1")
    assert store.cursors.get("zendesk", "tickets") == {"start_time": 1714550400, "after": "abc", "pages": [1, 2]}
    store.cursors.save("zendesk", "tickets", {"start_time": 1714560000}, run_id="r2")
    assert store.cursors.get("zendesk", "tickets") == {"start_time": 1714560000}
    assert store.cursors.get("zendesk", "users") is None
    assert store.counts()["cursors"] == 1


def test_cursor_that_is_not_json_is_refused(store):
    with pytest.raises(StoreError, match="JSON"):
        store.cursors.save("zendesk", "tickets", {"bad": object()}, run_id="r1")


def test_runs_ledger_records_start_and_finish(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        run_id = store.runs.start("sync")
        started = store.runs.get(run_id)
        fixed_clock.advance(seconds=90)
        store.runs.finish(
            run_id,
            RunStatus.PARTIAL,
            counters={"pulled": 10, "stored": 7, "unchanged": 2, "rejected": 1},
            api_usage={"hubspot": {"calls": 3, "retries": 1, "throttled_seconds": 2.5}},
            error="hubspot: access_token=abc123secret refused for ops@example.com",
        )
        run = store.runs.get(run_id)
    assert run_id.startswith("sync-20240501T093000Z-")
    assert started is not None and started.status == RunStatus.STARTED and started.finished_at is None
    assert run is not None
    assert run.status == RunStatus.PARTIAL
    assert run.started_at == fixed_clock.now - timedelta(seconds=90)
    assert run.finished_at == fixed_clock.now
    assert run.counters == {"pulled": 10, "stored": 7, "unchanged": 2, "rejected": 1}
    assert run.api_usage["hubspot"]["throttled_seconds"] == 2.5
    assert run.error is not None
    assert "abc123secret" not in run.error and "ops@example.com" not in run.error


def test_resuming_a_run_reopens_it_and_list_runs_is_newest_first(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        first = store.runs.start("sync", run_id="sync-1")
        store.runs.finish(first, RunStatus.FAILED, counters={"pulled": 5}, error="boom")
        fixed_clock.advance(minutes=1)
        store.runs.start("identity", run_id="identity-1")
        store.runs.start("sync", run_id="sync-1")
        resumed = store.runs.get("sync-1")
        newest = [r.run_id for r in store.runs.list()]
        syncs = [r.run_id for r in store.runs.list(kind="sync")]
    assert resumed is not None
    assert (resumed.status, resumed.error, resumed.finished_at) == (RunStatus.STARTED, None, None)
    assert resumed.counters == {"pulled": 5}
    assert newest == ["identity-1", "sync-1"]
    assert syncs == ["sync-1"]


def test_finishing_an_unknown_run_is_an_error(store):
    with pytest.raises(StoreError, match="nope"):
        store.runs.finish("nope", RunStatus.SUCCEEDED)
    assert store.runs.get("nope") is None


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


def test_session_gives_ad_hoc_orm_access(store):
    from sqlmodel import select

    from core.store import Run

    store.runs.start("report", run_id="report-1")
    with store.database.session() as session:
        run = session.exec(select(Run).where(Run.run_id == "report-1")).one()
        run.counters = {"rows": 3}
        session.add(run)
    again = store.runs.get("report-1")
    assert again is not None and again.counters == {"rows": 3}
