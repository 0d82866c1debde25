"""Groups and group memberships in the Zendesk sandbox, through zenpy and plain HTTP.

Each answer is compared with the sandbox's own records; every exchange (zenpy's and the
raw ones) is checked against the Zendesk contract (tests/contracts/zendesk/).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
from zenpy import Zenpy
from zenpy.lib.api_objects import Group, GroupMembership
from zenpy.lib.exception import APIException, RecordNotFoundException

from sandbox.common import RunningSandbox, running_sandbox
from sandbox.zendesk.account import ADMIN_USER_ID, Account
from sandbox.zendesk.groups import GROUP_NAMES
from sandbox.zendesk.resources import archived, gone
from sandbox.zendesk.seed import AGENT_IDS, seed_account
from tests.contracts.validator import Exchange, validate_all
from tests.support.zendesk import token_session, zenpy_client

pytestmark = pytest.mark.live

API = "/api/v2"


@pytest.fixture(scope="module")
def zd() -> Iterator[RunningSandbox]:
    with running_sandbox("zendesk", records=120, seed=5) as running:
        yield running


@pytest.fixture
def seen(zd: RunningSandbox) -> Iterator[list[Exchange]]:
    """The test's exchanges with the sandbox (raw or through zenpy); they must all follow the contract."""
    zd.control.reset()
    exchanges: list[Exchange] = []
    yield exchanges
    problems = validate_all("zendesk", exchanges)
    assert exchanges and not problems, "\n".join(problems[:10])


@pytest.fixture
def http(zd: RunningSandbox, seen: list[Exchange]) -> requests.Session:
    return token_session(zd, seen)


@pytest.fixture
def zenpy(zd: RunningSandbox, seen: list[Exchange]) -> Zenpy:
    return zenpy_client(zd, seen)


def _get(zd: RunningSandbox, http: requests.Session, path: str, **params: Any) -> requests.Response:
    return http.get(f"{zd.base_url}{API}/{path}", params=params)


def _live_groups(zd: RunningSandbox) -> list[dict[str, Any]]:
    return [g for _, g in sorted(zd.control.account.groups.items()) if not g["deleted"]]


def _seeded(zd: RunningSandbox, name: str) -> int:
    return next(g["id"] for g in zd.control.account.groups.values() if g["name"] == name and not g["deleted"])


def _end_user(zd: RunningSandbox) -> dict[str, Any]:
    return next(u for u in zd.control.account.live_users() if u["role"] == "end-user")


def test_groups_list_by_cursor_and_by_offset_match_the_sandbox(zd, zenpy, http):
    mine = _live_groups(zd)
    by_cursor = [(g.id, g.name, g.default, g.deleted, g.is_public) for g in zenpy.groups()]
    by_offset = [(g.id, g.name) for g in zenpy.groups(cursor_pagination=False)]
    assert by_cursor == [(g["id"], g["name"], g["default"], False, True) for g in mine]
    assert by_offset == [(g["id"], g["name"]) for g in mine]
    assert [g.id for g in zenpy.groups.assignable()] == [g["id"] for g in mine]
    assert {"Support", "Billing", "Escalations"} <= {g["name"] for g in mine}
    assert [g["name"] for g in mine if g["default"]] == ["Support"]
    count = _get(zd, http, "groups/count.json").json()["count"]
    assert count["value"] == len(mine) and count["refreshed_at"].endswith("Z")
    first = _get(zd, http, "groups.json", **{"page[size]": 1}).json()
    assert first["meta"]["has_more"] and [g["id"] for g in first["groups"]] == [mine[0]["id"]]
    shown = zenpy.groups(id=mine[0]["id"])
    assert shown.url.endswith(f"/api/v2/groups/{mine[0]['id']}.json") and shown.created_at and shown.updated_at


def test_create_update_and_delete_a_group(zd, zenpy, http):
    made = zenpy.groups.create(Group(name="Returns", description="Parcels coming back"))
    assert (made.name, made.description, made.default, made.deleted, made.is_public) == (
        "Returns", "Parcels coming back", False, False, True)  # fmt: skip
    assert zd.control.account.groups[made.id]["name"] == "Returns"
    made.name = "Returns and Refunds"
    updated = zenpy.groups.update(made)
    assert updated.name == "Returns and Refunds" and zenpy.groups(id=made.id).name == "Returns and Refunds"
    assert made.id in [g.id for g in zenpy.groups()]
    zenpy.groups.delete(made)
    assert zd.control.account.groups[made.id]["deleted"] is True
    assert made.id not in [g.id for g in zenpy.groups()]
    with pytest.raises(RecordNotFoundException):
        zenpy.groups(id=made.id)
    answer = _get(zd, http, f"groups/{made.id}.json")
    assert answer.status_code == 404 and answer.json()["error"] == "RecordNotFound"
    assert _get(zd, http, "groups/999.json").status_code == 404


