"""One sync run: every system heard, every changed person resolved, decided and written back.

    run_sync(project, store, options, run=) ─→ SyncSummary
      1 pull     each enabled system's mapped streams, incrementally (``ingest_stream``);
                 records whose canonical rows did not change (nothing new, or only
                 Contactpoint's own write-back coming back: its echo) start no work
      2 resolve  the changed people (``resolve_changes``: incremental, or a batch when due)
    then, CHUNK profiles at a time (memory follows the chunk, not the store):
      3 decide   the affected profiles: those people's, those whose interactions or
                 consents changed, those whose decisions ran out by now, those with
                 writes still to retry (``decide``: policies, alerts once per occurrence)
      4 plan     desired - last written - what the vendor holds (``plan_writes``)
      5 push     the plan (``Pusher``: whole vendor requests as they fill, the rest at the
                 end), then the pending alerts (``push_alerts``)

A system that fails (unreachable, its credentials refused, its budget spent) does not stop
the others: its pull stops there (what it stored stays stored; its cursor says where the
next pull goes on), nothing more is sent to it, and the run goes on with the rest. It then
ends with ``SystemsFailed`` (exit 3). The profiles whose writes it was not sent are owed to
it (``writeback_owed``): every next run decides and plans them again, with whatever else
changed, until a run in which it answers throughout; its alerts and erasures wait as
pending. So a run during a long outage does the work of what changed since the run before
(and of what the failed system is owed, when its pull answered), not of everything since
the outage began.

With ``dry_run`` the run does all of it but the push inside one store transaction that is
rolled back: nothing reaches a system and the store is left as it was (cursors too), so
the next real run does exactly what the dry run showed.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog

from connectors.base import Connector
from connectors.http import MeteredConnector
from core.config import Project, build_connector
from core.errors import ConfigError, ConnectorError
from core.identity import load_settings
from core.mapping import CompiledMapping, load_mapping
from core.policy import load_project_policies
from core.privacy.targets import retry_erasures
from core.store import Store
from core.sync.consent import LedgerPermits
from core.sync.decide import Decided, decide
from core.sync.details import record_details
from core.sync.ingest import IngestSummary, ingest_stream
from core.sync.lifecycle import RunContext
from core.sync.planner import Plan, Target, plan_writes
from core.sync.push import Pushed, Pusher, note_down, push_alerts
from core.sync.resolve import Resolved, resolve_changes

__all__ = ["SyncOptions", "SyncSummary", "SystemsFailed", "run_sync", "sync_jobs"]

log = structlog.get_logger(__name__)

PROCESSED = ("contactpoint", "sync")
"""The cursor (system, stream) keeping the time up to which a finished sync took the changed rows as its work."""

CHUNK = 500
"""Profiles decided, planned and pushed together: a run's memory follows this, not the store."""

KEPT_WRITES = 100
"""Planned writes a (not dry) run keeps in its summary, as a sample; the counts cover them all."""

LOOKUP = 5000
"""Changed records that are not people looked up for their profiles at once."""

Progress = Callable[[str, str], None]
"""``progress(step, detail)``: told as each step starts (the CLI draws it on a terminal)."""


@dataclass(frozen=True)
class SyncOptions:
    """What to run: which systems (all enabled ones when empty), a dry run, a full refresh."""

    systems: Sequence[str] = ()
    dry_run: bool = False
    full_refresh: bool = False


@dataclass
class SyncSummary:
    """What a sync run did, step by step."""

    streams: list[IngestSummary] = field(default_factory=list)
    resolved: Resolved = field(default_factory=Resolved)
    decided: Decided = field(default_factory=Decided)
    plan: Plan = field(default_factory=Plan)
    pushed: Pushed = field(default_factory=Pushed)
    api_usage: dict[str, dict[str, Any]] = field(default_factory=dict)
    dry_run: bool = False
    processed_up_to: datetime | None = None
    """The time this run took its work up to: the next run's work is what changed after it."""
    stopped: list[IngestSummary] = field(default_factory=list)
    """Streams a rate limit or the API budget stopped early: the next run carries on from their cursor."""
    erasures: dict[str, Any] = field(default_factory=dict)
    """Erasures sent to the systems this run (pending ones are tried again every run until they succeed)."""
    failed: dict[str, str] = field(default_factory=dict)
    """Systems that failed this run, with the step and error: the others ran on (see the module docstring)."""

    def counters(self) -> dict[str, int]:
        """The run ledger's counters."""
        return {
            "pulled": sum(s.pulled for s in self.streams),
            "stored": sum(s.inserted + s.updated for s in self.streams),
            "rejected": sum(s.parked for s in self.streams),
            "field_problems": sum(s.field_problems for s in self.streams),
            "profiles": self.decided.evaluated,
            "new": self.resolved.counts.get("new", 0),
            "merged": self.resolved.counts.get("merged", 0),
            "writes": sum(self.pushed.written.values()),
            "write_calls": sum(self.pushed.calls.values()),
            "writes_failed": sum(self.pushed.failed.values()),
        }


