"""Push: send a plan's writes and the pending alerts, and record what each vendor confirmed.

    Pusher(store, connectors, run=).add(plan)... .finish() ─→ Pushed   (push_plan: one whole plan)
        confirmed values (the vendor already holds them) ─→ the write-back ledger, no call
        per system and stream, batches that fill the vendor's requests (``batch_size``) ─→
            connector.push ─→ one final result each
            written   ─→ store.writeback.record (the ledger), in the same breath
            failed    ─→ store.writeback.fail (its own transaction: error, attempts) and
                         store.parked (code vendor_refused), so an operator sees it
        a write that failed before, for good, with the same values, is not sent again
    push_alerts(store, connectors, mappings, run=) ─→ the pending alerts, batched per system
        and object like writes, each upserted on its key field (a Task created once per occurrence, whatever runs or kills follow);
        marked ``sending`` before the call, so an alert a killed run sent is looked up by its
        key (``KeyedLookup``) on the next run and not sent again when the vendor has it

A run stopped between batches has recorded every batch before; a kill between a vendor's
confirmation and the ledger is caught by the next run's planner, which finds the values
already in the vendor and records them without writing (``planner.Confirmed``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import structlog

from connectors.base import (
    Connector,
    KeyedLookup,
    RejectedRecord,
    RejectionCode,
    WriteBatch,
    WriteBatching,
    WriteOp,
    WriteOutcome,
    WriteResult,
)
from connectors.http import MeteredConnector
from core.canonical import RecordRef
from core.errors import ConnectorError
from core.failpoints import reach
from core.mapping import CompiledMapping
from core.store import Store
from core.store.database import chunked
from core.store.tables import WritebackFailure
from core.sync.lifecycle import RunContext
from core.sync.planner import Plan, PlannedWrite, same

__all__ = ["BATCH", "MAX_ATTEMPTS", "Pushed", "Pusher", "batch_size", "note_down", "push_alerts", "push_plan"]

log = structlog.get_logger(__name__)

BATCH = 1000
"""Ops handed to a connector at once, unless it says another number (``WriteBatching``); it splits
them into the vendor's own batch size (1,000 fills Salesforce's 200 and HubSpot's 100 exactly)."""


MAX_ATTEMPTS = 10
"""A write that keeps failing with a retryable error is tried this many runs, then reported and left."""


@dataclass
class Pushed:
    """What pushing did, per system."""

    written: Counter[str] = field(default_factory=Counter)
    fields: Counter[str] = field(default_factory=Counter)
    failed: Counter[str] = field(default_factory=Counter)
    skipped: Counter[str] = field(default_factory=Counter)
    unsent: Counter[str] = field(default_factory=Counter)
    """Writes not sent because their system failed this run: their profiles are owed to it, planned again next run."""
    calls: Counter[str] = field(default_factory=Counter)
    confirmed: int = 0
    alerts_sent: int = 0
    alerts_failed: int = 0

    def per_system(self) -> dict[str, dict[str, int]]:
        """The counts by system, for the summary."""
        systems = set(self.written) | set(self.failed) | set(self.calls) | set(self.skipped) | set(self.unsent)
        return {
            s: {"written": self.written[s], "fields": self.fields[s], "failed": self.failed[s],
                "skipped": self.skipped[s], "unsent": self.unsent[s], "write_calls": self.calls[s]}
            for s in sorted(systems)
        }  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Written:
    source_id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Failed:
    source_id: str
    fields: Mapping[str, Any]
    code: str | None
    message: str | None
    retryable: bool


def note_down(down: dict[str, str], system: str, step: str, err: ConnectorError) -> None:
    """Note in ``down`` that ``system`` failed at ``step`` (its first error kept): it is sent nothing more this run."""
    down.setdefault(system, f"{step}: {err.message}")
    log.error("sync.system_failed", system=system, step=step, error=err.message, hint=err.hint,
              error_type=type(err).__name__)  # fmt: skip


def batch_size(connector: Connector, stream: str) -> int:
    """Ops per push to ``stream``: the connector's own number (whole vendor requests), else ``BATCH``."""
    return connector.write_batch(stream) if isinstance(connector, WriteBatching) else BATCH


def _calls(connector: Connector) -> int:
    return connector.api_usage.calls if isinstance(connector, MeteredConnector) else 0


def _worth_sending(
    failures: Mapping[str, WritebackFailure], system: str, writes: list[PlannedWrite], pushed: Pushed
) -> list[PlannedWrite]:
    """Leave out writes that failed for good with the same values, or too often (``failures``: by source ID)."""
    kept = []
    for write in writes:
        before = failures.get(write.source_id or "")
        hopeless = before is not None and (
            (not before.retryable and same(dict(before.fields), dict(write.fields))) or before.attempts >= MAX_ATTEMPTS
        )
        if hopeless:
            pushed.skipped[system] += 1
        else:
            kept.append(write)
    return kept


