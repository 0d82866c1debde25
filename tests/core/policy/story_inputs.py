"""The sandbox stories as the sync layer would hand them to the policies.

Each input is built from ``sandbox.common.stories`` (the facts every sandbox seeds), as
canonical records of the four systems, linked to one profile.
"""

from __future__ import annotations

from datetime import datetime

from core.policy import PolicyInput
from sandbox.common.stories import story
from tests.core.policy.builders import ago, consent, email_event, form_submission, nurture_email, page_view, ref
from tests.core.policy.builders import ticket as make_ticket

MAYA_TICKET = 9001
PRIYA_TICKET = 9003


def _golden(key: str, story_key: str) -> dict[str, str]:
    person = next(p for p in story(story_key).people if p.key == key)
    return {"first_name": person.first_name, "last_name": person.last_name, "email": person.email,
            "company": person.company, "job_title": person.title}  # fmt: skip


def _page_views(fact: dict, *, distinct_id: str) -> list:
    """Spread each path's views evenly over the fact's days, newest last."""
    views = []
    days = fact["days"]
    for path, count in fact["page_views"].items():
        for i in range(count):
            views.append(page_view(ago(days=days * (i + 0.5) / count), path, distinct_id=distinct_id))
    return views


def _email_events(fact: dict) -> list:
    """One email per SENT, its events following it, a week apart, the last a week ago."""
    kinds = list(fact["email_events"])
    emails = []
    while kinds:
        cut = kinds.index("SENT", 1) if "SENT" in kinds[1:] else len(kinds)
        emails.append(tuple(kinds[:cut]))
        kinds = kinds[cut:]
    events = []
    for n, email in enumerate(reversed(emails)):
        events += nurture_email(ago(days=7 + 7 * n), email, campaign=fact["email_campaign"])
    return events


def maya() -> PolicyInput:
    facts = story("buyer").facts
    hubspot, mixpanel, zendesk = facts["hubspot"]["maya"], facts["mixpanel"]["maya"], facts["zendesk"]["maya"]
    (fact,) = zendesk["tickets"]
    interactions = [
        form_submission(ago(days=30), hubspot["form"]),
        *_email_events(hubspot),
        *_page_views(mixpanel, distinct_id="maya"),
        make_ticket(MAYA_TICKET, subject=fact["subject"], status=fact["status"], priority=fact["priority"],
                    ticket_type=fact["type"], tags=fact["tags"], created=ago(days=2), updated=ago(hours=5)),
    ]  # fmt: skip
    return PolicyInput(
        profile_id="cp_maya00000001",
        golden=_golden("maya", "buyer"),
        records=(
            ref("salesforce", "Contact", "003MAYA"),
            ref("hubspot", "contacts", "101"),
            ref("zendesk", "users", "501"),
            ref("mixpanel", "profiles", "maya"),
        ),
        interactions=interactions,
        consents=[consent("hubspot", "101", channel="email", purpose="marketing", status="granted", at=ago(days=60))],
    )


def tomas() -> PolicyInput:
    facts = story("unsubscribed").facts
    stated = facts["hubspot"]["tomas"]["unsubscribed_at"]

    at = datetime.fromisoformat(stated.replace("Z", "+00:00"))
    return PolicyInput(
        profile_id="cp_tomas0000001",
        golden=_golden("tomas", "unsubscribed"),
        records=(
            ref("salesforce", "Contact", "003TOMAS"),
            ref("hubspot", "contacts", "102"),
            ref("zendesk", "users", "502"),
            ref("mixpanel", "profiles", "tomas"),
        ),
        interactions=[
            *_page_views(facts["mixpanel"]["tomas"], distinct_id="tomas"),
            email_event("STATUSCHANGE", at, portalSubscriptionStatus="UNSUBSCRIBED", changeType="PORTAL_STATUS"),
        ],
        consents=[consent("hubspot", "102", channel="email", purpose="marketing", status="denied", at=at)],
    )


def priya() -> PolicyInput:
    facts = story("complainer").facts
    (fact,) = facts["zendesk"]["priya"]["tickets"]
    complaint = make_ticket(
        PRIYA_TICKET, subject=fact["subject"], status=fact["status"], priority=fact["priority"],
        ticket_type=fact["type"], tags=fact["tags"], satisfaction=fact["satisfaction_rating"]["score"],
        created=ago(days=3), updated=ago(hours=2), channel=fact["channel"],
    )  # fmt: skip
    return PolicyInput(
        profile_id="cp_priya0000001",
        golden=_golden("priya", "complainer"),
        records=(
            ref("salesforce", "Contact", "003PRIYA"),
            ref("hubspot", "contacts", "105"),
            ref("zendesk", "users", "505"),
            ref("mixpanel", "profiles", "priya"),
        ),
        interactions=[complaint, *_page_views(facts["mixpanel"]["priya"], distinct_id="priya")],
        consents=[consent("hubspot", "105", channel="email", purpose="marketing", status="granted", at=ago(days=90))],
    )
