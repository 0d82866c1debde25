"""Groups (agents' teams that tickets are assigned to) and group memberships.

Routes (``.json`` suffixes optional)::

GET/POST        groups                          list (cursor or offset), create (201)
GET             groups/assignable, groups/count ``{"count": {"value", "refreshed_at"}}``
GET/PUT/DELETE  groups/{id}                     a delete marks the group ``deleted`` and ends its memberships
GET             groups/{id}/memberships         the group's memberships
GET/POST        group_memberships               list, create (201)
GET/DELETE      group_memberships/{id}
GET             users/{id}/group_memberships    the user's memberships

Shapes follow Zendesk's "Groups" and "Group Memberships" pages: a group has ``id``,
``url``, ``name``, ``description``, ``default``, ``deleted``, ``is_public``,
``created_at``, ``updated_at``; a membership ``id``, ``url``, ``user_id``, ``group_id``,
``default``, ``created_at``, ``updated_at``. A deleted group is left out of the lists and
is 404 ``RecordNotFound`` to show, update and delete. Refused as ``RecordInvalid`` with
``details``: a blank name, a private group made public, a membership of an end user (only
agents and admins can be members), of an unknown user or group, or one that exists already.
A user's first membership is their default one.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import Account, Record
from sandbox.zendesk.wire import (
    API_PREFIX,
    ErrorCode,
    as_json,
    error,
    invalid,
    no_endpoint,
    not_found,
    object_body,
    page_of,
    render,
)  # fmt: skip

__all__ = ["GROUP_NAMES", "GroupsApi", "live_group", "seed_groups", "serves"]

GROUP_NAMES = ("Support", "Billing", "Escalations")
"""The seeded groups, in ID order; the first is the account's default group."""
_MEMBERS = {0: (0, 1, 2), 1: (0, 1), 2: (0, 2)}
"""Per seeded agent (by its place in ``AGENT_IDS``): the seeded groups it belongs to, its default first."""
_AGENT_ROLES = ("agent", "admin")
_GROUP_FIELDS = ("name", "description", "is_public")


def live_group(account: Account, group_id: Any) -> Record | None:
    """The group with ID ``group_id``, unless it is unknown or deleted."""
    group = account.groups.get(group_id) if isinstance(group_id, int) else None
    return None if group is None or group.get("deleted") else group


def serves(parts: list[str]) -> bool:
    """Whether ``parts`` (a path after ``/api/v2/``) is ``groups...``, ``group_memberships...`` or a user's memberships."""
    if parts[:1] in (["groups"], ["group_memberships"]):
        return True
    return len(parts) == 3 and parts[0] == "users" and parts[2] == "group_memberships"


def _no() -> Response:
    return error(405, ErrorCode.INVALID_ENDPOINT, "method not allowed on this resource")


def _blank(value: Any) -> bool:
    return not isinstance(value, str) or not value.strip()


