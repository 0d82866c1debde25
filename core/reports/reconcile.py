"""``build_report``: the reconciliation report over the store, the run ledger and the customer's ledger.

    build_report(store, options) ─→ Report
        window       the runs since ``--since RUN`` (that run included), else since the last report,
                     else every run
        systems      pulled, mapped, parked (reasons), deleted, API calls (systems.py)
        identity     profiles, systems spanned, links by rule and score, reviews, merges (identity.py)
        conflicts    where the systems disagree; closed loop of suppressions (profiles.py)
        writeback    written, unchanged, held back, refused (writeback.py)
        ledger       consents people stated and whether their opt-outs landed; statements by kind
                     (customer_ledger.py)
        drift        each headline figure beside the previous report's

``report.summary`` is the headline sentence (profiles, conflicts, suppressions and ledger
opt-outs not landed everywhere). The report is saved as a snapshot (its headline figures) unless ``keep=False``, so the
next one can say what drifted.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from core.errors import UsageError
from core.mapping.writeback import Writeback
from core.reports.customer_ledger import collect_ledger
from core.reports.identity import collect_identity
from core.reports.profiles import walk_profiles
from core.reports.systems import collect_systems
from core.reports.tables import Report
from core.reports.writeback import collect_writeback
from core.store import Run, Store

__all__ = ["ReportOptions", "build_report"]


@dataclass(frozen=True)
class ReportOptions:
    """What to report on.

    Attributes:
        since_run: Only runs from this one on (it included); default: since the last report.
        targets: ``(system, stream, write-back section)`` of the project's writable streams (closed loop).
        budgets: Each system's configured share of its daily API limit.
        reveal: Show personal values as stored (masked by default).
        keep: Keep this report's figures for the next report's drift.
    """

    since_run: str | None = None
    targets: Sequence[tuple[str, str, Writeback]] = ()
    budgets: Mapping[str, float] = field(default_factory=dict)
    reveal: bool = False
    keep: bool = True


def _window(store: Store, since_run: str | None) -> tuple[list[Run], dict[str, object], datetime | None]:
    since: datetime | None = None
    if since_run is not None:
        start = store.runs.get(since_run)
        if start is None:
            recent = ", ".join(r.run_id for r in store.runs.list(limit=5)) or "none yet"
            msg = f"--since {since_run!r}: no such run in the run ledger"
            raise UsageError(msg, hint=f"give a run ID (the newest: {recent})")
        since, what = start.started_at, f"since run {since_run}"
    else:
        last = store.run_streams.last_snapshot()
        what = "every run"
        if last is not None:
            since, what = last.created_at, f"since the report of {last.created_at:%Y-%m-%d %H:%M} UTC"

    runs = [r for r in store.runs.list(limit=100_000) if since is None or r.started_at >= since]
    runs.sort(key=lambda r: (r.started_at, r.run_id))
    window = {"covers": what, "runs": len(runs), "from": runs[0].started_at.isoformat() if runs else None,
              "to": runs[-1].started_at.isoformat() if runs else None}  # fmt: skip
    return runs, window, since


def _summary(report: Report) -> str:
    figures = report.figures
    return (f"{figures['identity']['profiles']} profiles, {figures['conflicts']['profiles_with_conflicts']} with "
            f"conflicts, {figures['closed_loop']['not_landed_somewhere']} suppression(s) not landed everywhere, "
            f"{figures['ledger']['opt_outs_not_landed_everywhere']} ledger opt-out(s) not landed everywhere")  # fmt: skip


def _drift(store: Store, report: Report) -> None:
    last = store.run_streams.last_snapshot()
    table = report.table("drift", "Drift since the previous report", ["figure", "previous", "now", "change"],
                         note="headline figures beside the previous report's")  # fmt: skip
    now = report.headline()
    before = dict(last.figures) if last is not None else {}
    changed = 0
    for name in sorted(set(now) | set(before)):
        old, new = before.get(name), now.get(name)
        change = None if old is None or new is None else round(float(new) - float(old), 3)
        if change:
            changed += 1
        table.add([name, old, new, change])
    report.figures["drift"] = {"previous_report": last.report_id if last else None, "figures_changed": changed}


def build_report(store: Store, options: ReportOptions) -> Report:
    """Collect the reconciliation report (see the module docstring); the caller closes it.

    Raises:
        UsageError: ``since_run`` names no run.
        StoreError: When the database fails.
    """
    runs, window, since = _window(store, options.since_run)
    now = store.database.now()
    report = Report(f"report-{now:%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}", now.isoformat(), options.since_run,
                    window, revealed=options.reveal)  # fmt: skip
    try:
        collect_systems(store, report, runs, options.budgets)
        collect_identity(store, report, runs)
        walk_profiles(store, report, options.targets, reveal=options.reveal)
        collect_writeback(store, report, runs, reveal=options.reveal)
        collect_ledger(store, report, since, options.targets, reveal=options.reveal)
        report.summary = _summary(report)
        _drift(store, report)
        if options.keep:
            store.run_streams.snapshot(report.report_id, report.headline(), since_run=options.since_run)
    except BaseException:
        report.close()
        raise
    return report
