"""Seed the sandbox portal with the shared synthetic people, HubSpot's way.

For ``records=N`` and a seed (same seed, same data): N contacts and N/5 companies
from ``sandbox.common.people``, plus every story of ``sandbox.common.stories`` that
HubSpot appears in, with fixed IDs (contacts 101-105, companies 201-204). Noise as a
HubSpot portal has it: emails in lower case (HubSpot stores them so), names typed in
lower case by form fills, phones in several formats, countries spelt out, the
company as free text on the contact. Modify times move forward with runs of equal
values; about 3% of contacts leave: half archived (listed with ``archived=true``), half
merged into a neighbour that lists them in ``hs_merged_object_ids`` (their IDs then read
the winner). Each person gets subscription statuses (some
unsubscribed from all email) and a few marketing emails with their events (sent,
delivered, opened, clicked, bounced; a status change when they unsubscribed). Deals and tickets
come last, from their own random stream and ID ranges (``seed_sales``).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sandbox.common.people import Company, Person, companies, people
from sandbox.common.stories import STORIES, StoryPerson
from sandbox.hubspot.portal import EmailEvent, HubRecord, Portal, SubscriptionStatus
from sandbox.hubspot.seed_sales import seed_sales
from sandbox.hubspot.wire import to_ms

__all__ = ["STORY_COMPANY_IDS", "STORY_CONTACT_IDS", "seed_portal"]

_EPOCH = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
_COUNTRIES = {"US": "United States", "GB": "United Kingdom", "DE": "Germany", "FR": "France", "CA": "Canada",
              "AU": "Australia"}  # fmt: skip
_CAMPAIGNS = {
    "Getting started nurture": 318_775_001,
    "Spring product update": 318_775_002,
    "Webinar: customer data 101": 318_775_003,
    "Quarterly newsletter": 318_775_004,
}
STORY_CONTACT_IDS = {"maya": "101", "tomas": "102", "lena": "103", "jonah": "104", "priya": "105"}
STORY_COMPANY_IDS = {
    "northwind-analytics.example.com": "201",
    "harbourline.example.com": "202",
    "brightwater-labs.example.com": "203",
    "copperleaf.example.com": "204",
}


class _Stamps:
    """Modify times moving forward, with deliberate runs of equal values."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.current = _EPOCH
        self.tie_left = 0

    def next(self) -> tuple[datetime, datetime]:
        if self.tie_left > 0:
            self.tie_left -= 1
        else:
            self.current += timedelta(seconds=self.rng.randint(1, 600), milliseconds=self.rng.randint(0, 999))
            if self.rng.random() < 0.08:
                self.tie_left = self.rng.randint(2, 6)  # a list import: the next records share this stamp
        return self.current - timedelta(days=self.rng.randint(1, 400)), self.current


def _phone(rng: random.Random, clean: str) -> str:
    digits = "".join(ch for ch in clean if ch.isdigit())
    style = rng.randrange(4)
    if style == 0:
        return "+" + digits
    if style == 1 and clean.startswith("+1"):
        return f"({digits[1:4]}) {digits[4:7]}-{digits[7:]}"
    return clean


def _name(rng: random.Random, text: str) -> str:
    return text.lower() if rng.random() < 0.06 else text


def _contact_props(person: Person | StoryPerson, company: str, rng: random.Random) -> dict[str, str]:
    return {
        "email": person.email.lower(),
        "firstname": _name(rng, person.first_name),
        "lastname": _name(rng, person.last_name),
        "phone": _phone(rng, person.phone) if rng.random() > 0.1 else "",
        "company": company,
        "city": person.city,
        "country": _COUNTRIES.get(person.country, person.country) if rng.random() < 0.7 else person.country,
        "lifecyclestage": rng.choice(("subscriber", "lead", "lead", "marketingqualifiedlead", "customer")),
        "hs_email_optout": "false",
    }


