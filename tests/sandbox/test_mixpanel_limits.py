"""Mixpanel's per-request limits on /track and /engage in the sandbox (sandbox/mixpanel/limits.py).

At most 2,000 events or updates and 10 MiB uncompressed a request; past either the request is
refused whole and nothing of it is kept. /track also keeps only events of the last five days,
which /import takes. Mixpanel's own Python library raises ``MixpanelException`` on each refusal
and works unchanged within the limits. Responses are checked against the contract.
"""

from __future__ import annotations

import gzip
import json
import time

import pytest
from mixpanel import Consumer, Mixpanel, MixpanelException

from sandbox.common import running_sandbox
from tests.support.mixpanel import conforms

TOO_LARGE = {"code": 413, "error": "request exceeds max limit of 10485760 bytes", "status": "Request Entity Too Large"}


@pytest.fixture(scope="module")
def mp():
    with running_sandbox("mixpanel", records=20, seed=11) as sb:
        yield sb


def _now_s(sb) -> int:
    return sb.control.project.clock.now_ms() // 1000


def _events(sb, prefix: str, count: int, **extra):
    token, now = sb.credentials["project_token"], _now_s(sb)
    return [{"event": "Limit", "properties": {"token": token, "distinct_id": f"{prefix}-user", "time": now - 60,
                                              "$insert_id": f"{prefix}-{n}", **extra}} for n in range(count)]  # fmt: skip


def _updates(sb, prefix: str, count: int, **values):
    token = sb.credentials["project_token"]
    return [{"$token": token, "$distinct_id": f"{prefix}-{n}", "$set": {"n": n, **values}} for n in range(count)]


def _stored(sb, prefix: str) -> int:
    with sb.control.project.lock:
        events = [e for day in sb.control.project.events.values() for e in day]
        return sum(str(e.properties.get("$insert_id", "")).startswith(f"{prefix}-") for e in events)


def _profiles(sb, prefix: str) -> int:
    with sb.control.project.lock:
        return sum(distinct_id.startswith(f"{prefix}-") for distinct_id in sb.control.project.profiles)


def _post(sb, path: str, records: list, *, gzipped: bool = False, **params):
    body = json.dumps(records).encode()
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    return sb.requests_session().post(f"{sb.base_url}{path}", params=params, data=body, headers=headers)


def test_track_takes_2000_events_and_refuses_2001_whole(mp):
    accepted = _post(mp, "/track", _events(mp, "tr2000", 2000), verbose=1)
    assert accepted.status_code == 200 and accepted.json() == {"error": None, "status": 1}
    assert _stored(mp, "tr2000") == 2000
    batch = _events(mp, "tr2001", 2001)
    refused = _post(mp, "/track", batch, verbose=1)
    assert refused.status_code == 200
    assert refused.json() == {"error": "request has 2001 events; at most 2000 are allowed", "status": 0}
    conforms(refused)
    plain = _post(mp, "/track", batch)
    assert plain.status_code == 200 and plain.text == "0"
    assert _stored(mp, "tr2001") == 0, "nothing of a refused request is kept"


def test_engage_takes_2000_updates_and_refuses_2001_whole(mp):
    accepted = _post(mp, "/engage", _updates(mp, "en2000", 2000), verbose=1)
    assert accepted.status_code == 200 and accepted.json() == {"error": None, "status": 1}
    assert _profiles(mp, "en2000") == 2000
    batch = _updates(mp, "en2001", 2001)
    refused = _post(mp, "/engage", batch, verbose=1)
    assert refused.status_code == 200
    assert refused.json() == {"error": "request has 2001 updates; at most 2000 are allowed", "status": 0}
    conforms(refused, sent=batch[:1])
    strict = _post(mp, "/engage", batch, strict=1)
    assert strict.status_code == 400
    assert strict.json() == {"error": "request has 2001 updates; at most 2000 are allowed", "status": 0}
    conforms(strict, sent=batch[:1])
    assert _profiles(mp, "en2001") == 0, "nothing of a refused request is kept"


