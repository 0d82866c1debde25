"""The HubSpot sandbox over plain HTTP: shapes, limits and their headers, faults, seeded stories."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from core.errors import ConfigError
from sandbox.common import FaultSpec, RunningSandbox, running_sandbox
from sandbox.common.people import people
from sandbox.hubspot.data import STORY_COMPANY_IDS, STORY_CONTACT_IDS


@pytest.fixture(scope="module")
def portal() -> Iterator[RunningSandbox]:
    with running_sandbox("hubspot", records=200, seed=3) as running:
        yield running


class Stepped:
    """A clock for the sandbox's rate windows that only the test moves."""

    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hs(portal: RunningSandbox) -> Iterator[RunningSandbox]:
    portal.control.reset()
    portal.control.limits.configure(ten_secondly=190, secondly=19, search_per_second=5, clock=Stepped())
    yield portal
    portal.control.reset()


def _call(sb: RunningSandbox, method: str, path: str, *, token: str | None = None, **kwargs) -> requests.Response:
    headers = {"Authorization": f"Bearer {token or sb.credentials['private_app_token']}"}
    return sb.requests_session().request(method, sb.base_url + path, headers=headers, timeout=10, **kwargs)


def test_stories_are_seeded_with_fixed_ids_and_the_crowd_is_the_shared_population(hs):
    portal = hs.control.portal
    assert portal.get("contacts", STORY_CONTACT_IDS["tomas"]).props["hs_email_optout"] == "true"
    assert portal.get("contacts", STORY_CONTACT_IDS["lena"]).props["email"] == "lena.brandt@mailbox.example.org"
    assert (
        portal.get("companies", STORY_COMPANY_IDS["brightwater-labs.example.com"]).props["name"] == "Brightwater Labs"
    )
    assert (
        portal.find("contacts", "email", "support@brightwater-labs.example.com") is None
    )  # HubSpot has personal addresses
    crowd = {p.email for p in people(3, 200, company_count=40)}
    seeded = {r.props["email"] for r in portal.records["contacts"].values() if int(r.id) > 1000}
    assert seeded == crowd  # the same people as in every other sandbox with this seed (HubSpot keeps emails lower case)


def test_rate_limit_headers_on_crm_calls_not_on_search_and_daily_ones_only_for_a_private_app(hs):
    listed = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1")
    assert (
        listed.headers["X-HubSpot-RateLimit-Max"] == "190" and listed.headers["X-HubSpot-RateLimit-Remaining"] == "189"
    )
    assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert int(listed.headers["X-HubSpot-RateLimit-Daily-Remaining"]) == 100_000 - 1
    searched = _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1})
    assert searched.status_code == 200 and not any(h.startswith("X-HubSpot-RateLimit") for h in searched.headers)
    token = _call(
        hs,
        "POST",
        "/oauth/v1/token",
        data={
            "grant_type": "refresh_token",
            **{k: hs.credentials[k] for k in ("client_id", "client_secret", "refresh_token")},
        },
    )
    oauth = _call(hs, "GET", "/crm/v3/objects/companies?limit=1", token=token.json()["access_token"])
    assert oauth.status_code == 200 and "X-HubSpot-RateLimit-Daily" not in oauth.headers


def test_search_has_its_own_rate_of_five_a_second(hs):
    clock = hs.control.limits._clock
    answers = [_call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1}).status_code for _ in range(6)]
    assert answers == [200] * 5 + [429]
    assert _call(hs, "GET", "/crm/v3/objects/contacts?limit=1").status_code == 200  # the general limit is separate
    clock.now += 1.0
    assert _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1}).status_code == 200


def test_secondly_and_ten_secondly_windows_answer_429_with_their_policy(hs):
    hs.control.limits.configure(ten_secondly=4, secondly=3, search_per_second=5, clock=hs.control.limits._clock)
    codes = [_call(hs, "GET", "/crm/v3/objects/companies?limit=1") for _ in range(4)]
    assert [c.status_code for c in codes] == [200, 200, 200, 429]
    assert codes[2].headers["X-HubSpot-RateLimit-Secondly-Remaining"] == "0"
    assert codes[3].json()["policyName"] == "SECONDLY" and codes[3].headers["Retry-After"] == "1"
    hs.control.limits._clock.now += 1.5
    assert _call(hs, "GET", "/crm/v3/objects/companies?limit=1").status_code == 200
    window = _call(hs, "GET", "/crm/v3/objects/companies?limit=1")
    assert window.status_code == 429 and window.json()["policyName"] == "TEN_SECONDLY_ROLLING"


def test_daily_limit(hs):
    hs.control.set_api_usage(99, limit=100)
    assert _call(hs, "GET", "/crm/v3/objects/contacts?limit=1").headers["X-HubSpot-RateLimit-Daily-Remaining"] == "0"
    spent = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1")
    assert spent.status_code == 429 and spent.json()["policyName"] == "DAILY"


