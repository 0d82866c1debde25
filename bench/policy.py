"""Evaluating the shipped policies, against a plain-Python loop deciding the same things by hand.

    python bench/policy.py [--profiles 100000] [--interactions 20] [--chunk 2000] [--seed 7]

People are generated in chunks (tickets, HubSpot email events as mappings/hubspot.yaml
names them, Mixpanel page views and a consent, about ``--interactions`` each: most over the last 90 days, some buyers reading
enterprise pages over three weeks, some mailed often over ten days) and each chunk is timed
twice in this process: ``PolicySet.evaluate`` with ``mappings/policies.yaml`` (every
rule, with explanations), and a baseline loop written for these policies alone (open
tickets and their highest priority, last product activity, both intent scores with
decay, the segment, unsubscribe, bounce, urgent-ticket pause, frequency cap, complaint).
Building the canonical interactions is not timed. Times are the process's CPU seconds
(``time.process_time``), since the cores are shared; the figure that matters is the ratio; both sides must agree on every person's open tickets,
segment and suppression reasons, or the benchmark stops.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.memory import peak_rss_mib
from core.canonical import Channel, Consent, ConsentStatus, Interaction, InteractionKind, RecordRef
from core.policy import PolicyInput, PolicySet, load_policies

POLICIES = Path(__file__).resolve().parents[1] / "mappings" / "policies.yaml"
NOW = datetime(2026, 10, 15, 12, 0, tzinfo=UTC)
PATHS = ["/enterprise/security", "/docs/api/v2", "/pricing", "/blog/getting-started", "/dashboard", "/settings"]
# HubSpot email event types as mappings/hubspot.yaml names them
EMAILS = ["email.sent", "email.delivered", "email.opened", "email.clicked", "email.sent", "email.opened",
          "email.bounced", "email.subscription_changed"]  # fmt: skip
BOUNCES = ["hard_bounce", "unknown_user", "mailbox_full"]
CAMPAIGNS = ["Getting started nurture", "Quarterly newsletter"]
OPEN = {"new", "open", "pending", "hold"}


@dataclass(frozen=True)
class Persona:
    """How a kind of person behaves: over how many days, how much email, which pages."""

    days: int
    emails: float
    events: tuple[str, ...]
    paths: tuple[str, ...]


PERSONAS = (
    (0.7, Persona(90, 0.4, tuple(EMAILS), tuple(PATHS))),  # the crowd
    (
        0.15,
        Persona(21, 0.3, tuple(EMAILS), ("/enterprise/security", "/enterprise/sso", "/docs/api/v2", "/pricing", "/x")),
    ),
    (
        0.15,
        Persona(10, 0.7, ("email.sent", "email.sent", "email.delivered", "email.opened"), tuple(PATHS)),
    ),  # mailed often
)


def _interaction(rng: random.Random, n: int, person: int, persona: Persona) -> Interaction:
    at = NOW - timedelta(seconds=rng.randint(0, persona.days * 86400))
    roll = rng.random()
    if roll < 0.08:
        status = rng.choice(["new", "open", "pending", "solved", "closed"])
        tags = rng.sample(["complaint", "enterprise", "sso", "billing", "delivery"], rng.randint(0, 2))
        props = {"tags": tags, "satisfaction_rating": {"score": rng.choice(["good", "bad", "unoffered"])}}
        ref = RecordRef.model_construct(system="zendesk", stream="tickets", source_id=f"{person}-{n}")
        return Interaction.model_construct(
            source=ref, kind=InteractionKind.TICKET, type=rng.choice(["incident", "question", "problem"]),
            occurred_at=at, updated_at=min(at + timedelta(hours=5), NOW), deleted=False, channel=None, status=status,
            priority=rng.choice(["low", "normal", "high", "urgent"]), subject="Help", identifiers=[], properties=props,
        )  # fmt: skip
    if roll < persona.emails:
        kind = rng.choice(persona.events) if rng.random() < 0.97 else "email.spam_reported"
        status = {"email.bounced": rng.choice(BOUNCES), "email.subscription_changed": rng.choice(
            ["unsubscribed", "subscribed"])}.get(kind)  # fmt: skip
        ref = RecordRef.model_construct(system="hubspot", stream="email_events", source_id=f"{person}-{n}")
        return Interaction.model_construct(
            source=ref, kind=InteractionKind.CAMPAIGN_EVENT, type=kind, occurred_at=at, updated_at=None,
            deleted=False, channel=None, status=status, priority=None,
            subject=rng.choice(CAMPAIGNS) if kind == "email.sent" else None, identifiers=[], properties={},
        )  # fmt: skip
    path = rng.choice(persona.paths)
    ref = RecordRef.model_construct(system="mixpanel", stream="events", source_id=f"{person}-{n}")
    return Interaction.model_construct(
        source=ref, kind=InteractionKind.PRODUCT_EVENT, type="$mp_web_page_view", occurred_at=at, updated_at=None,
        deleted=False, channel=None, status=None, priority=None, subject=path, identifiers=[],
        properties={"current_url_path": path, "distinct_id": str(person)},
    )  # fmt: skip


def people(rng: random.Random, start: int, count: int, per_person: int) -> list[PolicyInput]:
    made = []
    for person in range(start, start + count):
        n = max(1, int(rng.gauss(per_person, per_person / 4)))
        persona = rng.choices([p for _, p in PERSONAS], weights=[w for w, _ in PERSONAS])[0]
        consents = []
        if rng.random() < 0.1:
            ref = RecordRef.model_construct(system="hubspot", stream="contacts", source_id=str(person))
            consents.append(Consent.model_construct(
                source=ref, channel=Channel.EMAIL, purpose="marketing", status=ConsentStatus.DENIED,
                at=NOW - timedelta(days=rng.randint(0, 300)), identifiers=[], updated_at=None, deleted=False,
            ))  # fmt: skip
        made.append(PolicyInput(f"cp_{person:012d}", {"first_name": "Ada", "last_name": f"P{person}"},
                                (RecordRef.model_construct(system="salesforce", stream="Contact", source_id=str(person)),),
                                [_interaction(rng, i, person, persona) for i in range(n)], consents))  # fmt: skip
    return made


def baseline(person: PolicyInput) -> tuple[int, str | None, list[str]]:  # noqa: C901 - one plain loop on purpose
    """The shipped policies' decisions, hand-written for this data: open tickets, segment, reasons."""
    now_ts = NOW.timestamp()
    half = 14 * 86400
    cutoff = now_ts - 90 * 86400
    open_tickets, highest, last_product = 0, -1, None
    intent = learning = 0.0
    unsubscribed = bounced = urgent = complaint = False
    sent_week = 0
    nurture_seen = False
    rank = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
    for item in person.interactions:
        ts = item.occurred_at.timestamp()
        decay = math.exp(-(now_ts - ts) * math.log(2) / half)
        if item.kind is InteractionKind.TICKET:
            is_open = item.status in OPEN
            if is_open:
                open_tickets += 1
                highest = max(highest, rank.get(item.priority or "", -1))
                urgent |= item.priority in ("urgent", "high")
            elif item.priority in ("urgent", "high"):
                urgent |= (item.updated_at or item.occurred_at) + timedelta(days=3) > NOW
            tags = item.properties.get("tags", [])
            bad = item.properties.get("satisfaction_rating", {}).get("score") == "bad"
            complaint |= ("complaint" in tags or item.type == "complaint" or bad) and is_open
            if ts >= cutoff and ("enterprise" in tags or "sso" in tags):
                intent += 2 * decay
        elif item.kind is InteractionKind.CAMPAIGN_EVENT:
            unsubscribed |= item.type == "email.spam_reported" or (
                item.type == "email.subscription_changed" and item.status == "unsubscribed"
            )
            bounced |= item.type == "email.bounced" and item.status != "mailbox_full" and now_ts - ts < 180 * 86400
            sent_week += item.type == "email.sent" and now_ts - ts < 7 * 86400
            nurture_seen |= (
                item.type == "email.sent"
                and (item.subject or "").startswith("Getting started")
                and now_ts - ts <= 60 * 86400
            )
            if ts >= cutoff and item.type in ("email.opened", "email.clicked"):
                learning += decay
        else:
            last_product = ts if last_product is None or ts > last_product else last_product
            path = item.properties.get("current_url_path", "")
            if ts >= cutoff:
                if path.startswith("/enterprise"):
                    intent += 3 * decay
                elif path.startswith(("/docs/api", "/pricing")):
                    intent += 2 * decay
                elif path.startswith(("/blog/getting-started", "/docs/getting-started")):
                    learning += decay
    unsubscribed |= any(c.status is ConsentStatus.DENIED for c in person.consents)
    segment = "enterprise buyer" if intent >= 15 else "beginner" if learning >= 2 else None
    reasons = [name for name, on in [
        ("unsubscribed_anywhere", unsubscribed), ("email_bounced", bounced), ("urgent_ticket_open", urgent),
        ("beginner_nurture_left", segment == "enterprise buyer" and nurture_seen),
        ("frequency_cap", sent_week >= 4), ("complaint_open", complaint),
    ] if on]  # fmt: skip
    return open_tickets, segment, reasons


