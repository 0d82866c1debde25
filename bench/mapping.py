"""Ingesting a CSV export of people, beside the floors and peers that do the same on the same file.

    python bench/mapping.py [--rows 100000] [--memory-rows 10000] [--postgres URL] [--skip-peers]

Every contender runs in its own process over the same generated file (1% malformed
rows), one after another, and reports the seconds of its work (imports and start-up
left out for everyone) and its own peak RSS; the parent prints them with the ratios.
These machines are shared and noisy, so the ratios within one run are the figures.

* physical floor: ``csv.DictReader`` + ``sqlite3.executemany`` of each row as JSON.
* strict-validation floor: ``pandas.read_csv`` in chunks, each row through a pydantic
  model (``EmailStr``, the phone read by ``phonenumbers`` into E.164, dates), ``to_sql``
  into SQLite, rejected rows into their own table.
* dlt → SQLite: a dlt resource over ``csv.DictReader``, the ``sqlalchemy`` destination
  (no validation of emails or phones; dlt infers and normalises the schema).
* Contactpoint: the whole pull path of a run (``ingest_stream``): the files connector
  reads rows with byte offsets, ``mappings/files.yaml`` maps each into validated
  canonical models (email syntax, phones, dates, countries), the store writes source
  records, canonical records, identifiers and parked rows and saves the cursor after each
  batch of 5,000; into SQLite, and into PostgreSQL when ``--postgres`` (or
  ``CONTACTPOINT_TEST_POSTGRES_URL``) names a server (a fresh database, dropped after).
* Contactpoint at ``--memory-rows`` too, for its peak memory beside the full run's.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.memory import peak_rss_mib

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "mappings" / "files.yaml"
BATCH = 5000


def physical_floor(path: Path, workdir: Path, url: str | None) -> dict[str, Any]:
    import sqlite3

    db = sqlite3.connect(workdir / "floor.db")
    db.execute("CREATE TABLE people (id TEXT PRIMARY KEY, raw TEXT NOT NULL)")
    start, cpu_start = time.perf_counter(), time.process_time()
    stored = 0
    with path.open(newline="", encoding="utf-8") as handle:
        batch: list[tuple[str, str]] = []
        for row in csv.DictReader(handle):
            batch.append((row["id"], json.dumps(row, sort_keys=True, separators=(",", ":"))))
            if len(batch) == BATCH:
                db.executemany("INSERT INTO people VALUES (?, ?)", batch)
                db.commit()
                stored += len(batch)
                batch = []
        db.executemany("INSERT INTO people VALUES (?, ?)", batch)
        db.commit()
        stored += len(batch)
    return {"seconds": time.perf_counter() - start, "cpu_start": cpu_start, "stored": stored, "parked": 0}


def pandas_pydantic_floor(path: Path, workdir: Path, url: str | None) -> dict[str, Any]:
    from datetime import date, datetime

    import pandas as pd
    import phonenumbers
    import sqlalchemy as sa
    from pydantic import BaseModel, EmailStr, ValidationError, field_validator, model_validator

    class PersonRow(BaseModel):
        id: str
        first_name: str | None = None
        last_name: str | None = None
        full_name: str | None = None
        email: EmailStr | None = None
        phone: str | None = None
        company: str | None = None
        job_title: str | None = None
        street: str | None = None
        city: str | None = None
        postcode: str | None = None
        country: str | None = None
        date_of_birth: date | None = None
        updated_at: datetime
        unsubscribed: bool = False

        @field_validator("*", mode="before")
        @classmethod
        def _blank_is_missing(cls, value: Any) -> Any:
            return None if isinstance(value, str) and not value.strip() else value

        @field_validator("unsubscribed", mode="before")
        @classmethod
        def _flag(cls, value: Any) -> bool:
            return str(value or "").strip().lower() in {"yes", "true", "1"}

        @model_validator(mode="after")
        def _e164(self) -> PersonRow:
            if self.phone is not None:
                region = self.country if self.country in phonenumbers.SUPPORTED_REGIONS else "GB"
                number = phonenumbers.parse(self.phone, region)
                if not phonenumbers.is_possible_number(number):
                    raise ValueError("not a possible phone number")
                self.phone = phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
            return self

    engine = sa.create_engine(f"sqlite:///{workdir / 'pandas.db'}")
    start, cpu_start = time.perf_counter(), time.process_time()
    stored = parked = 0
    for chunk in pd.read_csv(path, dtype=str, keep_default_na=False, chunksize=BATCH):
        good, bad = [], []
        for row in chunk.to_dict("records"):
            try:
                good.append(PersonRow.model_validate(row).model_dump())
            except (ValidationError, phonenumbers.NumberParseException) as err:
                bad.append({**row, "error": str(err)})
        pd.DataFrame(good).to_sql("people", engine, if_exists="append", index=False)
        if bad:
            pd.DataFrame(bad).to_sql("rejected", engine, if_exists="append", index=False)
        stored, parked = stored + len(good), parked + len(bad)
    engine.dispose()
    return {"seconds": time.perf_counter() - start, "cpu_start": cpu_start, "stored": stored, "parked": parked}


def dlt_sqlite(path: Path, workdir: Path, url: str | None) -> dict[str, Any]:
    os.environ["RUNTIME__DLTHUB_TELEMETRY"] = "false"  # loopback only
    import dlt

    @dlt.resource(name="people", write_disposition="append")
    def people() -> Any:
        with path.open(newline="", encoding="utf-8") as handle:
            yield from csv.DictReader(handle)

    pipeline = dlt.pipeline(
        pipeline_name="bench_mapping",
        destination=dlt.destinations.sqlalchemy(f"sqlite:///{workdir / 'dlt.db'}"),
        dataset_name="people_data",
        pipelines_dir=str(workdir / "dlt"),
        progress=None,
    )
    start, cpu_start = time.perf_counter(), time.process_time()
    info = pipeline.run(people())
    seconds = time.perf_counter() - start
    rows = pipeline.last_trace.last_normalize_info.row_counts.get("people", 0) if pipeline.last_trace else 0
    return {"seconds": seconds, "cpu_start": cpu_start, "stored": rows, "parked": 0, "loads": len(info.loads_ids)}


def contactpoint(path: Path, workdir: Path, url: str | None) -> dict[str, Any]:
    from connectors.files import FilesConnector
    from connectors.files.config import FilesConfig
    from core.logs import configure
    from core.mapping import load_mapping
    from core.store import open_store
    from core.sync import ingest_stream

    configure(json=True, level="WARNING")
    mapping = load_mapping(MAPPING)
    connector = FilesConnector(
        FilesConfig.model_validate({"streams": [{"name": "people", "path": path, "batch_size": BATCH}]})
    )
    with open_store(url or f"sqlite:///{workdir / 'contactpoint.db'}") as store:
        run_id = store.runs.start("bench")
        start, cpu_start = time.perf_counter(), time.process_time()
        summary = ingest_stream(connector, "people", mapping, store, run_id=run_id)
        seconds = time.perf_counter() - start
    counters = summary.counters()
    return {"seconds": seconds, "cpu_start": cpu_start, "stored": counters["stored"], "parked": counters["rejected"]}


def contactpoint_map_only(path: Path, workdir: Path, url: str | None) -> dict[str, Any]:
    from connectors.files import FilesConnector
    from connectors.files.config import FilesConfig
    from core.mapping import Mapped, load_mapping

    mapping = load_mapping(MAPPING)
    connector = FilesConnector(FilesConfig.model_validate({"streams": [{"name": "people", "path": path}]}))
    start, cpu_start = time.perf_counter(), time.process_time()
    models = parked = 0
    for batch in connector.pull("people", None):
        for record in batch.records:
            outcome = mapping.map(record)
            if isinstance(outcome, Mapped):
                models += len(outcome.models)
            else:
                parked += 1
    return {"seconds": time.perf_counter() - start, "cpu_start": cpu_start, "stored": models, "parked": parked}


CHILDREN = {
    "physical": physical_floor,
    "pandas": pandas_pydantic_floor,
    "dlt": dlt_sqlite,
    "contactpoint": contactpoint,
    "map_only": contactpoint_map_only,
}


def child(name: str, path: Path, workdir: Path, url: str | None) -> None:
    cpu = time.process_time
    result = CHILDREN[name](path, workdir, url)
    result["peak_mb"] = peak_rss_mib()
    result["cpu"] = cpu() - result.pop("cpu_start")
    print(json.dumps(result))


def run_child(name: str, path: Path, workdir: Path, url: str | None = None) -> dict[str, Any]:
    command = [sys.executable, __file__, "--child", name, "--csv", str(path), "--workdir", str(workdir)]
    if url:
        command += ["--url", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise SystemExit(f"{name} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _installed(name: str) -> bool:
    import importlib.util

    if importlib.util.find_spec(name) is None:
        print(f"{name} is not installed, so its line is left out: pip install -e '.[bench]'")
        return False
    return True


def fresh_postgres(url: str) -> tuple[str, Any]:
    import sqlalchemy as sa

    from core.store.engine import normalise_url

    admin = sa.create_engine(normalise_url(url), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    name = f"bench_mapping_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return admin.url.set(database=name).render_as_string(hide_password=False), drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--memory-rows", type=int, default=10_000, help="a second, smaller Contactpoint run")
    parser.add_argument("--postgres", default=os.environ.get("CONTACTPOINT_TEST_POSTGRES_URL"))
    parser.add_argument("--skip-peers", action="store_true", help="leave out pandas + pydantic and dlt")
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--csv", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.csv, args.workdir, args.url)
        return

    from bench.people_export import write_people

    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        export, small = workdir / "people.csv", workdir / "people_small.csv"
        bad = write_people(export, args.rows)
        write_people(small, args.memory_rows)
        size_mb = export.stat().st_size / 1e6
        peers = [] if args.skip_peers else [name for name in ("pandas", "dlt") if _installed(name)]
        names = ["physical", *peers, "map_only", "contactpoint"]
        for name in names:
            results[name] = run_child(name, export, workdir)
        if args.postgres:
            url, drop = fresh_postgres(args.postgres)
            try:
                results["contactpoint_pg"] = run_child("contactpoint", export, workdir, url)
            finally:
                drop()
        results["contactpoint_small"] = run_child("contactpoint", small, workdir)
    report(results, rows=args.rows, small=args.memory_rows, size_mb=size_mb, bad=bad)
    print(
        f"wall time {time.perf_counter() - started:.0f} s (2 cores; each contender in its own process, one at a time)"
    )


LABELS = {
    "physical": "physical floor: csv.DictReader + sqlite3 executemany",
    "pandas": "strict floor: pandas + pydantic + to_sql (SQLite)",
    "dlt": "dlt -> SQLite (sqlalchemy destination)",
    "map_only": "contactpoint: read + map (no store)",
    "contactpoint": "contactpoint: ingest -> SQLite",
    "contactpoint_pg": "contactpoint: ingest -> PostgreSQL",
}


def report(results: dict[str, dict[str, Any]], *, rows: int, small: int, size_mb: float, bad: int) -> None:
    print(f"rows: {rows:,} ({size_mb:.1f} MB CSV, {bad:,} malformed), Python {sys.version.split()[0]}")
    print(f"{'step':<54}{'wall s':>8}{'CPU s':>8}{'rows/CPU s':>11}{'peak MB':>9}{'stored':>9}{'parked':>8}")
    for name, label in LABELS.items():
        if name in results:
            r = results[name]
            line = f"{label:<54}{r['seconds']:>8.2f}{r['cpu']:>8.2f}{rows / r['cpu']:>11,.0f}{r['peak_mb']:>9,.0f}"
            print(f"{line}{r['stored']:>9,}{r['parked']:>8,}")
    ours = results["contactpoint"]["cpu"]
    print()
    print("Ratios of CPU seconds (the cores are shared; wall time moves with the other work), same run:")
    goals = {"pandas": ("within 1.2x of pandas + pydantic", 1.2), "dlt": ("faster than dlt -> SQLite", 1.0)}
    for name in ("physical", "pandas", "dlt"):
        if name in results:
            ratio = ours / results[name]["cpu"]
            goal = goals.get(name)
            verdict = "" if goal is None else f"  goal {goal[0]}: {'met' if ratio <= goal[1] else 'NOT met'}"
            print(f"  contactpoint -> SQLite / {name:<10} {ratio:5.2f}x{verdict}")
    if "contactpoint_pg" in results:  # the server's work is outside the client's CPU: wall time
        ratio = results["contactpoint_pg"]["seconds"] / results["contactpoint"]["seconds"]
        print(
            f"  PostgreSQL / SQLite, wall time: {ratio:.2f}x  goal within 1.2x: {'met' if ratio <= 1.2 else 'NOT met'}"
        )
    tiny, full = results["contactpoint_small"]["peak_mb"], results["contactpoint"]["peak_mb"]
    print(f"peak RSS of the Contactpoint process: {tiny:,.0f} MB at {small:,} rows, {full:,.0f} MB at {rows:,} rows")


if __name__ == "__main__":
    main()