def test_search_ceiling_and_paging(hs):
    hs.control.search_ceiling = 50
    body = {"limit": 20, "sorts": [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]}
    second = _call(hs, "POST", "/crm/v3/objects/contacts/search", json=body | {"after": "20"}).json()
    assert second["paging"]["next"]["after"] == "40" and second["total"] > 50
    refused = _call(hs, "POST", "/crm/v3/objects/contacts/search", json=body | {"after": "40"})
    assert refused.status_code == 400 and refused.json()["category"] == "VALIDATION_ERROR"
    last = _call(hs, "POST", "/crm/v3/objects/contacts/search", json=body | {"after": "30"}).json()
    assert "paging" not in last  # nothing past the ceiling is offered
    too_big = _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 201})
    assert too_big.status_code == 400


def test_archived_contacts_are_listed_apart_and_merged_ids_lead_to_the_winner(hs):
    archived = _call(hs, "GET", "/crm/v3/objects/contacts?archived=true&limit=100&properties=lastmodifieddate").json()
    assert archived["results"] and all(r["archived"] and r["archivedAt"] for r in archived["results"])
    ids = {r["id"] for r in archived["results"]}
    searched = _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 200}).json()["results"]
    assert not ids & {r["id"] for r in searched}
    winner = next(r for r in hs.control.portal.live("contacts") if r.props.get("hs_merged_object_ids"))
    loser = winner.props["hs_merged_object_ids"].split(";")[0]
    assert loser not in ids  # a merge leaves nothing in the recycle bin
    assert (
        _call(hs, "GET", f"/crm/v3/objects/contacts/{loser}").json()["id"] == winner.id
    )  # the old ID reads the winner


def test_batch_upsert_refuses_duplicates_and_over_100_inputs(hs):
    inputs = [{"idProperty": "email", "id": f"p{n}@example.com", "properties": {}} for n in range(101)]
    assert _call(hs, "POST", "/crm/v3/objects/contacts/batch/upsert", json={"inputs": inputs}).status_code == 400
    twice = [{"id": "101", "properties": {"jobtitle": "a"}}, {"id": "101", "properties": {"jobtitle": "b"}}]
    refused = _call(hs, "POST", "/crm/v3/objects/contacts/batch/update", json={"inputs": twice})
    assert refused.status_code == 400 and "Duplicate" in refused.json()["message"]


def test_oauth_errors_and_expired_tokens(hs):
    form = {"grant_type": "refresh_token", "client_id": hs.credentials["client_id"],
            "client_secret": hs.credentials["client_secret"], "refresh_token": "na1-0000-wrong"}  # fmt: skip
    bad = _call(hs, "POST", "/oauth/v1/token", data=form)
    assert bad.status_code == 400 and bad.json()["status"] == "BAD_REFRESH_TOKEN"
    good = _call(hs, "POST", "/oauth/v1/token", data=form | {"refresh_token": hs.credentials["refresh_token"]}).json()
    info = _call(hs, "GET", f"/oauth/v1/access-tokens/{good['access_token']}").json()
    assert info["hub_id"] == 24681357 and "crm.objects.contacts.write" in info["scopes"]
    hs.control.inject(FaultSpec("expire_tokens"))
    expired = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1", token=good["access_token"])
    assert expired.status_code == 401 and expired.json()["category"] == "EXPIRED_AUTHENTICATION"
    assert _call(hs, "GET", "/crm/v3/objects/contacts?limit=1").status_code == 200  # a private app's token lives on


def test_faults_unavailable_malformed_event_and_unknown(hs):
    hs.control.inject(FaultSpec("unavailable", retry_after=3))
    down = _call(hs, "GET", "/crm/v3/objects/contacts?limit=1")
    assert down.status_code == 503 and down.headers["Retry-After"] == "3"
    event_id = hs.control.corrupt_event()
    events = _call(hs, "GET", "/email/public/v1/events?limit=5").json()["events"]
    assert next(e for e in events if e["id"] == event_id)["created"] == "yesterday"
    with pytest.raises(ConfigError, match="unknown HubSpot sandbox fault"):
        hs.control.inject(FaultSpec("earthquake"))
    admin = hs.requests_session().post(f"{hs.base_url}/__sandbox__/faults", json={"kind": "search_rate_limited"},
                                       headers={"X-Sandbox-Admin-Token": hs.admin_token})  # fmt: skip
    assert admin.status_code == 200 and admin.json()["pending"]["search"] == 1
    assert _call(hs, "POST", "/crm/v3/objects/contacts/search", json={"limit": 1}).status_code == 429


def test_events_are_newest_first_and_offsets_keep_their_place(hs):
    first = _call(hs, "GET", "/email/public/v1/events?limit=50").json()
    created = [e["created"] for e in first["events"] if isinstance(e["created"], int)]
    assert created == sorted(created, reverse=True) and first["hasMore"]
    hs.control.portal.add_event(
        type(hs.control.portal.events[0])("brand-new", 4_102_444_800_000, "SENT", "x@example.com")
    )
    second = _call(hs, "GET", f"/email/public/v1/events?limit=50&offset={first['offset']}").json()
    assert not {e["id"] for e in first["events"]} & {e["id"] for e in second["events"]}
    assert "brand-new" not in {e["id"] for e in second["events"]}
