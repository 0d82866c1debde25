"""Per system: what the runs of the window pulled, mapped, parked and deleted, and the API calls they spent.

collect_systems(store, report, runs, budgets)
table systems          per system and stream: pulled, mapped, parked, deleted, erased, values
left out (the window's runs), records held now, deleted now, parked open
table parked_reasons   open parked records by system, stream, reason code and field
table api_usage        per system: runs, calls, retries, throttled seconds, the busiest day
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from core.reports.tables import Report
from core.store import ParkedRecord, Run, SourceRecordRow, Store

__all__ = ["PULL_COUNTERS", "collect_systems"]

PULL_COUNTERS = ("pulled", "mapped", "parked", "deleted", "erased", "field_problems")
_SOURCE = SourceRecordRow.__table__  # type: ignore[attr-defined]
_PARKED = ParkedRecord.__table__  # type: ignore[attr-defined]


def _held_now(store: Store) -> dict[tuple[str, str], tuple[int, int]]:
    """``{(system, stream): (records held, of which deleted at the source)}`` from the store."""
    c = _SOURCE.c
    query = sa.select(c.system, c.stream, sa.func.count(), sa.func.sum(sa.case((c.deleted.is_(True), 1), else_=0)))
    with store.database.connection() as conn:
        rows = conn.execute(query.group_by(c.system, c.stream))
        return {(s, st): (int(n), int(d or 0)) for s, st, n, d in rows}


def _parked_now(store: Store) -> list[tuple[str, str, str, str | None, int]]:
    c = _PARKED.c
    query = (
        sa.select(c.system, c.stream, c.code, c.field, sa.func.count())
        .where(c.resolved.is_(False))
        .group_by(c.system, c.stream, c.code, c.field)
        .order_by(c.system, sa.func.count().desc(), c.code, c.field)
    )
    with store.database.connection() as conn:
        return [(s, st, str(code or "unreadable"), f, int(n)) for s, st, code, f, n in conn.execute(query)]


def _pull_sums(store: Store, runs: Sequence[Run]) -> dict[tuple[str, str], Counter[str]]:
    sums: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
    for row in store.run_streams.of_runs([r.run_id for r in runs]):
        if row.step == "pull":
            sums[(row.system, row.stream)].update({k: int(row.counters.get(k) or 0) for k in PULL_COUNTERS})
    return sums


def _api(runs: Sequence[Run], budgets: Mapping[str, float]) -> list[list[Any]]:
    per: dict[str, Counter[str]] = defaultdict(Counter)
    days: dict[str, Counter[str]] = defaultdict(Counter)
    for run in runs:
        for system, usage in (run.api_usage or {}).items():
            calls = int(usage.get("calls") or 0)
            per[system].update({"runs": 1, "calls": calls, "retries": int(usage.get("retries") or 0)})
            per[system]["throttled_ms"] += int(float(usage.get("throttled_seconds") or 0) * 1000)
            days[system][run.started_at.date().isoformat()] += calls
    rows = []
    for system in sorted(per):
        day, most = days[system].most_common(1)[0] if days[system] else ("", 0)
        share = budgets.get(system)
        rows.append([system, per[system]["runs"], per[system]["calls"], per[system]["retries"],
                     round(per[system]["throttled_ms"] / 1000, 1), day, most,
                     None if share is None else f"{share:.0%} of the daily limit"])  # fmt: skip
    return rows


def collect_systems(store: Store, report: Report, runs: Sequence[Run], budgets: Mapping[str, float]) -> None:
    """Add the per-system tables and figures to ``report`` (see the module docstring)."""
    sums, held = _pull_sums(store, runs), _held_now(store)
    parked = _parked_now(store)
    open_parked: Counter[tuple[str, str]] = Counter()
    for system, stream, _, _, n in parked:
        open_parked[(system, stream)] += n
    table = report.table(
        "systems", "Records per system and stream",
        ["system", "stream", *PULL_COUNTERS, "held_now", "deleted_now", "parked_open"],
        note="pulled … field_problems: the runs of this report's window; held_now, deleted_now, parked_open: the store now",
    )  # fmt: skip
    totals: Counter[str] = Counter()
    for key in sorted(set(sums) | set(held) | set(open_parked)):
        counts, (records, deleted) = sums.get(key, Counter()), held.get(key, (0, 0))
        table.add([*key, *(counts[c] for c in PULL_COUNTERS), records, deleted, open_parked[key]])
        totals.update(counts)
        totals.update({"held_now": records, "parked_open": open_parked[key]})
    reasons = report.table("parked_reasons", "Parked records by reason", ["system", "stream", "code", "field", "count"],
                           note="open parked records (not yet resolved): `contactpoint store parked` lists them")  # fmt: skip
    for system, stream, code, field, n in parked:
        reasons.add([system, stream, code, field or "", n])
    api = report.table(
        "api_usage", "API calls per system",
        ["system", "runs", "calls", "retries", "throttled_s", "busiest_day", "busiest_day_calls", "budget"],
        note="calls of the window's runs; a run stops a stream before its configured share of the daily limit",
    )  # fmt: skip
    usage = _api(runs, budgets)
    for line in usage:
        api.add(line)
    report.figures["systems"] = {**{c: totals[c] for c in PULL_COUNTERS}, "held_now": totals["held_now"],
                                 "parked_open": totals["parked_open"],
                                 "api_calls": sum(int(line[2]) for line in usage)}  # fmt: skip
