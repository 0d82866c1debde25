from __future__ import annotations

from datetime import timedelta

import pytest

from connectors.base import RejectedRecord
from core.errors import StoreError
from core.store import RunStatus, open_store

from .helpers import snapshot


def test_cursor_round_trip_and_replacement(store):
    assert store.get_cursor("zendesk", "tickets") is None
    store.save_cursor("zendesk", "tickets", {"start_time": 1714550400, "after": "abc", "pages": [1, 2]}, run_id="r1")
    assert store.get_cursor("zendesk", "tickets") == {"start_time": 1714550400, "after": "abc", "pages": [1, 2]}
    store.save_cursor("zendesk", "tickets", {"start_time": 1714560000}, run_id="r2")
    assert store.get_cursor("zendesk", "tickets") == {"start_time": 1714560000}
    assert store.get_cursor("zendesk", "users") is None
    assert store.counts()["cursors"] == 1


def test_cursor_that_is_not_json_is_refused(store):
    with pytest.raises(StoreError, match="JSON"):
        store.save_cursor("zendesk", "tickets", {"bad": object()}, run_id="r1")


def test_runs_ledger_records_start_and_finish(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        run_id = store.start_run("sync")
        started = store.get_run(run_id)
        fixed_clock.advance(seconds=90)
        store.finish_run(
            run_id,
            RunStatus.PARTIAL,
            counters={"pulled": 10, "stored": 7, "unchanged": 2, "rejected": 1},
            api_usage={"hubspot": {"calls": 3, "retries": 1, "throttled_seconds": 2.5}},
            error="hubspot: access_token=abc123secret refused for ops@example.com",
        )
        run = store.get_run(run_id)
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
        first = store.start_run("sync", run_id="sync-1")
        store.finish_run(first, RunStatus.FAILED, counters={"pulled": 5}, error="boom")
        fixed_clock.advance(minutes=1)
        store.start_run("identity", run_id="identity-1")
        store.start_run("sync", run_id="sync-1")
        resumed = store.get_run("sync-1")
        newest = [r.run_id for r in store.list_runs()]
        syncs = [r.run_id for r in store.list_runs(kind="sync")]
    assert resumed is not None
    assert (resumed.status, resumed.error, resumed.finished_at) == (RunStatus.STARTED, None, None)
    assert resumed.counters == {"pulled": 5}
    assert newest == ["identity-1", "sync-1"]
    assert syncs == ["sync-1"]


def test_finishing_an_unknown_run_is_an_error(store):
    with pytest.raises(StoreError, match="nope"):
        store.finish_run("nope", RunStatus.SUCCEEDED)
    assert store.get_run("nope") is None


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
        assert store.park([_bad(3), _bad(4, raw=["a", "row"], reason="too few columns")], run_id="r1") == 2
        first = snapshot(store, "parked_records")
        assert store.park([_bad(3)], run_id="r1") == 1  # replayed batch of the same run
        assert snapshot(store, "parked_records") == first
        fixed_clock.advance(hours=1)
        store.park([_bad(7, reason="email: still not an email")], run_id="r2")
        parked = store.list_parked(system="files")
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
        return store.list_parked(**filters)


def test_resolved_records_are_hidden_until_parked_again(store):
    store.park([_bad(1), _bad(2, raw={"other": 1})], run_id="r1")
    ids = [p.id for p in store.list_parked() if p.raw == {"email": "nope"}]
    assert store.resolve_parked(ids) == 1
    assert store.resolve_parked(ids) == 0
    assert [p.raw for p in store.list_parked()] == [{"other": 1}]
    assert len(store.list_parked(include_resolved=True)) == 2
    store.park([_bad(1)], run_id="r2")
    assert len(store.list_parked()) == 2


def test_parked_raw_may_be_any_json_value(store):
    store.park([_bad(1, raw="a,broken,csv,line"), _bad(2, raw=[1, 2])], run_id="r1")
    assert sorted(str(p.raw) for p in store.list_parked()) == ["[1, 2]", "a,broken,csv,line"]


def test_parked_limit_keeps_the_oldest_and_count_ignores_it(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        for n in range(4):
            store.park([_bad(n, raw={"n": n})], run_id="r1" if n < 3 else "r2")
            fixed_clock.advance(seconds=1)
        store.resolve_parked([p.id for p in store.list_parked() if p.raw == {"n": 0}])
        first_two = [p.raw for p in store.list_parked(limit=2)]
        counts = (store.count_parked(), store.count_parked(run_id="r1"), store.count_parked(system="zendesk"))
        with_resolved = store.count_parked(include_resolved=True)
    assert first_two == [{"n": 1}, {"n": 2}]
    assert counts == (3, 2, 0)
    assert with_resolved == 4


def test_session_gives_ad_hoc_orm_access(store):
    from sqlmodel import select

    from core.store import Run

    store.start_run("report", run_id="report-1")
    with store.session() as session:
        run = session.exec(select(Run).where(Run.run_id == "report-1")).one()
        run.counters = {"rows": 3}
        session.add(run)
    again = store.get_run("report-1")
    assert again is not None and again.counters == {"rows": 3}
