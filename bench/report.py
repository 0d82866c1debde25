"""The reconciliation report over 10,000 and 100,000 profiles: its time and its peak memory.

    python bench/report.py [--sizes 10000,100000]

For each size, a fresh SQLite store holds that many profiles, each linked to a Salesforce
Contact and a HubSpot contact (a third of them to a Mixpanel profile too), with their
source records and Person rows, a decision each (one in ten suppressed, with the
suppression written back and read back; one in twenty with an email that differs across
systems), and the write-back ledger of those fields. Then ``build_report`` and the JSON
writer run over it (to a null sink) with the shipped mappings' write-back sections.

Printed per size: the report's seconds beside a plain ``SELECT count(*)`` over the same
tables (the baseline, same process), their ratio, and the report's peak Python memory
(tracemalloc): it follows the chunk size, not the number of profiles.
"""

from __future__ import annotations

import argparse
import io
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import sqlalchemy as sa

from connectors.base import SourceRecord
from core.mapping import load_mapping
from core.reports.reconcile import ReportOptions, build_report
from core.reports.render import write_json
from core.store import DecisionInput, LinkInput, LinkMethod, ProfileInput, Store, open_store

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("profiles", "links", "source_records", "canonical_records", "profile_decisions", "writeback_ledger")


def _person(pid: int, system: str, *, email: str) -> dict:
    return {"source": {"system": system, "stream": "x", "source_id": str(pid)}, "first_name": f"Ann{pid % 97}",
            "last_name": f"Lee{pid % 89}", "email": email, "company": f"Co {pid % 50}"}  # fmt: skip


def _records(n: int) -> tuple[list[tuple[str, str, str, str]], list[SourceRecord]]:
    links, sources = [], []
    for i in range(n):
        pid = f"cp_{i:024x}"
        email = f"ann{i}@example.com"
        owned = {"Contactpoint_Suppressed__c": i % 10 == 0, "contactpoint_suppressed": "true" if i % 10 == 0 else ""}
        for system, stream, sid in (("salesforce", "Contact", f"003{i:015d}"), ("hubspot", "contacts", str(10_000 + i)),
                                    ("mixpanel", "profiles", f"d{i}")):  # fmt: skip
            if system == "mixpanel" and i % 3:
                continue
            links.append((system, stream, sid, pid))
            raw = {"Id": sid, "Email": email, **owned} if system == "salesforce" else {"id": sid, "properties": {
                "email": email if i % 20 or system != "hubspot" else f"other{i}@example.com", **owned}}  # fmt: skip
            sources.append(SourceRecord(system, stream, sid, raw))
    return links, sources


def build(store: Store, n: int) -> None:
    """Fill ``store`` with ``n`` profiles (see the module docstring)."""
    links, sources = _records(n)
    store.profiles.upsert((ProfileInput(f"cp_{i:024x}", {"email": {"value": f"ann{i}@example.com"}})
                           for i in range(n)), run_id="bench")  # fmt: skip
    store.links.save((LinkInput(s, st, sid, pid, LinkMethod.RULE, "same_personal_email") for s, st, sid, pid in links),
                     run_id="bench")  # fmt: skip
    store.records.upsert_source(sources, run_id="bench")
    people = ((src, "Person", 0, _person(int(link[3][3:], 16), src.system,
                                         email=str(src.raw.get("Email") or src.raw["properties"]["email"])))
              for link, src in zip(links, sources, strict=True))  # fmt: skip
    store.records.upsert_canonical(people, run_id="bench")
    decisions = (DecisionInput(f"cp_{i:024x}", {"profile_id": f"cp_{i:024x}", "suppression.marketing": i % 10 == 0,
                                                "suppression.reasons": ["unsubscribed_anywhere"] if i % 10 == 0 else []},
                               {}) for i in range(n))  # fmt: skip
    store.decisions.save(decisions, run_id="bench")
    written = [_Op(sid, {"Contactpoint_Suppressed__c": True}) for s, _, sid, pid in links
               if s == "salesforce" and int(pid[3:], 16) % 10 == 0]  # fmt: skip
    store.writeback.record("salesforce", "Contact", written, run_id="bench")


class _Op:
    def __init__(self, source_id: str, fields: dict) -> None:
        self.source_id, self.fields = source_id, fields


def _targets() -> list:
    found = []
    for system in ("salesforce", "hubspot", "mixpanel"):
        mapping = load_mapping(ROOT / "mappings" / f"{system}.yaml")
        found += [(system, s, mapping.writeback(s)) for s in mapping.streams if mapping.writeback(s).fields]
    return found


def measure(n: int, folder: Path) -> dict[str, float]:
    """Build a store of ``n`` profiles, then time the baseline and the report; return the figures."""
    with open_store(f"sqlite:///{folder / f'report-{n}.db'}") as store:
        started = time.perf_counter()
        build(store, n)
        setup = time.perf_counter() - started
        started = time.perf_counter()
        with store.database.connection() as conn:
            counts = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in TABLES}
        baseline = time.perf_counter() - started
        options = ReportOptions(targets=_targets(), keep=False)
        tracemalloc.start()
        started = time.perf_counter()
        with build_report(store, options) as report:
            write_json(report, io.StringIO() if n <= 0 else _Null())
            rows = {name: t.count for name, t in report.tables.items()}
        seconds = time.perf_counter() - started
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return {"profiles": n, "setup_s": setup, "baseline_s": baseline, "report_s": seconds, "peak_mib": peak / 2**20,
            "links": counts["links"], "conflict_rows": rows["conflicts"], "closed_loop_rows": rows["closed_loop"]}  # fmt: skip


class _Null(io.TextIOBase):
    def write(self, text: str) -> int:
        return len(text)


def main() -> None:
    """Run the benchmark at each size and print one line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    print(f"{'profiles':>9} {'links':>8} {'conflicts':>9} {'loop rows':>9} {'count(*) s':>10} {'report s':>9} "
          f"{'ratio':>7} {'peak MiB':>9}")  # fmt: skip
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            f = measure(n, Path(tmp))
            print(f"{f['profiles']:>9,} {f['links']:>8,} {f['conflict_rows']:>9,} {f['closed_loop_rows']:>9,} "
                  f"{f['baseline_s']:>10.3f} {f['report_s']:>9.2f} {f['report_s'] / f['baseline_s']:>6.0f}x "
                  f"{f['peak_mib']:>9.1f}")  # fmt: skip


if __name__ == "__main__":
    main()
