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
from tests.contracts.validator import exchange_of, validate_all

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


# -- what vendor clients read: lists, tickets, search, errors (each exchange checked against the contract) --


def _checked(response: requests.Response) -> requests.Response:
    problems = validate_all("zendesk", [exchange_of(response)])
    assert not problems, "\n".join(problems)
    return response


def _follow(http: requests.Session, first: requests.Response, key: str) -> list[dict]:
    """Every item of a cursor-paged list, following ``links.next`` while ``meta.has_more``."""
    page, items = _checked(first).json(), []
    while True:
        items += page[key]
        if not page["meta"]["has_more"]:
            return items
        page = _checked(http.get(page["links"]["next"])).json()


def test_a_cursor_page_link_continues_the_same_request(zd, http):
    first = _get(zd, http, "users.json", role="end-user", **{"page[size]": 7})
    page = first.json()
    assert "role=end-user" in page["links"]["next"] and page["links"]["prev"] is None
    users = _follow(http, first, "users")
    ids = [u["id"] for u in users]
    assert {u["role"] for u in users} == {"end-user"} and len(ids) == len(set(ids))
    by_offset = _get(zd, http, "users.json", role="end-user", per_page=100).json()
    assert len(ids) == by_offset["count"]
    second = _checked(http.get(page["links"]["next"])).json()
    back = _checked(http.get(second["links"]["prev"])).json()
    assert [u["id"] for u in back["users"]] == [u["id"] for u in page["users"]]
    tickets = _follow(http, _get(zd, http, "tickets.json", **{"page[size]": 25}), "tickets")
    assert len({t["id"] for t in tickets}) == len(tickets) == _get(zd, http, "tickets.json").json()["count"]
    orgs = _follow(http, _get(zd, http, "organizations.json", **{"page[size]": 5}), "organizations")
    assert len({o["id"] for o in orgs}) == len(orgs) == _get(zd, http, "organizations.json").json()["count"]


def test_search_pages_by_offset_only_up_to_1000_results_with_facets(zd, http):
    found = _checked(_get(zd, http, "search.json", query="type:ticket status:open", per_page=5)).json()
    assert found["facets"] is None and found["count"] > 5 and "query=type" in found["next_page"]
    by_cursor = _get(zd, http, "search.json", query="type:ticket", **{"page[size]": 5})
    assert by_cursor.status_code == 400 and by_cursor.json()["error"]["title"] == "Invalid attribute"
    past = _checked(_get(zd, http, "search.json", query="type:ticket", page=11, per_page=100))
    assert past.status_code == 422 and "Search Response Limits" in past.json()["description"]
    assert _get(zd, http, "search.json", query="type:ticket", page=10, per_page=100).status_code == 200


def test_users_search_reads_wildcards(zd, http):
    found = _checked(_get(zd, http, "users/search.json", query="email:maya*")).json()["users"]
    assert [u["id"] for u in found] == [STORY_USER_IDS["maya"]]
    assert [u["id"] for u in _get(zd, http, "users/search.json", query="name:maya*").json()["users"]] == [
        STORY_USER_IDS["maya"]
    ]


def test_a_ticket_update_answers_ticket_and_audit_and_keeps_its_comment(zd, http):
    made = http.post(
        f"{zd.base_url}{API}/tickets.json", json={"ticket": {"subject": "Ink", "comment": {"body": "Out."}}}
    )
    ticket_id = made.json()["ticket"]["id"]
    update = {"ticket": {"status": "pending", "comment": {"body": "We ordered more.", "public": False}}}
    answer = _checked(http.put(f"{zd.base_url}{API}/tickets/{ticket_id}.json", json=update)).json()
    assert answer["ticket"]["status"] == "pending" and answer["audit"]["ticket_id"] == ticket_id
    events = answer["audit"]["events"]
    assert {"Comment", "Change"} <= {e["type"] for e in events}
    assert any(e.get("field_name") == "status" and e["value"] == "pending" for e in events)
    comments = _checked(_get(zd, http, f"tickets/{ticket_id}/comments.json")).json()
    assert [(c["body"], c["public"]) for c in comments["comments"]] == [("Out.", True), ("We ordered more.", False)]
    seeded = _checked(_get(zd, http, "tickets/1/comments.json")).json()["comments"]
    assert seeded[0]["body"].startswith("SSO login fails") and seeded[0]["author_id"] == STORY_USER_IDS["maya"]
    audits = _checked(_get(zd, http, f"tickets/{ticket_id}/audits.json")).json()
    assert [a["id"] for a in audits["audits"]][-1] == answer["audit"]["id"] and audits["count"] == 2


