"""The engines the identity benchmark runs, each in a process of its own (so peak memory is its own).

    python bench/identity.py --worker contactpoint --records R.csv --out C.csv [--new N.csv]
    python bench/identity.py --worker splink --records R.csv --out C.csv

A worker loads the CSV (Contactpoint through ``core.identity.read_people_file``, which
validates every row into a ``Person``; Splink into DuckDB), resolves it (timed from the
loaded records: Splink's cleaning is inside, like Contactpoint's normalising), writes
``record_id,cluster_id`` and prints one JSON line: seconds, phases, peak RSS and, with
``--new``, the latency of each new record resolved against the stored profiles.
"""

from __future__ import annotations

import csv
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.identity_data import SYSTEM_REGIONS
from bench.memory import peak_rss_mib
from core.canonical import Person
from core.identity import IdentitySettings, IncrementalResolver, read_people_file, resolve, resolve_store
from core.identity.settings import PhoneSettings
from core.store import open_store

__all__ = ["run_worker"]


def _settings() -> IdentitySettings:
    return IdentitySettings(phones=PhoneSettings(system_regions=SYSTEM_REGIONS))


def _people(records: Path) -> tuple[list[Person], dict[str, Any]]:
    """People from the CSV through the engine's own reader, and what it parked or dropped."""
    found = read_people_file(records, phones=_settings().phones)
    return found.people, {"parked_rows": len(found.parked), "dropped_values": len(found.problems)}


def _run_contactpoint(records: Path, new: Path | None) -> tuple[dict[str, str], dict[str, Any]]:
    start = time.perf_counter()
    people, reading = _people(records)
    prepared = time.perf_counter()
    resolution = resolve(people, _settings())
    finished = time.perf_counter()
    clusters = {
        str(resolution.records[i].source_id): resolution.profile_ids[c]
        for c, members in enumerate(resolution.clusters)
        for i in members
    }
    report: dict[str, Any] = {
        # like Splink's, the batch starts from loaded records (normalising included); loading is reported apart
        "seconds": finished - prepared,
        "phases": {"load": prepared - start, "resolve": finished - prepared},
        "peak_rss_mib": peak_rss_mib(),
        **reading,
    }
    if new is not None:
        report["incremental"] = _incremental(people, _people(new)[0])
    return clusters, report


def _incremental(people: Sequence[Person], new_people: Sequence[Person]) -> dict[str, Any]:
    """Resolve the batch into a SQLite store, then time each new record resolved against it."""
    with tempfile.TemporaryDirectory() as scratch:
        store = open_store(f"sqlite:///{Path(scratch) / 'profiles.sqlite'}")
        run_id = store.runs.start("bench")
        store.records.upsert_canonical(((p.source, "Person", 0, p) for p in people), run_id=run_id)
        resolve_store(store, _settings(), run_id=run_id)
        resolver = IncrementalResolver(store, _settings())  # built here, so no timed call loads the model
        latencies = []
        for person in new_people:
            started = time.perf_counter()
            resolver.resolve(person)
            latencies.append(time.perf_counter() - started)
        store.close()
    return {"available": True, "latencies": latencies}


def _run_splink(records: Path, new: Path | None, seed: int) -> tuple[dict[str, str], dict[str, Any]]:
    from bench.splink_baseline import run_splink

    run = run_splink(records, seed=seed, new_csv=new)
    report = {
        "seconds": run.seconds,
        "phases": run.phases,
        "peak_rss_mib": peak_rss_mib(),
        "predicted_pairs": run.predicted_pairs,
        "failed_sessions": run.failed_sessions,
        "incremental": {"available": bool(run.incremental), "latencies": run.incremental},
    }
    return run.clusters, report


def run_worker(engine: str, records: Path, out: Path, *, new: Path | None, seed: int) -> None:
    """Resolve ``records`` with ``engine``, write its clusters to ``out`` and print the JSON report."""
    if engine == "contactpoint":
        clusters, report = _run_contactpoint(records, new)
    else:
        clusters, report = _run_splink(records, new, seed)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(("record_id", "cluster_id"))
        writer.writerows(clusters.items())
    sys.stdout.write(json.dumps(report) + "\n")
