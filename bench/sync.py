"""Sync runs end to end against the four sandboxes: throughput, write calls, memory, and what a rerun costs.

    .venv/bin/python bench/sync.py [--sizes 320,3200] [--seed 1]   (people a system: about 10,000 and 100,000 records)

For each size, a child process starts the Salesforce, HubSpot, Mixpanel and Zendesk
sandboxes in itself (each seeded with that many people's records, on loopback), writes a
contactpoint.yaml wired to them with the shipped mappings and policies, runs ``setup``,
and then four ``sync run``s, each in a process of its own (its own peak memory, VmHWM, is the
sync's alone, not the sandboxes'):

    full      the first run: pull everything, resolve, decide, write back
    echo      the run after it: nothing new in any system, but every record the first run
              wrote comes back (its modified time moved) and is recognised as its own echo
    no change the run after that: nothing new at all
    1%        a run after 1% of the people's records were edited in the systems (a
              Salesforce Contact's Title, a HubSpot contact's job title, a Zendesk
              user's phone, in turn)

Each line prints records pulled a second; write calls per 1,000 records written, counted
twice, from the sandboxes' request logs and from the run ledger, beside the fewest the
vendors' batch sizes allow (Salesforce sObject Collections 200 a request, HubSpot batch
update 100, Mixpanel /engage 2,000, Zendesk update_many 100 a job and one
job_statuses/show_many read per wave of queued jobs); the run's peak resident memory;
and its time as a ratio to the full run of the same size. The vendors' rate limits are
lifted in the sandboxes and in the connectors' settings as far as each allows (HubSpot's
search API stays at 10 requests a second, the most its connector accepts), so the
figures show Contactpoint's own cost.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SYSTEMS = ("salesforce", "hubspot", "mixpanel", "zendesk")
CHANGED_SHARE = 0.01
"""The share of people's records edited before the third run."""


def _declared() -> tuple[dict[str, int], int]:
    """Records per write request each connector declares (the vendor's maximum), and Zendesk's queued jobs."""
    from connectors.helpdesk.zendesk.config import ZendeskConfig
    from connectors.helpdesk.zendesk.writeback import BATCH_SIZE as ZENDESK_JOB
    from connectors.marketing.hubspot.writeback import BATCH_SIZE as HUBSPOT_BATCH
    from connectors.product_analytics.mixpanel.config import ENGAGE_MAX_BATCH
    from connectors.salesforce.writeback import COLLECTION_SIZE

    open_jobs = ZendeskConfig.model_fields["max_open_jobs"].default
    sizes = {"salesforce": COLLECTION_SIZE, "hubspot": HUBSPOT_BATCH, "mixpanel": ENGAGE_MAX_BATCH,
             "zendesk": ZENDESK_JOB}  # fmt: skip
    return sizes, int(open_jobs)


def minimum_calls(system: str, records: int) -> int:
    """The fewest write requests ``records`` writes to one stream (or alerts to one object) of ``system`` take.

    Salesforce sObject Collections 200 a request, HubSpot batch update 100, Mixpanel /engage
    2,000, Zendesk update_many 100 a job plus one job_statuses/show_many read per wave of
    queued jobs (30 at most): the sizes the connectors declare.
    """
    if records <= 0:
        return 0
    sizes, open_jobs = _declared()
    calls = math.ceil(records / sizes[system])
    if system == "zendesk":
        calls += math.ceil(calls / open_jobs)  # the job status reads that learn each outcome
    return calls


def is_write_request(system: str, key: str) -> bool:
    """Whether a sandbox request (``"METHOD /path"``) writes records (or reads a write job's outcome)."""
    method, _, path = key.partition(" ")
    if system == "salesforce":
        return method in ("PATCH", "POST") and "/composite/sobjects" in path
    if system == "hubspot":
        return method == "POST" and path.endswith(("/batch/update", "/batch/upsert", "/batch/create"))
    if system == "mixpanel":
        return method == "POST" and path.rstrip("/") == "/engage"
    return (method in ("PUT", "POST") and path.endswith(("update_many.json", "create_or_update_many.json"))) or (
        method == "GET" and "job_statuses" in path
    )


# -- the sync, in a process of its own --------------------------------------------------------------


def run_one_sync(config: Path) -> dict[str, Any]:
    """Run ``sync run`` on ``config`` in this process; return its summary, writes per stream and peak memory."""
    from bench.memory import peak_rss_mib
    from core.commands.sync_cmd import summary_json
    from core.config import load_project, project_store_url
    from core.logs import configure
    from core.store import open_store
    from core.sync.lifecycle import RunContext, RunKind
    from core.sync.run import SyncOptions, run_sync, selected_systems, sync_jobs

    configure(json=True, level="WARNING")
    started = time.perf_counter()
    project = load_project(config)
    names = selected_systems(project, [])
    with (
        open_store(project_store_url(project)) as store,
        RunContext(store, RunKind.SYNC, jobs=sync_jobs(project, names)) as run,
    ):
        summary = run_sync(project, store, SyncOptions(systems=names), run=run)
        run_id = run.run_id
    seconds = time.perf_counter() - started
    sent: Counter[str] = Counter()
    for (system, stream, what), count in summary.plan.tally.items():
        if what == "records":
            sent[f"{system}/{stream}"] += count
    alerts = summary.pushed.alerts_sent + summary.pushed.alerts_failed
    if alerts:
        sent[f"{_alert_system(project, names)}/alerts"] += alerts
    data = summary_json(summary, run_id, seconds)
    data.pop("plan")
    return {"summary": data, "writes_by_stream": dict(sent), "peak_rss_mib": peak_rss_mib(), "seconds": seconds}


