"""``contactpoint demo``: the main job on the embedded default, end to end as far as it is built.

It needs nothing but this package: a fresh SQLite store in ``./.contactpoint/demo``
(``$CONTACTPOINT_HOME/demo`` when set, or ``--dir``), kept afterwards so its profiles can
be looked at with the commands the demo prints; the bundled people export; and the
Salesforce sandbox started in this process on 127.0.0.1. Steps that are not built yet are
named, not faked.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from connectors.http import MeteredConnector
from core.commands.common import console, errors_to_exit
from core.config import connector_of
from core.identity import resolve_store
from core.mapping import load_mapping
from core.shipped import shipped_path
from core.store import Store, open_store
from core.sync.lifecycle import RunContext, RunKind

if TYPE_CHECKING:
    from core.sync import IngestSummary

__all__ = ["demo"]

NOT_BUILT_YET = [
    "policies applied in a sync run (the engine is built: contactpoint policy check mappings/policies.yaml)",
    "write-back planner: only changed fields pushed to each system",
    "scheduled sync runs and the reconciliation report",
]


def _workdir(path: Path | None) -> Path:
    """The demo's folder, with a fresh (empty) store in it: each demo starts from nothing."""
    home = os.environ.get("CONTACTPOINT_HOME")
    folder = path or (Path(home) if home else Path.cwd() / ".contactpoint") / "demo"
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("demo.db", "demo.db-wal", "demo.db-shm"):
        (folder / name).unlink(missing_ok=True)
    return folder


def _line(summary: IngestSummary) -> str:
    return (
        f"  {summary.system}/{summary.stream:<10} {summary.pulled:>5} pulled, "
        f"{summary.inserted + summary.updated:>5} stored, {summary.canonical:>5} canonical, {summary.parked:>3} parked"
    )


def _import_files(store: Store, run: RunContext) -> IngestSummary:
    from core.sync import ingest_stream

    mapping = load_mapping(shipped_path("mappings", "files.yaml"))
    settings = {"streams": [{"name": "people", "path": shipped_path("samples", "people.csv")}]}
    connector = connector_of("files", settings, name="files")
    summary = ingest_stream(connector, "people", mapping, store, run_id=run.run_id, check_stop=run.check_stop)
    run.count_all(summary.counters())
    return summary


def _pull_salesforce(store: Store, run: RunContext, records: int) -> list[IngestSummary]:
    # the sandbox is loaded only when the demo runs; the connector comes from the registry
    from core.sync import ingest_stream
    from sandbox.common.runner import running_sandbox

    mapping = load_mapping(shipped_path("mappings", "salesforce.yaml"))
    with running_sandbox("salesforce", records=records, seed=7) as sandbox:
        # one Contact with a broken email address shows how a malformed vendor record is parked
        bad_id = sandbox.control.corrupt_record(sobject="Contact", field="Email", value="dana.fox@@example")
        connector = connector_of("salesforce", sandbox.connector_settings(), name="salesforce")
        check = connector.check()
        console.print(f"  salesforce sandbox at {sandbox.base_url}: {check.detail}", markup=False)
        summaries = [
            ingest_stream(connector, stream, mapping, store, run_id=run.run_id, check_stop=run.check_stop)
            for stream in ("Account", "Contact", "Lead")
        ]
        if isinstance(connector, MeteredConnector):
            run.spent("salesforce", connector.api_usage.as_dict())
    for summary in summaries:
        run.count_all(summary.counters())
    run.partial = any(summary.parked for summary in summaries)
    for summary in summaries:
        console.print(_line(summary), markup=False)
    for parked in store.parked.list("salesforce", "Contact", run.run_id):
        if parked.source_id == bad_id:
            console.print(f"    parked salesforce/Contact/{bad_id}: {parked.reason}", markup=False)
    return summaries


def demo(
    directory: Annotated[
        Path | None, typer.Option("--dir", help="Keep the demo's store here (default: ./.contactpoint/demo).")
    ] = None,
    records: Annotated[
        int, typer.Option("--records", min=10, max=50_000, help="Customers in the Salesforce sandbox.")
    ] = 300,
) -> None:
    """Run the main job on bundled data: import, pull from the Salesforce sandbox, store, resolve."""
    with errors_to_exit():
        work = _workdir(directory)
        url = f"sqlite:///{work / 'demo.db'}"
        with open_store(url) as store, RunContext(store, RunKind.DEMO) as run:
            console.print(f"store: {work / 'demo.db'} (kept; a new demo starts it afresh)", markup=False)
            console.print("1. pull and map", markup=False)
            console.print(_line(_import_files(store, run)), markup=False)
            _pull_salesforce(store, run, records)
            console.print("2. identity", markup=False)
            _resolve(store, run, url)
            console.print("3. not built yet (next round):", markup=False)
            for item in NOT_BUILT_YET:
                console.print(f"  - {item}", markup=False)
            counts = store.counts()
    console.print(f"done: {counts.get('source_records', 0)} source records in the store", markup=False)


def _resolve(store: Store, run: RunContext, url: str) -> None:
    result = resolve_store(store, run_id=run.run_id, check_stop=run.check_stop)
    summary = result.summary()
    run.count_all(summary)
    console.print(
        f"  {summary['records_linked']} people records into {summary['profiles']} unified profiles, "
        f"{summary['reviews']} pair(s) for review",
        markup=False,
    )
    records = result.resolution.records
    members = [sorted(str(records[i]) for i in cluster) for cluster in result.clusters]
    shared = [
        (refs, pid)
        for pid, refs in zip(result.ids.profile_ids, members, strict=True)
        if len({ref.split("/")[1] for ref in refs}) > 1
    ]
    if shared:  # the profile holding the first record key, as a sorted listing shows it
        refs, profile_id = min(shared, key=lambda item: item[0][0])
        console.print(f"  e.g. {profile_id}: {', '.join(refs)}", markup=False)
        console.print(
            f"  why: contactpoint identity explain {profile_id} --url {url}",
            markup=False,
        )
