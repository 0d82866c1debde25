"""The customer's ledger: state-in-force look-ups and ``ledger verify``, beside plain baselines.

    python bench/ledger.py [--statements 1000] [--lookups 500] [--people 100000] [--per-person 3]

1. One person with ``--statements`` statements (consents, preferences, interests,
   grants and revocations over 40 systems): ``store.ledger.state_in_force`` timed
   ``--lookups`` times (p50, p99), beside a plain dictionary look-up of a precomputed
   state in the same run.
2. ``--people`` people with ``--per-person`` statements each: ``store.ledger.verify``
   over every chain, beside hashing the same bytes (the canonical JSON each entry's
   hash covers) with hashlib in a plain loop.

Both on a fresh SQLite file. The data is written through ``store.ledger.record``
(statements built from bodies, without the schema check, to keep set-up short).
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from core.ledger.chain import LedgerEntry
from core.ledger.settings import LedgerSettings
from core.ledger.statements import Statement
from core.store import ProfileInput, open_store
from core.store.types import canonical_json

CHANNELS = ["email", "sms", "phone", "ads"]
PURPOSES = ["marketing", "service", "personalisation", "analytics"]


def body(person: str, index: int) -> dict:
    at = f"2024-{1 + index % 12:02d}-{1 + index % 28:02d}T{index % 24:02d}:00:00Z"
    base = {
        "statement_id": f"st_{person[3:]}{index:08x}",
        "person": person,
        "at": at,
        "source": {"kind": "customer"} if index % 3 else {"kind": "observation", "system": "hubspot"},
    }
    kind = index % 5
    if kind == 0:
        return {
            **base,
            "type": "consent",
            "channel": CHANNELS[index % 4],
            "purpose": PURPOSES[index // 4 % 4],
            "status": "given" if index % 2 else "withdrawn",
        }
    if kind == 1:
        return {**base, "type": "preference", "name": "weekly_cap", "value": index % 7}
    if kind == 2:
        return {
            **base,
            "type": "interest",
            "topic": f"topic {index % 50}",
            "stance": "interested" if index % 2 else "avoid",
        }
    base["source"] = {"kind": "customer"}
    if kind == 3:
        return {
            **base,
            "type": "grant",
            "system": f"system_{index % 40}",
            "parts": ["contact", "identity"],
            "purposes": ["marketing"],
            "expires_at": "2030-01-01T00:00:00Z",
        }
    return {**base, "type": "revoke", "system": f"system_{index % 40}"}


def lookups(url: str, statements: int, count: int) -> None:
    person = "cp_00000000000a"
    with open_store(url) as store:
        store.profiles.upsert([ProfileInput(person, {})], run_id=None)
        store.ledger.record([Statement.from_body(body(person, i)) for i in range(statements)])
        store.ledger.state_in_force(person)  # warm
        timings = []
        for _ in range(count):
            start = time.perf_counter()
            state = store.ledger.state_in_force(person)
            timings.append(time.perf_counter() - start)
        table = {person: state}
        plain = []
        for _ in range(count):
            start = time.perf_counter()
            table[person].permits("system_3", "contact", "marketing")
            plain.append(time.perf_counter() - start)
    q = statistics.quantiles(timings, n=100)
    b = statistics.quantiles(plain, n=100)
    print(f"state_in_force, 1 person with {statements:,} statements, {count} look-ups")
    print(f"  {'':<34}{'p50':>12}{'p99':>12}")
    print(f"  {'store.ledger.state_in_force':<34}{q[49] * 1e3:>10.2f}ms{q[98] * 1e3:>10.2f}ms")
    print(f"  {'dict look-up + permits (baseline)':<34}{b[49] * 1e6:>10.2f}µs{b[98] * 1e6:>10.2f}µs")
    print(f"  ratio p50 {q[49] / b[49]:,.0f}x, p99 {q[98] / b[98]:,.0f}x")


def verify(url: str, people: int, per_person: int) -> None:
    ids = [f"cp_{i:012x}" for i in range(people)]
    with open_store(url) as store:
        store.profiles.upsert([ProfileInput(p, {}) for p in ids], run_id=None)
        start = time.perf_counter()
        for chunk in range(0, people, 5000):
            batch = [Statement.from_body(body(p, i)) for p in ids[chunk : chunk + 5000] for i in range(per_person)]
            store.ledger.record(batch)
        loaded = time.perf_counter() - start
        start = time.perf_counter()
        report = store.ledger.verify(LedgerSettings().keyring())
        verified = time.perf_counter() - start
        assert report.ok and report.entries == people * per_person
        entries: list[LedgerEntry] = [e for p in ids[:1] for e in store.ledger.history(p)]
        texts = []
        for p in ids:
            for i in range(per_person):
                texts.append(
                    canonical_json(
                        {
                            "chain": p,
                            "seq": i + 1,
                            "prev": "0" * 64,
                            "recorded_at": entries[0].recorded_at.isoformat(),
                            "statement": body(p, i),
                        }
                    ).encode()
                )
        start = time.perf_counter()
        for text in texts:
            hashlib.sha256(text).hexdigest()
        hashed = time.perf_counter() - start
    print(
        f"ledger verify, {people:,} people x {per_person} statements = {report.entries:,} entries"
        f" (loaded in {loaded:.1f} s)"
    )
    print(f"  {'store.ledger.verify':<34}{verified:>9.2f} s  {report.entries / verified:>10,.0f} entries/s")
    print(f"  {'sha256 of the same bytes':<34}{hashed:>9.2f} s  {report.entries / hashed:>10,.0f} entries/s")
    print(f"  ratio {verified / hashed:,.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--statements", type=int, default=1000)
    parser.add_argument("--lookups", type=int, default=500)
    parser.add_argument("--people", type=int, default=100_000)
    parser.add_argument("--per-person", type=int, default=3)
    args = parser.parse_args()
    print(f"Python {sys.version.split()[0]}, SQLite")
    with tempfile.TemporaryDirectory() as folder:
        lookups(f"sqlite:///{folder}/lookups.db", args.statements, args.lookups)
        verify(f"sqlite:///{folder}/verify.db", args.people, args.per_person)


if __name__ == "__main__":
    main()
