"""Start-up of the CLI, and ``identity resolve --store`` split into the engine and everything around it.

    python bench/identity.py --startup [--repeat 7]
    python bench/identity.py --store 100000 [--backends sqlite,postgresql]

``--startup`` times whole processes, alternating, and prints each median beside
``python -c pass`` run in the same loop: ``contactpoint --version``, ``--help``,
``identity --help``, and ``import splink, duckdb`` when the bench extra is installed.

``--store N`` writes the people export of ``bench/people_export.py`` (N rows), maps it
into a fresh store (``contactpoint mapping run mappings/files.yaml``) on each backend,
then resolves the store once in a child process, as ``identity resolve --store`` does,
with each phase of ``resolve_store`` timed: reading the people (the rows, and each
row's JSON parsed while the engine prepares it), the engine, golden records, index rows
(each person's canonical text too, made while preparing), and the write-out (one
transaction), of which the review pairs (explained and stored) are shown apart. ``--with-command`` also times the whole
command, ``contactpoint identity resolve --store``, from process start to exit, on a
fresh copy (its engine time is the ``identity.resolved`` event it logs).

PostgreSQL needs ``CONTACTPOINT_TEST_POSTGRES_URL`` (``source /tmp/pgenv``); a database
of its own is created on that server and dropped afterwards.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MAPPING = ROOT / "mappings" / "files.yaml"
PHASES = ("read", "engine", "golden records", "index rows", "write-out")
REVIEWS = "  of which review pairs"


def _contactpoint() -> str:
    return str(Path(sys.executable).with_name("contactpoint"))


def _wall(command: list[str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed (exit {done.returncode}):\n{done.stderr[-800:]}")
    return seconds


def bench_startup(*, repeat: int) -> None:
    """Median wall seconds of start-up commands, beside ``python -c pass`` in the same loop."""
    cp = _contactpoint()
    commands: dict[str, list[str]] = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "contactpoint --version": [cp, "--version"],
        "contactpoint --help": [cp, "--help"],
        "contactpoint identity --help": [cp, "identity", "--help"],
    }
    probe = subprocess.run([sys.executable, "-c", "import splink, duckdb"], capture_output=True, check=False)
    if probe.returncode == 0:
        commands["python -c 'import splink, duckdb'"] = [sys.executable, "-c", "import splink, duckdb"]
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(repeat):
        for name, command in commands.items():
            times[name].append(_wall(command))
    base = statistics.median(times["python -c pass"])
    print(f"\n## Start-up, median of {repeat} alternating runs\n")
    print("| command | wall s | minus `python -c pass` | goal |")
    print("|---|---:|---:|---|")
    for name, found in times.items():
        median = statistics.median(found)
        goal = "≤ 0.3 s: " + ("met" if median <= 0.3 else "NOT met") if name.startswith("contactpoint --") else ""
        print(f"| `{name}` | {median:.3f} | {median - base:+.3f} | {goal} |")
    if "python -c 'import splink, duckdb'" not in times:
        print("\n(`import splink, duckdb` not timed: the bench extra is not installed here)")


@contextmanager
def _backend(name: str, scratch: Path) -> Iterator[Callable[[str], str]]:
    """Yield ``fresh(label) -> URL``: a new empty store (``label`` 'base') or a copy of 'base'."""
    if name == "sqlite":
        yield lambda label: _sqlite_copy(scratch, label)
        return
    import sqlalchemy as sa

    base_url = os.environ.get("CONTACTPOINT_TEST_POSTGRES_URL", "")
    if not base_url:
        raise RuntimeError("CONTACTPOINT_TEST_POSTGRES_URL is not set (source /tmp/pgenv)")
    admin = sa.create_engine(base_url, isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)
    prefix, made = f"cp_bench_{uuid.uuid4().hex[:8]}", []

    def fresh(label: str) -> str:
        name = f"{prefix}_{label}"
        template = "" if label == "base" else f' TEMPLATE "{prefix}_base"'
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"{template}'))
        made.append(name)
        return admin.url.set(database=name).render_as_string(hide_password=False)

    try:
        yield fresh
    finally:
        with admin.connect() as conn:
            for name in made:
                conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _sqlite_copy(scratch: Path, label: str) -> str:
    path = scratch / f"{label}.db"
    if label != "base":
        shutil.copyfile(scratch / "base.db", path)
    return f"sqlite:///{path}"


def _command_run(url: str) -> dict[str, float]:
    """``contactpoint identity resolve --store``: wall seconds and the engine's own (from its log)."""
    command = [_contactpoint(), "--log-json", "identity", "resolve", "--store", "--url", url, "--json"]
    _settled()
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"identity resolve --store failed (exit {done.returncode}):\n{done.stderr[-800:]}")
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    engine = next(e["duration_ms"] for e in events if e.get("event") == "identity.resolved") / 1000
    return {"wall": wall, "engine": engine, "outside": wall - engine}


