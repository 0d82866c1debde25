"""The conformance suite every connector passes, by declaring a harness rather than copying tests.

In the spirit of the Singer SDK's standard tap tests: a connector's test module subclasses
``ConnectorConformance`` and gives a ``harness`` fixture (a ``Harness``) that builds the
connector against its sandbox (or files) and can set the scene: make one record malformed,
answer the next request with 429, refuse credentials, make chosen records fail on push.
Each test asks the harness for what it needs; a harness that cannot set a scene (the files
connector has no credentials) returns ``None`` there and the test is skipped with that reason.

    class TestZendeskConformance(ConnectorConformance):
        @pytest.fixture
        def harness(self):
            with running_sandbox("zendesk", records=250) as sb:
                yield ZendeskHarness(sb)

The suite checks:
    check        authenticates and names its system
    streams      declared once each, every one pullable
    resume       a pull stopped after its first batch and resumed from that batch's cursor
                 gives every record of an uninterrupted pull exactly once
    caught up    a pull from the final cursor brings nothing already read
    malformed    a record the connector cannot read is rejected with a reason; the rest arrive
    429          a throttled request is waited for (Retry-After) and retried; nothing is lost
    refused      refused credentials raise ``AuthError`` (exit 3) with a hint
    push         one final outcome per op, in order; failures carry a code; written values
                 are in the system afterwards; an op with nothing to set changes nothing
    provision    planning changes nothing; applying makes it; a second apply has nothing to do
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, Protocol

import pytest

from connectors.base import Connector, PullBatch, WritebackTarget, WriteBatch, WriteOp, WriteOutcome
from connectors.http import MeteredConnector
from core.errors import AuthError

__all__ = ["ConnectorConformance", "Harness"]


class Harness(Protocol):
    """What a connector declares to run the suite; see the module docstring."""

    stream: str
    """A stream with enough records for several batches (the harness sets a small page size)."""

    writable_stream: str
    """A stream ``push`` writes to."""

    sleeps: list[float]
    """Every wait the connector made (the harness injects a recording sleep)."""

    def connector(self) -> Connector:
        """A fresh connector over the same system and data."""
        ...

    def refused(self) -> Connector | None:
        """A connector whose credentials the system refuses; None when the system has no credentials."""
        ...

    def corrupt_one(self) -> str | None:
        """Make one record of ``stream`` unreadable by the connector; return its ID (None: cannot)."""
        ...

    def throttle_next(self, retry_after: int) -> bool:
        """Answer the next request with 429 and ``Retry-After``; False when the system has no such limit."""
        ...

    def push_targets(self, count: int) -> list[str]:
        """IDs of ``count`` existing records of ``writable_stream``."""
        ...

    def fail_on_push(self, ids: Sequence[str]) -> bool:
        """Make writes to these records fail in the system; False when it cannot."""
        ...

    def written_fields(self) -> dict[str, Any]:
        """Fields (vendor names) and values a push may set on ``writable_stream`` records."""
        ...

    def read_back(self, source_id: str, field: str) -> Any:
        """What the system holds now in ``field`` of record ``source_id`` of ``writable_stream``."""
        ...

    def writeback_targets(self) -> list[WritebackTarget]:
        """What a mapping's write-back would ask the connector to provision."""
        ...


def _records(batches: Iterator[PullBatch] | list[PullBatch]) -> list[str]:
    return [r.source_id for b in batches for r in b.records]


def _full_pull(harness: Harness) -> tuple[list[PullBatch], list[str]]:
    batches = list(harness.connector().pull(harness.stream, None))
    return batches, _records(batches)


