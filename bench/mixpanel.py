"""Pull and push against the local Mixpanel sandbox; print throughput and API calls per 1,000 records.

    .venv/bin/python bench/mixpanel.py [--records 5000]

Baselines run in the same process: the raw export read with plain requests (iter_lines,
no parsing), and raw /engage POSTs of 2,000 prepared updates. Each connector line prints
records per second, its ratio to that baseline, and API calls per 1,000 records beside
the fewest the vendor's limits allow (export: one query per 31 days, the longest range a
query of the connector covers; engage query: one call per 1,000 profiles; /engage: one
call per 2,000 updates). The sandbox's per-second export limit is lifted, so the figures
show the connector, not Mixpanel's 3 queries a second.
"""

from __future__ import annotations

import argparse
import json
import math
import time
from datetime import UTC, datetime
from typing import Any

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.product_analytics.mixpanel import MixpanelConfig, MixpanelConnector
from core.logs import configure
from sandbox.common.runner import running_sandbox


def _connector(sb: Any, **overrides: Any) -> MixpanelConnector:
    fast = {"export_per_second": 10_000, "export_per_hour": 1_000_000, "query_per_hour": 1_000_000}
    settings = sb.connector_settings() | fast | overrides
    return MixpanelConnector(MixpanelConfig.model_validate(settings), sleep=lambda _s: None)


def _row(label: str, records: int, seconds: float, calls: int, minimum: int, baseline: float | None) -> None:
    rate = records / seconds
    per_k, least = calls * 1000 / records, minimum * 1000 / records
    versus = f"  {rate / baseline:>5.2f}x raw" if baseline else " " * 12
    print(f"{label:<36} {records:>8,} rec {rate:>9,.0f} rec/s{versus}  {per_k:>6.2f} calls/1k"
          f"  (minimum {least:.2f}, {per_k / least:.2f}x)")  # fmt: skip


def raw_export(sb: Any, first: str, last: str) -> float:
    session = sb.requests_session()
    creds = sb.credentials
    start = time.perf_counter()
    params = {"project_id": creds["project_id"], "from_date": first, "to_date": last}
    auth = (creds["service_account_username"], creds["service_account_secret"])
    with session.get(creds["export_url"], params=params, auth=auth, stream=True) as response:
        lines = sum(1 for line in response.iter_lines(chunk_size=65536) if line)
    rate = lines / (time.perf_counter() - start)
    print(f"{'baseline: raw export, iter_lines':<36} {lines:>8,} rec {rate:>9,.0f} rec/s")
    return rate


def bench_events(sb: Any, label: str, baseline: float, **overrides: Any) -> None:
    connector = _connector(sb, **overrides)
    start = time.perf_counter()
    records = sum(len(b.records) for b in connector.pull("events", None))
    seconds = time.perf_counter() - start
    today = datetime.now(UTC).date()
    days = (today - connector.config.start_date).days + 1 if connector.config.start_date else 31
    _row(label, records, seconds, connector.api_usage.calls, math.ceil(days / 31), baseline)


def bench_profiles(sb: Any) -> list[str]:
    connector = _connector(sb)
    start = time.perf_counter()
    ids = [r.source_id for b in connector.pull("profiles", None) for r in b.records]
    _row("pull profiles, engage query", len(ids), time.perf_counter() - start, connector.api_usage.calls,
         math.ceil(len(ids) / 1000), None)  # fmt: skip
    return ids


def raw_push(sb: Any, ids: list[str]) -> float:
    session = sb.requests_session()
    token = sb.credentials["project_token"]
    bodies = [
        json.dumps([{"$token": token, "$distinct_id": i, "$set": {"raw_baseline": n}} for n, i in enumerate(chunk)])
        for chunk in (ids[k : k + 2000] for k in range(0, len(ids), 2000))
    ]
    start = time.perf_counter()
    for body in bodies:
        session.post(f"{sb.base_url}/engage", params={"strict": "1"}, data=body,
                     headers={"Content-Type": "application/json"}).raise_for_status()  # fmt: skip
    rate = len(ids) / (time.perf_counter() - start)
    print(f"{'baseline: raw /engage POSTs':<36} {len(ids):>8,} rec {rate:>9,.0f} rec/s")
    return rate


def bench_push(sb: Any, ids: list[str], baseline: float) -> None:
    connector = _connector(sb)
    ops = [WriteOp(i, {"contactpoint_profile_id": f"cp_{n:08d}", "contactpoint_intent_score": n % 100 / 100})
           for n, i in enumerate(ids)]  # fmt: skip
    start = time.perf_counter()
    results = connector.push(WriteBatch("mixpanel", "profiles", ops))
    seconds = time.perf_counter() - start
    failed = sum(r.outcome is WriteOutcome.FAILED for r in results)
    label = "push profiles, $set (2,000/req)" + (f" ({failed} failed)" if failed else "")
    _row(label, len(ids), seconds, connector.api_usage.calls, math.ceil(len(ids) / 2000), baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=5000, help="population size (as for every sandbox)")
    parser.add_argument("--push", type=int, default=20_000, help="profile updates to push")
    args = parser.parse_args()
    configure(json=False, level="WARNING")
    start = time.perf_counter()
    with running_sandbox("mixpanel", records=args.records, seed=1) as sb:
        sb.control.export_limits.per_second = sb.control.export_limits.per_hour = 10**9
        events = sb.control.project.event_count()
        print(f"sandbox seeded with {events:,} events and {len(sb.control.project.profiles):,} profiles "
              f"in {time.perf_counter() - start:.1f}s on {sb.base_url}")  # fmt: skip
        first = sb.connector_settings()["start_date"]
        baseline = raw_export(sb, first, datetime.now(UTC).date().isoformat())
        bench_events(sb, "pull events, 1 day per query", baseline, days_per_query=1)
        bench_events(sb, "pull events, 7 days per query", baseline, days_per_query=7)
        bench_events(sb, "pull events, 31 days per query", baseline, days_per_query=31)
        ids = bench_profiles(sb)
        targets = (ids * (args.push // max(1, len(ids)) + 1))[: args.push]
        targets = [f"{i}" if n < len(ids) else f"bench-{n:07d}" for n, i in enumerate(targets)]
        push_baseline = raw_push(sb, targets)
        bench_push(sb, targets, push_baseline)


if __name__ == "__main__":
    main()
