"""The sandbox account's data: users, organizations, tickets, user fields, groups, and the clock.

Records are stored as dicts in Zendesk's JSON shape, with ``created_at`` and
``updated_at`` as aware datetimes (rendered ``2024-01-02T09:00:00Z``, Zendesk's
second resolution); ``url`` is added when rendered. A corrupted value (a fault) is
stored as a plain string and rendered as it is, as a broken record would look.

The clock is the wall clock plus an offset the control can move forward: Zendesk's
incremental exports leave out the last minute, so a test that changes a record
moves the clock on by a minute instead of waiting for it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

__all__ = [
    "ADMIN_USER_ID",
    "Account",
    "Clock",
    "Kind",
    "Record",
    "format_time",
    "parse_time",
    "stamp_of",
]

Record = dict[str, Any]
ADMIN_USER_ID = 360000000001
"""The sandbox's admin agent, whom the API token and OAuth token belong to."""


class Kind(StrEnum):
    """The record collections of an account, by their API names."""

    USERS = "users"
    ORGANIZATIONS = "organizations"
    TICKETS = "tickets"


_LOOKUP_KEYS = ("email", "external_id")
_FIRST_ID = {Kind.USERS: 361000000000, Kind.ORGANIZATIONS: 362000000000, Kind.TICKETS: 1000}
_FIRST_OTHER_ID = {"groups": 360100000000, "group_memberships": 360200000000}


def format_time(value: datetime) -> str:
    """Zendesk's time format: ``2024-01-02T09:00:00Z`` (UTC, whole seconds)."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_time(value: str) -> datetime:
    """Read ``2024-01-02T09:00:00Z`` back (raises ``ValueError`` for anything else)."""
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def stamp_of(record: Record) -> int:
    """The record's ``updated_at`` in epoch seconds; a corrupted value sorts first (0)."""
    value = record.get("updated_at")
    return int(value.timestamp()) if isinstance(value, datetime) else 0


class Clock:
    """Wall-clock time plus an offset that only moves forward."""

    def __init__(self) -> None:
        self._offset = timedelta()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """The account's current time (UTC, whole seconds)."""
        with self._lock:
            return (datetime.now(UTC) + self._offset).replace(microsecond=0)

    def advance(self, seconds: float) -> datetime:
        """Move the clock ``seconds`` forward; returns the new time."""
        with self._lock:
            self._offset += timedelta(seconds=max(0.0, seconds))
        return self.now()


@dataclass
class Account:
    """Every record of one sandbox account, guarded by one lock.

    Attributes:
        users, organizations, tickets: Records by ID.
        user_fields: Custom user field definitions by key.
        metric_sets: Per ticket ID, its metrics (``solved_at``...), sideloaded by exports.
        comments, audits: Per ticket ID, its comments and the audits of its updates (see ``sandbox.zendesk.comments``).
        ticket_deletions: Per deleted ticket ID, ``previous_state``, ``deleted_at`` and ``actor_id``.
        groups, group_memberships: Agents' groups and their members, by ID (see ``sandbox.zendesk.groups``).
    """

    clock: Clock = field(default_factory=Clock)
    users: dict[int, Record] = field(default_factory=dict)
    organizations: dict[int, Record] = field(default_factory=dict)
    tickets: dict[int, Record] = field(default_factory=dict)
    user_fields: dict[str, Record] = field(default_factory=dict)
    metric_sets: dict[int, Record] = field(default_factory=dict)
    comments: dict[int, list[Record]] = field(default_factory=dict)
    audits: dict[int, list[Record]] = field(default_factory=dict)
    ticket_deletions: dict[int, Record] = field(default_factory=dict)
    groups: dict[int, Record] = field(default_factory=dict)
    group_memberships: dict[int, Record] = field(default_factory=dict)
    lock: threading.RLock = field(default_factory=threading.RLock)
    _next: dict[str, int] = field(default_factory=dict)
    _index: dict[tuple[str, str], set[int]] = field(default_factory=dict)

    def records(self, kind: Kind) -> dict[int, Record]:
        """The records of one collection, by ID."""
        return {Kind.USERS: self.users, Kind.ORGANIZATIONS: self.organizations, Kind.TICKETS: self.tickets}[kind]

    def new_id(self, kind: str) -> int:
        """A fresh ID for a record of ``kind`` (users, organizations, tickets, groups, user_fields, jobs...)."""
        start = (
            _FIRST_ID.get(Kind(kind), 363000000000) if kind in set(Kind) else _FIRST_OTHER_ID.get(kind, 364000000000)
        )
        self._next[kind] = max(self._next.get(kind, start), start) + 1
        return self._next[kind]

    def reserve_ids(self, kind: Kind, last: int) -> None:
        """Make every later ``new_id(kind)`` greater than ``last`` (seeded records keep their IDs)."""
        self._next[kind] = max(self._next.get(kind, 0), last)

    def ordered(self, kind: Kind) -> list[Record]:
        """The records of ``kind`` in export order: ``updated_at``, then ID."""
        return sorted(self.records(kind).values(), key=lambda r: (stamp_of(r), int(r["id"])))

    def touch(self, record: Record, *, at: datetime | None = None) -> None:
        """Stamp ``record`` as changed now (or at ``at``)."""
        record["updated_at"] = at or self.clock.now()

    def remember(self, user: Record) -> None:
        """Index ``user`` by its email and external ID (call after creating or changing one)."""
        for key in _LOOKUP_KEYS:
            value = user.get(key)
            if isinstance(value, str) and value.strip():
                self._index.setdefault((key, value.strip().lower()), set()).add(int(user["id"]))

    def user_by(self, key: str, value: Any) -> Record | None:
        """The live user whose ``key`` (``email``, ``external_id``) equals ``value``, ignoring case."""
        wanted = str(value).strip().lower()
        for user_id in sorted(self._index.get((key, wanted), ())):
            user = self.users.get(user_id)
            if user and user.get("active") and str(user.get(key) or "").strip().lower() == wanted:
                return user
        return None

    def delete_ticket(self, ticket: Record, *, actor_id: int = ADMIN_USER_ID, at: datetime | None = None) -> None:
        """Delete a ticket as Zendesk does: status ``deleted`` (the exports show it), remembered for ``deleted_tickets``."""
        when = at or self.clock.now()
        self.ticket_deletions[int(ticket["id"])] = {"previous_state": ticket.get("status"), "deleted_at": when,
                                                    "actor_id": actor_id}  # fmt: skip
        ticket["status"] = "deleted"
        self.touch(ticket, at=at)

    def live_users(self) -> Iterator[Record]:
        """Users that are not deleted, by ID."""
        return (u for _, u in sorted(self.users.items()) if u.get("active"))
