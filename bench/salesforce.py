"""Pull and push N Salesforce records against the local sandbox; print throughput and API calls.

    .venv/bin/python bench/salesforce.py [--records 50000]

For each path (REST query vs Bulk 2.0 query; sObject Collections vs Bulk 2.0 ingest) it
prints records per second and API calls per 1,000 records, beside the fewest calls
that path could possibly make (e.g. 5 per 1,000 written through 200-record collections).
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

from connectors.base import WriteBatch, WriteOp
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from core.logs import configure
from sandbox.common.runner import running_sandbox
from sandbox.salesforce.settings import connector_settings


def _connector(sb: Any, **overrides: Any) -> SalesforceConnector:
    settings = {
        **connector_settings(sb, auth="client_credentials"),
        "objects": [{"name": "Contact", "writable": True, "fields": ["FirstName", "LastName", "Email"]}],
        "bulk_poll_seconds": 0.05,
        **overrides,
    }
    connector = SalesforceConnector(SalesforceConfig.model_validate(settings), name="salesforce")
    connector.client.connect()
    return connector


def _row(label: str, records: int, seconds: float, calls: int, minimum: float) -> None:
    per_k = calls * 1000 / records if records else float("nan")
    print(
        f"{label:<38} {records:>8,} rec  {records / seconds:>10,.0f} rec/s  {per_k:>7.2f} calls/1k"
        f"  (minimum {minimum:.2f}, {per_k / minimum:.2f}x)"
    )


def bench_pull(sb: Any, label: str, **overrides: Any) -> list[str]:
    connector = _connector(sb, **overrides)
    connector._reader.shape("Contact")
    before = connector.api_usage.snapshot()
    start = time.perf_counter()
    ids = [r.source_id for b in connector.pull("Contact", None) for r in b.records if not r.deleted]
    seconds = time.perf_counter() - start
    calls = connector.api_usage.since(before).calls
    n = len(ids)
    minimum = (
        math.ceil(n / connector.config.page_size)
        if "REST" in label
        else 2 + math.ceil(n / connector.config.bulk_page_records)
    )
    _row(label, n, seconds, calls, minimum * 1000 / n)
    return ids


def bench_push(sb: Any, label: str, ids: list[str], **overrides: Any) -> None:
    connector = _connector(sb, **overrides)
    ops = [WriteOp(rid, {"Title": f"{label[:4]} buyer {n}"}) for n, rid in enumerate(ids)]
    before = connector.api_usage.snapshot()
    start = time.perf_counter()
    results = connector.push(WriteBatch("salesforce", "Contact", ops))
    seconds = time.perf_counter() - start
    calls = connector.api_usage.since(before).calls
    failed = sum(r.outcome.value == "failed" for r in results)
    minimum = math.ceil(len(ids) / 200) if "Collections" in label else 7  # create, upload, close, poll, 3 results
    _row(label + (f" ({failed} failed)" if failed else ""), len(ids), seconds, calls, minimum * 1000 / len(ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    configure(json=False, level="WARNING")
    start = time.perf_counter()
    with running_sandbox("salesforce", records=args.records, seed=1, api_limit=10_000_000) as sb:
        print(f"sandbox seeded with {args.records:,} records in {time.perf_counter() - start:.1f}s on {sb.base_url}")
        ids = bench_pull(sb, "pull, REST query (2,000/page)", bulk_query_threshold=10**9)
        bench_pull(sb, "pull, Bulk 2.0 query", bulk_query_threshold=1000)
        ids = ids[: args.records]
        bench_push(sb, "push, sObject Collections (200/req)", ids, bulk_ingest_threshold=10**9)
        bench_push(sb, "push, Bulk 2.0 ingest", ids, bulk_ingest_threshold=1000)


if __name__ == "__main__":
    main()