def _alert_system(project: Any, names: list[str]) -> str:
    """The one system the project's alerts go to (the shipped mappings: Salesforce Tasks)."""
    from core.mapping import load_mapping

    targets = [n for n in names if load_mapping(project.resolve_path(project.system(n).mapping)).alerts]
    if len(targets) != 1:
        raise SystemExit(f"the bench counts alerts of one system; the mappings send them to {targets or 'none'}")
    return targets[0]


def _sync_in_child(config: Path) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--sync", str(config)],
        capture_output=True, text=True, cwd=config.parent, timeout=7200,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"sync run failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


# -- the sandboxes, in a process per size ---------------------------------------------------------


@contextmanager
def _sandboxes(records: int, seed: int) -> Iterator[dict[str, Any]]:
    from sandbox.common.runner import running_sandbox

    with ExitStack() as stack:  # on the real clock: a fixed day's noon would stamp data ahead of the sync's clock
        running = {name: stack.enter_context(running_sandbox(name, records=records, seed=seed, api_limit=10**9))
                   for name in SYSTEMS}  # fmt: skip
        running["hubspot"].control.limits.configure(ten_secondly=10**9, secondly=10**9, search_per_second=10**9)
        running["zendesk"].control.set_limits(account=10**9, exports=10**9)
        mixpanel = running["mixpanel"].control.export_limits
        mixpanel.per_second = mixpanel.per_hour = 10**9
        yield running


_LIFTED: dict[str, dict[str, Any]] = {
    "hubspot": {"search_requests_per_second": 10},
    "zendesk": {"exports_per_minute": 1000, "job_poll_seconds": 0.05},
    "mixpanel": {"export_per_second": 10**4, "export_per_hour": 10**6, "query_per_hour": 10**6},
    "salesforce": {"bulk_poll_seconds": 0.05},
}


def _project(folder: Path, running: dict[str, Any]) -> Path:
    import yaml

    project = {
        "version": 1,
        "store": {"url": f"sqlite:///{folder / 'contactpoint.db'}"},
        "systems": {
            name: {"kind": name, "mapping": str(ROOT / "mappings" / f"{name}.yaml"),
                   "settings": {**sb.connector_settings(), **_LIFTED[name]}}
            for name, sb in running.items()
        },
        "policies": {"files": [str(ROOT / "mappings" / "policies.yaml")]},
    }  # fmt: skip
    path = folder / "contactpoint.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return path


def _setup(config: Path) -> None:
    from typer.testing import CliRunner

    from core.cli import app

    for name in SYSTEMS:
        result = CliRunner().invoke(app, ["setup", name, "--config", str(config)])
        if result.exit_code != 0:
            raise SystemExit(f"setup {name} failed: {result.output}")


def _edit(running: dict[str, Any], share: float) -> int:
    """Edit ``share`` of the people's live records, spread over Salesforce, HubSpot and Zendesk; return how many."""
    org = running["salesforce"].control.org
    contacts = sorted(org.live("Contact"), key=lambda r: str(r["Id"]))
    portal = running["hubspot"].control.portal
    hub = [c for c in portal.sorted("contacts") if not c.archived]
    account = running["zendesk"].control.account
    # live end users in ID order (the export's order moves with the first run's write-back)
    users = sorted((u for u in account.records("users").values() if u.get("role") == "end-user" and u.get("active")),
                   key=lambda u: int(u["id"]))  # fmt: skip
    people = len(contacts) + len(hub) + len(users)
    wanted = max(3, round(people * share))
    edited = 0
    for n in range(wanted):
        which = n % 3
        index = n // 3
        if which == 0 and index < len(contacts):
            org.update(contacts[index], {"Title": f"Edited title {n}"})
        elif which == 1 and index < len(hub):
            portal.update("contacts", hub[index], {"jobtitle": f"Edited title {n}"})
        elif which == 2 and index < len(users):
            users[index]["phone"] = f"+1415555{n % 10_000:04d}"
            account.touch(users[index])
        else:
            continue
        edited += 1
    return edited


def _requests(running: dict[str, Any]) -> dict[str, dict[str, int]]:
    return {name: sb.control.requests.snapshot() for name, sb in running.items()}


def _write_requests(before: dict[str, dict[str, int]], after: dict[str, dict[str, int]]) -> dict[str, int]:
    out = {}
    for name, counts in after.items():
        out[name] = sum(n - before[name].get(key, 0) for key, n in counts.items() if is_write_request(name, key))
    return out


