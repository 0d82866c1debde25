"""The engines the identity benchmark runs, each in a process of its own (so peak memory is its own).

    python bench/identity.py --worker contactpoint --records R.csv --out C.csv [--new N.csv]
    python bench/identity.py --worker splink --records R.csv --out C.csv

A worker reads the CSV, resolves it (timed: Contactpoint's reading through
``core.identity.read_people_csv`` is inside its timing, as it builds the ``Person``
records; Splink's loading into DuckDB is outside, its cleaning inside), writes ``record_id,cluster_id``
and prints one JSON line: seconds, phases, peak RSS and, when the engine has an
incremental mode, the latency of each new record resolved against the stored profiles.

Incremental mode plugs in through ``incremental_engine()``: it returns an object with
``load(people, db_path) -> store`` (resolve the batch and keep the profiles in SQLite)
and ``resolve_new(store, person) -> object`` (resolve one record against them), or
``None`` while the engine has none.
"""

from __future__ import annotations

import csv
import importlib
import json
import resource
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Protocol

import phonenumbers

from bench.identity_data import SYSTEM_REGIONS

__all__ = ["IncrementalEngine", "contactpoint_resolve", "incremental_engine", "people_from_rows", "run_worker"]


class IncrementalEngine(Protocol):
    """What the benchmark needs from an incremental identity engine."""

    def load(self, people: Sequence[Any], db_path: Path) -> Any:
        """Resolve ``people`` in batch and store the profiles in the SQLite file ``db_path``."""

    def resolve_new(self, store: Any, person: Any) -> Any:
        """Resolve one new record against the stored profiles."""


def peak_rss_mib() -> float:
    """This process's peak resident set size, in MiB (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def read_rows(path: Path) -> list[dict[str, str]]:
    """The records CSV as dicts."""
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def contactpoint_resolve() -> Callable[..., Any] | None:
    """``core.identity.resolve`` (or, until the package exports it, ``core.identity.engine.resolve``); else ``None``."""
    for name in ("core.identity", "core.identity.engine"):
        try:
            module = importlib.import_module(name)
        except ImportError:
            continue
        found = getattr(module, "resolve", None)
        if callable(found):
            return found  # type: ignore[no-any-return]
    return None


class _StoreIncremental:
    """Contactpoint's incremental mode: a batch over the store, then one record at a time."""

    def load(self, people: Sequence[Any], db_path: Path) -> Any:
        from core.identity import IncrementalResolver, resolve_store
        from core.store import open_store

        store = open_store(f"sqlite:///{db_path}")
        run_id = store.start_run("bench")
        store.upsert_canonical(((p.source, "Person", 0, p) for p in people), run_id=run_id)
        resolve_store(store, run_id=run_id)
        return IncrementalResolver(store)  # built here, so no timed call pays for loading the model

    def resolve_new(self, store: Any, person: Any) -> Any:
        return store.resolve(person)


def incremental_engine() -> IncrementalEngine | None:
    """The engine's incremental mode (``core.identity.IncrementalResolver`` over a SQLite store)."""
    return _StoreIncremental()


def _phone(text: str, system: str) -> str | None:
    if not text.strip():
        return None
    try:
        parsed = phonenumbers.parse(text, SYSTEM_REGIONS[system])
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def people_from_rows(rows: Sequence[dict[str, str]]) -> list[Any]:
    """Canonical ``Person`` records from benchmark rows, phones read in each system's default region."""
    from core.canonical import Person, RecordRef

    people = []
    for row in rows:
        values: dict[str, Any] = {k: row[k] for k in ("first_name", "last_name", "email", "company") if row[k].strip()}
        values |= {k: row[k] for k in ("street", "city", "postcode", "country") if row[k].strip()}
        if row["date_of_birth"]:
            values["date_of_birth"] = date.fromisoformat(row["date_of_birth"])
        phone = _phone(row["phone"], row["source"])
        if phone:
            values["phone"] = phone
        ref = RecordRef(system=row["source"], stream="people", source_id=row["record_id"])
        people.append(Person(source=ref, **values))
    return people


def _settings() -> Any:
    from core.identity.settings import IdentitySettings, PhoneSettings

    return IdentitySettings(phones=PhoneSettings(system_regions=SYSTEM_REGIONS))


def _people(records: Path) -> tuple[list[Any], dict[str, Any]]:
    """People from the CSV through the engine's own reader (``core.identity.read_people_csv``) when it has one."""
    try:
        from core.identity import read_people_csv
    except ImportError:
        return people_from_rows(read_rows(records)), {}
    found = read_people_csv(records, phones=_settings().phones)
    return found.people, {"parked_rows": len(found.parked), "dropped_values": len(found.warnings)}


def _run_contactpoint(records: Path, new: Path | None) -> tuple[dict[str, str], dict[str, Any]]:
    resolve = contactpoint_resolve()
    if resolve is None:
        msg = "core.identity.resolve is not available yet"
        raise RuntimeError(msg)
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
        report["incremental"] = _incremental(people, read_rows(new))
    return clusters, report


def _incremental(people: Sequence[Any], new_rows: Sequence[dict[str, str]]) -> dict[str, Any]:
    engine = incremental_engine()
    if engine is None:
        return {"available": False}
    with tempfile.TemporaryDirectory() as scratch:
        store = engine.load(people, Path(scratch) / "profiles.sqlite")
        latencies = []
        for person in people_from_rows(new_rows):
            start = time.perf_counter()
            engine.resolve_new(store, person)
            latencies.append(time.perf_counter() - start)
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