def _record(store: Store, run: RunContext, system: str, stream: str, sent: Sequence[PlannedWrite],
            results: list[WriteResult], pushed: Pushed) -> None:  # fmt: skip
    done, failed = [], []
    for write, result in zip(sent, results, strict=True):
        if result.outcome is WriteOutcome.FAILED:
            failed.append(_Failed(write.source_id or f"new:{write.profile_id}", write.fields, result.error_code,
                                  result.message, result.retryable))  # fmt: skip
        elif result.source_id is not None:
            done.append(_Written(result.source_id, write.fields))
    store.writeback.record(system, stream, done, run_id=run.run_id)
    store.writeback.fail(system, stream, failed, run_id=run.run_id)
    store.parked.add(
        [RejectedRecord(system, stream, f"the vendor refused the write-back: {f.code}: {f.message}", dict(f.fields),
                        f.source_id, None, RejectionCode.VENDOR_REFUSED) for f in failed],
        run_id=run.run_id,
    )  # fmt: skip
    pushed.written[system] += len(done)
    pushed.fields[system] += sum(len(op.fields) for op in done)
    pushed.failed[system] += len(failed)


class Pusher:
    """Sends plans as they come, chunk by chunk, in batches that fill the vendor's requests.

    ``add`` records a plan's confirmed values and queues its writes per system and stream;
    each queue sends whole batches (``batch_size``) as soon as it holds them and keeps the
    rest for the next plan, so a run planned in chunks makes as few write calls as one
    planned whole, holding at most one batch a stream. ``finish`` sends what is left.

    A system whose connector fails (unreachable, credentials refused, its budget spent) is
    noted in ``down`` with its error and sent nothing more this run; the writes it did not
    take are counted ``unsent`` and their profiles owed to it (``writeback.owe``), so the
    next runs decide and plan them again until it answers.
    """

    def __init__(
        self, store: Store, connectors: Mapping[str, Connector], *, run: RunContext, down: dict[str, str] | None = None
    ) -> None:
        self.store, self.connectors, self.run = store, connectors, run
        self.down = down if down is not None else {}
        """System → the error that stopped it (shared with the caller, which may have noted some already)."""
        self.pushed = Pushed()
        self._queued: dict[tuple[str, str], list[PlannedWrite]] = {}
        self._failures: dict[tuple[str, str], dict[str, WritebackFailure]] = {}
        """Each stream's earlier failed writes, read once: a record is written at most once a run."""

    def add(self, plan: Plan) -> None:
        """Record ``plan``'s confirmed values and send every whole batch its writes complete.

        Raises:
            ConnectorError: A connector stopped (auth, budget); batches before stay recorded.
            RunInterrupted: A signal arrived; the run stops between batches.
        """
        confirmed: dict[tuple[str, str], list[_Written]] = {}
        for item in plan.confirmed:
            confirmed.setdefault((item.system, item.stream), []).append(_Written(item.source_id, item.fields))
        for (system, stream), items in confirmed.items():
            for start in range(0, len(items), BATCH):  # one ledger transaction per batch, not per record
                self.store.writeback.record(system, stream, items[start : start + BATCH], run_id=self.run.run_id)
            self.pushed.confirmed += len(items)
        for where, writes in plan.by_stream().items():
            if where[0] in self.down:
                self._unsent(where[0], writes)
                continue
            queue = self._queued.setdefault(where, [])
            failures = self._failures.get(where)
            if failures is None:
                failures = self._failures[where] = {f.source_id: f for f in self.store.writeback.failures(*where)}
            # queued without their changes (what the plan showed): only the values go out, and a
            # queue filled across chunks would otherwise keep every chunk's explanations alive
            queue += [replace(w, changes=()) for w in _worth_sending(failures, where[0], writes, self.pushed)]
            size = batch_size(self.connectors[where[0]], where[1])
            whole = len(queue) - len(queue) % size
            if whole:
                self._send(*where, queue[:whole])
                del queue[:whole]

    def finish(self) -> Pushed:
        """Send every queued write; return what pushing did.

        Raises:
            ConnectorError: A connector stopped (auth, budget); batches before stay recorded.
            RunInterrupted: A signal arrived; the run stops between batches.
        """
        for where, queue in self._queued.items():
            if where[0] in self.down:  # it failed after these were queued
                self._unsent(where[0], queue)
            elif queue:
                self._send(*where, queue)
        self._queued.clear()
        return self.pushed

    def _unsent(self, system: str, writes: Sequence[PlannedWrite]) -> None:
        """Count writes a failed system was not sent, and owe it their profiles."""
        self.pushed.unsent[system] += len(writes)
        self.store.writeback.owe(system, (w.profile_id for w in writes), run_id=self.run.run_id)

    def _send(self, system: str, stream: str, writes: Sequence[PlannedWrite]) -> None:
        connector = self.connectors[system]
        size = batch_size(connector, stream)
        for start in range(0, len(writes), size):
            chunk = writes[start : start + size]
            before = _calls(connector)
            try:
                results = connector.push(WriteBatch(system, stream, [write.op() for write in chunk]))
            except ConnectorError as err:  # the others go on; what this batch did reach, the next plan finds
                self.pushed.calls[system] += _calls(connector) - before
                self._unsent(system, writes[start:])
                note_down(self.down, system, "push", err)
                return
            reach("sync.pushed")  # the vendor confirmed; the ledger does not know yet
            _record(self.store, self.run, system, stream, chunk, results, self.pushed)
            self.pushed.calls[system] += _calls(connector) - before
            self.run.check_stop()


