"""``contactpoint sync run``: pull every system, resolve, decide, and write back only what changed.

    contactpoint sync run [--system S]... [--dry-run] [--full-refresh] [--json] [--config FILE] [--wait SECONDS]

Exit 0 when the run ran, parked records or not; otherwise the code of README's table
(2 configuration, 3 a system failed, 5 the store, 6 another sync is running, 130/143 stopped).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from core.commands.common import WaitOption, console, error_json, errors_to_exit, print_json
from core.commands.progress import progress
from core.config import DEFAULT_PATH, load_project, project_store_url
from core.logs import mask_text
from core.store import open_store
from core.sync.lifecycle import RunContext, RunKind
from core.sync.planner import Plan
from core.sync.run import SyncOptions, SyncSummary, SystemsFailed, run_sync, selected_systems, sync_jobs

__all__ = ["plan_json", "summary_json"]


_SAMPLE = 10


def plan_json(plan: Plan, *, sample: int | None = None) -> dict[str, Any]:
    """The plan as JSON: counts per system, and the writes it keeps (all, or the first ``sample``)."""
    writes = plan.writes if sample is None else plan.writes[:sample]
    return {
        "per_system": plan.counts(),
        "writes": [
            {"profile_id": w.profile_id, "system": w.system, "stream": w.stream, "source_id": w.source_id,
             "match": list(w.match) if w.match else None,
             "changes": [{"field": c.field, "value": c.value, "was_written": c.written, "found": c.found, "why": c.why}
                         for c in w.changes] or [{"field": k, "value": v, "why": "create"} for k, v in w.fields.items()]}
            for w in writes
        ],
        "hand_changes": [vars_of(h) for h in plan.hand_changes],
        "held_back": [vars_of(h) for h in plan.held_back],
        "confirmed": plan.total("confirmed"),
        "problems": [{"system": s, "stream": st, "source_id": i, "reason": mask_text(r)} for s, st, i, r in plan.problems],
    }  # fmt: skip


def vars_of(item: Any) -> dict[str, Any]:
    """A slotted dataclass's fields as a dict."""
    return {name: getattr(item, name) for name in item.__slots__}


def summary_json(summary: SyncSummary, run_id: str, seconds: float) -> dict[str, Any]:
    """The run's summary as one JSON object."""
    return {
        "run_id": run_id,
        "dry_run": summary.dry_run,
        "seconds": round(seconds, 3),
        **summary.counters(),
        "streams": [{"system": s.system, "stream": s.stream, **s.counters(), "reasons": dict(s.reasons)}
                    for s in summary.streams],
        "identity": {"mode": summary.resolved.mode, **summary.resolved.counts},
        "decided": {"profiles": summary.decided.evaluated, "changed": summary.decided.changed,
                    "new_alerts": summary.decided.new_alerts},
        "per_system": summary.pushed.per_system(),
        "confirmed_without_write": summary.pushed.confirmed,
        "alerts": {"sent": summary.pushed.alerts_sent, "failed": summary.pushed.alerts_failed},
        "api_usage": summary.api_usage,
        "erasures": summary.erasures,
        "failed_systems": summary.failed,
        "plan": plan_json(summary.plan, sample=None if summary.dry_run else _SAMPLE),
    }  # fmt: skip


