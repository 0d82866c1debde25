"""What a sync did per system and stream, kept in ``store.run_streams`` for the reconciliation report.

record_details(store, run_id, summary)
pull       per stream: pulled, mapped, stored, unchanged, parked (with reasons), values left
out, deleted at the source, erased people not re-created, stopped early and why
writeback  per system: records examined, planned, written, unchanged, failed, not resent,
held back by the ledger, hand-made changes found, write calls
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from core.store import Store, StreamStep

if TYPE_CHECKING:  # the run's summary type; run.py imports this module
    from core.sync.run import SyncSummary

__all__ = ["WRITEBACK_STREAM", "record_details"]

WRITEBACK_STREAM = "*"
"""The stream name of a system's write-back row (write-back is counted per system)."""


def _pull_steps(summary: SyncSummary) -> list[StreamStep]:
    steps = []
    for s in summary.streams:
        counters: dict[str, Any] = {
            "pulled": s.pulled, "mapped": max(s.pulled - s.parked - s.erased, 0), "stored": s.inserted + s.updated,
            "unchanged": s.unchanged, "parked": s.parked, "field_problems": s.field_problems, "deleted": s.deleted,
            "erased": s.erased, "hand_changed": s.hand_changed, "repeated": s.repeated, "older": s.older,
            "unparked": s.unparked, "reasons": dict(s.reasons), "stopped": s.stopped,
        }  # fmt: skip
        steps.append(StreamStep(s.system, s.stream, "pull", counters))
    return steps


def _writeback_steps(summary: SyncSummary) -> list[StreamStep]:
    plan, pushed = summary.plan, summary.pushed
    planned: Counter[str] = Counter({system: counts["records"] for system, counts in plan.counts().items()})
    held: Counter[str] = Counter(h.system for h in plan.held_back)
    hand: Counter[str] = Counter(h.system for h in plan.hand_changes)
    systems = set(plan.examined) | set(planned) | set(pushed.written) | set(pushed.failed) | set(held)
    steps = []
    for system in sorted(systems):
        counters = {
            "examined": plan.examined[system], "planned": planned[system],
            "unchanged": max(plan.examined[system] - planned[system], 0), "written": pushed.written[system],
            "fields": pushed.fields[system], "failed": pushed.failed[system], "not_resent": pushed.skipped[system],
            "held_back": held[system], "hand_changes": hand[system], "write_calls": pushed.calls[system],
        }  # fmt: skip
        steps.append(StreamStep(system, WRITEBACK_STREAM, "writeback", counters))
    return steps


def record_details(store: Store, run_id: str, summary: SyncSummary) -> int:
    """Keep the run's per-stream and per-system counters; return how many rows.

    Raises:
        StoreError: When the database fails.
    """
    return store.run_streams.record(run_id, [*_pull_steps(summary), *_writeback_steps(summary)])
