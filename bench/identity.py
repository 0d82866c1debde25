"""Identity benchmark: Contactpoint's resolver against Splink on the same data, public sets and generated.

    python bench/identity.py [--sets febrl1,febrl2,febrl3,febrl4,crm,sparse] [--size 10000] [--seed 7]
    python bench/identity.py --sizes 10000,100000 [--skip-splink] [--examples 5]   (memory, incremental)
    python bench/identity.py --million
    python bench/identity.py --sets febrl3,sparse --debug 10   (why true pairs were missed, with levels)
    python bench/identity.py --startup                 (CLI start-up beside ``python -c pass``)
    python bench/identity.py --store 100000 [--backends sqlite,postgresql]   (engine vs the rest)

``--sets`` (the default run) times whole commands, as a user runs them:
``contactpoint identity resolve FILE --out …`` against ``python bench/splink_baseline.py FILE
--out …``, each from process start to exit (imports, reading the CSV, resolving, writing),
and scores both the same way. The public sets are FEBRL 1-4 (bench/identity_public.py);
``crm`` and ``sparse`` are the generator's modes (bench/identity_data.py).

For each size, seeded data with known truth is generated (bench/identity_data.py), each
engine resolves it in a child process of its own, and a table prints each figure for
Contactpoint, for Splink, and their ratio (Contactpoint / Splink): pairwise precision,
recall and F1, hard-negative pairs merged, batch seconds and records per second, peak
memory (the child's peak RSS), and incremental latency p50/p99 per record against the
profiles already resolved. Recall is then broken down by kind of noise.
``--million`` resolves 1,000,000 records with Contactpoint only and states the peak.
``--startup`` and ``--store`` are described in bench/identity_store.py.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.identity_data import MODES, SYSTEM_REGIONS, Dataset, generate  # noqa: E402
from bench.identity_engines import run_worker  # noqa: E402
from bench.identity_public import PUBLIC_SETS, febrl  # noqa: E402
from bench.identity_score import Score, score  # noqa: E402
from bench.identity_store import bench_startup, bench_store  # noqa: E402

NEW_RECORDS = 1_000
"""Records held out of the batch and resolved one at a time against the stored profiles."""


def _run_engine(engine: str, data_dir: Path, *, seed: int, with_new: bool) -> tuple[dict[str, str], dict[str, Any]]:
    out = data_dir / f"clusters_{engine}.csv"
    command = [sys.executable, str(Path(__file__).resolve()), "--worker", engine, "--seed", str(seed)]
    command += ["--records", str(data_dir / "batch" / "records.csv"), "--out", str(out)]
    if with_new:
        command += ["--new", str(data_dir / "new" / "records.csv")]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        return {}, {"error": f"{engine} failed (exit {done.returncode}):\n{tail}"}
    report = json.loads(done.stdout.strip().splitlines()[-1])
    with out.open(encoding="utf-8") as handle:
        next(handle)
        clusters = dict(line.rstrip("\n").split(",", 1) for line in handle)  # type: ignore[misc]
    return clusters, report


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _figures(result: Score | None, report: dict[str, Any], n: int) -> dict[str, float | str | None]:
    if result is None or "error" in report:
        return {}
    merged = sum(result.hard_negatives_merged.values())
    figures: dict[str, float | str | None] = {
        "precision": result.precision,
        "recall": result.recall,
        "F1": result.f1,
        "hard-negative pairs merged": float(merged),
        "batch seconds": report["seconds"],
        "records per second": n / report["seconds"],
        "load seconds (not in batch)": report.get("phases", {}).get("load"),
        "peak memory MiB": report["peak_rss_mib"],
        "incremental p50 ms": None,
        "incremental p99 ms": None,
    }
    incremental = report.get("incremental", {})
    if incremental.get("available"):
        latencies = [s * 1000 for s in incremental["latencies"]]
        figures["incremental p50 ms"] = _percentile(latencies, 0.5)
        figures["incremental p99 ms"] = _percentile(latencies, 0.99)
    return figures


def _cell(value: float | str | None, metric: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, str):
        return value
    if metric in ("precision", "recall", "F1"):
        return f"{value:.4f}"
    if metric == "hard-negative pairs merged":
        return f"{value:.0f}"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def _ratio(ours: float | str | None, theirs: float | str | None) -> str:
    if not isinstance(ours, float | int) or not isinstance(theirs, float | int):
        return "n/a"
    if theirs == 0:
        return "n/a" if ours else "1.00"
    return f"{ours / theirs:.2f}"


def _print_table(n: int, cp: dict[str, Any], sp: dict[str, Any], hard_total: int) -> None:
    metrics = list(cp or sp) or ["precision"]
    print(f"\n## {n:,} records ({hard_total:,} hard-negative pairs)\n")
    print(f"| {'metric':<28} | {'contactpoint':>17} | {'splink':>12} | {'ratio':>6} |")
    print(f"|{'-' * 30}|{'-' * 19}|{'-' * 14}|{'-' * 8}|")
    for metric in metrics:
        ours, theirs = cp.get(metric), sp.get(metric)
        row = f"| {metric:<28} | {_cell(ours, metric):>17} | {_cell(theirs, metric):>12} | {_ratio(ours, theirs):>6} |"
        print(row)


def _print_noise(scores: dict[str, Score]) -> None:
    engines = list(scores)
    kinds = sorted({k for s in scores.values() for k in s.recall_by_noise})
    print("\nRecall of true pairs where either record carries the noise (found/total):\n")
    print("| noise | " + " | ".join(engines) + " |")
    print("|---|" + "---|" * len(engines))
    for kind in kinds:
        cells = []
        for engine in engines:
            found, total = scores[engine].recall_by_noise.get(kind, (0, 0))
            cells.append(f"{found / total:.4f} ({found}/{total})" if total else "-")
        print(f"| {kind} | " + " | ".join(cells) + " |")


def _print_examples(label: str, result: Score, dataset: Dataset) -> None:
    rows = {r["record_id"]: r for r in dataset.records}

    def show(rid: str) -> str:
        r = rows[rid]
        values = [r["source"], r["first_name"], r["last_name"], r["email"], r["phone"], r["company"], r["postcode"]]
        return " | ".join(v.strip() or "-" for v in values) + f"  [{';'.join(dataset.noise[rid]) or 'clean'}]"

    sections = (
        ("missed true pairs", [(a, b, "") for a, b in result.missed]),
        ("hard negatives merged", result.merged_negatives),
        ("false merges", [(a, b, "") for a, b in result.false_merges]),
    )
    for title, pairs in sections:
        if pairs:
            print(f"\n{label}: {title} (first {len(pairs)}):")
            for a, b, kind in pairs:
                print(
                    f"  {kind + ': ' if kind else ''}{a} = {show(a)}\n  {' ' * (len(kind) + 2 if kind else 0)}{b} = {show(b)}"
                )


def _targets(cp: dict[str, Any], sp: dict[str, Any]) -> None:
    if not cp:
        return
    checks = [
        ("F1 >= 0.99", cp["F1"] >= 0.99),
        ("precision >= 0.995", cp["precision"] >= 0.995),
        ("no hard-negative pair merged", cp["hard-negative pairs merged"] == 0),
    ]
    if sp:
        checks += [
            ("F1 not below Splink's", cp["F1"] >= sp["F1"]),
            ("batch time at most half of Splink's", cp["batch seconds"] <= sp["batch seconds"] / 2),
        ]
    if isinstance(cp.get("incremental p99 ms"), float):
        checks.append(("incremental p99 < 10 ms", cp["incremental p99 ms"] < 10))
    print("\nTargets: " + "; ".join(f"{name}: {'met' if ok else 'NOT met'}" for name, ok in checks))


def bench_size(n: int, *, seed: int, splink: bool, examples: int, scratch: Path) -> None:
    full = generate(n + NEW_RECORDS, seed=seed)
    batch_ids = [r["record_id"] for r in full.records[:n]]
    batch = full.subset(batch_ids)
    data_dir = scratch / f"n{n}"
    batch.write(data_dir / "batch")
    full.subset(r["record_id"] for r in full.records[n:]).write(data_dir / "new")
    scores: dict[str, Score] = {}
    figures: dict[str, dict[str, Any]] = {}
    engines = ["contactpoint", *(["splink"] if splink else [])]
    for engine in engines:
        clusters, report = _run_engine(engine, data_dir, seed=seed, with_new=True)
        if "error" in report:
            print(report["error"], file=sys.stderr)
            continue
        if report.get("parked_rows") or report.get("dropped_values"):
            print(
                f"\n{engine}: {report['parked_rows']} rows parked, {report['dropped_values']} values dropped on reading"
            )
        for failure in report.get("failed_sessions", []):
            print(f"\n{engine}: {failure.splitlines()[0]}")
        scores[engine] = score(clusters, batch, examples=examples)
        figures[engine] = _figures(scores[engine], report, n)
    _print_table(n, figures.get("contactpoint", {}), figures.get("splink", {}), len(batch.hard_negatives))
    _targets(figures.get("contactpoint", {}), figures.get("splink", {}))
    if scores:
        _print_noise(scores)
    for engine, result in scores.items():
        if examples:
            _print_examples(engine, result, batch)


def bench_million(*, seed: int, scratch: Path) -> None:
    n = 1_000_000
    batch = generate(n, seed=seed)
    data_dir = scratch / "n1000000"
    batch.write(data_dir / "batch")
    clusters, report = _run_engine("contactpoint", data_dir, seed=seed, with_new=False)
    if "error" in report:
        print(report["error"])
        return
    result = score(clusters, batch, examples=0)
    print(
        f"\n## 1,000,000 records, contactpoint only\n\nbatch {report['seconds']:.1f} s "
        f"({n / report['seconds']:,.0f} records/s), peak memory {report['peak_rss_mib']:,.0f} MiB, "
        f"precision {result.precision:.4f}, recall {result.recall:.4f}, F1 {result.f1:.4f}, "
        f"hard-negative pairs merged {sum(result.hard_negatives_merged.values())} of {len(batch.hard_negatives)}"
    )


def _dataset(name: str, size: int, seed: int) -> Dataset:
    return febrl(name) if name in PUBLIC_SETS else generate(size, seed=seed, mode=name)


def _timed(command: list[str]) -> tuple[float, str]:
    """Run a command to its end; return its wall seconds and its standard output (raises on failure)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        tail = "\n".join(done.stderr.strip().splitlines()[-6:])
        raise RuntimeError(f"{' '.join(command[:3])} failed (exit {done.returncode}):\n{tail}")
    return seconds, done.stdout