def test_deleted_tickets_and_organizations_are_not_found(zd, http):
    ticket_id = http.post(f"{zd.base_url}{API}/tickets.json", json={"ticket": {"comment": {"body": "x"}}}).json()[
        "ticket"
    ]["id"]
    org_id = http.post(f"{zd.base_url}{API}/organizations.json", json={"organization": {"name": "Gone Ltd"}}).json()[
        "organization"
    ]["id"]
    for path in (f"tickets/{ticket_id}.json", f"organizations/{org_id}.json"):
        assert _checked(http.delete(f"{zd.base_url}{API}/{path}")).status_code == 204
        assert _checked(http.get(f"{zd.base_url}{API}/{path}")).json() == {
            "error": "RecordNotFound",
            "description": "Not found",
        }
        kind = path.split("s/")[0]
        assert http.put(f"{zd.base_url}{API}/{path}", json={kind: {"tags": ["x"]}}).status_code == 404
        assert http.delete(f"{zd.base_url}{API}/{path}").status_code == 404
    assert _get(zd, http, "tickets/show_many.json", ids=f"1,{ticket_id}").json()["tickets"][0]["id"] == 1
    assert len(_get(zd, http, "tickets/show_many.json", ids=f"1,{ticket_id}").json()["tickets"]) == 1
    deleted = _checked(_get(zd, http, "deleted_tickets.json")).json()
    mine = next(t for t in deleted["deleted_tickets"] if t["id"] == ticket_id)
    assert mine["previous_state"] == "new" and mine["actor"]["id"] == 360000000001 and deleted["count"] >= 1


def test_a_missing_endpoint_is_invalid_endpoint_and_a_missing_record_record_not_found(zd, http):
    for path in ("nosuch.json", "users/abc.json", "users/360900000001/nosuch.json", "tickets/1/nosuch.json",
                 "organizations/360800000001/nosuch.json", "user_fields/1/x.json", "job_statuses/a/b.json"):  # fmt: skip
        answer = _get(zd, http, path)
        assert (answer.status_code, answer.json()) == (404, {"error": "InvalidEndpoint", "description": "Not found"}), (
            path
        )
    for path in ("users/999.json", "tickets/99999999.json", "organizations/5.json"):
        answer = _get(zd, http, path)
        assert (answer.status_code, answer.json()["error"]) == (404, "RecordNotFound"), path


def test_tickets_sideload_their_users(zd, http):
    listed = _checked(_get(zd, http, "tickets.json", include="users", per_page=5)).json()
    wanted = {t["requester_id"] for t in listed["tickets"]} | {t["assignee_id"] for t in listed["tickets"]}
    assert {u["id"] for u in listed["users"]} == wanted - {None}
    assert "include=users" in listed["next_page"]
    many = _checked(_get(zd, http, "tickets/show_many.json", ids="1,2", include="users")).json()
    assert STORY_USER_IDS["maya"] in {u["id"] for u in many["users"]}
    assert "users" not in _get(zd, http, "tickets/show_many.json", ids="1,2").json()


