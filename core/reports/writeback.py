"""Write-back in the report: what was written, left unchanged, held back by the ledger, refused, per system.

collect_writeback(store, report, runs, reveal=)
table writeback          per system, the window's runs: records examined, unchanged, written,
failed, not resent, held back by the customer's ledger, hand-made
changes found, write calls; fields held in the write-back ledger now,
writes failing now, profiles owed now (their writes wait: the system failed in a run)
table refusals           the writes vendors refuse now, by system, stream and code, with the
vendor's message (personal values masked) and attempts
table writes_over_runs   records written per system in each run of the window (the chart)
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from core.logs import mask_text
from core.reports.tables import Report
from core.store import Run, Store, WritebackEntry

__all__ = ["WRITEBACK_COUNTERS", "collect_writeback"]

WRITEBACK_COUNTERS = (
    "examined", "unchanged", "written", "failed", "not_resent", "held_back", "hand_changes", "write_calls",
)  # fmt: skip
_LEDGER = WritebackEntry.__table__  # type: ignore[attr-defined]


def _ledger_fields(store: Store) -> dict[str, int]:
    c = _LEDGER.c
    with store.database.connection() as conn:
        return {str(s): int(n) for s, n in conn.execute(sa.select(c.system, sa.func.count()).group_by(c.system))}


def collect_writeback(store: Store, report: Report, runs: Sequence[Run], *, reveal: bool) -> None:
    """Add the write-back tables and figures to ``report`` (see the module docstring)."""
    by_run = {r.run_id: r for r in runs}
    sums: dict[str, Counter[str]] = defaultdict(Counter)
    over_runs = report.table("writes_over_runs", "Records written per system, run by run",
                             ["run_id", "started_at", "system", "written", "failed", "held_back"])  # fmt: skip
    for row in store.run_streams.of_runs(list(by_run)):
        if row.step != "writeback":
            continue
        sums[row.system].update({k: int(row.counters.get(k) or 0) for k in WRITEBACK_COUNTERS})
        over_runs.add([row.run_id, by_run[row.run_id].started_at.isoformat(), row.system,
                       int(row.counters.get("written") or 0), int(row.counters.get("failed") or 0),
                       int(row.counters.get("held_back") or 0)])  # fmt: skip
    held = _ledger_fields(store)
    failures = store.writeback.failures()
    failing: Counter[str] = Counter(f.system for f in failures)
    owed = store.writeback.owed_counts()
    table = report.table(
        "writeback", "Write-back per system",
        ["system", *WRITEBACK_COUNTERS, "ledger_fields", "failing_now", "owed_now"],
        note="the window's runs; unchanged: records already holding their decided values; held back: the customer's "
        "ledger did not allow the write; owed now: profiles whose writes wait because the system failed during a "
        "run (every run plans them again until it answers)",
    )  # fmt: skip
    totals: Counter[str] = Counter()
    for system in sorted(set(sums) | set(held) | set(failing) | set(owed)):
        table.add([system, *(sums[system][c] for c in WRITEBACK_COUNTERS), held.get(system, 0), failing[system],
                   owed.get(system, 0)])  # fmt: skip
        totals.update(sums[system])
    refusals = report.table("refusals", "Writes the vendors refuse",
                            ["system", "stream", "code", "records", "retryable", "attempts_max", "message"])  # fmt: skip
    groups: dict[tuple[str, str, str, bool], list[tuple[int, str]]] = defaultdict(list)
    for f in failures:
        message = f.message or ""
        groups[(f.system, f.stream, f.code or "", f.retryable)].append((f.attempts, message))
    for (system, stream, code, retryable), items in sorted(groups.items()):
        example = items[0][1]
        refusals.add([system, stream, code, len(items), retryable, max(a for a, _ in items),
                      example if reveal else mask_text(example)])  # fmt: skip
    report.figures["writeback"] = {**{c: totals[c] for c in WRITEBACK_COUNTERS}, "failing_now": len(failures),
                                   "ledger_fields": sum(held.values()), "owed_now": sum(owed.values())}  # fmt: skip
