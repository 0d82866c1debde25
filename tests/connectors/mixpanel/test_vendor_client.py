"""Mixpanel's own Python library (PyPI ``mixpanel``) and plain HTTP clients against the live sandbox.

Only the URL differs from talking to Mixpanel: the library's consumers take ``api_host``.
Its requests pass ``verify=verify_cert`` on every call, so the sandbox's CA is given as
``verify_cert=<CA file>`` (requests accepts a path there), or through the environment:
with the default ``verify_cert=True``, requests reads ``REQUESTS_CA_BUNDLE`` (the
library's session keeps ``trust_env``), which must then name the sandbox's CA.
The export and engage query APIs have no official Python client: they are called here
with requests as a script would (the export streamed line by line, the engage query paged
by ``session_id``). Every exchange is checked against the contract.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import mixpanel
import pytest
import requests
from mixpanel import BufferedConsumer, Consumer, Mixpanel, MixpanelException, ServiceAccountCredentials

from tests.support.mixpanel import checked_sandbox, not_checked

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def sandbox():
    with checked_sandbox(records=60, seed=3) as sb:
        yield sb


def _client(sb, **kwargs):
    consumer = Consumer(api_host=sb.credentials["api_host"], verify_cert=str(sb.ca_file), retry_backoff_factor=0)
    return Mixpanel(sb.credentials["project_token"], consumer=consumer, **kwargs)


def _auth(sb):
    return sb.credentials["service_account_username"], sb.credentials["service_account_secret"]


def _engage(sb, **form):
    session = sb.requests_session()
    url = sb.credentials["engage_query_url"]
    return session.post(url, params={"project_id": sb.credentials["project_id"]}, data=form, auth=_auth(sb))


def _profile(sb, distinct_id):
    results = _engage(sb, distinct_id=distinct_id).json()["results"]
    return results[0]["$properties"] if results else None


def test_track_and_profile_updates(sandbox):
    mp = _client(sandbox)
    before = sandbox.control.project.event_count()
    mp.track("vendor-1", "Button Clicked", {"color": "blue", "$insert_id": "vendor-track-1"})
    assert sandbox.control.project.event_count() == before + 1
    mp.people_set("vendor-1", {"$email": "Vendor.One@Example.com", "plan": "pro", "tags": ["a"]})
    mp.people_set_once("vendor-1", {"plan": "free", "first_seen": "2026-01-01"})
    mp.people_increment("vendor-1", {"logins": 2})
    mp.people_increment("vendor-1", {"logins": 3})
    mp.people_union("vendor-1", {"tags": ["a", "b"]})
    mp.people_append("vendor-1", {"history": "x"})
    mp.people_remove("vendor-1", {"tags": "a"})
    mp.people_unset("vendor-1", ["first_seen"])
    profile = _profile(sandbox, "vendor-1")
    assert profile["plan"] == "pro" and profile["logins"] == 5 and profile["tags"] == ["b"]
    assert profile["history"] == ["x"] and "first_seen" not in profile and profile["$email"] == "Vendor.One@Example.com"
    mp.people_delete("vendor-1")
    assert _profile(sandbox, "vendor-1") is None


def test_the_ca_can_come_from_the_environment_instead(sandbox, monkeypatch):
    consumer = Consumer(api_host=sandbox.credentials["api_host"], retry_limit=0)
    plain = Mixpanel(sandbox.credentials["project_token"], consumer=consumer)
    with pytest.raises(MixpanelException, match="CERTIFICATE_VERIFY_FAILED"):
        plain.track("vendor-2", "Opened")  # the system's CAs do not know the sandbox's
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(sandbox.ca_file))
    plain.track("vendor-2", "Opened")


def test_import_data_with_a_service_account(sandbox):
    creds = ServiceAccountCredentials(*_auth(sandbox), sandbox.credentials["project_id"])
    mp = Mixpanel(sandbox.credentials["project_token"], consumer=Consumer(
        api_host=sandbox.credentials["api_host"], verify_cert=str(sandbox.ca_file), credentials=creds))  # fmt: skip
    old = datetime.now(UTC) - timedelta(days=20)
    mp.import_data(None, "vendor-3", "Imported Purchase", int(old.timestamp()), {"$insert_id": "vendor-imp-1"})
    day = old.date().isoformat()
    lines = _export(sandbox, from_date=day, to_date=day, event='["Imported Purchase"]')
    assert [json.loads(line)["properties"]["distinct_id"] for line in lines] == ["vendor-3"]
    wrong = ServiceAccountCredentials("someone", "not-the-secret", sandbox.credentials["project_id"])
    refused = Mixpanel("x", consumer=Consumer(api_host=sandbox.credentials["api_host"],
                                              verify_cert=str(sandbox.ca_file), credentials=wrong))  # fmt: skip
    with pytest.raises(MixpanelException, match="Invalid credentials"):
        refused.import_data(None, "vendor-3", "Imported Purchase", int(old.timestamp()))


def test_buffered_consumer_sends_in_batches_of_its_size(sandbox):
    host = sandbox.credentials["api_host"]
    consumer = BufferedConsumer(max_size=50, api_host=host, verify_cert=str(sandbox.ca_file))
    mp = Mixpanel(sandbox.credentials["project_token"], consumer=consumer)
    sent_before = sandbox.control.requests.count("POST /track")
    stored_before = sandbox.control.project.event_count()
    for n in range(120):
        mp.track(f"buffered-{n % 7}", "Scrolled", {"n": n})
    assert sandbox.control.requests.count("POST /track") - sent_before == 2  # at 50 and at 100
    consumer.flush()
    assert sandbox.control.requests.count("POST /track") - sent_before == 3
    assert sandbox.control.project.event_count() - stored_before == 120
    for n in range(3):
        mp.people_set(f"buffered-{n}", {"seen": True})
    consumer.flush()
    assert all(_profile(sandbox, f"buffered-{n}")["seen"] is True for n in range(3))


def test_errors_reach_the_library_as_mixpanel_exceptions(sandbox):
    with pytest.raises(MixpanelException, match="Invalid token"):
        Mixpanel("not-the-token", consumer=Consumer(api_host=sandbox.credentials["api_host"],
                                                    verify_cert=str(sandbox.ca_file))).track("u", "x")  # fmt: skip
    mp = _client(sandbox)
    with pytest.raises(MixpanelException, match="more than 5 days old"):
        mp.track("u", "Late", {"time": time.time() - 6 * 86400})
    sandbox.control.transient.add(503, count=1, retry_after=0)
    before = sandbox.control.requests.count("POST /track")
    mp.track("u", "After a hiccup")  # the library retries 5xx itself
    assert sandbox.control.requests.count("POST /track") - before == 2
    before = sandbox.control.requests.count("POST /engage")
    sandbox.control.transient.add(429, count=1, retry_after=0)
    mp.people_set("u", {"a": 1})  # a 429 with Retry-After is retried by the library's urllib3 Retry too
    assert sandbox.control.requests.count("POST /engage") - before == 2
    sandbox.control.transient.add(429, count=5, retry_after=0)
    with pytest.raises(MixpanelException, match="exceeded rate limits"):
        mp.people_set("u", {"a": 2})  # the fifth 429 in a row: retries spent
    assert _profile(sandbox, "u")["a"] == 1 and mixpanel.__version__


def _export(sb, **params):
    session = sb.requests_session()
    url = sb.credentials["export_url"]
    with session.get(url, params={"project_id": sb.credentials["project_id"], **params}, auth=_auth(sb),
                     stream=True) as response:  # fmt: skip
        response.raise_for_status()
        return [line for line in response.iter_lines() if line]


def test_export_streams_json_lines_and_refuses_bad_requests(sandbox):
    today = datetime.now(UTC).date()
    lines = _export(sandbox, from_date=(today - timedelta(days=7)).isoformat(), to_date=today.isoformat())
    events = [json.loads(line) for line in lines]
    assert len(events) > 100 and all({"event", "properties"} <= e.keys() for e in events)
    assert all(isinstance(e["properties"]["time"], int) and e["properties"]["time"] < 10**11 for e in events)
    signups = _export(sandbox, from_date=(today - timedelta(days=7)).isoformat(), to_date=today.isoformat(),
                      event='["Sign Up"]', time_in_ms="true")  # fmt: skip
    assert signups and all(json.loads(s)["event"] == "Sign Up" for s in signups)
    assert json.loads(signups[0])["properties"]["time"] > 10**11
    session = sandbox.requests_session()
    url = sandbox.credentials["export_url"]
    with not_checked(sandbox):
        bad = session.get(url, params={"project_id": sandbox.credentials["project_id"], "from_date": "yesterday",
                                       "to_date": today.isoformat()}, auth=_auth(sandbox))  # fmt: skip
    assert bad.status_code == 400 and "from_date" in bad.json()["error"]
    refused = session.get(url, params={"from_date": today.isoformat(), "to_date": today.isoformat()}, auth=("x", "y"))
    assert refused.status_code == 401 and refused.json()["error"] == "Invalid credentials"


def test_engage_query_pages_by_session(sandbox):
    sandbox.control.engage_page_size = 10
    try:
        first = _engage(sandbox).json()
        seen = [r["$distinct_id"] for r in first["results"]]
        page, session_id = 0, first["session_id"]
        while len(seen) < first["total"]:
            page += 1
            body = _engage(sandbox, session_id=session_id, page=page).json()
            assert body["page"] == page and body["session_id"] == session_id
            seen += [r["$distinct_id"] for r in body["results"]]
        assert len(seen) == len(set(seen)) == first["total"] > 20
        with not_checked(sandbox):
            lost = _engage(sandbox, page=1)
        assert lost.status_code == 400 and "session_id" in lost.json()["error"]
        found = _engage(sandbox, where='defined(properties["$email"])').json()
        assert 0 < found["total"] < first["total"]
    finally:
        sandbox.control.engage_page_size = 1000


def test_requests_session_with_trust_env_off_ignores_the_environment(sandbox, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/certs/ca-certificates.crt")
    session = sandbox.requests_session()  # verify=CA file, trust_env=False
    assert session.get(sandbox.base_url + "/__sandbox__/health").status_code == 200
    with pytest.raises(requests.exceptions.SSLError):
        requests.get(sandbox.base_url + "/__sandbox__/health", verify=True, timeout=5)
