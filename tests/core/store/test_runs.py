from __future__ import annotations

from datetime import timedelta

import pytest

from core.errors import StoreError
from core.store import RunStatus, open_store


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


def test_resuming_a_run_reopens_it_and_the_list_is_newest_first(store_url, fixed_clock):
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
