"""The shipped policies on HubSpot records mapped by the shipped mappings/hubspot.yaml, as a sync would."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from core.canonical import Consent, Interaction
from core.mapping import Mapped, load_mapping
from core.policy import PolicyInput, load_policies
from sandbox.common.stories import story
from tests.core.policy.builders import NOW, ago, page_view, ref
from tests.core.policy.builders import ticket as make_ticket

ROOT = Path(__file__).resolve().parents[3]
TOMAS = "tomas.okafor@harbourline.example.com"
MAYA = "maya.lindqvist@northwind-analytics.example.com"
UNSUBSCRIBED_AT = datetime(2026, 10, 1, 9, 15, tzinfo=UTC)


@pytest.fixture(scope="module")
def hubspot():
    return load_mapping(ROOT / "mappings" / "hubspot.yaml")


@pytest.fixture(scope="module")
def shipped():
    return load_policies(ROOT / "mappings" / "policies.yaml")


def mapped(mapping, stream: str, *raws: dict) -> list:
    models = []
    for raw in raws:
        outcome = mapping.map(mapping.source_record(stream, raw))
        assert isinstance(outcome, Mapped), outcome
        models += outcome.models
    return models


def ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


def event(event_id: str, kind: str, at: datetime, recipient: str, **extra) -> dict:
    return {"id": event_id, "created": ms(at), "type": kind, "recipient": recipient, "portalId": 24681357,
            "appName": "BatchEmail", "emailCampaignId": 318775001, **extra}  # fmt: skip


def person(models: list, *extra: Interaction) -> PolicyInput:
    return PolicyInput(
        "cp_hubspot000001",
        {"first_name": "Tomas", "last_name": "Okafor", "email": TOMAS},
        (ref("hubspot", "contacts", "102"), ref("salesforce", "Contact", "003TOMAS")),
        [m for m in models if isinstance(m, Interaction)] + list(extra),
        [m for m in models if isinstance(m, Consent)],
    )


def test_tomas_unsubscribed_in_hubspot_is_suppressed_from_the_moment_he_said_so(hubspot, shipped):
    contact = {"id": "102", "archived": False, "properties": {
        "email": TOMAS, "firstname": "Tomas", "lastname": "Okafor", "hs_email_optout": "true",
        "lastmodifieddate": "2026-10-03T10:00:00.000Z", "createdate": "2026-01-05T10:00:00.000Z"}}  # fmt: skip
    wide = {"id": "102:all", "contactId": "102", "email": TOMAS, "channel": "EMAIL", "wideStatusType": "PORTAL_WIDE",
            "status": "NOT_SUBSCRIBED", "timestamp": "2026-10-01T09:15:00.000Z", "subscriptionId": "all",
            "subscriptionName": "All email"}  # fmt: skip
    change = event("ev-1", "STATUSCHANGE", UNSUBSCRIBED_AT, TOMAS, portalSubscriptionStatus="UNSUBSCRIBED",
                   changeType="PORTAL_STATUS", subscriptions=[{"id": 1001, "status": "UNSUBSCRIBED"}])  # fmt: skip
    models = mapped(hubspot, "contacts", contact) + mapped(hubspot, "subscriptions", wide)
    models += mapped(hubspot, "email_events", change)
    assert {type(m).__name__ for m in models} == {"Person", "Consent", "Interaction"}
    result = shipped.evaluate(person(models), now=NOW)
    (suppression,) = result.suppressions
    assert suppression.reason == "unsubscribed_anywhere"
    assert suppression.since == UNSUBSCRIBED_AT  # the earliest statement, not the contact's last change
    assert "all email email denied in hubspot" in suppression.detail
    assert result.writeback_values()["suppression.marketing"] is True


@pytest.mark.parametrize(
    ("name", "status", "suppressed"),
    [("All email", "NOT_SUBSCRIBED", True), ("Marketing Information", "NOT_SUBSCRIBED", True),
     ("One to One", "NOT_SUBSCRIBED", False), ("Marketing Information", "SUBSCRIBED", False),
     ("Customer Service Communication", "NOT_SUBSCRIBED", False)],
)  # fmt: skip
def test_which_hubspot_subscriptions_count_as_marketing(hubspot, shipped, name, status, suppressed):
    raw = {"id": "102:1001", "contactId": "102", "email": TOMAS, "channel": "EMAIL", "subscriptionId": 1001,
           "subscriptionName": name, "status": status, "timestamp": "2026-10-01T09:15:00.000Z"}  # fmt: skip
    result = shipped.evaluate(person(mapped(hubspot, "subscriptions", raw)), now=NOW)
    assert ("unsubscribed_anywhere" in result.reasons) is suppressed


def test_an_unsubscribe_event_alone_suppresses(hubspot, shipped):
    change = event("ev-1", "STATUSCHANGE", UNSUBSCRIBED_AT, TOMAS, portalSubscriptionStatus="UNSUBSCRIBED")
    interactions = [m for m in mapped(hubspot, "email_events", change) if isinstance(m, Interaction)]
    assert [i.type for i in interactions] == ["email.subscription_changed"]
    result = shipped.evaluate(person(interactions), now=NOW)
    assert result.reasons == ["unsubscribed_anywhere"]
    assert "email.subscription_changed" in result.suppressions[0].detail


@pytest.mark.parametrize(("category", "suppressed"), [("HARD_BOUNCE", True), ("UNKNOWN_USER", True),
                                                      ("MAILBOX_FULL", False), ("SOFT_BOUNCE", False)])  # fmt: skip
def test_a_bounce_that_says_the_address_is_dead_suppresses_for_half_a_year(hubspot, shipped, category, suppressed):
    bounce = event("ev-2", "BOUNCE", ago(days=10), TOMAS, category=category, response="550 5.1.1 user unknown")
    result = shipped.evaluate(person(mapped(hubspot, "email_events", bounce)), now=NOW)
    assert ("email_bounced" in result.reasons) is suppressed
    if suppressed:
        assert result.suppressions[0].until == ago(days=10) + timedelta(days=180)


def maya_events() -> list[dict]:
    """Her nurture emails as HubSpot's events API lists them (the story's event types, a week apart)."""
    kinds = list(story("buyer").facts["hubspot"]["maya"]["email_events"])
    raws, n = [], 0
    for week, cut in enumerate((4, 7)):
        sent = ago(days=14 - 7 * week)
        for step, kind in enumerate(kinds[n:cut]):
            extra = {"subject": "Getting started nurture"} if kind == "SENT" else {}
            raws.append(event(f"maya-{n + step}", kind, sent + timedelta(minutes=10 * step), MAYA, **extra))
        n = cut
    return raws


def test_maya_from_hubspot_mixpanel_and_zendesk_leaves_the_beginner_nurture(hubspot, shipped):
    interactions = [m for m in mapped(hubspot, "email_events", *maya_events()) if isinstance(m, Interaction)]
    assert {i.type for i in interactions} == {"email.sent", "email.delivered", "email.opened", "email.clicked"}
    pages = [page_view(ago(days=14 * (i + 0.5) / 12), "/enterprise/security") for i in range(12)]
    urgent = make_ticket(9001, priority="urgent", status="open", tags=["sso", "enterprise"], created=ago(days=2))
    result = shipped.evaluate(person(interactions, *pages, urgent), now=NOW)
    assert result.enrichment["segment"] == "enterprise buyer"
    assert result.enrichment["learning_score"] > 0  # her opens and clicks count as learning
    assert result.reasons == ["urgent_ticket_open", "beginner_nurture_left"]


def test_four_hubspot_sends_in_a_week_reach_the_cap(hubspot, shipped):
    sends = [event(f"s{d}", "SENT", ago(days=d), TOMAS, subject="Quarterly newsletter") for d in (6, 4, 2, 1)]
    result = shipped.evaluate(person(mapped(hubspot, "email_events", *sends)), now=NOW)
    (cap,) = result.suppressions
    assert cap.reason == "frequency_cap" and cap.until == ago(days=6) + timedelta(days=7)
    fewer = shipped.evaluate(person(mapped(hubspot, "email_events", *sends[1:])), now=NOW)
    assert fewer.suppressions == ()
