"""The sync benchmark stays runnable, its figures parse, and a sync's write calls equal the vendors' minimum."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.sync import is_write_request, minimum_calls  # noqa: E402

_ROW = re.compile(
    r"^(?P<run>full|echo|no change|1% \((?P<edited>[\d,]+) edited\))\s+(?P<pulled>[\d,]+)\s+(?P<seconds>[\d.]+)"
    r"\s+(?P<rate>[\d,]+)\s+(?P<ratio>[\d.]+)\s+(?P<written>[\d,]+)\s+(?P<calls>[\d,]+)\s+(?P<ledger>[\d,]+)"
    r"\s+(?P<minimum>[\d,]+)\s+(?P<per_k>[\d.]+|-)\s+(?P<per_k_minimum>[\d.]+|-)\s+(?P<peak>[\d,]+)$"
)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def test_the_minimum_follows_the_vendors_batch_sizes():
    assert minimum_calls("salesforce", 201) == 2  # sObject Collections: 200 a request
    assert minimum_calls("hubspot", 1000) == 10  # batch update: 100 a request
    assert minimum_calls("mixpanel", 2001) == 2  # /engage: 2,000 updates a request
    assert minimum_calls("zendesk", 3001) == 31 + 2  # 100 a job, one status read per 30 queued jobs
    assert minimum_calls("hubspot", 0) == 0


def test_write_requests_are_told_from_reads():
    assert is_write_request("salesforce", "PATCH /services/data/v60.0/composite/sobjects")
    assert not is_write_request("salesforce", "GET /services/data/v60.0/query")
    assert is_write_request("hubspot", "POST /crm/v3/objects/contacts/batch/update")
    assert not is_write_request("hubspot", "POST /crm/v3/objects/contacts/search")
    assert is_write_request("mixpanel", "POST /engage")
    assert not is_write_request("mixpanel", "POST /api/query/engage")
    assert is_write_request("zendesk", "PUT /api/v2/users/update_many.json")
    assert is_write_request("zendesk", "GET /api/v2/job_statuses/show_many.json")
    assert not is_write_request("zendesk", "GET /api/v2/incremental/users/cursor.json")


@pytest.mark.slow
@pytest.mark.live
@pytest.mark.journey  # the benchmark's whole run in fresh processes: CI runs it with the journeys
def test_a_small_run_prints_figures_that_parse_and_writes_in_the_fewest_calls():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "sync.py"), "--sizes", "200", "--json"],
        capture_output=True, text=True, timeout=900, cwd=ROOT,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    text = done.stdout.strip().splitlines()
    rows = {m["run"].split(" (")[0]: m for m in (_ROW.match(line) for line in text) if m}
    assert set(rows) == {"full", "echo", "no change", "1%"}, text
    full = rows["full"]
    assert _number(full["written"]) > 0 and _number(full["pulled"]) > 0 and _number(full["peak"]) > 0
    assert full["calls"] == full["minimum"], text
    assert _number(full["per_k"]) == _number(full["per_k_minimum"])
    assert _number(full["ratio"]) == 1.0
    for quiet in ("echo", "no change"):
        assert _number(rows[quiet]["calls"]) == _number(rows[quiet]["ledger"]) == 0, text
    assert _number(rows["1%"]["edited"]) >= 3
    # the minimum, counted again here from the vendors' documented batch sizes and the run's own writes
    result = json.loads(text[-1])
    streams = result["runs"]["full"]["writes_by_stream"]
    sandboxes = result["runs"]["full"]["sandbox_write_requests"]
    per_system: dict[str, int] = {}
    for key, count in streams.items():
        system = key.partition("/")[0]
        size = {"salesforce": 200, "hubspot": 100, "mixpanel": 2000, "zendesk": 100}[system]
        calls = math.ceil(count / size)
        per_system[system] = per_system.get(system, 0) + calls + (math.ceil(calls / 30) if system == "zendesk" else 0)
    assert sandboxes == per_system
