"""The Zendesk sandbox over plain HTTP: exports, limits, jobs, faults, and the seeded people."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from sandbox.common import FaultSpec, RunningSandbox, running_sandbox
from sandbox.common.people import people
from sandbox.common.stories import TEAM_MAILBOX
from sandbox.zendesk.account import Account
from sandbox.zendesk.jobs import JOB_LIMIT
from sandbox.zendesk.seed import STORY_ORGANIZATION_IDS, STORY_USER_IDS, seed_account

API = "/api/v2"


@pytest.fixture(scope="module")
def zd() -> Iterator[RunningSandbox]:
    with running_sandbox("zendesk", records=80, seed=3) as running:
        yield running


@pytest.fixture
def http(zd: RunningSandbox) -> requests.Session:
    zd.control.reset()
    zd.control.set_limits(exports=10)
    session = zd.requests_session()
    session.auth = (f"{zd.credentials['email']}/token", zd.credentials["api_token"])
    return session


def _get(zd, http, path, **params):
    return http.get(f"{zd.base_url}{API}/{path}", params=params)


def test_a_change_reaches_the_export_only_once_it_is_a_minute_old(zd, http):
    first = _get(zd, http, "incremental/users/cursor.json", start_time=0).json()
    assert first["end_of_stream"] is True
    user = next(u for u in first["users"] if u["role"] == "end-user" and u["active"])
    changed = http.put(f"{zd.base_url}{API}/users/{user['id']}.json", json={"user": {"notes": "changed"}})
    assert changed.status_code == 200
    fresh = _get(zd, http, "incremental/users/cursor.json", cursor=first["after_cursor"]).json()
    assert fresh["users"] == [] and fresh["after_cursor"] == first["after_cursor"]
    zd.control.advance_clock(61)
    later = _get(zd, http, "incremental/users/cursor.json", cursor=first["after_cursor"]).json()
    assert [u["id"] for u in later["users"]] == [user["id"]] and later["users"][0]["notes"] == "changed"


def test_export_requests_are_checked_like_zendesks(zd, http):
    too_recent = _get(
        zd, http, "incremental/users/cursor.json", start_time=int(zd.control.account.clock.now().timestamp())
    )
    assert too_recent.status_code == 400 and "Too recent start_time" in too_recent.json()["description"]
    assert _get(zd, http, "incremental/users/cursor.json").status_code == 400  # neither start_time nor cursor
    assert _get(zd, http, "incremental/users/cursor.json", cursor="bm90LWEtY3Vyc29y").status_code == 400
    missing = _get(zd, http, "incremental/organizations/cursor.json", start_time=0)
    assert missing.status_code == 404  # Zendesk exports organizations by time only
    orgs = _get(zd, http, "incremental/organizations.json", start_time=0, per_page=5).json()
    assert orgs["count"] >= 5 and orgs["end_of_stream"] is False
    assert f"start_time={orgs['end_time']}" in orgs["next_page"]


def test_every_answer_carries_the_rate_limit_headers_and_exports_their_own_budget(zd, http):
    me = _get(zd, http, "users/me.json")
    assert me.headers["X-Rate-Limit"] == "700" and int(me.headers["X-Rate-Limit-Remaining"]) < 700
    assert int(me.headers["ratelimit-reset"]) <= 60
    zd.control.set_limits(exports=3)
    answers = [_get(zd, http, "incremental/tickets/cursor.json", start_time=0, per_page=1) for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[2].headers["Zendesk-RateLimit-incremental-exports"].startswith("total=3; remaining=0; resets=")
    assert int(answers[3].headers["Retry-After"]) >= 1 and answers[3].json()["error"] == "APIRateLimitExceeded"
    assert _get(zd, http, "users/me.json").status_code == 200  # the account's own budget is not spent


def test_the_account_limit_answers_429_with_retry_after(zd, http):
    zd.control.set_limits(account=2)
    try:
        codes = [_get(zd, http, "users/me.json").status_code for _ in range(3)]
        assert codes == [200, 200, 429]
    finally:
        zd.control.set_limits(account=700)


def test_refused_and_missing_credentials(zd, http):
    anonymous = requests.get(f"{zd.base_url}{API}/users/me.json", verify=str(zd.ca_file), timeout=10)
    assert anonymous.status_code == 200 and anonymous.json()["user"]["id"] is None
    refused = requests.get(f"{zd.base_url}{API}/users.json", verify=str(zd.ca_file), timeout=10,
                           auth=(f"{zd.credentials['email']}/token", "wrong"))  # fmt: skip
    assert refused.status_code == 401 and refused.json() == {"error": "Couldn't authenticate you"}
    zd.control.inject(FaultSpec("revoke_tokens"))
    assert _get(zd, http, "users/me.json").status_code == 401


def test_at_most_30_unfinished_jobs(zd, http):
    zd.control.inject(FaultSpec("job_stalls", count=JOB_LIMIT))
    user = {"users": [{"id": STORY_USER_IDS["tomas"], "notes": "x"}]}
    codes = [
        http.put(f"{zd.base_url}{API}/users/update_many.json", json=user).status_code for _ in range(JOB_LIMIT + 1)
    ]
    assert codes == [200] * JOB_LIMIT + [429]


def test_faults_over_the_admin_endpoint(zd, http):
    admin = {"X-Sandbox-Admin-Token": zd.admin_token}
    bad = http.post(f"{zd.base_url}/__sandbox__/faults", json={"kind": "bogus"}, headers=admin)
    assert bad.status_code == 400 and "job_stalls" in bad.json()["error"]
    ok = http.post(f"{zd.base_url}/__sandbox__/faults", json={"kind": "unavailable", "retry_after": 3}, headers=admin)
    assert ok.status_code == 200 and ok.json()["pending"]["transient"] == 1
    down = _get(zd, http, "users/me.json")
    assert down.status_code == 503 and down.headers["Retry-After"] == "3"


def test_the_stories_are_seeded_at_their_ids(zd, http):
    maya = _get(zd, http, f"users/{STORY_USER_IDS['maya']}.json").json()["user"]
    assert maya["name"] == "MAYA LINDQVIST" and maya["phone"] == "(415) 555-0142" and maya["locale"] == "en-US"
    tickets = {t["id"]: t for t in _get(zd, http, "tickets/show_many.json", ids="1,2,3,4").json()["tickets"]}
    assert (tickets[1]["priority"], tickets[1]["status"], tickets[1]["requester_id"]) == ("urgent", "open", maya["id"])
    mailbox = STORY_USER_IDS["mailbox"]
    assert _get(zd, http, f"users/{mailbox}.json").json()["user"]["email"] == TEAM_MAILBOX
    assert tickets[2]["requester_id"] == tickets[3]["requester_id"] == mailbox
    assert "Lena Brandt" in tickets[2]["description"] and "Jonah Reyes" in tickets[3]["description"]
    assert tickets[4]["satisfaction_rating"]["score"] == "bad" and "complaint" in tickets[4]["tags"]
    requested = _get(zd, http, f"users/{STORY_USER_IDS['tomas']}/tickets/requested.json").json()
    assert requested["tickets"] == []
    org = _get(zd, http, f"organizations/{STORY_ORGANIZATION_IDS['Brightwater Labs']}.json").json()["organization"]
    assert org["domain_names"] == ["brightwater-labs.example.com"]


def test_the_same_seed_gives_the_same_account_and_the_shared_population():
    first, second, other = Account(), Account(), Account()
    seed_account(first, records=60, seed=4)
    seed_account(second, records=60, seed=4)
    seed_account(other, records=60, seed=5)
    assert first.users == second.users and first.tickets == second.tickets
    assert first.users != other.users
    population = {p.email for p in people(4, 90, company_count=12)}
    emails = {str(u["email"]).strip().lower() for u in first.users.values() if u["email"]}
    crowd = {e for e in emails if e.split("@")[1] in {"example.com", "example.org", "example.net"}
             and "mail.example.net" not in e}  # fmt: skip
    assert len(crowd) >= 50 and crowd <= population


def test_the_people_overlap_the_salesforce_sandbox():
    with running_sandbox("salesforce", records=60, seed=4) as sf:
        contacts = {str(r.get("Email") or "").strip().lower() for obj in ("Contact", "Lead")
                    for r in sf.app.org.records[obj].values()}  # fmt: skip
    account = Account()
    seed_account(account, records=60, seed=4)
    zendesk = {str(u["email"]).strip().lower() for u in account.users.values() if u["email"]}
    shared = zendesk & contacts
    assert len(shared) >= 30  # the same people, in both systems


def test_archived_tickets_leave_the_list_but_stay_in_the_export(zd, http):
    listed: set[int] = set()
    page = _get(zd, http, "tickets.json", per_page=100).json()
    while True:
        listed |= {t["id"] for t in page["tickets"]}
        if not page["next_page"]:
            break
        page = http.get(page["next_page"]).json()
    zd.control.advance_clock(61)
    exported = _get(zd, http, "incremental/tickets/cursor.json", start_time=0).json()["tickets"]
    closed = {t["id"] for t in exported if t["status"] == "closed"}
    assert closed and not closed & listed  # closed long ago: archived
    assert {t["id"] for t in exported if t["status"] not in {"closed", "deleted"}} <= listed
