"""``contactpoint demo``: the main job on the embedded default, end to end.

It needs nothing but this package. The four vendor sandboxes (Salesforce, Zendesk,
HubSpot, Mixpanel) start in this process on 127.0.0.1, seeded with one synthetic
population whose people overlap across them, and the bundled people export is read
as a fifth system. The demo writes a project for them into its folder
(``./.contactpoint/demo``, ``$CONTACTPOINT_HOME/demo`` when set, or ``--dir``), creates
the write-back fields in each system, and runs one sync: pull, map, resolve identities,
decide (enrichment, segments, suppression, alerts), write back only what changed. It
then shows one customer's profile across the four systems, reads her CRM contact back
through Salesforce's API, and runs the sync again to show that nothing unchanged is
written twice. The store stays in the folder, to be looked at with the commands printed
at the end; the sandboxes stop with the demo.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Mapping
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.commands.common import console, errors_to_exit
from core.shipped import shipped_path

if TYPE_CHECKING:
    from core.config import Project
    from core.store import Store
    from core.sync import IngestSummary
    from core.sync.run import SyncSummary
    from sandbox.common.runner import RunningSandbox

__all__ = ["demo"]

SYSTEMS = ("salesforce", "zendesk", "hubspot", "mixpanel")
"""The sandboxes the demo starts, in the order the silos are named."""

_SEED = 7
_BUYER_FIELDS = (
    "Contactpoint_Profile_Id__c",
    "Contactpoint_Segment__c",
    "Contactpoint_Intent__c",
    "Contactpoint_Suppressed__c",
    "Contactpoint_Suppression_Reasons__c",
    "Contactpoint_Open_Tickets__c",
)


def _workdir(path: Path | None) -> Path:
    """The demo's folder, with a fresh (empty) store in it: each demo starts from nothing."""
    home = os.environ.get("CONTACTPOINT_HOME")
    folder = path or (Path(home) if home else Path.cwd() / ".contactpoint") / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("demo.db", "demo.db-wal", "demo.db-shm"):
        (folder / name).unlink(missing_ok=True)
    return folder