def run(policies: PolicySet, args: argparse.Namespace) -> tuple[float, float, int]:
    rng = random.Random(args.seed)
    engine = base = 0.0
    interactions = 0
    for start in range(0, args.profiles, args.chunk):
        chunk = people(rng, start, min(args.chunk, args.profiles - start), args.interactions)
        interactions += sum(len(p.interactions) for p in chunk)
        t0 = time.process_time()
        results = [policies.evaluate(person, now=NOW) for person in chunk]
        t1 = time.process_time()
        expected = [baseline(person) for person in chunk]
        t2 = time.process_time()
        engine += t1 - t0
        base += t2 - t1
        for result, (tickets, segment, reasons) in zip(results, expected, strict=True):
            got = (result.enrichment["open_tickets"], result.enrichment["segment"], result.reasons)
            if got != (tickets, segment, reasons):
                raise SystemExit(f"{result.profile_id}: engine {got} != baseline {(tickets, segment, reasons)}")
    return engine, base, interactions


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--profiles", type=int, default=100_000)
    parser.add_argument("--interactions", type=int, default=20)
    parser.add_argument("--chunk", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    policies = load_policies(POLICIES)
    engine, base, interactions = run(policies, args)
    peak_mb = peak_rss_mib()
    print(f"profiles: {args.profiles:,}, interactions: {interactions:,} ({interactions / args.profiles:.1f} each), "
          f"Python {sys.version.split()[0]}")  # fmt: skip
    print(f"{'step':<52}{'CPU s':>9}{'profiles/s':>12}{'vs baseline':>13}")
    for name, seconds in [
        ("baseline: hand-written loop for these policies", base),
        ("contactpoint: PolicySet.evaluate (policies.yaml)", engine),
    ]:
        print(f"{name:<52}{seconds:>9.2f}{args.profiles / seconds:>12,.0f}{seconds / base:>12.1f}x")
    print("every person's open tickets, segment and suppression reasons agree between the two")
    print(f"peak RSS of the process: {peak_mb:,.0f} MB")


if __name__ == "__main__":
    main()