def _company_props(company: Company) -> dict[str, str]:
    return {
        "name": company.name,
        "domain": company.domain,
        "industry": company.industry.upper().replace(" ", "_"),
        "numberofemployees": str(company.employees),
        "city": company.city,
        "zip": company.postal_code,
        "address": company.street,
        "country": _COUNTRIES.get(company.country, company.country),
    }


def _event_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def _send(portal: Portal, rng: random.Random, email: str, at: datetime, kinds: list[str], campaign: str) -> None:
    """Add one marketing email's events for ``email``: ``kinds`` in order, minutes apart."""
    campaign_id = _CAMPAIGNS[campaign]
    sent_id = _event_id(rng)
    sent_ms = to_ms(at)
    base: dict[str, Any] = {"emailCampaignId": campaign_id, "sentBy": {"id": sent_id, "created": sent_ms}}
    for step, kind in enumerate(kinds):
        created = sent_ms + step * rng.randint(1, 90) * 60_000
        extra = dict(base)
        event_id = sent_id if kind == "SENT" else _event_id(rng)
        if kind == "SENT":
            extra |= {"subject": campaign, "from": "Contactpoint Demo <news@contactpoint.example>"}
        elif kind == "DELIVERED":
            extra |= {"response": "250 2.0.0 OK", "smtpId": f"<{sent_id}@mail.example>"}
        elif kind == "CLICK":
            extra |= {"url": "https://contactpoint.example/guide", "userAgent": "Mozilla/5.0"}
        elif kind == "OPEN":
            extra |= {"userAgent": "Mozilla/5.0", "location": {"country": "United States"}}
        elif kind == "BOUNCE":
            extra |= {"category": "HARD_BOUNCE", "response": "550 5.1.1 user unknown", "status": "5.1.1"}
        portal.add_event(EmailEvent(event_id, created, kind, email, extra))


def _unsubscribe(portal: Portal, rng: random.Random, email: str, at: datetime) -> None:
    portal.set_status(SubscriptionStatus(email, "portal", subscribed=False, at=at, source="PORTAL_WIDE_STATUS"),
                      touch=False)  # fmt: skip
    extra = {"source": "SOURCE_RECIPIENT", "portalSubscriptionStatus": "UNSUBSCRIBED", "changeType": "PORTAL_STATUS",
             "subscriptions": [{"id": int(sid), "status": "UNSUBSCRIBED"} for sid in ("1001", "1002", "1003")]}  # fmt: skip
    portal.add_event(EmailEvent(_event_id(rng), to_ms(at), "STATUSCHANGE", email, extra))


def _crowd_email(portal: Portal, rng: random.Random, email: str, modified: datetime) -> None:
    portal.set_status(SubscriptionStatus(email, "1001", subscribed=True, at=modified - timedelta(days=30)),
                      touch=False)  # fmt: skip
    for n in range(rng.randint(0, 3)):
        at = modified - timedelta(days=20 - n * 5, hours=rng.randint(0, 12))
        roll = rng.random()
        kinds = ["SENT", "BOUNCE"] if roll < 0.04 else ["SENT", "DELIVERED", "OPEN", "CLICK"][: 2 + int(roll * 3)]
        _send(portal, rng, email, at, kinds, rng.choice(list(_CAMPAIGNS)))
    if rng.random() < 0.08:
        _unsubscribe(portal, rng, email, modified - timedelta(days=1))


def _seed_stories(portal: Portal, rng: random.Random, today: date | None) -> None:
    start = _EPOCH - timedelta(days=2)
    # the stories' emails are dated from the sandbox's day, so policies see them as recent as told
    anchor = datetime.combine(today or datetime.now(UTC).date(), time(9), UTC)
    for story in STORIES:
        facts = story.facts.get("hubspot", {})
        for person in story.people:
            fact = facts.get(person.key)
            if fact is None:
                continue
            company_id = STORY_COMPANY_IDS[person.company_domain]
            if portal.get("companies", company_id) is None:
                props = {"name": person.company, "domain": person.company_domain, "city": person.city,
                         "country": _COUNTRIES.get(person.country, person.country)}  # fmt: skip
                portal.add("companies", HubRecord(company_id, props, start - timedelta(days=300), start))
            _seed_story_person(portal, rng, person, fact, company_id, start, anchor)
            start += timedelta(minutes=7)


