"""Named people every sandbox seeds, so the demo, the sync and the tests can tell a story.

The random crowd (``people``) shows volume; these few show what Contactpoint is for.
Each story is one or two clean people and what each system knows of them. Every
sandbox seeds every story it appears in, beside the crowd and whatever the seed,
rendered with that system's own spelling and noise (a HubSpot email in lower case, a
Zendesk name in capitals, a Salesforce phone in national format...), so a sync over the
four finds the same people spelled differently. ``docs/sandbox.md`` lists the record
IDs each sandbox gives them.

    buyer          Maya Lindqvist: downloaded the beginner guide (HubSpot nurture), then
                   viewed enterprise security and API pages many times (Mixpanel), and
                   has an urgent ticket open (Zendesk); a Contact in Salesforce.
    unsubscribed   Tomas Okafor: unsubscribed from marketing email in HubSpot only;
                   Salesforce, Zendesk and Mixpanel still see him as marketable.
    colleagues     Lena Brandt and Jonah Reyes of Brightwater Labs: both Salesforce
                   Contacts carry the team mailbox support@brightwater-labs.example.com;
                   in Zendesk that mailbox is one user whose tickets each of them signed;
                   HubSpot has each with a personal address. They are two people.
    complainer     Priya Raman: a ticket tagged ``complaint`` with a bad satisfaction
                   rating, still open (Zendesk); a Contact with an owner in Salesforce.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["STORIES", "Story", "StoryPerson", "story"]


@dataclass(frozen=True)
class StoryPerson:
    """One person of a story, clean; each sandbox renders them in its own way."""

    key: str
    first_name: str
    last_name: str
    email: str
    phone: str
    company: str
    company_domain: str
    title: str
    city: str
    country: str


@dataclass(frozen=True)
class Story:
    """A named scenario: its people and, per system, what that system holds about them.

    Attributes:
        key: The story's name (``buyer``).
        summary: One line for the docs and the demo.
        people: The story's people.
        facts: Per system (``salesforce``, ``zendesk``, ``hubspot``, ``mixpanel``), the
            data the sandbox seeds for the story; plain values the sandboxes read.
    """

    key: str
    summary: str
    people: tuple[StoryPerson, ...]
    facts: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    @property
    def systems(self) -> tuple[str, ...]:
        """The systems the story appears in."""
        return tuple(self.facts)


_MAYA = StoryPerson(
    "maya", "Maya", "Lindqvist", "maya.lindqvist@northwind-analytics.example.com", "+1 415 555 0142",
    "Northwind Analytics", "northwind-analytics.example.com", "Head of Data", "San Francisco", "US",
)  # fmt: skip
_TOMAS = StoryPerson(
    "tomas", "Tomas", "Okafor", "tomas.okafor@harbourline.example.com", "+44 20 7946 0321",
    "Harbourline Freight", "harbourline.example.com", "Operations Manager", "London", "GB",
)  # fmt: skip
_LENA = StoryPerson(
    "lena", "Lena", "Brandt", "lena.brandt@mailbox.example.org", "+49 30 5550 1187",
    "Brightwater Labs", "brightwater-labs.example.com", "Support Engineer", "Berlin", "DE",
)  # fmt: skip
_JONAH = StoryPerson(
    "jonah", "Jonah", "Reyes", "jreyes@inbox.example.net", "+49 30 5550 2243",
    "Brightwater Labs", "brightwater-labs.example.com", "Customer Success Lead", "Berlin", "DE",
)  # fmt: skip
_PRIYA = StoryPerson(
    "priya", "Priya", "Raman", "priya.raman@copperleaf.example.com", "+61 2 5550 7781",
    "Copperleaf Retail", "copperleaf.example.com", "Procurement Director", "Sydney", "AU",
)  # fmt: skip

TEAM_MAILBOX = "support@brightwater-labs.example.com"

STORIES: tuple[Story, ...] = (
    Story(
        key="buyer",
        summary="a beginner-content lead turning enterprise buyer, with an urgent ticket open",
        people=(_MAYA,),
        facts={
            "salesforce": {"maya": {"object": "Contact", "lead_source": "Web"}},
            "hubspot": {
                "maya": {
                    "lifecyclestage": "lead",
                    "form": "Beginner's guide to customer data",
                    "email_campaign": "Getting started nurture",
                    "email_events": ["SENT", "DELIVERED", "OPEN", "CLICK", "SENT", "DELIVERED", "OPEN"],
                    "subscribed": True,
                }
            },
            "mixpanel": {
                "maya": {
                    "page_views": {
                        "/enterprise/security": 12,
                        "/docs/api": 8,
                        "/pricing": 3,
                        "/blog/getting-started": 1,
                    },
                    "days": 14,
                }
            },
            "zendesk": {
                "maya": {
                    "tickets": [
                        {
                            "subject": "SSO login fails for our whole team",
                            "priority": "urgent",
                            "status": "open",
                            "type": "incident",
                            "channel": "email",
                            "tags": ["sso", "enterprise"],
                        }
                    ]
                }
            },
        },
    ),
    Story(
        key="unsubscribed",
        summary="unsubscribed from marketing email in HubSpot only",
        people=(_TOMAS,),
        facts={
            "salesforce": {"tomas": {"object": "Contact", "HasOptedOutOfEmail": False}},
            "hubspot": {"tomas": {"hs_email_optout": True, "unsubscribed_at": "2026-10-01T09:15:00Z"}},
            "zendesk": {"tomas": {"tickets": []}},
            "mixpanel": {"tomas": {"page_views": {"/dashboard": 4}, "days": 30}},
        },
    ),
    Story(
        key="colleagues",
        summary="two colleagues behind one team mailbox, who must stay two people",
        people=(_LENA, _JONAH),
        facts={
            "salesforce": {
                "lena": {"object": "Contact", "email": TEAM_MAILBOX},
                "jonah": {"object": "Contact", "email": TEAM_MAILBOX},
            },
            "zendesk": {
                "mailbox": {
                    "email": TEAM_MAILBOX,
                    "name": "Brightwater Labs Support",
                    "tickets": [
                        {
                            "subject": "Export job stuck at 90%",
                            "signed": "lena",
                            "priority": "normal",
                            "status": "open",
                        },
                        {"subject": "Invoice address change", "signed": "jonah", "priority": "low", "status": "solved"},
                    ],
                }
            },
            "hubspot": {"lena": {"lifecyclestage": "customer"}, "jonah": {"lifecyclestage": "customer"}},
        },
    ),
    Story(
        key="complainer",
        summary="an open complaint with a bad satisfaction rating",
        people=(_PRIYA,),
        facts={
            "salesforce": {"priya": {"object": "Contact", "owner": "integration user"}},
            "zendesk": {
                "priya": {
                    "tickets": [
                        {
                            "subject": "Third late delivery this quarter - unacceptable",
                            "priority": "high",
                            "status": "open",
                            "type": "problem",
                            "channel": "web",
                            "tags": ["complaint", "delivery"],
                            "satisfaction_rating": {"score": "bad", "comment": "Nobody called back."},
                        }
                    ]
                }
            },
            "hubspot": {"priya": {"lifecyclestage": "customer", "subscribed": True}},
            "mixpanel": {"priya": {"page_views": {"/orders": 6, "/support": 5}, "days": 10}},
        },
    ),
)


def story(key: str) -> Story:
    """Return the story named ``key``.

    Raises:
        KeyError: No such story; the message lists the known ones.
    """
    for found in STORIES:
        if found.key == key:
            return found
    msg = f"no story {key!r}; stories: {', '.join(s.key for s in STORIES)}"
    raise KeyError(msg)
