"""What happened between a person and the company: interactions and consent."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated

from pydantic import Field, model_validator

from core.canonical.base import CanonicalModel, Channel, JsonValue, RecordRef, aware
from core.canonical.identifier import Identifier

__all__ = [
    "Consent",
    "ConsentStatus",
    "Interaction",
    "InteractionKind",
    "Suppression",
    "SuppressionScope",
]


class InteractionKind(StrEnum):
    """The families of interaction the policies reason about."""

    TICKET = "ticket"
    CAMPAIGN_EVENT = "campaign_event"
    PRODUCT_EVENT = "product_event"
    SALES_ACTIVITY = "sales_activity"


class Interaction(CanonicalModel):
    """One thing that happened: a ticket, an email opened, a page viewed.

    ``identifiers`` say who it concerns (a requester's email, a distinct ID);
    ``type`` is the source's own event name (``ticket.opened``, ``Viewed Pricing``);
    ``properties`` keep everything else the policies may read.
    """

    source: RecordRef
    kind: InteractionKind
    type: str = Field(min_length=1, max_length=200)
    occurred_at: Annotated[datetime, aware]
    updated_at: Annotated[datetime, aware] | None = None
    deleted: bool = False
    channel: Channel | None = None
    status: str | None = None
    priority: str | None = None
    subject: str | None = Field(default=None, max_length=1000)
    identifiers: list[Identifier] = Field(default_factory=list)
    properties: dict[str, JsonValue] = Field(default_factory=dict)


class ConsentStatus(StrEnum):
    """A person's answer for one channel and purpose."""

    GRANTED = "granted"
    DENIED = "denied"
    """Unsubscribed, opted out, or never opted in where opt-in is required."""
    UNKNOWN = "unknown"


class Consent(CanonicalModel):
    """A person's consent for a channel and purpose, as one system recorded it."""

    source: RecordRef
    channel: Channel
    purpose: str = Field(min_length=1, max_length=100, description="e.g. marketing, newsletter, product_updates")
    status: ConsentStatus
    at: Annotated[datetime, aware]
    identifiers: list[Identifier] = Field(default_factory=list)
    updated_at: Annotated[datetime, aware] | None = None
    deleted: bool = False


class SuppressionScope(StrEnum):
    """What a suppression stops."""

    ALL = "all"
    MARKETING = "marketing"
    SALES_OUTREACH = "sales_outreach"
    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"


class Suppression(CanonicalModel):
    """A decision not to contact a person, with a named reason.

    ``reason`` is a policy's name (``unsubscribed_anywhere``, ``urgent_ticket_open``)
    so a report can say why; ``until`` is empty while it lasts.
    """

    scope: SuppressionScope
    reason: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=100)
    detail: str | None = None
    since: Annotated[datetime, aware]
    until: Annotated[datetime, aware] | None = None
    source: RecordRef | None = None

    @model_validator(mode="after")
    def _until_after_since(self) -> Suppression:
        if self.until is not None and self.until < self.since:
            msg = f"suppression {self.reason!r} ends ({self.until.isoformat()}) before it starts ({self.since.isoformat()})"
            raise ValueError(msg)
        return self

    def active(self, at: datetime) -> bool:
        """Return whether the suppression is in force at ``at``."""
        return self.since <= at and (self.until is None or at < self.until)