def _seed_story_person(
    portal: Portal,
    rng: random.Random,
    person: StoryPerson,
    fact: dict[str, Any],
    company_id: str,
    at: datetime,
    anchor: datetime,
) -> None:
    props = _contact_props(person, person.company, random.Random(person.key)) | {
        "firstname": person.first_name, "lastname": person.last_name, "jobtitle": person.title,
        "lifecyclestage": fact.get("lifecyclestage", "lead"), "associatedcompanyid": company_id}  # fmt: skip
    record = portal.add("contacts", HubRecord(STORY_CONTACT_IDS[person.key], props, at - timedelta(days=90), at))
    if fact.get("subscribed"):
        portal.set_status(SubscriptionStatus(person.email, "1001", subscribed=True, at=at - timedelta(days=60)),
                          touch=False)  # fmt: skip
    kinds, sent = list(fact.get("email_events", [])), 0
    while kinds:  # one email per SENT, a week apart, the first 45 days before the sandbox's day
        cut = kinds.index("SENT", 1) if "SENT" in kinds[1:] else len(kinds)
        _send(portal, rng, person.email, anchor - timedelta(days=45 - 7 * sent), kinds[:cut],
              fact.get("email_campaign", "Quarterly newsletter"))  # fmt: skip
        kinds, sent = kinds[cut:], sent + 1
    if fact.get("hs_email_optout"):
        stated = datetime.fromisoformat(str(fact["unsubscribed_at"]).replace("Z", "+00:00"))
        _unsubscribe(portal, rng, person.email, stated)
        record.props["hs_email_optout"] = "true"
        record.modified = max(record.modified, stated)


def seed_portal(portal: Portal, *, records: int, seed: int, today: date | None = None) -> None:
    """Fill ``portal`` with ``records`` contacts, their companies, subscriptions and email events.

    ``today`` dates the stories' emails (the real day when None; tests fix it so recordings replay).
    """
    rng = random.Random(f"hubspot:{seed}")
    stamps = _Stamps(rng)
    _seed_stories(portal, rng, today)
    firms = companies(seed, max(1, records // 5))
    for index, company in enumerate(firms):
        created, modified = stamps.next()
        portal.add("companies", HubRecord(str(5001 + index), _company_props(company), created, modified))
    crowd = people(seed, records, company_count=len(firms))
    contacts: list[HubRecord] = []
    for person in crowd:
        created, modified = stamps.next()
        props = _contact_props(person, firms[person.company].name, rng)
        props["associatedcompanyid"] = str(5001 + person.company)
        contacts.append(portal.add("contacts", HubRecord(str(1001 + person.index), props, created, modified)))
        _crowd_email(portal, rng, props["email"], modified)
    _archive_some(portal, rng, contacts)
    portal.reserve_clock(max(stamps.current, max(r.modified for r in portal.records["contacts"].values())))
    seed_sales(portal, records=records, seed=seed)  # its own random stream and IDs: the rest is as without it


def _archive_some(portal: Portal, rng: random.Random, contacts: list[HubRecord]) -> None:
    """Archive about 3% of the crowd, or rather every other one merge into a neighbour."""
    chosen = sorted(rng.sample(range(1, len(contacts)), k=min(len(contacts) - 1, max(2, len(contacts) * 3 // 100))))
    for turn, position in enumerate(chosen):
        loser = contacts[position]
        if loser.archived:
            continue
        winner = contacts[position - 1] if turn % 2 else None
        if winner is not None and not winner.archived:
            portal.merge(winner, loser)
            winner.modified = loser.modified  # the merge is part of the seeded history, not now
        else:
            portal.archive(loser)
        loser.archived_at = loser.modified + timedelta(hours=1)