def _print(summary: SyncSummary, run_id: str, seconds: float) -> None:
    counters = summary.counters()
    verb = "would write" if summary.dry_run else "wrote"
    console.print(f"sync {run_id}{' (dry run: nothing written)' if summary.dry_run else ''} in {seconds:.1f} s",
                  markup=False)  # fmt: skip
    pulled = Table("system/stream", "pulled", "stored", "parked", "models changed", title="pulled")
    for s in summary.streams:
        pulled.add_row(f"{s.system}/{s.stream}", str(s.pulled), str(s.inserted + s.updated), str(s.parked),
                       str(s.changed))  # fmt: skip
    console.print(pulled)
    resolved = summary.resolved
    counts = ", ".join(f"{value} {name.replace('_', ' ')}" for name, value in resolved.counts.items() if value)
    console.print(
        f"identity: {resolved.mode}; {len(resolved.affected)} profiles touched ({counts or 'no change'})", markup=False
    )
    console.print(f"decided: {summary.decided.evaluated} profiles, {summary.decided.changed} changed, "
                  f"{summary.decided.new_alerts} new alerts", markup=False)  # fmt: skip
    writes = Table("system", "records", "fields", "creates", "hand changes", "held back", "write calls",
                   title=f"write-back ({verb})")  # fmt: skip
    per, pushed = summary.plan.counts(), summary.pushed.per_system()
    for system in sorted(set(per) | set(pushed)):
        plan, done = per.get(system, {}), pushed.get(system, {})
        writes.add_row(system, str(plan.get("records", 0)), str(plan.get("fields", 0)), str(plan.get("creates", 0)),
                       str(plan.get("hand_changes", 0)), str(plan.get("held_back", 0)), str(done.get("write_calls", 0)))  # fmt: skip
    console.print(writes)
    if summary.dry_run:
        for write in summary.plan.writes[:_SAMPLE]:
            fields = ", ".join(f"{c.field}: {c.written!r} → {c.value!r}" for c in write.changes) or str(
                dict(write.fields)
            )
            console.print(f"  {write.system}/{write.stream}/{write.source_id or 'new'}: {fields}", markup=False)
    for name, why in sorted(summary.failed.items()):
        waiting = summary.pushed.unsent[name]
        owed = f"; {waiting} write(s) not sent, owed to it until a run it answers in" if waiting else ""
        console.print(f"{name} failed at its {why}: nothing more was sent to it{owed}", markup=False)
    console.print(f"pulled {counters['pulled']}, parked {counters['rejected']}, {verb} {counters['writes']} records "
                  f"in {counters['write_calls']} calls; alerts sent {summary.pushed.alerts_sent}", markup=False)  # fmt: skip


def run_command(
    system: Annotated[
        list[str] | None,
        typer.Option("--system", "-s", help="Only this system (repeatable); default: every enabled one."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Plan everything, write nothing (the store is left as it was).")
    ] = False,
    full_refresh: Annotated[
        bool, typer.Option("--full-refresh", help="Pull everything again and resolve identity as one batch.")
    ] = False,
    config: Annotated[Path, typer.Option("--config", "-c", help="Project file.")] = DEFAULT_PATH,
    wait: WaitOption = 0.0,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary (and a dry run's whole plan) as JSON.")
    ] = False,
) -> None:
    """Pull each system, resolve the changed people, decide, and write back only what changed."""
    started = time.monotonic()
    failure: SystemsFailed | None = None
    with errors_to_exit():
        project = load_project(config)
        names = selected_systems(project, system or [])
        options = SyncOptions(systems=names, dry_run=dry_run, full_refresh=full_refresh)
        jobs = sync_jobs(project, names)
        kind = RunKind.SYNC_DRY_RUN if dry_run else RunKind.SYNC
        try:
            with (
                open_store(project_store_url(project)) as store,
                RunContext(store, kind, jobs=jobs, wait=wait) as run,
                progress("sync", quiet=as_json) as bar,
            ):
                run_id = run.run_id
                summary = run_sync(project, store, options, run=run, progress=bar.stage)
        except SystemsFailed as failed:  # the others ran: their summary first, then the failure (exit 3)
            failure, summary = failed, failed.summary
    seconds = time.monotonic() - started
    if as_json:  # one JSON document, the failure in it
        print_json(summary_json(summary, run_id, seconds) | (error_json(failure) if failure is not None else {}))
        if failure is not None:
            raise typer.Exit(failure.exit_code)
        return
    _print(summary, run_id, seconds)
    if failure is not None:
        with errors_to_exit():
            raise failure
