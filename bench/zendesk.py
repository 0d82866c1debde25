"""Pull and push N Zendesk users against the local sandbox; print throughput and API calls.

    .venv/bin/python bench/zendesk.py [--records 50000]

Each stream is pulled through its incremental export (1,000 records a page), and users
are written back through update_many and create_or_update_many jobs (100 users a job,
up to 30 jobs queued, then read together with job_statuses/show_many). Each line prints
records per second and API calls per 1,000 records beside the fewest calls the vendor's
batch sizes allow, and a baseline measured in the same run: the same requests sent with
a bare ``requests`` session (no pacing, no checks, no tie-back), so the ratio is the
connector's own cost. The sandbox's limits (700 requests and 10 exports a minute) are
lifted to measure the code, not the wait: at Zendesk's 10 exports a minute a pull can
never pass 10,000 records a minute, which the last line shows.
"""

from __future__ import annotations

import argparse
import math
import time
from typing import Any

import requests

from connectors.base import WritebackTarget, WriteBatch, WriteOp
from connectors.helpdesk.zendesk import ZendeskConfig, ZendeskConnector
from core.logs import configure
from sandbox.common.runner import running_sandbox
from sandbox.zendesk.settings import connector_settings

PAGE = 1000
JOB = 100
OPEN_JOBS = 30
PROFILE = "user_fields.contactpoint_profile_id"


def _connector(sb: Any) -> ZendeskConnector:
    settings = {**connector_settings(sb, auth="api_token"), "exports_per_minute": 1000, "job_poll_seconds": 0}
    return ZendeskConnector(ZendeskConfig.model_validate(settings), name="zendesk", sleep=lambda _s: None)


def _bare(sb: Any) -> requests.Session:
    session = sb.requests_session()
    session.auth = (f"{sb.credentials['email']}/token", sb.credentials["api_token"])
    return session


def _row(label: str, records: int, seconds: float, calls: int, minimum: int, baseline: float) -> None:
    per_k = calls * 1000 / records
    least = minimum * 1000 / records
    rate = records / seconds
    print(
        f"{label:<38} {records:>7,} rec {rate:>9,.0f} rec/s ({rate / baseline:.2f}x bare requests)"
        f"  {per_k:>6.2f} calls/1k (minimum {least:.2f}, {per_k / least:.2f}x)"
    )


def _bare_pull(sb: Any, stream: str) -> float:
    """Records a second of a plain loop over the same export pages."""
    session, base = _bare(sb), f"{sb.base_url}/api/v2/incremental/"
    start = time.perf_counter()
    count = 0
    if stream == "organizations":
        params: dict[str, Any] = {"start_time": 0, "per_page": PAGE}
        while True:
            page = session.get(f"{base}organizations.json", params=params).json()
            count += len(page["organizations"])
            if page["end_of_stream"]:
                break
            params["start_time"] = page["end_time"]
    else:
        page = session.get(f"{base}{stream}/cursor.json", params={"start_time": 0, "per_page": PAGE}).json()
        count += len(page[stream])
        while not page["end_of_stream"]:
            page = session.get(
                f"{base}{stream}/cursor.json", params={"cursor": page["after_cursor"], "per_page": PAGE}
            ).json()
            count += len(page[stream])
    return count / (time.perf_counter() - start)


def bench_pull(sb: Any, stream: str) -> list[str]:
    baseline = _bare_pull(sb, stream)
    connector = _connector(sb)
    start = time.perf_counter()
    records = [r for b in connector.pull(stream, None) for r in b.records]
    seconds = time.perf_counter() - start
    n = len(records)
    _row(f"pull {stream} ({'time' if stream == 'organizations' else 'cursor'} export)", n, seconds,
         connector.api_usage.calls, math.ceil(n / PAGE), baseline)  # fmt: skip
    return [r.source_id for r in records if not r.deleted and r.raw.get("role") == "end-user"]


def _bare_push(sb: Any, ops: list[WriteOp]) -> float:
    """Ops a second of a plain loop sending the same bulk requests and reading their jobs."""
    session, base = _bare(sb), f"{sb.base_url}/api/v2/"
    start = time.perf_counter()
    job_ids = []
    for first in range(0, len(ops), JOB):
        users = [_body(op) for op in ops[first : first + JOB]]
        if ops[first].source_id is None:
            answer = session.post(f"{base}users/create_or_update_many.json", json={"users": users})
        else:
            answer = session.put(f"{base}users/update_many.json", json={"users": users})
        job_ids.append(answer.json()["job_status"]["id"])
    for first in range(0, len(job_ids), JOB):
        session.get(f"{base}job_statuses/show_many.json", params={"ids": ",".join(job_ids[first : first + JOB])})
    return len(ops) / (time.perf_counter() - start)


def _body(op: WriteOp) -> dict[str, Any]:
    fields = {k.removeprefix("user_fields."): v for k, v in op.fields.items()}
    key = {"id": int(op.source_id)} if op.source_id else dict([op.match]) if op.match else {}
    return {**key, "user_fields": fields}


def bench_push(sb: Any, label: str, ops: list[WriteOp]) -> None:
    baseline = _bare_push(sb, ops)
    connector = _connector(sb)
    connector.provision([WritebackTarget("users", PROFILE, "profile_id")], apply=True)  # reads the user fields once
    before = connector.api_usage.snapshot()
    start = time.perf_counter()
    results = connector.push(WriteBatch("zendesk", "users", ops))
    seconds = time.perf_counter() - start
    calls = connector.api_usage.since(before).calls
    failed = sum(r.outcome.value == "failed" for r in results)
    jobs = math.ceil(len(ops) / JOB)
    minimum = jobs + math.ceil(jobs / OPEN_JOBS)  # every job, and one status read per wave of queued jobs
    _row(label + (f" ({failed} failed)" if failed else ""), len(ops), seconds, calls, minimum, baseline)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--records", type=int, default=50_000)
    args = parser.parse_args()
    configure(json=False, level="WARNING")
    start = time.perf_counter()
    with running_sandbox("zendesk", records=args.records, seed=1, api_limit=10**9) as sb:
        sb.control.set_limits(account=10**9, exports=10**9)
        print(f"sandbox seeded with {len(sb.control.account.users):,} users in {time.perf_counter() - start:.1f}s")
        ids = bench_pull(sb, "users")
        bench_pull(sb, "organizations")
        bench_pull(sb, "tickets")
        updates = [WriteOp(i, {PROFILE: f"cp_{n}"}) for n, i in enumerate(ids)]
        bench_push(sb, "push update_many (100/job)", updates)
        emails = [
            str(sb.control.account.users[int(i)]["email"]) for i in ids if sb.control.account.users[int(i)]["email"]
        ]
        upserts = [WriteOp(None, {PROFILE: "cp_u"}, match=("email", e)) for e in emails]
        bench_push(sb, "push create_or_update_many (100/job)", upserts)
        users = len(sb.control.account.users)
        print(f"at Zendesk's 10 exports a minute: {users:,} users take at least {math.ceil(users / PAGE) / 10:.1f} min")


if __name__ == "__main__":
    main()