class GroupsApi:
    """Answers ``groups...``, ``group_memberships...`` and ``users/{id}/group_memberships``."""

    def __init__(self, account: Account, *, base_url: str) -> None:
        self.account = account
        self.base_url = base_url

    def _group(self, group: Record) -> dict[str, Any]:
        return render(group, base_url=self.base_url, collection="groups")

    def _membership(self, membership: Record) -> dict[str, Any]:
        return render(membership, base_url=self.base_url, collection="group_memberships")

    def _live_groups(self) -> list[Record]:
        return [g for _, g in sorted(self.account.groups.items()) if not g.get("deleted")]

    def _page(self, request: Request, memberships: list[Record], path: str) -> Response:
        items = [self._membership(m) for m in sorted(memberships, key=lambda m: int(m["id"]))]
        return page_of(request, items, key="group_memberships", url=f"{self.base_url}{API_PREFIX}{path}.json")

    def handle(self, request: Request, parts: list[str]) -> Response:
        """Route one request whose path ``serves`` says is this API's (``parts`` after ``/api/v2/``)."""
        head, rest = parts[0], parts[1:]
        if head == "users":
            return self.user_memberships(request, rest[0]) if request.method == "GET" else _no()
        if head == "group_memberships":
            return self.memberships(request, rest)
        if rest in (["assignable"], ["count"]):
            return self._collection(request, rest[0]) if request.method == "GET" else _no()
        return self.groups(request, rest)

    # -- groups ----------------------------------------------------------------------------------

    def _collection(self, request: Request, name: str) -> Response:
        """``groups/assignable`` (every live group: the sandbox has no private-group rules) or ``groups/count``."""
        if name == "count":
            now = as_json(self.account.clock.now())
            return Response.json(200, {"count": {"value": len(self._live_groups()), "refreshed_at": now}})
        items = [self._group(g) for g in self._live_groups()]
        return page_of(request, items, key="groups", url=f"{self.base_url}{API_PREFIX}groups/assignable.json")

    def groups(self, request: Request, rest: list[str]) -> Response:
        """Route one request under ``groups`` (but ``assignable`` and ``count``)."""
        method = request.method
        if not rest:
            if method == "POST":
                return self._create(request)
            items = [self._group(g) for g in self._live_groups()]
            return page_of(request, items, key="groups", url=f"{self.base_url}{API_PREFIX}groups.json")
        if not rest[0].isdigit() or rest[1:] not in ([], ["memberships"]):
            return no_endpoint()
        group = live_group(self.account, int(rest[0]))
        if group is None:
            return not_found()
        if rest[1:] == ["memberships"] and method == "GET":
            found = [m for m in self.account.group_memberships.values() if m["group_id"] == group["id"]]
            return self._page(request, found, f"groups/{group['id']}/memberships")
        if rest[1:] or method not in {"GET", "PUT", "DELETE"}:
            return _no()
        if method == "PUT":
            return self._update(request, group)
        if method == "DELETE":
            return self._delete(group)
        return Response.json(200, {"group": self._group(group)})

    def _create(self, request: Request) -> Response:
        body = object_body(request, "group")
        if isinstance(body, Response):
            return body
        if _blank(body.get("name")):
            return invalid("name", "Name: cannot be blank", code="BlankValue")
        with self.account.lock:
            now = self.account.clock.now()
            group: Record = {"id": self.account.new_id("groups"), "name": body["name"].strip(),
                             "description": str(body.get("description") or ""), "default": False, "deleted": False,
                             "is_public": body.get("is_public") is not False, "created_at": now, "updated_at": now}  # fmt: skip
            self.account.groups[group["id"]] = group
        return Response.json(201, {"group": self._group(group)})

    def _update(self, request: Request, group: Record) -> Response:
        body = object_body(request, "group")
        if isinstance(body, Response):
            return body
        if "name" in body and _blank(body["name"]):
            return invalid("name", "Name: cannot be blank", code="BlankValue")
        if body.get("is_public") is True and not group["is_public"]:  # the text is the sandbox's
            return invalid("is_public", "Is public: a private group cannot be made public")
        changes = {k: body[k] for k in _GROUP_FIELDS if k in body}
        if "description" in changes:
            changes["description"] = str(changes["description"] or "")
        with self.account.lock:
            group.update(changes)
            self.account.touch(group)
        return Response.json(200, {"group": self._group(group)})

    def _delete(self, group: Record) -> Response:
        """Mark the group deleted (``deleted: true``) and end its memberships; tickets keep their ``group_id``."""
        with self.account.lock:
            group["deleted"] = True
            self.account.touch(group)
            for membership_id in [k for k, m in self.account.group_memberships.items() if m["group_id"] == group["id"]]:
                self.account.group_memberships.pop(membership_id)
        return Response.empty(204)

    # -- memberships -----------------------------------------------------------------------------

    def memberships(self, request: Request, rest: list[str]) -> Response:
        """Route one request under ``group_memberships``."""
        if not rest:
            if request.method == "POST":
                return self._join(request)
            return self._page(request, list(self.account.group_memberships.values()), "group_memberships")
        if len(rest) > 1 or not rest[0].isdigit():
            return no_endpoint()
        membership = self.account.group_memberships.get(int(rest[0]))
        if membership is None:
            return not_found()
        if request.method == "DELETE":
            with self.account.lock:
                self.account.group_memberships.pop(membership["id"], None)
            return Response.empty(204)
        return Response.json(200, {"group_membership": self._membership(membership)})

    def user_memberships(self, request: Request, user_id: str) -> Response:
        """``GET users/{id}/group_memberships``: the user's memberships (an end user has none)."""
        user = self.account.users.get(int(user_id)) if user_id.isdigit() else None
        if user is None:
            return not_found()
        found = [m for m in self.account.group_memberships.values() if m["user_id"] == user["id"]]
        return self._page(request, found, f"users/{user['id']}/group_memberships")

    def _join(self, request: Request) -> Response:
        body = object_body(request, "group_membership")
        if isinstance(body, Response):
            return body
        user_id, group_id = body.get("user_id"), body.get("group_id")
        user = self.account.users.get(user_id) if isinstance(user_id, int) else None
        if user is None or not user.get("active"):
            return invalid("user_id", f"User: {user_id!r} does not exist")
        if user.get("role") not in _AGENT_ROLES:
            return invalid("user_id", f"User: {user['name']} is an end user; only agents and admins can join groups")
        group = live_group(self.account, group_id)
        if group is None:
            return invalid("group_id", f"Group: {group_id!r} does not exist")
        group_id = group["id"]
        with self.account.lock:
            mine = [m for m in self.account.group_memberships.values() if m["user_id"] == user_id]
            if any(m["group_id"] == group_id for m in mine):
                return invalid("user_id", "User is already a member of this group", code="DuplicateValue")
            default = bool(body.get("default")) or not mine
            if default:
                for other in mine:
                    other["default"] = False
                    self.account.touch(other)
            membership = _membership(self.account, user["id"], group_id, default=default)
        return Response.json(201, {"group_membership": self._membership(membership)})