def test_a_blank_group_name_is_record_invalid(zd, zenpy, http):
    with pytest.raises(APIException) as blank:
        zenpy.groups.create(Group(name="   "))
    assert blank.value.response.status_code == 422
    answer = http.post(f"{zd.base_url}{API}/groups.json", json={"group": {"description": "no name"}})
    body = answer.json()
    assert answer.status_code == 422 and body["error"] == "RecordInvalid"
    assert body["details"]["name"][0]["error"] == "BlankValue"
    assert all(g["description"] != "no name" for g in zd.control.account.groups.values())


def test_an_agent_joins_a_group_and_shows_in_its_and_the_users_memberships(zd, zenpy):
    group = zenpy.groups.create(Group(name="Night Shift"))
    agent = AGENT_IDS[1]
    joined = zenpy.group_memberships.create(GroupMembership(user_id=agent, group_id=group.id))
    assert (joined.user_id, joined.group_id, joined.default) == (agent, group.id, False)  # not the agent's first
    assert [(m.id, m.user_id) for m in zenpy.groups.memberships(group)] == [(joined.id, agent)]
    mine = {m.group_id: m.default for m in zenpy.users.group_memberships(agent)}
    assert mine == {m["group_id"]: m["default"] for m in zd.control.account.group_memberships.values()
                    if m["user_id"] == agent}  # fmt: skip
    assert mine[group.id] is False and list(mine.values()).count(True) == 1
    assert joined.id in [m.id for m in zenpy.group_memberships()]
    with pytest.raises(APIException) as twice:
        zenpy.group_memberships.create(GroupMembership(user_id=agent, group_id=group.id))
    assert twice.value.response.status_code == 422
    zenpy.group_memberships.delete(joined)
    assert list(zenpy.groups.memberships(group)) == []
    assert group.id not in {m.group_id for m in zenpy.users.group_memberships(agent)}


def test_an_end_user_cannot_be_a_member(zd, zenpy, http):
    user = _end_user(zd)
    support = _seeded(zd, "Support")
    with pytest.raises(APIException) as refused:
        zenpy.group_memberships.create(GroupMembership(user_id=user["id"], group_id=support))
    assert refused.value.response.status_code == 422
    body = refused.value.response.json()
    assert body["error"] == "RecordInvalid" and "user_id" in body["details"]
    assert list(zenpy.users.group_memberships(user["id"])) == []
    unknown = http.post(f"{zd.base_url}{API}/group_memberships.json",
                        json={"group_membership": {"user_id": ADMIN_USER_ID, "group_id": 999}})  # fmt: skip
    assert unknown.status_code == 422 and "group_id" in unknown.json()["details"]


def test_a_ticket_is_assigned_to_a_group_and_reads_back(zd, zenpy, http):
    now = zd.control.account.clock.now()
    ticket_id = next(t["id"] for _, t in sorted(zd.control.account.tickets.items())
                     if t["id"] > 1000 and not gone(t) and not archived(t, now) and t["status"] != "closed")  # fmt: skip
    billing = _seeded(zd, "Billing")
    ticket = zenpy.tickets(id=ticket_id)
    ticket.group_id = billing
    zenpy.tickets.update(ticket)
    assert zenpy.tickets(id=ticket_id).group_id == billing
    assert zd.control.account.tickets[ticket_id]["group_id"] == billing
    wrong = http.put(f"{zd.base_url}{API}/tickets/{ticket_id}.json", json={"ticket": {"group_id": 999}})
    assert wrong.status_code == 422 and "group_id" in wrong.json()["details"]
    assert zd.control.account.tickets[ticket_id]["group_id"] == billing


def test_a_ticket_is_created_in_a_group(zd):
    """Outside the contract check: the vendor-clients contract does not describe ticket creation."""
    session = zd.requests_session()
    session.auth = (f"{zd.credentials['email']}/token", zd.credentials["api_token"])
    escalations = _seeded(zd, "Escalations")
    made = session.post(f"{zd.base_url}{API}/tickets.json", json={"ticket": {
        "subject": "Outage", "comment": {"body": "All down"}, "group_id": escalations}})  # fmt: skip
    assert made.status_code == 201 and made.json()["ticket"]["group_id"] == escalations
    assert zd.control.account.tickets[made.json()["ticket"]["id"]]["group_id"] == escalations
    refused = session.post(f"{zd.base_url}{API}/tickets.json", json={"ticket": {
        "subject": "Outage", "comment": {"body": "All down"}, "group_id": 999}})  # fmt: skip
    assert refused.status_code == 422 and refused.json()["error"] == "RecordInvalid"


def test_seeded_groups_are_the_same_for_a_seed_and_hold_the_tickets_assignees():
    first, second = Account(), Account()
    seed_account(first, records=60, seed=4)
    seed_account(second, records=60, seed=4)
    assert first.groups == second.groups and first.group_memberships == second.group_memberships
    assert [g["name"] for _, g in sorted(first.groups.items())] == list(GROUP_NAMES)
    members = {(m["user_id"], m["group_id"]) for m in first.group_memberships.values()}
    assert {user for user, _ in members} == set(AGENT_IDS)
    grouped = [t for t in first.tickets.values() if t["assignee_id"] is not None]
    assert grouped and all((t["assignee_id"], t["group_id"]) in members for t in grouped)
    assert {t["group_id"] for t in grouped} == set(first.groups)