def _clusters(path: Path) -> dict[str, str]:
    with path.open(encoding="utf-8") as handle:
        next(handle)
        return dict(line.rstrip("\n").split(",", 1) for line in handle)  # type: ignore[misc]


def _goals(name: str, cp: Score, sp: Score | None, ratio: float | None, parked: int) -> list[str]:
    checks = [(f"rows parked {parked}", parked == 0)]
    if name == "febrl4":
        checks.append(("F1 >= 0.995", cp.f1 >= 0.995))
    elif name == "febrl3":
        checks.append(("F1 >= 0.99", cp.f1 >= 0.99))
    elif name in PUBLIC_SETS and sp is not None:
        checks.append(("F1 above Splink's", cp.f1 > sp.f1))
    if name in MODES:
        merged = sum(cp.hard_negatives_merged.values())
        checks += [("precision >= 0.99", cp.precision >= 0.99), ("F1 >= 0.97", cp.f1 >= 0.97)]
        checks.append((f"hard negatives merged {merged}", merged == 0))
    if ratio is not None:
        checks.append(("time <= half of Splink's", ratio <= 0.5))
    return [f"{label}: {'met' if ok else 'NOT met'}" for label, ok in checks]


def bench_sets(names: list[str], *, size: int, seed: int, splink: bool, scratch: Path) -> None:
    """Each set through both whole commands; one table of precision, recall, F1 and time ratio."""
    settings = scratch / "identity.yaml"
    regions = "".join(f"\n    {system}: {region}" for system, region in SYSTEM_REGIONS.items())
    settings.write_text(f"phones:\n  system_regions:{regions}\n", encoding="utf-8")
    contactpoint = str(Path(sys.executable).with_name("contactpoint"))
    print(
        "| set | records | true pairs | contactpoint P / R / F1 | splink P / R / F1 | contactpoint s | splink s | time ratio |"
    )
    print("|---|---:|---:|---|---|---:|---:|---:|")
    goals: list[str] = []
    for name in names:
        data = _dataset(name, size, seed)
        records = data.write(scratch / name)
        cp_out, sp_out = scratch / name / "contactpoint.csv", scratch / name / "splink.csv"
        command = [contactpoint, "identity", "resolve", str(records), "--out", str(cp_out), "--settings", str(settings)]
        cp_seconds, output = _timed([*command, "--json"])
        summary = json.loads(output[output.index("{") :])
        cp = score(_clusters(cp_out), data, examples=0)
        sp, sp_seconds = None, None
        if splink:
            sp_seconds, _ = _timed(
                [sys.executable, str(ROOT / "bench" / "splink_baseline.py"), str(records), "--out", str(sp_out)]
            )
            sp = score(_clusters(sp_out), data, examples=0)
        ratio = cp_seconds / sp_seconds if sp_seconds else None
        sp_cells = f"{sp.precision:.4f} / {sp.recall:.4f} / {sp.f1:.4f}" if sp else "n/a"
        print(
            f"| {name} | {len(data.records):,} | {cp.true_pairs:,} | {cp.precision:.4f} / {cp.recall:.4f} / {cp.f1:.4f} "
            f"| {sp_cells} | {cp_seconds:.1f} | {sp_seconds or 0:.1f} | {ratio or 0:.2f} |",
            flush=True,
        )
        goals.append(f"{name}: " + "; ".join(_goals(name, cp, sp, ratio, int(summary["parked"]))))
    print("\nGoals:\n" + "\n".join(f"- {line}" for line in goals))


