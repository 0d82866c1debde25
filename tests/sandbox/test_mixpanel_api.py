"""The Mixpanel sandbox: its data (the shared population, the stories), auth, limits, faults and CLI."""

from __future__ import annotations

import base64
import gzip
import json
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
import requests

from sandbox.common import running_sandbox
from sandbox.common.people import people
from sandbox.common.stories import STORIES
from sandbox.mixpanel import story_ids
from tests.contracts.validator import exchange_of, validate_all

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


# -- ingestion and query behaviour checked against Mixpanel's description ---------------------------


def _conforms(*responses, decoded: bytes | None = None):
    """Check live exchanges against the contract; ``decoded`` stands for a gzip request body as JSON."""
    exchanges = [exchange_of(r) for r in responses]
    if decoded is not None:
        exchanges = [replace(e, request_body=decoded) for e in exchanges]
    problems = validate_all("mixpanel", exchanges)
    assert not problems, "\n".join(problems)


def _now_s(sb) -> int:
    return sb.control.project.clock.now_ms() // 1000


def _stored(sb, insert_id):
    with sb.control.project.lock:
        return [e for day in sb.control.project.events.values() for e in day
                if e.properties.get("$insert_id") == insert_id]  # fmt: skip


def _imported(sb, events, *, gzipped=False, auth=None, **params):
    body = json.dumps(events).encode()
    headers = {"Content-Type": "application/json"}
    if gzipped:
        body, headers["Content-Encoding"] = gzip.compress(body), "gzip"
    params = {"strict": "1", "project_id": sb.credentials["project_id"], **params}
    return sb.requests_session().post(
        f"{sb.base_url}/import", params=params, data=body, headers=headers, auth=auth or _auth(sb)
    )


def test_import_and_track_take_gzip_bodies(mp):
    now = _now_s(mp)
    event = {"event": "Gz", "properties": {"distinct_id": "u-gz", "time": now - 60, "$insert_id": "gz-import-1"}}
    raw = json.dumps([event]).encode()
    imported = _imported(mp, [event], gzipped=True)
    assert imported.status_code == 200, imported.text
    assert imported.json() == {"code": 200, "num_records_imported": 1, "status": "OK"}
    _conforms(imported, decoded=raw)
    tracked_event = {"event": "Gz", "properties": {**event["properties"], "$insert_id": "gz-track-1",
                                                   "token": mp.credentials["project_token"]}}  # fmt: skip
    tracked_raw = json.dumps([tracked_event]).encode()
    tracked = mp.requests_session().post(
        f"{mp.base_url}/track", params={"verbose": 1}, data=gzip.compress(tracked_raw),
        headers={"Content-Type": "application/json", "Content-Encoding": "gzip"},
    )  # fmt: skip
    assert tracked.status_code == 200 and tracked.json() == {"error": None, "status": 1}
    _conforms(tracked, decoded=tracked_raw)
    assert _stored(mp, "gz-import-1") and _stored(mp, "gz-track-1")
    headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
    broken = mp.requests_session().post(
        f"{mp.base_url}/import", params={"strict": "1", "project_id": mp.credentials["project_id"]},
        data=raw, headers=headers, auth=_auth(mp),
    )  # fmt: skip
    assert broken.status_code == 400 and broken.json()["status"] == "Bad Request"
    assert "gzip" in broken.json()["error"]
    not_gzip = mp.requests_session().post(f"{mp.base_url}/track", params={"verbose": 1}, data=raw, headers=headers)
    assert not_gzip.status_code == 200 and not_gzip.json()["status"] == 0 and "gzip" in not_gzip.json()["error"]


def test_a_future_time_is_ingested_as_now(mp):
    now_ms = mp.control.project.clock.now_ms()
    later = now_ms // 1000 + 2 * 86_400
    props = {"distinct_id": "u-future", "time": later, "token": mp.credentials["project_token"]}
    tracked = mp.requests_session().post(
        f"{mp.base_url}/track", params={"verbose": 1},
        json=[{"event": "Future", "properties": props | {"$insert_id": "future-track"}}],
    )  # fmt: skip
    assert tracked.json() == {"error": None, "status": 1}
    imported = _imported(mp, [{"event": "Future", "properties": props | {"$insert_id": "future-import"}}])
    assert imported.status_code == 200, imported.text
    for insert_id in ("future-track", "future-import"):
        (event,) = _stored(mp, insert_id)
        assert event.time_ms == now_ms, insert_id