def _membership(account: Account, user_id: int, group_id: int, *, default: bool, at: datetime | None = None) -> Record:
    now = at or account.clock.now()
    membership: Record = {"id": account.new_id("group_memberships"), "user_id": user_id, "group_id": group_id,
                          "default": default, "created_at": now, "updated_at": now}  # fmt: skip
    account.group_memberships[membership["id"]] = membership
    return membership


def seed_groups(account: Account, agent_ids: tuple[int, ...], *, seed: int) -> None:
    """Seed ``GROUP_NAMES``, the agents' memberships, and the groups of tickets that have an assignee.

    Its own random stream, so the rest of the account is what it was without groups. A
    ticket with an assignee is in one of the assignee's groups, as Zendesk requires
    (``Billing`` for billing and refund tickets, ``Escalations`` for urgent ones, else
    ``Support``); about half of the unassigned ones are in ``Support``, the others in none.
    ``updated_at`` of the tickets is not changed.
    """
    rng = random.Random(f"zendesk:groups:{seed}")
    start = account.users[agent_ids[0]]["created_at"]
    group_ids = []
    for index, name in enumerate(GROUP_NAMES):
        created = start + timedelta(minutes=rng.randint(1, 59) + 60 * index)
        group_id = account.new_id("groups")
        account.groups[group_id] = {"id": group_id, "name": name, "description": f"{name} team", "default": index == 0,
                                    "deleted": False, "is_public": True, "created_at": created, "updated_at": created}  # fmt: skip
        group_ids.append(group_id)
    for place, agent_id in enumerate(agent_ids):
        for rank, index in enumerate(_MEMBERS.get(place, (0,))):
            joined = account.groups[group_ids[index]]["created_at"] + timedelta(minutes=rng.randint(1, 600))
            _membership(account, agent_id, group_ids[index], default=rank == 0, at=joined)
    member_of = {a: {m["group_id"] for m in account.group_memberships.values() if m["user_id"] == a} for a in agent_ids}
    support, billing, escalations = group_ids
    for _, ticket in sorted(account.tickets.items()):
        assignee = ticket.get("assignee_id")
        if assignee is None:
            ticket["group_id"] = support if rng.random() < 0.5 else None
            continue
        wanted = support
        if {"billing", "refund"} & set(ticket.get("tags") or []):
            wanted = billing
        elif ticket.get("priority") == "urgent":
            wanted = escalations
        ticket["group_id"] = wanted if wanted in member_of.get(assignee, set()) else support
