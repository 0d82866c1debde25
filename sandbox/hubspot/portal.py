"""The sandbox portal's data: contacts, companies, deals, tickets, subscriptions and email events.

Associations other than a contact's primary company are kept in ``links``.

A record keeps its property values as strings (HubSpot's wire form) beside its
create and modify times; ``lastmodifieddate`` (contacts) and ``hs_lastmodifieddate``
(companies) are the modify time rendered, never stored twice. A fault may store a
broken rendering of one property (``broken``), as a damaged record would read,
while the record keeps its place in time-ordered searches.

No two live contacts share an email (compared without case), as in HubSpot: ``add`` and
``update`` refuse a write that would make a second one (``EmailTakenError``). The APIs
check first and answer HubSpot's errors; the refusal here keeps every other path honest.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sandbox.hubspot.links import Links
from sandbox.hubspot.schema import CURSOR_PROPERTY, SUBSCRIPTION_TYPES, Schema
from sandbox.hubspot.wire import iso

__all__ = ["EmailEvent", "EmailTakenError", "HubRecord", "Portal", "SubscriptionStatus", "SUBSCRIPTION_TYPES"]

PORTAL_ID = 24_681_357
OBJECTS = ("contacts", "companies", "deals", "tickets")


class EmailTakenError(ValueError):
    """A write would give a second live contact an email another one holds."""

    def __init__(self, email: str, existing_id: str) -> None:
        super().__init__(f"Contact already exists. Existing ID: {existing_id}")
        self.email = email
        self.existing_id = existing_id


@dataclass
class HubRecord:
    """One contact or company."""

    id: str
    props: dict[str, str]
    created: datetime
    modified: datetime
    archived: bool = False
    archived_at: datetime | None = None
    merged_into: str | None = None
    broken: dict[str, str] = field(default_factory=dict)

    def value(self, obj: str, name: str) -> str | None:
        """The property as HubSpot would send it (None when unset)."""
        if name in self.broken:
            return self.broken[name]
        if name == CURSOR_PROPERTY[obj]:
            return iso(self.modified)
        if name == "createdate":
            return iso(self.created)
        if name == "hs_object_id":
            return self.id
        found = self.props.get(name)
        return found if found not in (None, "") else None


@dataclass
class SubscriptionStatus:
    """One person's status for one subscription type (``portal`` for "unsubscribed from all")."""

    email: str
    subscription_id: str
    subscribed: bool
    at: datetime
    source: str = "SUBSCRIPTION_STATUS"
    legal_basis: str | None = "LEGITIMATE_INTEREST_CLIENT"


@dataclass
class EmailEvent:
    """One marketing email event (the email events API's shape, built when sent)."""

    id: str
    created: int
    type: str
    recipient: str
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        """The event as ``GET /email/public/v1/events`` lists it."""
        return {
            "id": self.id,
            "created": self.created,
            "type": self.type,
            "recipient": self.recipient,
            "portalId": PORTAL_ID,
            "appId": 113,
            "appName": "BatchEmail",
            **self.extra,
        }


