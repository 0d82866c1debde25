"""Canonical records built by hand, the way the four systems' mappings produce them.

Zendesk tickets become ``Interaction(kind=ticket)`` with status, priority, the ticket
type, tags and the satisfaction rating in ``properties``; HubSpot email events become
``kind=campaign_event`` with the event type (SENT, OPEN, CLICK, BOUNCE, STATUSCHANGE...)
and the campaign's name as the SENT event's subject; HubSpot subscription statuses
become ``Consent``; Mixpanel events become ``kind=product_event`` with the page path as
subject and every Mixpanel property in ``properties``; Salesforce opportunities become
``kind=sales_activity``.
"""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from core.canonical import Consent, Interaction, RecordRef

NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def ref(system: str, stream: str, source_id: str | int) -> RecordRef:
    return RecordRef(system=system, stream=stream, source_id=str(source_id))


def ago(**delta: float) -> datetime:
    return NOW - timedelta(**delta)


def ticket(
    ticket_id: int,
    *,
    subject: str = "Help",
    status: str = "open",
    priority: str | None = "normal",
    ticket_type: str | None = None,
    tags: list[str] | None = None,
    satisfaction: str | None = None,
    created: datetime | None = None,
    updated: datetime | None = None,
    solved_at: datetime | None = None,
    channel: str = "email",
) -> Interaction:
    created = created or ago(days=1)
    properties: dict[str, Any] = {"tags": list(tags or []), "via": {"channel": channel}}
    if satisfaction is not None:
        properties["satisfaction_rating"] = {"score": satisfaction, "comment": "Nobody called back."}
    if solved_at is not None:
        properties["solved_at"] = solved_at.isoformat()
    return Interaction(
        source=ref("zendesk", "tickets", ticket_id),
        kind="ticket",
        type=ticket_type or "ticket",
        occurred_at=created,
        updated_at=updated or created,
        channel="email" if channel == "email" else "web",
        status=status,
        priority=priority,
        subject=subject,
        properties=properties,
    )


def email_event(event_type: str, at: datetime, *, campaign: str = "Quarterly newsletter", **extra: Any) -> Interaction:
    properties: dict[str, Any] = {"emailCampaignId": 318_775_001, "recipient": "someone@example.com", **extra}
    return Interaction(
        source=ref("hubspot", "email_events", f"ev-{next(_ids)}"),
        kind="campaign_event",
        type=event_type,
        occurred_at=at,
        channel="email",
        subject=campaign if event_type == "SENT" else None,
        properties=properties,
    )


def nurture_email(at: datetime, kinds: tuple[str, ...], *, campaign: str) -> list[Interaction]:
    return [email_event(kind, at + timedelta(minutes=10 * i), campaign=campaign) for i, kind in enumerate(kinds)]


def form_submission(at: datetime, form: str) -> Interaction:
    return Interaction(
        source=ref("hubspot", "form_submissions", f"form-{next(_ids)}"),
        kind="campaign_event",
        type="FORM_SUBMISSION",
        occurred_at=at,
        channel="web",
        subject=form,
    )


def page_view(at: datetime, path: str, *, distinct_id: str = "u-1", full_url: bool = False) -> Interaction:
    properties: dict[str, Any] = {"distinct_id": distinct_id, "$current_url": f"https://app.example.com{path}?ref=x"}
    if not full_url:
        properties["current_url_path"] = path
    return Interaction(
        source=ref("mixpanel", "events", f"mp-{next(_ids)}"),
        kind="product_event",
        type="$mp_web_page_view",
        occurred_at=at,
        subject=path if not full_url else properties["$current_url"],
        properties=properties,
    )


def opportunity(opp_id: str, *, stage: str, amount: Any, at: datetime) -> Interaction:
    return Interaction(
        source=ref("salesforce", "Opportunity", opp_id),
        kind="sales_activity",
        type="opportunity",
        occurred_at=at,
        status=stage,
        properties={"amount": amount},
    )


def consent(system: str, source_id: str, *, channel: str, purpose: str, status: str, at: datetime) -> Consent:
    stream = {"hubspot": "contacts", "salesforce": "Contact", "zendesk": "users"}.get(system, "people")
    return Consent(source=ref(system, stream, source_id), channel=channel, purpose=purpose, status=status, at=at)
