"""Mapping and storing a CSV export, against a plain csv.DictReader + json.dumps loop.

    python bench/mapping.py [--rows 100000] [--repeat 1]

Both run in this process over the same file; the figure that matters is the
ratio, since these machines are noisy. The Contactpoint side is the whole pull
path of a run: the files connector reads rows with byte offsets, the mapping
turns each into validated canonical models, and the store upserts source
records, canonical records and parked rows into a fresh SQLite file, saving the
cursor after each batch.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.people_export import write_people
from connectors.files import FilesConnector
from connectors.files.config import FilesConfig
from core.mapping import Mapped, load_mapping
from core.store import open_store
from core.sync import ingest_stream

MAPPING = Path(__file__).resolve().parents[1] / "mappings" / "files.yaml"


def baseline(path: Path) -> float:
    start = time.perf_counter()
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            json.dumps(row)
    return time.perf_counter() - start


def map_only(path: Path) -> tuple[float, int]:
    mapping = load_mapping(MAPPING)
    connector = FilesConnector(FilesConfig.model_validate({"streams": [{"name": "people", "path": path}]}))
    start = time.perf_counter()
    models = 0
    for batch in connector.pull("people", None):
        for record in batch.records:
            outcome = mapping.map(record)
            if isinstance(outcome, Mapped):
                models += len(outcome.models)
    return time.perf_counter() - start, models


def map_and_store(path: Path, workdir: Path) -> tuple[float, dict[str, int]]:
    mapping = load_mapping(MAPPING)
    connector = FilesConnector(
        FilesConfig.model_validate({"streams": [{"name": "people", "path": path, "batch_size": 5000}]})
    )
    with open_store(f"sqlite:///{workdir / 'bench.db'}") as store:
        run_id = store.runs.start("bench")
        start = time.perf_counter()
        summary = ingest_stream(connector, "people", mapping, store, run_id=run_id)
        elapsed = time.perf_counter() - start
    return elapsed, summary.counters()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    from core.logs import configure

    configure(json=True, level="WARNING")
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        export = workdir / "people.csv"
        bad = write_people(export, args.rows)
        size_mb = export.stat().st_size / 1e6
        base = baseline(export)
        mapped, models = map_only(export)
        stored, counters = map_and_store(export, workdir)
    rows = args.rows
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"rows: {rows:,} ({size_mb:.1f} MB CSV, {bad:,} malformed), Python {sys.version.split()[0]}")
    print(f"{'step':<44}{'seconds':>9}{'records/s':>12}{'vs baseline':>13}")
    for name, seconds in [
        ("baseline: csv.DictReader + json.dumps", base),
        ("contactpoint: read + map (no store)", mapped),
        ("contactpoint: read + map + store (SQLite)", stored),
    ]:
        print(f"{name:<44}{seconds:>9.2f}{rows / seconds:>12,.0f}{seconds / base:>12.1f}x")
    print(f"canonical models: {models:,}; stored: {counters['stored']:,}; parked: {counters['rejected']:,}")
    print(f"peak RSS of the process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