class ConnectorConformance:
    """The suite; subclass it in a ``Test...`` class and give a ``harness`` fixture."""

    def test_check_authenticates_and_names_its_system(self, harness: Harness) -> None:
        connector = harness.connector()
        result = connector.check()
        assert result.ok and result.system == connector.system and result.detail

    def test_streams_are_declared_once_and_each_is_pullable(self, harness: Harness) -> None:
        connector = harness.connector()
        specs = connector.streams()
        names = [s.name for s in specs]
        assert len(names) == len(set(names)) and harness.stream in names
        assert all(s.page_size > 0 and s.primary_key for s in specs)
        for name in names:
            first = next(iter(connector.pull(name, None)), None)
            assert first is not None and first.stream == name, f"stream {name!r} yields no batch"

    def test_a_resumed_pull_loses_and_repeats_nothing(self, harness: Harness) -> None:
        _, everything = _full_pull(harness)
        pulls = harness.connector().pull(harness.stream, None)
        first = next(pulls)  # the run stops after its first batch was stored
        pulls.close()  # type: ignore[attr-defined]
        assert first.records and len(first.records) < len(everything), "the stream needs several batches"
        resumed = [r.source_id for r in first.records] + _records(
            harness.connector().pull(harness.stream, first.cursor)
        )
        assert sorted(resumed) == sorted(everything)
        assert len(resumed) == len(set(resumed))

    def test_a_pull_from_the_final_cursor_brings_nothing_already_read(self, harness: Harness) -> None:
        batches, everything = _full_pull(harness)
        again = _records(harness.connector().pull(harness.stream, batches[-1].cursor))
        assert not set(again) & set(everything)

    def test_a_malformed_record_is_rejected_with_its_reason_and_the_rest_arrive(self, harness: Harness) -> None:
        _, before = _full_pull(harness)
        bad = harness.corrupt_one()
        if bad is None:
            pytest.skip("this connector's system cannot hold a record it could not read")
        batches, after = _full_pull(harness)
        rejected = [r for b in batches for r in b.rejected]
        assert [r.source_id for r in rejected] == [bad]
        assert rejected[0].reason and rejected[0].stream == harness.stream
        assert sorted(after) == sorted(i for i in before if i != bad)

    def test_a_throttled_request_is_waited_for_and_retried(self, harness: Harness) -> None:
        _, expected = _full_pull(harness)
        connector = harness.connector()
        harness.sleeps.clear()
        if not harness.throttle_next(retry_after=2):
            pytest.skip("this connector's system has no rate limit")
        got = _records(connector.pull(harness.stream, None))
        assert sorted(got) == sorted(expected)
        assert any(wait >= 2 for wait in harness.sleeps), harness.sleeps
        if isinstance(connector, MeteredConnector):
            assert connector.api_usage.retries >= 1

    def test_refused_credentials_raise_an_auth_error_with_a_hint(self, harness: Harness) -> None:
        refused = harness.refused()
        if refused is None:
            pytest.skip("this connector's system takes no credentials")
        with pytest.raises(AuthError) as caught:
            refused.check()
        assert caught.value.exit_code == 3 and caught.value.hint

    def test_push_gives_one_final_outcome_per_op_in_order(self, harness: Harness) -> None:
        ids = harness.push_targets(6)
        assert len(ids) == 6
        failing = ids[1:3] if harness.fail_on_push(ids[1:3]) else []
        fields = harness.written_fields()
        ops = [WriteOp(i, fields) for i in ids[:5]] + [WriteOp(ids[5], {})]
        connector = harness.connector()
        results = connector.push(WriteBatch(connector.system, harness.writable_stream, ops))
        assert [r.source_id for r in results] == ids
        outcomes = [r.outcome for r in results]
        assert outcomes[5] is WriteOutcome.UNCHANGED
        for source_id, result in zip(ids[:5], results, strict=False):
            if source_id in failing:
                assert result.outcome is WriteOutcome.FAILED and result.error_code, result
            else:
                assert result.outcome is WriteOutcome.WRITTEN, result
                assert {f: harness.read_back(source_id, f) for f in fields} == fields

    def test_provision_plans_without_change_then_applies_once(self, harness: Harness) -> None:
        connector = harness.connector()
        targets = harness.writeback_targets()
        planned = connector.provision(targets, apply=False)
        assert connector.provision(targets, apply=False).pending() == planned.pending()  # planning changed nothing
        applied = connector.provision(targets, apply=True)
        assert applied.pending() == 0 and applied.done() == planned.pending()
        again = connector.provision(targets, apply=True)
        assert again.pending() == 0 and again.done() == 0