def _settled() -> None:
    """Let the kernel write back what the ingest and the copy left dirty, so a timed run does not share the disk with it."""
    if hasattr(os, "sync"):
        os.sync()


def _phases_run(url: str) -> dict[str, float]:
    _settled()
    command = [sys.executable, str(Path(__file__).resolve()), "--phases", url]
    done = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError(f"phase worker failed (exit {done.returncode}):\n{done.stderr[-800:]}")
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def phases_worker(url: str) -> None:
    """Run ``resolve_store`` once with each of its phases timed; print them as one JSON line."""
    sys.path.insert(0, str(ROOT))
    from core.identity import persist, records
    from core.store import open_store

    seconds: dict[str, float] = dict.fromkeys((*PHASES, REVIEWS), 0.0)

    def timed(phase: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                seconds[phase] += time.perf_counter() - started

        return wrapper

    # the people are read, the golden records and index rows made, as the engine and the write-out take
    # them (generators): each is clocked row by row and its time moved out of the phase it ran inside
    inside: dict[str, float] = {"engine": 0.0, "write-out": 0.0}

    def clocked(phase: str, within: str, rows: Iterable[Any]) -> Iterator[Any]:
        found = iter(rows)
        while True:
            started = time.perf_counter()
            try:
                row = next(found)
            except StopIteration:
                return
            finally:
                spent = time.perf_counter() - started
                seconds[phase] += spent
                inside[within] += spent
            yield row

    def moved(phase: str, func: Callable[..., Any]) -> Callable[..., Any]:  # work of ``phase`` done while preparing
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                spent = time.perf_counter() - started
                seconds[phase] += spent
                inside["engine"] += spent

        return wrapper

    iter_people, profiles, index = persist.iter_people_texts, persist._profiles, persist._index
    persist.iter_people_texts = lambda *a, **k: clocked("read", "engine", iter_people(*a, **k))  # type: ignore[assignment]
    records._data_of = moved("read", records._data_of)  # each stored row's JSON parsed
    records.person_text = moved("golden records", records.person_text)  # the text held for their golden records
    persist._previous_links = timed("read", persist._previous_links)  # type: ignore[assignment]
    persist.resolve = timed("engine", persist.resolve)  # type: ignore[assignment]
    persist._profiles = lambda *a: clocked("golden records", "write-out", profiles(*a))  # type: ignore[assignment]

    def index_rows(*args: Any, **kwargs: Any) -> Any:
        records, keys, left_out = index(*args, **kwargs)
        return clocked("index rows", "write-out", records), clocked("index rows", "write-out", keys), left_out

    persist._index = index_rows  # type: ignore[assignment]
    persist._write = timed("write-out", persist._write)  # type: ignore[assignment]
    with open_store(url) as store:
        store.reviews.refresh = timed(REVIEWS, store.reviews.refresh)  # type: ignore[method-assign]
        started = time.perf_counter()
        done = persist.resolve_store(store, run_id="bench-phases")
        total = time.perf_counter() - started
    for phase, spent in inside.items():
        seconds[phase] -= spent
    print(json.dumps({**seconds, "total": total, **done.summary()}))


def _ingest(url: str, export: Path) -> float:
    return _wall([_contactpoint(), "mapping", "run", str(MAPPING), "-i", str(export), "--url", url, "--json"])


def bench_store(rows: int, *, backends: list[str], scratch: Path, command: bool = False, runs: int = 3) -> None:
    """Ingest ``rows`` people on each backend, then resolve them ``runs`` times over fresh copies; print the median split.

    The write-out moves with the disk from run to run (a tenth of the whole, or more): one run
    alone can land on either side of a goal its median meets or misses.
    """
    sys.path.insert(0, str(ROOT))
    from bench.people_export import write_people

    export = scratch / "people.csv"
    write_people(export, rows)
    results: dict[str, dict[str, Any]] = {}
    for backend in backends:
        with _backend(backend, scratch) as fresh:
            ingest = _ingest(fresh("base"), export)
            timed = [_phases_run(fresh(f"phases{i}")) for i in range(runs)]  # each on a fresh copy, one after another
            first = _command_run(fresh("command")) if command else None
        ratios = [_outside(r) for r in timed]
        median = sorted(timed, key=_outside)[len(timed) // 2]
        results[backend] = {"ingest": ingest, "first": first, "phases": median, "ratios": ratios}
    _print_store(rows, results)


def _outside(phases: dict[str, float]) -> float:
    """Everything outside the engine as a ratio to the engine."""
    return (phases["total"] - phases["engine"]) / phases["engine"]


def _print_store(rows: int, results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    print(f"\n## `identity resolve --store`, {rows:,} people rows, seconds\n")
    print("| figure | " + " | ".join(names) + " |")
    print("|---|" + "---:|" * len(names))

    def row(label: str, get: Callable[[dict[str, Any]], float]) -> None:
        print(f"| {label} | " + " | ".join(f"{get(results[n]):.2f}" for n in names) + " |")

    row("ingest (`mapping run`, whole process; not counted below)", lambda r: r["ingest"])
    for phase in (*PHASES[:-1], PHASES[-1], REVIEWS):
        row(f"resolve_store: {phase}", lambda r, p=phase: r["phases"][p])
    row("resolve_store: total", lambda r: r["phases"]["total"])
    row("outside the engine", lambda r: r["phases"]["total"] - r["phases"]["engine"])
    row("**outside ÷ engine**", lambda r: (r["phases"]["total"] - r["phases"]["engine"]) / r["phases"]["engine"])
    row(
        "outside ÷ engine, review pairs left out",
        lambda r: (r["phases"]["total"] - r["phases"]["engine"] - r["phases"][REVIEWS]) / r["phases"]["engine"],
    )
    if all(results[n]["first"] for n in names):
        row("whole command, first resolution: wall", lambda r: r["first"]["wall"])
        row("  outside its engine ÷ engine", lambda r: r["first"]["outside"] / r["first"]["engine"])
    for name in names:
        each = ", ".join(f"{r:.2f}" for r in results[name]["ratios"])
        print(f"\n{name}: outside ÷ engine of each run, in order: {each} (the table shows the median run)", end="")
    print()
    counts = results[names[0]]["phases"]
    print(
        f"\n{counts['records_linked']:,} records, {counts['profiles']:,} profiles, "
        f"{counts['reviews']:,} pairs for review"
    )
    if len(names) == 2:
        a, b = names
        ratio = results[b]["phases"]["total"] / results[a]["phases"]["total"]
        print(f"{b} ÷ {a}, resolve_store total: {ratio:.2f}")
    for name in names:
        phases = results[name]["phases"]
        ok = phases["total"] - phases["engine"] <= phases["engine"]
        print(f"Goal ({name}): outside the engine ≤ the engine: {'met' if ok else 'NOT met'}")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--phases":
        phases_worker(sys.argv[2])