def debug_sets(sets: str, *, size: int, seed: int, sample: int, scratch: Path) -> None:
    """Resolve each set in this process and show why true pairs were missed (``bench/identity_debug.py``)."""
    from bench.identity_debug import debug_set
    from core.identity import IdentitySettings
    from core.identity.settings import PhoneSettings

    settings = IdentitySettings(phones=PhoneSettings(system_regions=SYSTEM_REGIONS))
    for name in (n.strip() for n in sets.split(",") if n.strip()):
        data = _dataset(name, size, seed)
        debug_set(name, data, data.write(scratch / name), settings, sample=sample)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sets", default=",".join((*PUBLIC_SETS, *MODES)), help="public sets and generator modes")
    parser.add_argument("--size", type=int, default=10_000, help="records of each generator mode in --sets")
    parser.add_argument("--sizes", default="", help="comma-separated record counts: memory and incremental latency")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-splink", action="store_true")
    parser.add_argument("--million", action="store_true", help="only Contactpoint, 1,000,000 records")
    parser.add_argument("--examples", type=int, default=5, help="example pairs to show per kind of error")
    parser.add_argument("--debug", type=int, default=0, help="print N missed true pairs per kind, with levels")
    parser.add_argument("--startup", action="store_true", help="CLI start-up beside python -c pass")
    parser.add_argument("--repeat", type=int, default=7, help="runs of each start-up command")
    parser.add_argument("--store", type=int, default=0, help="identity resolve --store at N people rows")
    parser.add_argument("--backends", default="sqlite,postgresql", help="for --store: sqlite and/or postgresql")
    parser.add_argument("--with-command", action="store_true", help="for --store: also time the whole command")
    parser.add_argument("--store-runs", type=int, default=3, help="for --store: timed resolutions, the median shown")
    parser.add_argument("--worker", choices=("contactpoint", "splink"), help=argparse.SUPPRESS)
    parser.add_argument("--records", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--new", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        run_worker(args.worker, args.records, args.out, new=args.new, seed=args.seed)
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="identity-bench-") as scratch:
        if args.startup or args.store:
            if args.startup:
                bench_startup(repeat=args.repeat)
            if args.store:
                backends = [b.strip() for b in args.backends.split(",") if b.strip()]
                bench_store(
                    args.store,
                    backends=backends,
                    scratch=Path(scratch),
                    command=args.with_command,
                    runs=args.store_runs,
                )
        elif args.million:
            bench_million(seed=args.seed, scratch=Path(scratch))
        elif args.debug:
            debug_sets(args.sets, size=args.size, seed=args.seed, sample=args.debug, scratch=Path(scratch))
        elif not args.sizes:
            names = [n.strip() for n in args.sets.split(",") if n.strip()]
            bench_sets(names, size=args.size, seed=args.seed, splink=not args.skip_splink, scratch=Path(scratch))
        else:
            for n in (int(s) for s in args.sizes.split(",")):
                bench_size(
                    n, seed=args.seed, splink=not args.skip_splink, examples=args.examples, scratch=Path(scratch)
                )
    print(f"\nwall time {time.perf_counter() - started:.0f} s (2 cores; each engine in its own process)")


if __name__ == "__main__":
    main()