def test_a_body_over_10_mib_is_413_on_track_and_engage_gzipped_or_not(mp):
    events = _events(mp, "trbig", 1800, blob="x" * 6000)  # about 11.3 MB: under 2,000 events, over 10 MiB
    for gzipped in (False, True):
        refused = _post(mp, "/track", events, gzipped=gzipped, verbose=1)
        assert refused.status_code == 413 and refused.json() == TOO_LARGE
        conforms(refused, sent=events[:1])
    assert _stored(mp, "trbig") == 0
    updates = _updates(mp, "enbig", 1800, blob="y" * 6000)
    for params in ({"verbose": 1}, {"strict": 1}):
        refused = _post(mp, "/engage", updates, gzipped=True, **params)
        assert refused.status_code == 413 and refused.json() == TOO_LARGE
        conforms(refused, sent=updates[:1])
    assert _profiles(mp, "enbig") == 0
    just_under = _events(mp, "trfit", 1500, blob="z" * 6000)  # about 9.4 MB
    assert len(json.dumps(just_under)) < 10 * 1024 * 1024
    fits = _post(mp, "/track", just_under, gzipped=True, verbose=1)
    assert fits.json() == {"error": None, "status": 1} and _stored(mp, "trfit") == 1500


def test_track_refuses_events_older_than_five_days_which_import_takes(mp):
    old = _now_s(mp) - 6 * 86_400
    event = {"event": "Old", "properties": {"token": mp.credentials["project_token"], "distinct_id": "u-old",
                                            "time": old, "$insert_id": "old-1"}}  # fmt: skip
    refused = _post(mp, "/track", [event], verbose=1)
    assert refused.status_code == 200
    assert refused.json() == {"error": "event is more than 5 days old; send it to /import instead", "status": 0}
    conforms(refused)
    assert _stored(mp, "old") == 0
    recent = {**event, "properties": {**event["properties"], "time": _now_s(mp) - 4 * 86_400, "$insert_id": "old-2"}}
    assert _post(mp, "/track", [recent], verbose=1).json() == {"error": None, "status": 1}
    auth = (mp.credentials["service_account_username"], mp.credentials["service_account_secret"])
    imported = mp.requests_session().post(
        f"{mp.base_url}/import", params={"strict": "1", "project_id": mp.credentials["project_id"]},
        json=[event], auth=auth,
    )  # fmt: skip
    assert imported.status_code == 200 and imported.json()["num_records_imported"] == 1, imported.text
    conforms(imported)
    assert _stored(mp, "old") == 2


def test_the_official_library_raises_on_each_refusal_and_works_within_the_limits(mp):
    consumer = Consumer(api_host=mp.credentials["api_host"], verify_cert=str(mp.ca_file), retry_backoff_factor=0)
    client = Mixpanel(mp.credentials["project_token"], consumer=consumer)
    client.track("lib-user", "Within", {"$insert_id": "lib-one-1"})
    client.people_set("lib-one-0", {"plan": "pro"})
    assert _stored(mp, "lib-one") == 1 and _profiles(mp, "lib-one") == 1
    consumer.send("events", json.dumps(_events(mp, "lib2000", 2000)))  # what BufferedConsumer sends, at most
    consumer.send("people", json.dumps(_updates(mp, "libp2000", 2000)))
    assert _stored(mp, "lib2000") == 2000 and _profiles(mp, "libp2000") == 2000
    with pytest.raises(MixpanelException, match="at most 2000"):
        consumer.send("events", json.dumps(_events(mp, "lib2001", 2001)))
    with pytest.raises(MixpanelException, match="at most 2000"):
        consumer.send("people", json.dumps(_updates(mp, "libp2001", 2001)))
    with pytest.raises(MixpanelException, match="request exceeds max limit of 10485760 bytes"):
        consumer.send("events", json.dumps(_events(mp, "libbig", 1800, blob="x" * 6000)))
    with pytest.raises(MixpanelException, match="more than 5 days old"):
        client.track("lib-user", "Late", {"time": time.time() - 6 * 86_400, "$insert_id": "lib-late-1"})
    assert _stored(mp, "lib2001") + _stored(mp, "libbig") + _stored(mp, "lib-late") == 0
    assert _profiles(mp, "libp2001") == 0
