"""Tickets as Zendesk stores them, and the metric set exports sideload (``include=metric_sets``).

A ticket carries its requester, organization, status, priority, type, channel
(``via.channel``), subject, description, tags and satisfaction rating; a ticket
signed by one of several colleagues behind a shared mailbox ends its description
with that person's name. ``solved_at`` is not a ticket field in Zendesk: it is in the
ticket's metric set, which ``metric_set`` derives from the ticket.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from sandbox.common.stories import StoryPerson
from sandbox.zendesk.account import ADMIN_USER_ID, Record

__all__ = ["CHANNELS", "PRIORITIES", "STATUSES", "make_ticket", "metric_set", "satisfaction_ratings"]

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
CHANNELS = ("email", "web", "api", "voice", "chat", "mobile")
_SUBJECTS = (
    "Cannot log in after password reset",
    "Invoice shows the wrong VAT number",
    "How do I export my data?",
    "Dashboard loads slowly since Monday",
    "Please cancel my subscription",
    "Feature request: dark mode",
    "Refund for duplicate charge",
    "API returns 500 on bulk upload",
    "Change the billing contact",
    "Webhook deliveries are delayed",
)
_TAGS = ("billing", "login", "api", "export", "refund", "feature_request", "performance", "cancellation")


def _rating(rng: random.Random, status: str) -> dict[str, Any]:
    if status not in {"solved", "closed"} or rng.random() < 0.5:
        return {"score": "unoffered"}
    if rng.random() < 0.3:
        return {"score": "offered"}
    score = "good" if rng.random() < 0.75 else "bad"
    return {"id": rng.randint(10**9, 10**10), "score": score, "comment": "" if score == "good" else "Took too long."}


def _spec_rating(spec: dict[str, Any], ticket_id: int) -> dict[str, Any]:
    rating = dict(spec.get("satisfaction_rating") or {"score": "unoffered"})
    if rating.get("score") in {"good", "bad"}:
        rating.setdefault("id", 5_000_000 + ticket_id)
        rating.setdefault("comment", "")
    return rating


def make_ticket(
    ticket_id: int,
    requester: Record,
    rng: random.Random,
    *,
    created: datetime,
    updated: datetime,
    spec: dict[str, Any] | None = None,
    signer: StoryPerson | None = None,
) -> Record:
    """A ticket requested by ``requester``: random, or as a story's ``spec`` describes it."""
    given = spec or {}
    status = given.get("status") or rng.choice(STATUSES)
    subject = given.get("subject") or rng.choice(_SUBJECTS)
    channel = given.get("channel") or rng.choice(CHANNELS)
    text = f"{subject}.\n\nThanks"
    if signer is not None:
        text += f",\n{signer.first_name} {signer.last_name}" + (f", {signer.title}" if signer.title else "")
    priority = given.get("priority", rng.choice((*PRIORITIES, None)))
    ticket: Record = {
        "id": ticket_id, "external_id": None, "created_at": created, "updated_at": updated,
        "type": given.get("type", rng.choice(("question", "incident", "problem", "task", None))),
        "subject": subject, "raw_subject": subject, "description": text, "priority": priority, "status": status,
        "recipient": "support@contactpoint-sandbox.example.com", "requester_id": requester["id"],
        "submitter_id": requester["id"], "assignee_id": ADMIN_USER_ID if status != "new" else None,
        "organization_id": requester.get("organization_id"), "group_id": None, "collaborator_ids": [],
        "follower_ids": [], "email_cc_ids": [], "problem_id": None, "has_incidents": False, "is_public": True,
        "due_at": None, "tags": list(given.get("tags") or rng.sample(_TAGS, k=rng.randint(0, 2))),
        "custom_fields": [], "fields": [], "sharing_agreement_ids": [], "followup_ids": [], "ticket_form_id": None,
        "brand_id": None, "allow_channelback": False, "allow_attachments": True, "from_messaging_channel": False,
        "via": {"channel": channel, "source": {"from": {}, "to": {}, "rel": None}},
        "satisfaction_rating": _spec_rating(given, ticket_id) if spec is not None else _rating(rng, status),
    }  # fmt: skip
    return ticket


def metric_set(ticket: Record) -> dict[str, Any]:
    """The ticket's metric set (``solved_at`` when solved or closed), keyed like Zendesk's."""
    created, updated = ticket["created_at"], ticket["updated_at"]
    solved = updated if ticket.get("status") in {"solved", "closed"} and isinstance(updated, datetime) else None
    minutes = int((solved - created).total_seconds() // 60) if solved and isinstance(created, datetime) else None
    return {
        "id": 7_000_000 + int(ticket["id"]),
        "ticket_id": ticket["id"],
        "created_at": created,
        "updated_at": updated,
        "solved_at": solved,
        "assigned_at": created + timedelta(minutes=5)
        if ticket.get("assignee_id") and isinstance(created, datetime)
        else None,
        "reopens": 0,
        "replies": 1 if ticket.get("assignee_id") else 0,
        "full_resolution_time_in_minutes": {"calendar": minutes, "business": minutes},
    }


def satisfaction_ratings(tickets: Iterable[Record]) -> list[Record]:
    """The satisfaction ratings the requesters of ``tickets`` gave (``good`` or ``bad``), by rating ID.

    A rating is stored on its ticket (``satisfaction_rating``: ``id``, ``score``, ``comment``);
    it was given when the ticket was last changed.
    """
    out = []
    for ticket in tickets:
        rating = ticket.get("satisfaction_rating") or {}
        if rating.get("id") is None or rating.get("score") not in {"good", "bad"}:
            continue
        out.append({"id": rating["id"], "assignee_id": ticket.get("assignee_id"), "group_id": ticket.get("group_id"),
                    "requester_id": ticket.get("requester_id"), "ticket_id": ticket["id"], "score": rating["score"],
                    "comment": rating.get("comment") or "", "reason": rating.get("reason") or "",
                    "created_at": ticket["updated_at"], "updated_at": ticket["updated_at"]})  # fmt: skip
    return sorted(out, key=lambda r: r["id"])
