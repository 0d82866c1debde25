"""Pull and push N HubSpot contacts against the local sandbox; print throughput and API calls.

    .venv/bin/python bench/hubspot.py [--records 10000]

Pull: the connector's search walk (200 a request) against the fewest requests the search
API allows (one per 200 records, plus one page of archived contacts), and beside it
hubspot-api-client paging the same contacts with ``basic_api.get_page`` (100 a request,
no time filter: the baseline). Push: batch update and batch upsert (100 a request)
against the fewest requests possible. Each path runs twice: under HubSpot's own rates
(five searches a second; 190 requests per ten seconds, 19 a second), which bound a real
sync, and with the sandbox's limits lifted, which shows the connector's own cost.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import time
from pathlib import Path
from typing import Any

from connectors.base import WriteBatch, WriteOp
from connectors.marketing.hubspot import HubSpotConfig, HubSpotConnector
from core.logs import configure
from sandbox.common.runner import running_sandbox


def _connector(sb: Any, *, lifted: bool) -> HubSpotConnector:
    settings = {
        **sb.connector_settings(),
        "objects": [{"name": "contacts", "writable": True, "properties": ["email", "firstname", "lastname"]}],
    }
    connector = HubSpotConnector(HubSpotConfig.model_validate(settings), name="hubspot")
    if lifted:
        connector.client.search_pacer.limit = 10_000
    return connector


def _limits(sb: Any, *, lifted: bool) -> None:
    if lifted:
        sb.control.limits.configure(ten_secondly=1_000_000, secondly=100_000, search_per_second=100_000)
    else:
        sb.control.limits.configure(ten_secondly=190, secondly=19, search_per_second=5)


def _row(label: str, records: int, seconds: float, calls: int, minimum: int, baseline: float | None = None) -> None:
    per_k = calls * 1000 / records
    rate = records / seconds
    versus = f"  {rate / baseline:5.2f}x the client's rate" if baseline else ""
    print(f"{label:<44} {records:>7,} rec {rate:>9,.0f} rec/s {per_k:>6.2f} calls/1k "
          f"(minimum {minimum * 1000 / records:.2f}, {calls / minimum:.2f}x){versus}")  # fmt: skip


def _vendor_client() -> Any:
    """hubspot-api-client's ``Client``; this file's own name would shadow the package on ``sys.path``."""
    here = Path(__file__).resolve().parent
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != here]
    return importlib.import_module("hubspot").Client


def bench_client(sb: Any, label: str) -> float:
    api = _vendor_client().create(access_token=sb.credentials["private_app_token"], host=sb.base_url,
                                ssl_ca_cert=str(sb.ca_file)).crm.contacts.basic_api  # fmt: skip
    start, calls, seen, after = time.perf_counter(), 0, 0, None
    while True:
        page = api.get_page(limit=100, after=after, properties=["email", "firstname", "lastname"])
        calls += 1
        seen += len(page.results)
        if page.paging is None:
            break
        after = page.paging.next.after
    seconds = time.perf_counter() - start
    _row(label, seen, seconds, calls, math.ceil(seen / 100))
    return seen / seconds


def bench_pull(sb: Any, label: str, *, lifted: bool, baseline: float) -> list[str]:
    connector = _connector(sb, lifted=lifted)
    start = time.perf_counter()
    ids = [r.source_id for b in connector.pull("contacts", None) for r in b.records if not r.deleted]
    seconds = time.perf_counter() - start
    _row(label, len(ids), seconds, connector.api_usage.calls, math.ceil(len(ids) / 200) + 1, baseline)
    return ids


def bench_push(sb: Any, label: str, ops: list[WriteOp], *, lifted: bool) -> None:
    connector = _connector(sb, lifted=lifted)
    start = time.perf_counter()
    results = connector.push(WriteBatch("hubspot", "contacts", ops))
    seconds = time.perf_counter() - start
    failed = sum(r.outcome.value == "failed" for r in results)
    _row(
        label + (f" ({failed} failed)" if failed else ""),
        len(ops),
        seconds,
        connector.api_usage.calls,
        math.ceil(len(ops) / 100),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=10_000)
    args = parser.parse_args()
    configure(json=False, level="WARNING")
    start = time.perf_counter()
    with running_sandbox("hubspot", records=args.records, seed=1, api_limit=10_000_000) as sb:
        print(f"sandbox seeded with {args.records:,} contacts in {time.perf_counter() - start:.1f}s on {sb.base_url}")
        for lifted in (False, True):
            _limits(sb, lifted=lifted)
            heading = "limits lifted" if lifted else "HubSpot's rates"
            print(f"-- {heading} --")
            baseline = bench_client(sb, "baseline: hubspot-api-client get_page (100/req)")
            ids = bench_pull(sb, "pull: search walk (200/req)", lifted=lifted, baseline=baseline)
            tag = "lifted" if lifted else "paced"
            bench_push(
                sb,
                "push: batch update (100/req)",
                [WriteOp(i, {"jobtitle": f"{tag} {n}"}) for n, i in enumerate(ids)],
                lifted=lifted,
            )
            upserts = [
                WriteOp(None, {"firstname": "Bench"}, match=("email", f"bench.{tag}.{n}@example.com"))
                for n in range(len(ids) // 2)
            ]
            bench_push(sb, "push: batch upsert by email (100/req)", upserts, lifted=lifted)


if __name__ == "__main__":
    main()
