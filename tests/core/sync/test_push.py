"""Pushing a plan hands each connector batches that fill the vendor's requests, and records every outcome."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from connectors.base import WriteBatch, WriteBatching, WriteOutcome, WriteResult
from connectors.helpdesk.zendesk import ZendeskConfig, ZendeskConnector
from connectors.product_analytics.mixpanel import MixpanelConfig, MixpanelConnector
from core.errors import RetryableError
from core.mapping.alerts import AlertTemplate
from core.store import open_store
from core.store.decisions import AlertInput
from core.sync.lifecycle import RunContext, RunKind
from core.sync.planner import Confirmed, FieldChange, Plan, PlannedWrite
from core.sync.push import BATCH, Pusher, batch_size, push_alerts, push_plan
from tests.connectors.mixpanel.conftest import replay_settings


class _Vendor:
    """A connector that writes everything and remembers the size of each push."""

    system = "vendor"

    def __init__(self) -> None:
        self.pushes: list[int] = []

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        self.pushes.append(len(batch.ops))
        return [WriteResult(op.source_id, WriteOutcome.WRITTEN) for op in batch.ops]


class _BatchingVendor(_Vendor):
    """One whose requests take 2,000 writes (Mixpanel's /engage)."""

    def write_batch(self, stream: str) -> int:
        return 2000


def _plan(system: str, n: int) -> Plan:
    writes = [PlannedWrite(f"p{i}", system, "people", f"id{i}", {"Segment": "buyer"}) for i in range(n)]
    return Plan(writes=writes)


@pytest.fixture
def store(tmp_path: Path):
    with open_store(f"sqlite:///{tmp_path / 'cp.db'}") as opened:
        yield opened


@pytest.mark.parametrize(("vendor", "sizes"), [(_Vendor, [1000] * 5), (_BatchingVendor, [2000, 2000, 1000])])
def test_a_push_carries_as_many_writes_as_fill_the_vendors_requests(store, vendor, sizes):
    connector = vendor()
    with RunContext(store, RunKind.SYNC) as run:
        pushed = push_plan(store, {"vendor": connector}, _plan("vendor", 5000), run=run)
    assert connector.pushes == sizes
    assert pushed.written["vendor"] == 5000
    assert store.writeback.written("vendor", "people", ["id4999"]) == {"id4999": {"Segment": "buyer"}}


@pytest.mark.parametrize(("vendor", "sizes"), [(_Vendor, [1000, 1000, 100]), (_BatchingVendor, [2000, 100])])
def test_plans_pushed_chunk_by_chunk_fill_whole_requests_and_send_the_rest_at_the_end(store, vendor, sizes):
    connector = vendor()
    with RunContext(store, RunKind.SYNC) as run:
        pusher = Pusher(store, {"vendor": connector}, run=run)
        for start in range(0, 2100, 700):  # three chunks of 700 profiles' writes
            part = [
                PlannedWrite(f"p{i}", "vendor", "people", f"id{i}", {"Segment": "buyer"})
                for i in range(start, start + 700)
            ]
            pusher.add(Plan(writes=part))
            assert sum(connector.pushes) <= start + 700  # nothing sent before it was planned
        before_finish = list(connector.pushes)
        pushed = pusher.finish()
    assert connector.pushes == sizes
    assert before_finish == sizes[:-1]  # the part-filled request waits for the end
    assert pushed.written["vendor"] == 2100
    assert len(store.writeback.written("vendor", "people", [f"id{i}" for i in range(2100)])) == 2100


def test_writes_waiting_for_a_whole_request_keep_their_values_not_the_plans_explanations(store):
    """A queue filled across chunks would otherwise keep every chunk's field changes alive until it is sent."""
    connector = _BatchingVendor()
    with RunContext(store, RunKind.SYNC) as run:
        pusher = Pusher(store, {"vendor": connector}, run=run)
        for start in range(0, 1500, 500):
            part = [
                PlannedWrite(
                    f"p{i}",
                    "vendor",
                    "people",
                    f"id{i}",
                    {"Segment": "buyer"},
                    changes=(FieldChange("Segment", "buyer", None, "beginner", "changed"),),
                )
                for i in range(start, start + 500)
            ]
            pusher.add(Plan(writes=part))
        queued = [write for queue in pusher._queued.values() for write in queue]
        assert len(queued) == 1500 and connector.pushes == []
        assert all(write.changes == () and write.fields == {"Segment": "buyer"} for write in queued)
        pusher.finish()
    assert connector.pushes == [1500]
    assert store.writeback.written("vendor", "people", ["id1499"]) == {"id1499": {"Segment": "buyer"}}


class _FallingVendor(_Vendor):
    """One that takes its first ``up`` pushes, then cannot be reached."""

    def __init__(self, up: int) -> None:
        super().__init__()
        self.up, self.attempts = up, 0

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        self.attempts += 1
        if len(self.pushes) == self.up:
            raise RetryableError("vendor request failed (no response): connection refused", hint="is it up?")
        return super().push(batch)


def test_a_vendor_that_fails_mid_push_is_sent_nothing_more_and_holds_up_no_other(store):
    falling, other = _FallingVendor(up=1), _Vendor()
    down: dict[str, str] = {}
    with RunContext(store, RunKind.SYNC) as run:
        pusher = Pusher(store, {"vendor": falling, "other": other}, run=run, down=down)
        pusher.add(Plan(writes=[*_plan("vendor", 2500).writes, *_plan("other", 1500).writes]))
        pusher.add(_plan("vendor", 300))  # planned after it failed: not even queued
        pushed = pusher.finish()
    assert falling.pushes == [1000] and other.pushes == [1000, 500]
    assert falling.attempts == 2  # the 500 queued when it failed are not tried at the end
    assert list(down) == ["vendor"] and "connection refused" in down["vendor"]
    assert (pushed.written["vendor"], pushed.unsent["vendor"]) == (1000, 1500 + 300)
    assert pushed.written["other"] == 1500
    sent = store.writeback.written("vendor", "people", [f"id{i}" for i in range(2500)])
    assert len(sent) == 1000 and not store.writeback.failures("vendor", "people")  # the rest is planned again
    # the profiles of what it was not sent are owed to it: the next runs plan them again
    assert store.writeback.owed("vendor") == sorted({f"p{i}" for i in (*range(1000, 2500), *range(300))})
    assert store.writeback.owed("other") == []


def test_a_runs_plan_keeps_every_count_but_only_a_sample_of_the_writes():
    run_plan = Plan()
    for start in (0, 700, 1400):
        part = Plan(writes=[PlannedWrite(f"p{i}", "vendor", "people", f"id{i}", {"A": 1, "B": 2}) for i in range(start, start + 700)]
                    + [PlannedWrite(f"p{start}", "vendor", "orgs", None, {"A": 1}, match=("email", "x@y.test"))],
                    confirmed=[Confirmed("vendor", "people", f"c{start}", {"A": 1})])  # fmt: skip
        run_plan.absorb(part, keep=100)
    assert len(run_plan.writes) == 100 and not run_plan.confirmed
    assert run_plan.counts() == {
        "vendor": {"records": 2103, "fields": 4203, "creates": 3, "hand_changes": 0, "held_back": 0}
    }
    assert run_plan.total("records", "vendor", "orgs") == 3 and run_plan.total("confirmed") == 3
    whole = Plan()
    whole.absorb(part, keep=None)
    assert len(whole.writes) == 701 and len(whole.confirmed) == 1


def test_the_shipped_connectors_say_how_many_writes_fill_their_requests():
    mixpanel = MixpanelConnector(MixpanelConfig.model_validate({**replay_settings(), "write_profiles": True}))
    zendesk = ZendeskConnector(ZendeskConfig.model_validate(
        {"subdomain": "acme", "auth": {"kind": "api_token", "email": "a@acme.test", "api_token": "t0ken-value"}}))  # fmt: skip
    assert isinstance(mixpanel, WriteBatching) and batch_size(mixpanel, "profiles") == 2000
    assert isinstance(zendesk, WriteBatching) and batch_size(zendesk, "users") == 100 * 30
    assert batch_size(_Vendor(), "people") == BATCH  # type: ignore[arg-type]


def test_values_the_vendor_already_holds_are_recorded_stream_by_stream_without_a_call(store, monkeypatch):
    connector = _Vendor()
    plan = Plan(confirmed=[Confirmed("vendor", "people", f"id{i}", {"Segment": "buyer"}) for i in range(1500)])
    recorded: list[int] = []
    record = store.writeback.record
    monkeypatch.setattr(store.writeback, "record", lambda *a, **k: recorded.append(len(a[2])) or record(*a, **k))
    with RunContext(store, RunKind.SYNC) as run:
        pushed = push_plan(store, {"vendor": connector}, plan, run=run)
    assert connector.pushes == [] and pushed.confirmed == 1500
    assert recorded == [1000, 500]
    assert len(store.writeback.written("vendor", "people", [f"id{i}" for i in range(1500)])) == 1500


class _TaskVendor(_Vendor):
    """Salesforce-like: 200 upserts a request, and it can say which keys it already holds."""

    def __init__(self, holds: set[str] | None = None) -> None:
        super().__init__()
        self.holds = holds or set()
        self.lookups: list[list[str]] = []

    def write_batch(self, stream: str) -> int:
        return 200

    def find_keyed(self, stream: str, key_field: str, keys: Sequence[str]) -> dict[str, str]:
        self.lookups.append(list(keys))
        return {key: f"T-{key}" for key in keys if key in self.holds}


def _alerts(store, n: int) -> list[str]:
    raised = datetime(2026, 1, 5, tzinfo=UTC)
    return store.alerts.raise_new(
        [AlertInput(f"complaint:{i:04d}", f"p{i}", "complaint", "A complaint", {"object": "Task", "record":
                    f"vendor/people/id{i}", "text": "rated bad"}, raised, "vendor") for i in range(n)],
        run_id=None,
    )  # fmt: skip


_MAPPINGS: Any = {
    "vendor": SimpleNamespace(alerts={"Task": AlertTemplate("Task", "Key__c", {"Subject": "alert.title"})})
}


def test_alerts_go_out_together_in_batches_that_fill_the_vendors_requests(store):
    _alerts(store, 450)
    connector = _TaskVendor()
    with RunContext(store, RunKind.SYNC) as run:
        pushed = push_alerts(store, {"vendor": connector}, _MAPPINGS, run=run)
    assert connector.pushes == [200, 200, 50]
    assert pushed.alerts_sent == 450 and store.alerts.pending() == []


class _FallingTaskVendor(_TaskVendor):
    def push(self, batch: WriteBatch) -> list[WriteResult]:
        if self.pushes:
            raise RetryableError("vendor request failed (no response): timed out", hint="is it up?")
        return super().push(batch)


def test_alerts_of_a_system_that_failed_wait_for_the_next_run_and_those_in_doubt_are_asked_about(store):
    keys = _alerts(store, 450)
    with RunContext(store, RunKind.SYNC) as run:  # it failed in the pull: nothing is sent to it
        pushed = push_alerts(store, {"vendor": _TaskVendor()}, _MAPPINGS, run=run, down={"vendor": "pull: refused"})
    assert pushed.alerts_sent == 0 and {a.status for a in store.alerts.pending()} == {"pending"}
    falling, down = _FallingTaskVendor(), {}
    with RunContext(store, RunKind.SYNC) as run:  # it fails at its second request
        pushed = push_alerts(store, {"vendor": falling}, _MAPPINGS, run=run, down=down)
    assert falling.pushes == [200] and pushed.alerts_sent == 200 and "timed out" in down["vendor"]
    statuses = {a.key: a.status for a in store.alerts.pending()}
    assert [statuses[k] for k in keys[200:400]] == ["sending"] * 200  # in doubt: the next run asks first
    assert [statuses[k] for k in keys[400:]] == ["pending"] * 50


def test_alerts_a_killed_run_sent_are_looked_up_together_and_not_sent_again(store):
    keys = _alerts(store, 5)
    for key in keys[:3]:
        store.alerts.mark(key, status="sending")  # a run died before the vendor's answer was recorded
    connector = _TaskVendor(holds=set(keys[:2]))
    with RunContext(store, RunKind.SYNC) as run:
        pushed = push_alerts(store, {"vendor": connector}, _MAPPINGS, run=run)
    assert connector.lookups == [keys[:3]]
    assert connector.pushes == [3]  # the one in doubt the vendor lacks, and the two never sent
    assert pushed.alerts_sent == 5 and store.alerts.pending() == []


def test_a_write_that_failed_for_good_with_the_same_values_or_too_often_is_not_sent_again(store):
    from core.sync.push import MAX_ATTEMPTS

    def failure(source_id: str, segment: str, *, retryable: bool) -> SimpleNamespace:
        return SimpleNamespace(source_id=source_id, fields={"Segment": segment}, code="INVALID", message="no",
                               retryable=retryable)  # fmt: skip

    store.writeback.fail("vendor", "people", [failure("id0", "buyer", retryable=False)], run_id="before")
    store.writeback.fail("vendor", "people", [failure("id1", "other", retryable=False)], run_id="before")
    for _ in range(MAX_ATTEMPTS):
        store.writeback.fail("vendor", "people", [failure("id2", "buyer", retryable=True)], run_id="before")
    store.writeback.fail("vendor", "people", [failure("id3", "buyer", retryable=True)], run_id="before")
    connector = _Vendor()
    with RunContext(store, RunKind.SYNC) as run:
        pusher = Pusher(store, {"vendor": connector}, run=run)
        for start in (0, 2):  # two chunks: the failures are read once and hold for both
            pusher.add(Plan(writes=[PlannedWrite(f"p{i}", "vendor", "people", f"id{i}", {"Segment": "buyer"})
                                    for i in range(start, start + 2)]))  # fmt: skip
        pushed = pusher.finish()
    # id0: refused for good with these values; id2: tried MAX_ATTEMPTS times; id1 has new values, id3 may succeed
    assert pushed.skipped["vendor"] == 2 and pushed.written["vendor"] == 2
    assert connector.pushes == [2]
    assert set(store.writeback.written("vendor", "people", ["id0", "id1", "id2", "id3"])) == {"id1", "id3"}