class SystemsFailed(ConnectorError):
    """A sync ran to its end, but some systems failed on the way; ``summary`` says what it did."""

    def __init__(self, summary: SyncSummary, *, systems: int) -> None:
        failed = "; ".join(f"{name} at its {why}" for name, why in sorted(summary.failed.items()))
        others = "the others were synced" if len(summary.failed) < systems else "no system was synced"
        super().__init__(
            f"{len(summary.failed)} of {systems} systems failed: {failed}; {others}",
            hint="check each failed system (contactpoint check SYSTEM); what it was not sent is owed to it and "
            "planned again by the next runs, so nothing is lost",
        )
        self.summary = summary


class _Rollback(Exception):
    """Unwinds a dry run's transaction (its summary stays with the caller)."""


def sync_jobs(project: Project, systems: Sequence[str]) -> list[str]:
    """The jobs a sync of ``systems`` holds alone: ``sync``, ``identity`` and each system's streams."""
    return ["sync", "identity", *(f"system:{name}" for name in systems)]


def selected_systems(project: Project, wanted: Sequence[str]) -> list[str]:
    """The systems a run covers: those asked for (each must exist), else every enabled one with a mapping.

    Raises:
        ConfigError: An asked-for system is unknown, disabled, or has no mapping.
    """
    names = list(wanted) or [n for n, s in project.systems.items() if s.enabled and s.mapping is not None]
    for name in names:
        system = project.system(name)
        if not system.enabled:
            msg = f"system {name!r} is disabled in {project.source}"
            raise ConfigError(msg, hint=f"set enabled: true under systems.{name}, or leave --system {name} out")
        if system.mapping is None:
            msg = f"system {name!r} has no mapping, so nothing of it can be stored or written back"
            raise ConfigError(msg, hint=f"set systems.{name}.mapping in {project.source}")
    return names


def _connectors(project: Project, names: Sequence[str]) -> tuple[dict[str, Connector], dict[str, CompiledMapping]]:
    connectors = {name: build_connector(project, name) for name in names}
    mappings = {name: load_mapping(project.resolve_path(project.system(name).mapping or Path())) for name in names}
    return connectors, mappings


def _pull(
    connectors: Mapping[str, Connector], mappings: Mapping[str, CompiledMapping], store: Store, *,
    run: RunContext, full: bool, progress: Progress, summary: SyncSummary,
) -> None:  # fmt: skip
    """Ingest every mapped stream, each listed in ``summary.streams`` before it starts.

    So what a stream stored counts even when the run stops inside it.
    """
    for name, connector in connectors.items():
        try:
            _pull_system(name, connector, mappings[name], store, run=run, full=full, progress=progress,
                         summary=summary)  # fmt: skip
        except ConnectorError as err:  # this system stops here; the others go on
            note_down(summary.failed, name, "pull", err)


def _pull_system(
    name: str, connector: Connector, mapping: CompiledMapping, store: Store, *,
    run: RunContext, full: bool, progress: Progress, summary: SyncSummary,
) -> None:  # fmt: skip
    offered = {spec.name for spec in connector.streams()}
    for stream in (s for s in mapping.streams if s in offered):
        progress("pull", f"{name}/{stream}")
        pulled = IngestSummary(system=name, stream=stream)
        summary.streams.append(pulled)
        ingest_stream(connector, stream, mapping, store, run_id=run.run_id, resume=not full,
                      check_stop=run.check_stop, into=pulled)  # fmt: skip
        if pulled.stopped:  # a rate limit or the API budget: the next run carries on from its cursor
            summary.stopped.append(pulled)


def _affected(store: Store, since: datetime, resolved: Resolved, *, now: Any, down: Collection[str]) -> set[str]:
    """The profiles to decide.

    The resolved people's, those of changed records that are not people (looked up
    ``LOOKUP`` at a time as the changed rows stream by), those due, those with something new
    in their ledger (a preference-centre change, a statement made on their behalf), those with
    writes to retry, those with writes owed to a system that failed in an earlier run (but not
    to one already ``down`` this run: they could not be sent; they stay owed).
    """
    affected = set(resolved.affected)
    others: list[_Key] = []
    for system, stream, source_id, model in store.records.changed_since(since):
        if model != "Person":
            others.append(_Key(system, stream, source_id))
        if len(others) >= LOOKUP:
            affected.update(*store.identifiers.profiles_of(others).values())
            others.clear()
    affected.update(*store.identifiers.profiles_of(others).values())
    affected |= set(store.decisions.due(now))
    affected |= set(store.ledger.stated_since(since))  # a customer's own change takes effect at the next run
    failed = [_Key(f.system, f.stream, f.source_id) for f in store.writeback.failures()]
    affected |= set(store.links.profiles_of(failed).values())
    affected |= set(store.writeback.owed(besides=down))
    return affected


@dataclass(frozen=True, slots=True)
class _Key:
    system: str
    stream: str
    source_id: str


def _targets(mappings: Mapping[str, CompiledMapping]) -> list[Target]:
    return [
        Target(name, stream, mapping.writeback(stream))
        for name, mapping in mappings.items()
        for stream in mapping.streams
        if mapping.writeback(stream).fields
    ]


