"""Seed the sandbox portal's deals and tickets, apart from everything else it seeds.

For ``records=N`` and a seed: N/5 deals and N/10 tickets, each tied to a live crowd contact
and that contact's company (deal to contact 3, deal to company 341 and primary 5; ticket to
contact 16, ticket to company 339 and primary 26). They draw from their own random stream
(``hubspot:sales:{seed}``) and their own ID ranges (deals from 30,000,001, tickets from
40,000,001), and are dated no later than the last contact's modify time, so contacts,
companies, their IDs and the portal's clock are exactly what they are without them.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from sandbox.hubspot.pipelines import PIPELINES
from sandbox.hubspot.portal import HubRecord, Portal
from sandbox.hubspot.wire import iso

__all__ = ["FIRST_DEAL_ID", "FIRST_TICKET_ID", "seed_sales"]

FIRST_DEAL_ID = 30_000_001
FIRST_TICKET_ID = 40_000_001
_DEAL_KINDS = ("Annual plan", "Pilot", "Expansion", "Renewal", "Data audit", "Onboarding package")
_TICKET_SUBJECTS = {
    "PRODUCT_ISSUE": ("Sync stopped overnight", "Export is missing rows", "Login loops back to the start"),
    "BILLING_ISSUE": ("Invoice shows the wrong plan", "Charged twice this month"),
    "FEATURE_REQUEST": ("Add a CSV import", "Dark mode for the dashboard"),
    "GENERAL_INQUIRY": ("How do I add a teammate?", "Where is the API key?"),
}


def _dates(rng: random.Random, first: datetime, last: datetime) -> tuple[datetime, datetime]:
    span = max(1, int((last - first).total_seconds()))
    created = first + timedelta(seconds=rng.randrange(span))
    modified = created + timedelta(seconds=rng.randrange(max(1, int((last - created).total_seconds()))))
    return created, min(modified, last)


def seed_sales(portal: Portal, *, records: int, seed: int) -> None:
    """Add deals and tickets tied to the crowd's contacts (IDs from 1001) and their companies."""
    rng = random.Random(f"hubspot:sales:{seed}")
    crowd = [r for r in portal.live("contacts") if int(r.id) >= 1001 and r.props.get("associatedcompanyid")]
    if not crowd:
        return
    last = max(r.modified for r in portal.records["contacts"].values())
    first = last - timedelta(days=400)
    deal_stages = [s.id for s in PIPELINES["deals"][0].stages]
    for n in range(max(1, records // 5)):
        contact = rng.choice(crowd)
        company = contact.props["associatedcompanyid"]
        created, modified = _dates(rng, first, last)
        firm = portal.records["companies"][company].props.get("name", "")
        props = {"dealname": f"{firm} - {rng.choice(_DEAL_KINDS)}", "amount": str(rng.randrange(5, 400) * 250),
                 "pipeline": "default", "dealstage": rng.choice(deal_stages),
                 "closedate": iso(created + timedelta(days=rng.randint(14, 120))),
                 "dealtype": rng.choice(("newbusiness", "existingbusiness"))}  # fmt: skip
        deal = portal.add("deals", HubRecord(str(FIRST_DEAL_ID + n), props, created, modified))
        _tie(portal, "deals", deal.id, contact.id, company, (3, 341, 5))
    for n in range(max(1, records // 10)):
        contact = rng.choice(crowd)
        created, modified = _dates(rng, first, last)
        category = rng.choice(list(_TICKET_SUBJECTS))
        props = {"subject": rng.choice(_TICKET_SUBJECTS[category]), "hs_pipeline": "0",
                 "hs_pipeline_stage": rng.choice(("1", "1", "2", "3", "4")), "hs_ticket_category": category,
                 "hs_ticket_priority": rng.choice(("LOW", "MEDIUM", "MEDIUM", "HIGH")),
                 "content": f"Reported by {contact.props.get('email', '')}", "source_type": rng.choice(("EMAIL", "CHAT"))}  # fmt: skip
        ticket = portal.add("tickets", HubRecord(str(FIRST_TICKET_ID + n), props, created, modified))
        _tie(portal, "tickets", ticket.id, contact.id, contact.props["associatedcompanyid"], (16, 339, 26))


def _tie(portal: Portal, obj: str, record_id: str, contact: str, company: str, types: tuple[int, int, int]) -> None:
    """Associate a record with its contact (``types[0]``) and its company, unlabeled and primary."""
    to_contact, to_company, primary = types
    portal.links.add(obj, record_id, "contacts", contact, to_contact)
    portal.links.add(obj, record_id, "companies", company, to_company)
    portal.links.add(obj, record_id, "companies", company, primary)