def _write_project(folder: Path, sandboxes: Mapping[str, RunningSandbox], store_url: str) -> Path:
    """The demo's contactpoint.yaml: the sandboxes, the bundled export, the shipped mappings and policies."""
    import yaml

    from core.commands.project_cmd import sandbox_project

    project = sandbox_project({name: {"connector_settings": sb.connector_settings()} for name, sb in sandboxes.items()})
    project["store"] = {"url": store_url}
    project["systems"]["crm_export"] = {
        "kind": "files",
        "mapping": "mappings/files.yaml",
        "settings": {"streams": [{"name": "people", "path": "exports/people.csv", "id_field": "id"}]},
    }
    project.pop("schedules")
    (folder / "mappings").mkdir(exist_ok=True)
    (folder / "exports").mkdir(exist_ok=True)
    for name in [*sandboxes, "files", "identity", "policies"]:
        shutil.copyfile(shipped_path("mappings", f"{name}.yaml"), folder / "mappings" / f"{name}.yaml")
    shutil.copyfile(shipped_path("samples", "people.csv"), folder / "exports" / "people.csv")
    path = folder / "contactpoint.yaml"
    header = "# The demo's project: the sandboxes it ran, good only while it ran (contactpoint demo).\n"
    path.write_text(header + yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return path


def _setup(project: Project) -> None:
    from core.config import build_connector
    from core.mapping import load_mapping

    made = []
    for name in SYSTEMS:
        mapping = load_mapping(project.resolve_path(project.system(name).mapping or Path()))
        changes = build_connector(project, name).provision(mapping.writeback_targets(), apply=True)
        made.append(f"{name} {changes.done()}")
    console.print(f"  fields, properties and access made: {', '.join(made)}", markup=False)


def _line(summary: IngestSummary) -> str:
    return (
        f"  {summary.system + '/' + summary.stream:<24} {summary.pulled:>6} pulled, "
        f"{summary.inserted + summary.updated:>6} stored, {summary.parked:>3} parked"
    )


def _sync(project: Project, store: Store, kind: str) -> SyncSummary:
    from core.sync.lifecycle import RunContext, RunKind
    from core.sync.run import SyncOptions, selected_systems, sync_jobs

    names = selected_systems(project, [])
    with RunContext(store, RunKind(kind), jobs=sync_jobs(project, names)) as run:
        return run_sync(project, store, SyncOptions(systems=names), run=run)


def run_sync(*args: Any, **kwargs: Any) -> SyncSummary:
    """``core.sync.run.run_sync``, imported when the demo runs."""
    from core.sync.run import run_sync as run

    return run(*args, **kwargs)


def _show_first_run(summary: SyncSummary, store: Store, bad_id: str) -> None:
    from core.logs import mask_text

    for stream in summary.streams:
        console.print(_line(stream), markup=False)
    for stream in summary.streams:
        for parked in store.parked.list(stream.system, stream.stream, None)[:1]:
            console.print(f"    e.g. parked {stream.system}/{stream.stream}/{parked.source_id}: {mask_text(parked.reason)}",
                          markup=False)  # fmt: skip
    if store.parked.list("salesforce", "Contact", None) and bad_id:
        console.print(f"    (salesforce/Contact/{bad_id} was given a broken email on purpose)", markup=False)
    counts = summary.resolved.counts
    console.print("2. identity", markup=False)
    console.print(f"  {counts.get('records_linked', 0)} people records into {counts.get('profiles', 0)} unified "
                  f"profiles, {counts.get('reviews', 0)} pair(s) for review", markup=False)  # fmt: skip
    console.print("3. decide", markup=False)
    console.print(f"  {summary.decided.evaluated} profiles evaluated (enrichment, intent, segments, suppression), "
                  f"{summary.decided.new_alerts} new alert(s)", markup=False)  # fmt: skip
    console.print("4. write back (only what changed)", markup=False)
    for system, done in summary.pushed.per_system().items():
        console.print(f"  {system:<11} {done['written']:>5} records, {done['fields']:>6} fields in "
                      f"{done['write_calls']:>3} write calls, {done['failed']} failed", markup=False)  # fmt: skip
    console.print(f"  alerts sent: {summary.pushed.alerts_sent} (Salesforce Tasks)", markup=False)


def _buyer(store: Store, sandboxes: Mapping[str, RunningSandbox]) -> str | None:
    """Show the buyer's profile across the systems, and her Salesforce contact read back through its API."""
    from sandbox.common.stories import story

    maya = story("buyer").people[0]
    decided = store.decisions.get(store.profiles.active())
    found = [pid for pid, v in decided.items()
             if (v.get("golden.first_name"), v.get("golden.last_name")) == (maya.first_name, maya.last_name)]  # fmt: skip
    if len(found) != 1:
        console.print(f"  {maya.first_name} {maya.last_name} is in {len(found)} profiles", markup=False)
        return None
    pid = found[0]
    values = decided[pid]
    links = store.links.of_profiles([pid])[pid]
    systems = sorted({system for system, _, _ in links})
    console.print(f"5. one customer: {maya.first_name} {maya.last_name} ({story('buyer').summary})", markup=False)
    console.print(f"  profile {pid}: {len(links)} records in {', '.join(systems)}", markup=False)
    console.print(f"  segment {values.get('enrichment.segment')!r}, intent {values.get('enrichment.intent_score')}, "
                  f"suppressed for marketing: {values.get('suppression.marketing')} "
                  f"({', '.join(values.get('suppression.reasons') or []) or 'no reason'})", markup=False)  # fmt: skip
    sb = sandboxes["salesforce"]
    query = f"SELECT {', '.join(_BUYER_FIELDS)} FROM Contact WHERE Email = '{maya.email}'"
    answer = sb.requests_session().get(  # Salesforce's REST query endpoint, as any client calls it
        f"{sb.base_url}/services/data/v{sb.credentials['api_version']}/query",
        params={"q": query}, headers={"Authorization": f"Bearer {sb.credentials['session_id']}"}, timeout=30,
    )  # fmt: skip
    answer.raise_for_status()
    for record in answer.json()["records"]:
        shown = ", ".join(f"{f.removeprefix('Contactpoint_').removesuffix('__c')}={record.get(f)!r}"
                          for f in _BUYER_FIELDS)  # fmt: skip
        console.print(f"  her Salesforce contact, read back through its API: {shown}", markup=False)
    return pid


def demo(
    directory: Annotated[
        Path | None,
        typer.Option("--dir", help="Keep the demo's project and store here (default: ./.contactpoint/demo)."),
    ] = None,
    records: Annotated[
        int, typer.Option("--records", min=10, max=50_000, help="Customers seeded in each sandbox.")
    ] = 300,
) -> None:
    """Run the main job on bundled data: four vendor sandboxes and an export, one sync, a second that writes nothing."""
    from core.config import load_project
    from core.store import open_store
    from sandbox.common.runner import running_sandbox

    with errors_to_exit():
        work = _workdir(directory)
        url = f"sqlite:///{work / 'demo.db'}"
        today = datetime.now(UTC).date()
        with ExitStack() as stack:
            console.print(f"starting the sandboxes ({', '.join(SYSTEMS)}) on 127.0.0.1 ...", markup=False)
            sandboxes = {name: stack.enter_context(running_sandbox(name, records=records, seed=_SEED, today=today))
                         for name in SYSTEMS}  # fmt: skip
            # one Contact with a broken email address shows how a malformed vendor record is parked
            bad_id = sandboxes["salesforce"].control.corrupt_record(
                sobject="Contact", field="Email", value="dana.fox@@example"
            )
            project = load_project(_write_project(work, sandboxes, url))
            console.print(f"project: {project.source}; store: {work / 'demo.db'} (both kept)", markup=False)
            console.print("0. setup", markup=False)
            _setup(project)
            with open_store(url) as store:
                console.print("1. pull and map", markup=False)
                first = _sync(project, store, "demo")
                _show_first_run(first, store, bad_id)
                pid = _buyer(store, sandboxes)
                again = _sync(project, store, "demo")
                calls = again.counters()["write_calls"]
                console.print(f"6. the same sync again: {again.counters()['pulled']} pulled (the echo of its own "
                              f"writes, recognised), {calls} write calls", markup=False)  # fmt: skip
                counts = store.counts()
    console.print(
        f"done: {counts.get('source_records', 0)} source records in the store; look closer with", markup=False
    )
    if pid:
        console.print(f"  contactpoint profile show {pid} --url {url}", markup=False)
        console.print(f"  contactpoint identity explain {pid} --url {url}", markup=False)
    console.print(f"  contactpoint report reconcile --url {url} --out {work / 'reconcile.html'}", markup=False)