def _steps(
    project: Project, store: Store, names: Sequence[str], options: SyncOptions, run: RunContext, progress: Progress,
    summary: SyncSummary,
) -> None:  # fmt: skip
    connectors, mappings = _connectors(project, names)
    _pull(connectors, mappings, store, run=run, full=options.full_refresh, progress=progress, summary=summary)
    # the work is every row changed since the last sync that ran to its end took its own: a run
    # that failed or was killed after storing records leaves them to this one
    summary.processed_up_to = store.database.now()
    mark = (store.cursors.get(*PROCESSED) or {}).get("processed_up_to")
    since = datetime.fromisoformat(mark) if mark else datetime.min.replace(tzinfo=UTC)  # first sync: everything
    people = {(s, st, i) for s, st, i, m in store.records.changed_since(since) if m == "Person"}
    progress("resolve", f"{len(people)} changed people")
    settings = load_settings(project.resolve_path(project.identity.settings) if project.identity.settings else None)
    summary.resolved = resolve_changes(store, settings, people, full=options.full_refresh, run=run)
    del people
    now = evaluation_time(store)
    affected = sorted(_affected(store, since, summary.resolved, now=now, down=summary.failed))
    targets = _targets(mappings)
    permits = LedgerPermits(store, project.ledger.mode, {(t.system, t.stream): t.writeback for t in targets})
    policies = load_project_policies(project)
    pusher = None if options.dry_run else Pusher(store, connectors, run=run, down=summary.failed)
    if pusher is not None and store.erasures.pending():
        progress("erase", "pending erasures")
        reachable = {name: c for name, c in connectors.items() if name not in summary.failed}
        summary.erasures = retry_erasures(store, reachable, run_id=run.run_id).as_dict()
    for start in range(0, len(affected), CHUNK):
        part = affected[start : start + CHUNK]
        progress("decide", f"profiles {start + 1:,}-{start + len(part):,} of {len(affected):,}")
        summary.decided.absorb(decide(store, policies, part, now=now, run_id=run.run_id, mode=project.ledger.mode))
        planned = plan_writes(store, targets, part, permit=permits)
        if pusher is not None:
            pusher.add(planned)
        summary.plan.absorb(planned, keep=None if options.dry_run else KEPT_WRITES)
    if pusher is not None:
        progress("push", f"{summary.plan.total('records'):,} records")
        summary.pushed = pusher.finish()
        alerts = push_alerts(store, connectors, mappings, run=run, down=summary.failed)
        summary.pushed.alerts_sent, summary.pushed.alerts_failed = alerts.alerts_sent, alerts.alerts_failed
        summary.pushed.calls.update(alerts.calls)
        store.writeback.settle([name for name in connectors if name not in summary.failed])  # all owed was planned
    for name, connector in connectors.items():
        if isinstance(connector, MeteredConnector):
            summary.api_usage[name] = connector.api_usage.as_dict()
            run.spent(name, summary.api_usage[name])


def evaluation_time(store: Store) -> datetime:
    """The time a run's policies are evaluated at (scores decay, windows close): the store's clock now.

    One name for it, so a comparison of two whole runs can hold it still.
    """
    return store.database.now()


def _rolled_back(
    project: Project, store: Store, names: Sequence[str], options: SyncOptions, run: RunContext, progress: Progress,
    summary: SyncSummary,
) -> None:  # fmt: skip
    """Run the steps in one transaction and unwind it (``_Rollback``), filling ``summary``."""
    with store.database.atomic():
        _steps(project, store, names, options, run, progress, summary)
        msg = "dry run: roll the store back"
        raise _Rollback(msg)


def run_sync(
    project: Project, store: Store, options: SyncOptions, *, run: RunContext, progress: Progress | None = None
) -> SyncSummary:
    """Run one sync (see the module docstring) inside ``run``; return what it did.

    Raises:
        ConfigError: A system is unknown, disabled or has no mapping; a mapping, policy or settings file is wrong.
        SystemsFailed: Some systems failed; the run went on with the others, and the error
            carries its summary. (Other connector errors, raised before any system is heard,
            stop the run at once.)
        RunInterrupted: A signal arrived; the run stopped between batches.
    """
    tell = progress or (lambda _step, _detail: None)
    names = selected_systems(project, options.systems)
    summary = SyncSummary(dry_run=options.dry_run)
    run.count_from(summary.counters)  # recorded as the run goes: a run that stops keeps what it did
    if not options.dry_run:
        _steps(project, store, names, options, run, tell, summary)
        if summary.processed_up_to is not None:  # what a failed system was not sent, it is owed
            mark = {"processed_up_to": summary.processed_up_to.isoformat()}
            store.cursors.save(*PROCESSED, mark, run_id=run.run_id)
        record_details(store, run.run_id, summary)
    else:
        with suppress(_Rollback):
            _rolled_back(project, store, names, options, run, tell, summary)
    run.partial = bool(sum(s.parked for s in summary.streams) or any(summary.pushed.failed.values()) or summary.stopped)
    if summary.failed:
        raise SystemsFailed(summary, systems=len(names))
    return summary