def test_import_enforces_the_size_limits(mp):
    now = _now_s(mp)

    def event(n, **extra):
        return {"event": "Big", "properties": {"distinct_id": "u-big", "time": now - 60, "$insert_id": f"big-{n}",
                                               **extra}}  # fmt: skip

    too_big = [event(n, blob="x" * 6000) for n in range(1900)]  # about 11.6 MB uncompressed, 2,000 events allowed
    refused = _imported(mp, too_big, gzipped=True)
    assert refused.status_code == 413
    assert refused.json() == {
        "code": 413,
        "error": "request exceeds max limit of 10485760 bytes",
        "status": "Request Entity Too Large",
    }
    assert not _stored(mp, "big-0"), "nothing of a refused request is kept"
    _conforms(refused, decoded=json.dumps(too_big[:1]).encode())  # the response; the request as one of its events
    mixed = [event(1, blob="y" * 1_100_000), event(2, **{f"p{k}": k for k in range(300)}), event(3)]
    answer = _imported(mp, mixed)
    assert answer.status_code == 400
    body = answer.json()
    assert body["num_records_imported"] == 1 and [r["index"] for r in body["failed_records"]] == [0, 1]
    assert "1MB" in body["failed_records"][0]["message"] and "255" in body["failed_records"][1]["message"]
    _conforms(answer)
    assert _stored(mp, "big-3") and not _stored(mp, "big-1")


def test_import_takes_the_project_token_as_basic_username(mp):
    event = {"event": "Tok", "properties": {"distinct_id": "u-tok", "time": _now_s(mp) - 60, "$insert_id": "tok-1"}}
    token = mp.credentials["project_token"]
    accepted = _imported(mp, [event], auth=(token, ""), project_id=None)
    assert accepted.status_code == 200 and accepted.json()["num_records_imported"] == 1, accepted.text
    _conforms(accepted)
    wrong = _imported(mp, [event], auth=("not-the-token", ""), project_id=None)
    assert wrong.status_code == 401 and wrong.json()["error"] == "Invalid credentials"
    utf8 = {"Authorization": "Basic " + base64.b64encode("jürgen:".encode()).decode()}
    odd = mp.requests_session().post(f"{mp.base_url}/import", json=[event], headers=utf8)
    assert odd.status_code == 401, "a non-ASCII username is refused, not a crash"


def _where_profiles(sb):
    people = {
        "w-1": {"plan": "free", "$email": "a@example.com", "score": 1, "vip": True, "tags": ["x", "y"]},
        "w-2": {"plan": "pro", "$email": "b@other.test", "score": 2.5, "vip": False},
        "w-3": {"plan": "free", "score": 3, "nick": 'O\'Brien "Bo"'},
        "w-4": {"plan": "enterprise", "$email": "c@example.com", "score": "4"},
        "w-5": {"$email": None},
    }
    with sb.control.project.lock:
        sb.control.project.profiles.update(people)
    return sorted(people)


_WHERE_CASES = [
    ('properties["plan"] == "free" and defined(properties["$email"])', {"w-1"}),
    ('properties["plan"] == "free" or properties["plan"] == "pro"', {"w-1", "w-2", "w-3"}),
    ('properties["plan"] != "free"', {"w-2", "w-4", "w-5"}),
    ("properties['plan'] == 'free'", {"w-1", "w-3"}),
    ('not (properties["plan"] == "free")', {"w-2", "w-4", "w-5"}),
    ('not (properties["plan"] == "free") and defined(properties["plan"])', {"w-2", "w-4"}),
    ('"example.com" in properties["$email"]', {"w-1", "w-4"}),
    ('"x" in properties["tags"]', {"w-1"}),
    ('properties["score"] > 2', {"w-2", "w-3"}),
    ('properties["score"] >= 2.5', {"w-2", "w-3"}),
    ('properties["score"] < 2.5', {"w-1"}),
    ('properties["score"] <= 3 and properties["score"] != 1', {"w-2", "w-3"}),
    ('number(properties["score"]) == 4', {"w-4"}),
    ('properties["score"] * 2 - 1 == 5', {"w-3"}),
    ('properties["score"] in [1, 3]', {"w-1", "w-3"}),
    ('properties["vip"] == true', {"w-1"}),
    ('properties["vip"] == false or not defined(properties["vip"])', {"w-2", "w-3", "w-4", "w-5"}),
    ('properties["nick"] == "O\'Brien \\"Bo\\""', {"w-3"}),
    ('(properties["plan"] == "pro" or properties["plan"] == "enterprise") and properties["score"] > 0', {"w-2"}),
    ('user["plan"] == "pro"', {"w-2"}),
    ('not defined(properties["$email"])', {"w-3", "w-5"}),
]


