"""The Mixpanel sandbox: its data (the shared population, the stories), auth, limits, faults and CLI."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from sandbox.common import running_sandbox
from sandbox.common.people import people
from sandbox.common.stories import STORIES
from sandbox.mixpanel import story_ids

from .test_cli import _run

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def mp():
    with running_sandbox("mixpanel", records=200, seed=5, today=TODAY) as sb:
        yield sb


def _auth(sb):
    return sb.credentials["service_account_username"], sb.credentials["service_account_secret"]


def _export(sb, first, last, **params):
    response = sb.requests_session().get(
        sb.credentials["export_url"],
        params={"project_id": sb.credentials["project_id"], "from_date": str(first), "to_date": str(last), **params},
        auth=_auth(sb),
    )
    return response


def _events(sb, first, last):
    response = _export(sb, first, last)
    assert response.status_code == 200, response.text
    return [json.loads(line) for line in response.text.splitlines() if line]


def test_profiles_are_the_shared_population_with_mixpanels_noise(mp):
    crowd = {p.email for p in people(5, 300, company_count=40)}
    profiles = list(mp.control.project.profiles.values())
    emails = [p["$email"] for p in profiles if "$email" in p]
    assert len({e.lower() for e in emails} & crowd) > 0.5 * len(crowd) * 0.6
    assert any(e != e.lower() for e in emails), "some emails keep odd casing"
    assert sum("$email" not in p for p in profiles) >= 5, "some profiles have no email"
    assert any("$name" in p and "$first_name" not in p for p in profiles)


def test_stories_are_seeded_with_their_fixed_ids(mp):
    events = _events(mp, TODAY - timedelta(days=60), TODAY)
    for story in STORIES:
        for key, facts in story.facts.get("mixpanel", {}).items():
            distinct_id, device_id = story_ids(key)
            assert distinct_id in mp.control.project.profiles, key
            since = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) - timedelta(days=facts["days"])
            views = Counter(e["properties"]["current_url_path"] for e in events
                            if e["properties"].get("distinct_id") == distinct_id and e["event"] == "$mp_web_page_view"
                            and e["properties"]["time"] >= since.timestamp())  # fmt: skip
            assert dict(views) == facts["page_views"], key
            anonymous = [e for e in events if e["properties"].get("distinct_id") == f"$device:{device_id}"]
            signup = [e for e in events if e["event"] == "Sign Up" and e["properties"]["distinct_id"] == distinct_id]
            assert anonymous and signup[0]["properties"]["$device_id"] == device_id
    maya = mp.control.project.profiles[story_ids("maya")[0]]
    assert maya["$email"] == "Maya.Lindqvist@northwind-analytics.example.com"
    assert "lena" not in {k for s in STORIES for k in s.facts.get("mixpanel", {})}


def test_same_seed_and_day_give_the_same_project():
    with running_sandbox("mixpanel", records=30, seed=9, today=TODAY) as one:
        first = _export(one, TODAY - timedelta(days=3), TODAY).text
        profiles = dict(one.control.project.profiles)
    with running_sandbox("mixpanel", records=30, seed=9, today=TODAY) as two:
        assert _export(two, TODAY - timedelta(days=3), TODAY).text == first and first
        assert two.control.project.profiles == profiles


def test_credentials_and_project_are_checked(mp):
    session = mp.requests_session()
    url = mp.credentials["export_url"]
    day = {"from_date": str(TODAY), "to_date": str(TODAY)}
    missing = session.get(url, params=day, auth=_auth(mp))
    assert missing.status_code == 400 and "project_id is required" in missing.json()["error"]
    other = session.get(url, params=day | {"project_id": "1"}, auth=_auth(mp))
    assert other.status_code == 403 and "project 1" in other.json()["error"]
    secret = session.get(url, params=day, auth=(mp.credentials["api_secret"], ""))
    assert secret.status_code == 200
    wrong = session.get(url, params=day, auth=("nobody", "nothing"))
    assert wrong.status_code == 401 and wrong.json() == {
        "request": wrong.request.path_url,
        "error": "Invalid credentials",
    }


def test_the_export_limit_answers_429_past_three_queries_a_second(mp):
    mp.control.export_limits.clear()
    answers = [_export(mp, TODAY, TODAY).status_code for _ in range(4)]
    assert answers[:3] == [200, 200, 200] and answers[3] == 429
    limited = _export(mp, TODAY, TODAY)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    assert "60 export queries an hour and 3 a second" in limited.json()["error"]
    mp.control.export_limits.clear()


def test_faults_over_the_admin_endpoint(mp):
    admin = {"X-Sandbox-Admin-Token": mp.admin_token}
    session = mp.requests_session()
    unknown = session.post(f"{mp.base_url}/__sandbox__/faults", json={"kind": "meltdown"}, headers=admin)
    assert unknown.status_code == 400 and "unknown Mixpanel sandbox fault 'meltdown'" in unknown.json()["error"]
    day = TODAY - timedelta(days=4)
    ok = session.post(
        f"{mp.base_url}/__sandbox__/faults", json={"kind": "malformed_event", "day": str(day)}, headers=admin
    )
    assert ok.status_code == 200 and str(day) in ok.json()["broken_days"]
    mp.control.export_limits.clear()
    lines = _export(mp, day, day).text.splitlines()
    broken = [line for line in lines if not line.endswith("}")]
    assert len(broken) == 1
    with pytest.raises(ValueError):
        json.loads(broken[0])


def test_ingestion_limits(mp):
    session = mp.requests_session()
    token = mp.credentials["project_token"]
    old = {
        "event": "x",
        "properties": {"token": token, "time": int((datetime.now(UTC) - timedelta(days=400)).timestamp())},
    }
    answer = session.post(f"{mp.base_url}/track", params={"verbose": 1}, json=[old])
    assert answer.json() == {"error": "event is more than 5 days old; send it to /import instead", "status": 0}
    many = [{"$token": token, "$distinct_id": f"u{n}", "$set": {"a": n}} for n in range(2001)]
    refused = session.post(f"{mp.base_url}/engage", params={"strict": 1}, json=many)
    assert refused.status_code == 400 and "at most 2000" in refused.json()["error"]
    two = [{"$token": token, "$distinct_id": "u1", "$set": {"a": 1}, "$unset": ["b"]}, many[0]]
    mixed = session.post(f"{mp.base_url}/engage", params={"strict": 1}, json=two).json()
    assert [r["index"] for r in mixed["failed_records"]] == [0] and mixed["status"] == 0
    assert mp.control.project.profiles["u0"]["a"] == 0, "the valid update of the request was applied"


@pytest.mark.slow
def test_up_json_then_down(tmp_path):
    started = _run(["sandbox", "up", "mixpanel", "--records", "20", "--json"], tmp_path)
    assert started.returncode == 0, started.stderr
    state = json.loads(started.stdout)
    try:
        creds = state["credentials"]
        assert {"project_id", "service_account_username", "project_token", "api_host"} <= creds.keys()
        response = requests.post(
            creds["engage_query_url"], params={"project_id": creds["project_id"]},
            auth=(creds["service_account_username"], creds["service_account_secret"]),
            verify=state["ca_file"], timeout=10,
        )  # fmt: skip
        assert response.status_code == 200 and response.json()["total"] > 5
    finally:
        stopped = _run(["sandbox", "down", "mixpanel", "--json"], tmp_path)
    assert json.loads(stopped.stdout) == {"stopped": ["mixpanel"]}