def test_a_failed_create_many_row_says_create():
    with running_sandbox("zendesk", records=20, seed=3) as fresh:  # the shared one's job slots are stalled above
        http = fresh.requests_session()
        http.auth = (f"{fresh.credentials['email']}/token", fresh.credentials["api_token"])
        taken = _get(fresh, http, f"users/{STORY_USER_IDS['tomas']}.json").json()["user"]["email"]
        users = {"users": [{"name": "New Person", "email": "new.person@example.org"}, {"name": "Dup", "email": taken}]}
        job = http.post(f"{fresh.base_url}{API}/users/create_many.json", json=users).json()["job_status"]
        results = _get(fresh, http, f"job_statuses/{job['id']}.json").json()["job_status"]["results"]
    assert [(r["action"], r["success"]) for r in results] == [("create", True), ("create", False)]


def test_satisfaction_ratings_list_the_rated_tickets(zd, http):
    ratings = _checked(_get(zd, http, "satisfaction_ratings.json")).json()["satisfaction_ratings"]
    complaint = next(r for r in ratings if r["ticket_id"] == 4)
    assert (complaint["score"], complaint["comment"], complaint["requester_id"]) == (
        "bad", "Nobody called back.", STORY_USER_IDS["priya"])  # fmt: skip
    assert {r["score"] for r in ratings} <= {"good", "bad"}
    bad = _get(zd, http, "satisfaction_ratings.json", score="bad").json()["satisfaction_ratings"]
    assert bad and {r["score"] for r in bad} == {"bad"}


def _signed_in_as(zd: RunningSandbox, user: dict) -> requests.Session:
    """A session whose API token signs in with ``user``'s email, as Zendesk lets a token do."""
    session = zd.requests_session()
    session.auth = (f"{user['email']}/token", zd.credentials["api_token"])
    return session


def test_a_requester_rates_a_ticket_once_solved_and_nobody_else_may(zd, http):
    account = zd.control.account
    end_users = [u for u in account.live_users() if u["role"] == "end-user" and u.get("verified") and u.get("email")]
    solved = next(t for _, t in sorted(account.tickets.items())
                  if t["status"] == "solved" and t["requester_id"] in {u["id"] for u in end_users})  # fmt: skip
    requester = account.users[solved["requester_id"]]
    other = next(u for u in end_users if u["id"] != requester["id"])
    mine, theirs = _signed_in_as(zd, requester), _signed_in_as(zd, other)
    url = f"{zd.base_url}{API}/tickets/{solved['id']}/satisfaction_rating.json"
    assert _checked(mine.get(f"{zd.base_url}{API}/users/me.json")).json()["user"]["id"] == requester["id"]
    for who in (theirs, http):  # another end user, and the admin: only the requester rates
        refused = _checked(who.post(url, json={"satisfaction_rating": {"score": "good"}}))
        assert refused.status_code == 403 and refused.json()["error"] == "Forbidden"
    assert mine.get(f"{zd.base_url}{API}/users.json").status_code == 403  # an end user lists nobody
    offered = _checked(mine.post(url, json={"satisfaction_rating": {"score": "offered"}}))
    assert offered.status_code == 422 and "score" in offered.json()["details"]
    before = solved["updated_at"]
    zd.control.advance_clock(5)
    given = _checked(mine.post(url, json={"satisfaction_rating": {"score": "bad", "comment": "Still broken"}}))
    rating = given.json()["satisfaction_rating"]
    assert (given.status_code, rating["score"], rating["comment"]) == (200, "bad", "Still broken")
    assert (rating["ticket_id"], rating["requester_id"]) == (solved["id"], requester["id"])
    assert solved["updated_at"] > before  # the incremental export carries the rated ticket
    shown = _checked(_get(zd, http, f"satisfaction_ratings/{rating['id']}.json")).json()["satisfaction_rating"]
    assert shown == rating and rating["id"] in [r["id"] for r in _get(zd, http, "satisfaction_ratings.json",
                                                                         score="bad").json()["satisfaction_ratings"]]  # fmt: skip
    audit = _get(zd, http, f"tickets/{solved['id']}/audits.json").json()["audits"][-1]
    assert audit["author_id"] == requester["id"] and audit["events"][0]["type"] == "SatisfactionRating"
    again = _checked(mine.post(url, json={"satisfaction_rating": {"score": "good"}})).json()["satisfaction_rating"]
    assert (again["id"], again["score"]) == (rating["id"], "good")  # a change of mind changes the same rating