def measure(size: int, seed: int) -> dict[str, Any]:
    """Seed the sandboxes with ``size`` people's records and run the four syncs; return their figures."""
    from core.logs import configure

    configure(json=True, level="WARNING")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="contactpoint-bench-sync-") as tmp, _sandboxes(size, seed) as running:
        seeded = time.perf_counter() - started
        config = _project(Path(tmp), running)
        _setup(config)
        runs: dict[str, Any] = {}
        for phase in ("full", "echo", "no change", "1%"):
            edited = _edit(running, CHANGED_SHARE) if phase == "1%" else 0
            if phase != "full":  # Zendesk's exports leave out the last minute: let its changes (and echo) show
                running["zendesk"].control.advance_clock(61)
            before = _requests(running)
            result = _sync_in_child(config)
            result["sandbox_write_requests"] = _write_requests(before, _requests(running))
            result["edited"] = edited
            runs[phase] = result
        return {"size": size, "seeded_seconds": seeded, "runs": runs}


# -- figures -----------------------------------------------------------------------------------------


def _per_1k(calls: int, written: int) -> str:
    return f"{calls * 1000 / written:.2f}" if written else "-"


def figures(run: dict[str, Any]) -> dict[str, Any]:
    """One run's figures: records a second, records written, write calls (sandboxes, ledger) and their minimum."""
    summary = run["summary"]
    written = sum(count for count in run["writes_by_stream"].values())
    least = 0
    for key, count in run["writes_by_stream"].items():
        least += minimum_calls(key.partition("/")[0], count)
    return {
        "pulled": summary["pulled"],
        "seconds": run["seconds"],
        "rate": summary["pulled"] / run["seconds"] if run["seconds"] else 0.0,
        "written": written,
        "alerts": summary["alerts"]["sent"] + summary["alerts"]["failed"],
        "sandbox_calls": sum(run["sandbox_write_requests"].values()),
        "ledger_calls": summary["write_calls"],
        "minimum": least,
        "peak_mib": run["peak_rss_mib"],
        "edited": run["edited"],
    }


HEADER = (
    f"{'run':<20} {'pulled':>9} {'seconds':>8} {'rec/s':>7} {'ratio':>6} {'written':>8}"
    f"  {'write calls: sandboxes':>22} {'ledger':>6} {'minimum':>7}  {'per 1k':>6} {'minimum':>7}  {'peak MiB':>8}"
)


def lines(result: dict[str, Any]) -> list[str]:
    """The printed lines of one size."""
    out = [f"-- {result['size']:,} people a system (sandboxes seeded in {result['seeded_seconds']:.1f}s) --", HEADER]
    full = figures(result["runs"]["full"])
    for phase, run in result["runs"].items():
        f = figures(run)
        label = f"{phase} ({f['edited']:,} edited)" if f["edited"] else phase
        out.append(
            f"{label:<20} {f['pulled']:>9,} {f['seconds']:>8.1f} {f['rate']:>7,.0f} {f['seconds'] / full['seconds']:>6.3f}"
            f" {f['written']:>8,}  {f['sandbox_calls']:>22,} {f['ledger_calls']:>6,} {f['minimum']:>7,}"
            f"  {_per_1k(f['sandbox_calls'], f['written']):>6} {_per_1k(f['minimum'], f['written']):>7}"
            f"  {f['peak_mib']:>8,.0f}"
        )
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        default="320,3200",
        help="people a system, comma-separated (320: about 10,000 records in all; 3,200: about 100,000)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", action="store_true", help="print each size's raw figures as a JSON line too")
    parser.add_argument("--sync", type=Path, help=argparse.SUPPRESS)  # the child that runs one sync
    parser.add_argument("--size", type=int, help=argparse.SUPPRESS)  # the child that hosts the sandboxes
    args = parser.parse_args()
    if args.sync is not None:
        print(json.dumps(run_one_sync(args.sync)))
        return
    if args.size is not None:
        print(json.dumps(measure(args.size, args.seed)))
        return
    try:
        sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes {args.sizes!r}: expected whole numbers separated by commas, e.g. 10000,100000")
    if not sizes or min(sizes) < 1:
        parser.error(f"--sizes {args.sizes!r}: every size must be at least 1")
    peaks = []
    for size in sizes:
        done = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--size", str(size), "--seed", str(args.seed)],
            capture_output=True, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        if done.returncode != 0:
            raise SystemExit(f"size {size:,} failed (exit {done.returncode}):\n{done.stderr[-4000:]}")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        for line in lines(result):
            print(line, flush=True)
        if args.json:
            print(json.dumps(result), flush=True)
        peaks.append((size, figures(result["runs"]["full"])["peak_mib"]))
    if len(peaks) > 1:
        (small, low), (large, high) = peaks[0], peaks[-1]
        print(f"peak memory of the full run: {high / low:.2f}x from {small:,} to {large:,} people a system")


if __name__ == "__main__":
    main()