def push_plan(store: Store, connectors: Mapping[str, Connector], plan: Plan, *, run: RunContext) -> Pushed:
    """Send one whole plan's writes, batch by batch, recording every outcome (see the module docstring).

    Raises:
        ConnectorError: A connector stopped (auth, budget); batches before stay recorded.
        RunInterrupted: A signal arrived; the run stops between batches.
    """
    pusher = Pusher(store, connectors, run=run)
    pusher.add(plan)
    return pusher.finish()


@dataclass(frozen=True, slots=True)
class _Outgoing:
    key: str
    status: str
    fields: Mapping[str, Any]


def push_alerts(
    store: Store, connectors: Mapping[str, Connector], mappings: Mapping[str, CompiledMapping], *, run: RunContext,
    down: dict[str, str] | None = None,
) -> Pushed:  # fmt: skip
    """Create each pending alert in its target system, upserted on its key field; mark what the system answered.

    The alerts of one system and object go out together, in batches that fill the vendor's
    requests (Salesforce: 200 Tasks a request), each marked ``sending`` before its batch. A
    system in ``down`` (failed this run) is skipped, its alerts left pending; one whose
    connector fails now is added to it.
    """
    pushed = Pushed()
    outgoing: dict[tuple[str, str], list[_Outgoing]] = {}
    for alert in store.alerts.pending():
        system = alert.system or ""
        template = mappings[system].alerts.get(str(alert.detail.get("object"))) if system in mappings else None
        connector = connectors.get(system)
        target = alert.detail.get("record")
        if template is None or connector is None or target is None:
            why = "no record of the person in the target system" if target is None else "no alerts section for it"
            store.alerts.mark(alert.key, status="undeliverable", error=why)
            continue
        ref = RecordRef.parse(str(target))
        raw = store.records.raw_of(ref.system, ref.stream, [ref.source_id]).get(ref.source_id)
        fields = template.render(
            {"key": alert.key, "title": alert.title, "text": alert.detail.get("text"), "kind": alert.kind,
             "raised_at": alert.raised_at.isoformat(), "source": alert.detail.get("source")},
            ref.source_id, raw,
        )  # fmt: skip
        outgoing.setdefault((system, template.object), []).append(_Outgoing(alert.key, alert.status, fields))
    down = down if down is not None else {}
    for (system, sobject), alerts in outgoing.items():
        if system in down:  # failed this run: its alerts stay pending for the next
            continue
        template = mappings[system].alerts[sobject]
        try:
            _send_alerts(store, connectors[system], system, sobject, template.key_field, alerts, pushed, run)
        except ConnectorError as err:  # a batch sent is marked ``sending``: the next run asks before sending again
            note_down(down, system, "alerts", err)
    return pushed


def _send_alerts(
    store: Store, connector: Connector, system: str, sobject: str, key_field: str, alerts: list[_Outgoing],
    pushed: Pushed, run: RunContext,
) -> None:  # fmt: skip
    in_doubt = [a.key for a in alerts if a.status == "sending"]
    if in_doubt and isinstance(connector, KeyedLookup):
        # sent by a run that died before recording the answer: ask before sending them again
        before = _calls(connector)
        made = connector.find_keyed(sobject, key_field, in_doubt)
        pushed.calls[system] += _calls(connector) - before
        for key, vendor_id in made.items():
            store.alerts.mark(key, status="sent", vendor_id=vendor_id)
        pushed.alerts_sent += len(made)
        alerts = [a for a in alerts if a.key not in made]
    for chunk in chunked(alerts, batch_size(connector, sobject)):
        for alert in chunk:
            store.alerts.mark(alert.key, status="sending")  # its own transaction: in doubt until answered
        before = _calls(connector)
        results = connector.push(
            WriteBatch(system, sobject, [WriteOp(None, a.fields, (key_field, a.key)) for a in chunk])
        )
        reach("sync.alert_pushed")
        pushed.calls[system] += _calls(connector) - before
        for alert, result in zip(chunk, results, strict=True):
            if result.outcome is WriteOutcome.FAILED:
                store.alerts.mark(alert.key, status="failed", error=f"{result.error_code}: {result.message}")
                pushed.alerts_failed += 1
            else:
                store.alerts.mark(alert.key, status="sent", vendor_id=result.source_id)
                pushed.alerts_sent += 1
        run.check_stop()