def test_a_ticket_never_solved_is_not_rated_one_solved_and_reopened_is(zd, http):
    account = zd.control.account
    requester = next(
        u for u in account.live_users() if u["role"] == "end-user" and u.get("verified") and u.get("email")
    )
    made = http.post(f"{zd.base_url}{API}/tickets.json",
                     json={"ticket": {"subject": "Rate me", "comment": {"body": "Hi"}, "requester_id": requester["id"]}})  # fmt: skip
    ticket_url = f"{zd.base_url}{API}/tickets/{made.json()['ticket']['id']}"
    mine = _signed_in_as(zd, requester)
    bad = {"satisfaction_rating": {"score": "bad"}}
    never = _checked(mine.post(f"{ticket_url}/satisfaction_rating.json", json=bad))
    assert never.status_code == 422 and "ticket" in never.json()["details"]
    for status in ("solved", "open"):
        assert http.put(f"{ticket_url}.json", json={"ticket": {"status": status}}).status_code == 200
    assert _checked(mine.post(f"{ticket_url}/satisfaction_rating.json", json=bad)).status_code == 200


def test_a_token_signs_in_only_as_a_verified_active_user(zd, http):
    account = zd.control.account
    made = http.post(
        f"{zd.base_url}{API}/users.json", json={"user": {"name": "Ada New", "email": "ada.new@example.com"}}
    )
    unverified = made.json()["user"]  # a user made through the API is not verified until told so
    assert made.status_code == 201 and unverified["verified"] is False
    assert _signed_in_as(zd, unverified).get(f"{zd.base_url}{API}/users/me.json").status_code == 401
    nobody = _signed_in_as(zd, {"email": "nobody@example.com"}).get(f"{zd.base_url}{API}/users/me.json")
    assert nobody.status_code == 401 and nobody.json() == {"error": "Couldn't authenticate you"}
    agent = next(u for u in account.live_users() if u["role"] == "agent")
    assert _signed_in_as(zd, agent).get(f"{zd.base_url}{API}/users.json").status_code == 200


def test_a_tickets_tags_are_listed_set_added_and_removed_each_an_update_of_the_ticket(zd, http):
    ticket = next(t for _, t in sorted(zd.control.account.tickets.items()) if t["status"] == "open")
    url = f"{zd.base_url}{API}/tickets/{ticket['id']}/tags.json"
    assert _checked(http.get(url)).json() == {"tags": list(ticket["tags"])}
    before = ticket["updated_at"]
    zd.control.advance_clock(5)
    put = _checked(http.put(url, json={"tags": ["complaint", "vip"]}))
    assert put.status_code == 200 and put.json()["tags"][-2:] == ["complaint", "vip"] and ticket["updated_at"] > before
    audit = _get(zd, http, f"tickets/{ticket['id']}/audits.json").json()["audits"][-1]
    assert audit["events"][0]["field_name"] == "tags" and "complaint" in audit["events"][0]["value"]
    stale = _checked(
        http.put(url, json={"tags": ["late"], "safe_update": "true", "updated_stamp": "2001-01-01T00:00:00Z"})
    )
    assert stale.status_code == 409 and stale.json()["error"] == "UpdateConflict" and "late" not in ticket["tags"]
    current = _get(zd, http, f"tickets/{ticket['id']}.json").json()["ticket"]["updated_at"]
    safe = _checked(http.put(url, json={"tags": ["late"], "safe_update": "true", "updated_stamp": current}))
    assert safe.status_code == 200 and "late" in safe.json()["tags"]
    removed = _checked(http.delete(url, params={"tags": "vip,late"}))
    assert "vip" not in removed.json()["tags"] and "late" not in removed.json()["tags"]
    replaced = _checked(http.post(url, json={"tags": ["only"]}))
    assert (replaced.status_code, replaced.json()) == (201, {"tags": ["only"]}) and ticket["tags"] == ["only"]