class Portal:
    """All data of one sandbox portal, guarded by one lock."""

    def __init__(self, *, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.schemas: dict[str, Schema] = {obj: Schema.default(obj) for obj in OBJECTS}
        self.records: dict[str, dict[str, HubRecord]] = {obj: {} for obj in OBJECTS}
        self.links = Links(self.lock)
        """Associations other than a contact's primary company (deals, tickets); see ``links``."""
        self.subscriptions: dict[str, dict[str, SubscriptionStatus]] = {}
        self.events: list[EmailEvent] = []
        self._by_email: dict[str, set[str]] = {}
        self.blocklist: set[str] = set()
        """Email addresses GDPR-deleted: they cannot be used for a new contact again."""
        """Contact IDs by lower-cased email (archived ones included), so look-ups by email stay fast."""
        self._clock = clock or (lambda: datetime.now(UTC))
        self._next_id = 100_001
        self._last_now = datetime(2000, 1, 1, tzinfo=UTC)

    def now(self) -> datetime:
        """The current time, never earlier than the last one handed out."""
        with self.lock:
            current = self._clock().astimezone(UTC)
            moment = max(current.replace(microsecond=current.microsecond // 1000 * 1000), self._last_now)
            self._last_now = moment
            return moment

    def reserve_clock(self, moment: datetime) -> None:
        """Make ``now()`` never return earlier than ``moment`` (after seeding)."""
        with self.lock:
            self._last_now = max(self._last_now, moment)

    def new_id(self) -> str:
        """A fresh record ID."""
        with self.lock:
            self._next_id += 1
            return str(self._next_id)

    def add(self, obj: str, record: HubRecord) -> HubRecord:
        """Store a record (seeding and creates); raise ``EmailTakenError`` for a contact email in use."""
        with self.lock:
            if obj == "contacts" and not record.archived:
                self._refuse_taken(record.props.get("email"), record.id)
            self.records[obj][record.id] = record
            if obj == "contacts":
                self._index(record, None)
                if self.statuses(record.props.get("email") or ""):  # stated before the contact was made
                    self._sync_optout(record)
            return record

    def _index(self, record: HubRecord, old_email: str | None) -> None:
        if old_email:
            self._by_email.get(old_email.lower(), set()).discard(record.id)
        email = (record.props.get("email") or "").lower()
        if email:
            self._by_email.setdefault(email, set()).add(record.id)

    def email_holder(self, email: str | None, *, besides: str | None = None) -> HubRecord | None:
        """The live contact holding ``email`` (without case), other than the one with ID ``besides``."""
        wanted = (email or "").strip().lower()
        if not wanted:
            return None
        holders = (self.records["contacts"].get(i) for i in sorted(self._by_email.get(wanted, ()), key=int))
        return next((r for r in holders if r is not None and not r.archived and r.id != besides), None)

    def _refuse_taken(self, email: str | None, record_id: str) -> None:
        holder = self.email_holder(email, besides=record_id)
        if holder is not None:
            raise EmailTakenError(str(email), holder.id)

    def get(self, obj: str, record_id: str, *, archived: bool = False) -> HubRecord | None:
        """The record with this ID if it is (``archived``) or is not archived.

        The ID of a merge loser leads to the record it was merged into, as in HubSpot; a loser
        is never listed as archived (it left no record in the recycle bin).
        """
        record = self.records[obj].get(str(record_id))
        hops = 0
        while record is not None and record.merged_into and not archived and hops < 10:
            record, hops = self.records[obj].get(record.merged_into), hops + 1
        if record is None or record.merged_into:
            return None
        return record if record.archived == archived else None

    def find(self, obj: str, prop: str, value: str, *, archived: bool = False) -> HubRecord | None:
        """The record whose ``prop`` equals ``value`` (emails compared without case)."""
        wanted = value.strip().lower()
        if prop == "hs_object_id":
            return self.get(obj, wanted, archived=archived)
        if obj == "contacts" and prop == "email":
            found = (self.records[obj][i] for i in sorted(self._by_email.get(wanted, ()), key=int))
            return next((r for r in found if r.archived == archived), None)
        for record in self.records[obj].values():
            if record.archived == archived and (record.value(obj, prop) or "").lower() == wanted:
                return record
        return None

    def live(self, obj: str) -> Iterator[HubRecord]:
        """Records not archived, in ID order."""
        yield from (r for r in self.sorted(obj) if not r.archived)

    def sorted(self, obj: str) -> list[HubRecord]:
        """Every record, archived included, in numeric ID order."""
        return sorted(self.records[obj].values(), key=lambda r: int(r.id))

    def update(self, obj: str, record: HubRecord, props: dict[str, str]) -> None:
        """Set properties and move the modify time to now; raise ``EmailTakenError`` for a contact email in use."""
        with self.lock:
            if obj == "contacts" and "email" in props and not record.archived:
                self._refuse_taken(props["email"], record.id)
            old_email = record.props.get("email")
            record.props.update(props)
            record.modified = self.now()
            if obj == "contacts" and "email" in props:
                self._index(record, old_email)
                self._sync_optout(record)

    def purge(self, obj: str, record: HubRecord) -> None:
        """Delete a record for good (GDPR), with its email events and subscriptions; blocklist its email."""
        with self.lock:
            self.records[obj].pop(record.id, None)
            email = (record.props.get("email") or "").lower()
            if obj == "contacts" and email:
                self._by_email.get(email, set()).discard(record.id)
                self.blocklist.add(email)
                self.subscriptions.pop(email, None)
                self.events = [e for e in self.events if e.recipient.lower() != email]

    def archive(self, record: HubRecord, *, merged_into: str | None = None) -> None:
        """Archive a record; archiving does not move its modify time (as in HubSpot)."""
        with self.lock:
            record.archived = True
            record.archived_at = self.now()
            record.merged_into = merged_into

    def merge(self, primary: HubRecord, loser: HubRecord) -> None:
        """Merge ``loser`` into ``primary``: fill missing values, list the loser; its ID now leads to ``primary``."""
        with self.lock:
            for name, value in loser.props.items():
                if value and not primary.props.get(name) and name != "hs_merged_object_ids":
                    primary.props[name] = value
            merged = [i for i in (primary.props.get("hs_merged_object_ids") or "").split(";") if i]
            primary.props["hs_merged_object_ids"] = ";".join([*merged, loser.id])
            self._index(primary, None)
            self.archive(loser, merged_into=primary.id)
            primary.modified = self.now()

    # -- subscriptions ----------------------------------------------------------------------

    def statuses(self, email: str) -> dict[str, SubscriptionStatus]:
        """The statuses set for ``email`` by subscription ID (``portal``: unsubscribed from all)."""
        return dict(self.subscriptions.get(email.strip().lower(), {}))

    def set_status(self, status: SubscriptionStatus, *, touch: bool = True) -> None:
        """Record a subscription status and set the contact property that follows it.

        ``hs_email_optout`` follows the portal-wide status, ``hs_email_optout_<id>`` ("Opted out
        of email: <type>") each type's, as HubSpot sets them when an integration opts a contact
        in or out; a property set moves the contact's ``lastmodifieddate`` (``touch``).
        """
        with self.lock:
            self.subscriptions.setdefault(status.email.lower(), {})[status.subscription_id] = status
            contact = self.find("contacts", "email", status.email)
            if contact is None:  # a status is the address's: a contact made later shows it
                return
            contact.props.update([_optout(status)])
            if touch:
                contact.modified = self.now()

    def _sync_optout(self, contact: HubRecord) -> None:
        """Set the opt-out properties from the statuses of the contact's address (a status is the address's)."""
        statuses = self.statuses(contact.props.get("email") or "")
        contact.props["hs_email_optout"] = "false"  # until an unsubscribe from all says otherwise
        contact.props.update(_optout(status) for status in statuses.values())

    # -- email events -------------------------------------------------------------------------

    def add_event(self, event: EmailEvent) -> None:
        """Record one email event."""
        with self.lock:
            self.events.append(event)

    def events_newest_first(self) -> list[EmailEvent]:
        """Every event, newest first (ties by ID), as the email events API lists them."""
        with self.lock:
            return sorted(self.events, key=lambda e: (e.created, e.id), reverse=True)


def _optout(status: SubscriptionStatus) -> tuple[str, str]:
    """The contact property a status sets, and its value.

    ``hs_email_optout`` for the portal-wide status, ``hs_email_optout_<id>`` ("Opted out of
    email: <type>") for a type's.
    """
    name = "hs_email_optout" if status.subscription_id == "portal" else f"hs_email_optout_{status.subscription_id}"
    return name, "false" if status.subscribed else "true"