def test_where_expressions_in_the_engage_query(mp):
    mp.control.query_limits.clear()
    ids = _where_profiles(mp)
    session = mp.requests_session()
    url, project = mp.credentials["engage_query_url"], {"project_id": mp.credentials["project_id"]}
    for expression, expected in _WHERE_CASES:
        form = {"distinct_ids": json.dumps(ids), "where": expression}
        answer = session.post(url, params=project, data=form, auth=_auth(mp))
        assert answer.status_code == 200, (expression, answer.text)
        assert {r["$distinct_id"] for r in answer.json()["results"]} == expected, expression
    for broken in ('properties["plan"] ==', 'properties["plan"] == "free" and', "(true", 'properties["a"] @ 1',
                   '__import__("os")', 'properties["plan"] and true'):  # fmt: skip
        answer = session.post(url, params=project, data={"distinct_ids": json.dumps(ids), "where": broken},
                              auth=_auth(mp))  # fmt: skip
        assert answer.status_code == 400, broken
        assert set(answer.json()) == {"request", "error"}, broken
    _conforms(answer)
    mp.control.query_limits.clear()


def test_where_expressions_in_the_export(mp):
    mp.control.export_limits.clear()
    day = TODAY - timedelta(days=3)
    everything = _events(mp, day, day)
    paths = {"/pricing", "/docs/api"}
    expected = [e for e in everything if e["properties"].get("current_url_path") in paths
                or ("signup_method" in e["properties"] and e["properties"].get("plan") != "free")]  # fmt: skip
    where = ('properties["current_url_path"] == "/pricing" or properties["current_url_path"] == "/docs/api"'
             ' or (properties["plan"] != "free" and defined(properties["signup_method"]))')  # fmt: skip
    answer = _export(mp, day, day, where=where)
    assert answer.status_code == 200, answer.text
    assert [json.loads(line) for line in answer.text.splitlines()] == expected and expected
    mp.control.export_limits.clear()


def test_the_engage_query_limit_answers_429(mp):
    limits = mp.control.query_limits
    session = mp.requests_session()
    url, project = mp.credentials["engage_query_url"], {"project_id": mp.credentials["project_id"]}
    form = {"distinct_id": story_ids("maya")[0]}
    try:
        limits.clear()
        limits.per_hour = 3
        answers = [session.post(url, params=project, data=form, auth=_auth(mp)) for _ in range(4)]
        assert [a.status_code for a in answers] == [200, 200, 200, 429]
        limited = answers[3]
        assert int(limited.headers["Retry-After"]) >= 1
        assert limited.json() == {"request": limited.request.path_url, "error": limited.json()["error"]}
        assert "60 queries an hour" not in limited.json()["error"] and "3 queries an hour" in limited.json()["error"]
        limits.clear()
        limits.per_hour = 60
        running = [limits.take() for _ in range(5)]  # five queries still running
        assert running == [None] * 5
        busy = session.post(url, params=project, data=form, auth=_auth(mp))
        assert busy.status_code == 429 and "5 concurrent" in busy.json()["error"]
        for _ in running:
            limits.release()
        assert session.post(url, params=project, data=form, auth=_auth(mp)).status_code == 200
        _conforms(limited, busy)
    finally:
        limits.per_hour, limits.concurrent = 60, 5
        limits.clear()


def test_a_wrong_token_is_refused_alike_on_track_and_engage(mp):
    session = mp.requests_session()
    event = {"event": "x", "properties": {"token": "not-the-token", "distinct_id": "u-bad", "time": _now_s(mp)}}
    update = {"$token": "not-the-token", "$distinct_id": "u-bad", "$set": {"a": 1}}
    answers = [
        session.post(f"{mp.base_url}/track", json=[event]),
        session.post(f"{mp.base_url}/track", params={"verbose": 1}, json=[event]),
        session.post(f"{mp.base_url}/engage", json=[update]),
        session.post(f"{mp.base_url}/engage", params={"verbose": 1}, json=[update]),
    ]
    assert [a.status_code for a in answers] == [401] * 4
    assert {json.dumps(a.json()) for a in answers} == {json.dumps({"error": "Invalid token", "status": "error"})}
    _conforms(*answers)
    missing = session.post(f"{mp.base_url}/track", params={"verbose": 1}, json=[{"event": "x", "properties": {}}])
    assert missing.status_code == 200 and missing.json() == {"error": "token, missing or empty", "status": 0}
