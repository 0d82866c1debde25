"""Suppression rules: consent_denied, event, open_ticket, segment_change, frequency_cap."""

from __future__ import annotations

from datetime import timedelta

import pytest

from core.canonical import SuppressionScope
from tests.core.policy.builders import NOW, ago, consent, email_event, page_view, ticket
from tests.core.policy.helpers import person, policies

CONSENT = """
suppressions:
  unsubscribed_anywhere:
    rule: consent_denied
    scope: marketing
    channel: email
    purposes: [marketing, "news*"]
    events: {kind: campaign_event, type: UNSUBSCRIBED}
"""


def test_a_denial_in_one_system_suppresses_everywhere_from_the_earliest_denial():
    result = policies(CONSENT).evaluate(
        person(consents=[
            consent("salesforce", "003A", channel="email", purpose="marketing", status="denied", at=ago(days=3)),
            consent("hubspot", "101", channel="email", purpose="newsletter", status="denied", at=ago(days=9)),
            consent("hubspot", "101", channel="email", purpose="product_updates", status="denied", at=ago(days=20)),
        ]),
        now=NOW,
    )  # fmt: skip
    (s,) = result.suppressions
    assert (s.reason, s.scope, s.since, s.until) == (
        "unsubscribed_anywhere",
        SuppressionScope.MARKETING,
        ago(days=9),
        None,
    )
    assert str(s.source) == "hubspot/contacts/101"
    assert "newsletter email denied in hubspot" in s.detail and "marketing email denied in salesforce" in s.detail
    assert "product_updates" not in s.detail


def test_other_channels_grants_and_future_consents_do_not_suppress():
    result = policies(CONSENT).evaluate(
        person(consents=[
            consent("salesforce", "003A", channel="phone", purpose="marketing", status="denied", at=ago(days=3)),
            consent("hubspot", "101", channel="email", purpose="marketing", status="granted", at=ago(days=3)),
            consent("hubspot", "101", channel="email", purpose="marketing", status="denied", at=NOW + timedelta(hours=1)),
        ]),
        now=NOW,
    )  # fmt: skip
    assert result.suppressions == ()
    assert result.writeback_values()["suppression.marketing"] is False


def test_an_unsubscribe_event_counts_as_a_denial():
    result = policies(CONSENT).evaluate(person(email_event("UNSUBSCRIBED", ago(days=2))), now=NOW)
    (s,) = result.suppressions
    assert s.since == ago(days=2)
    assert "UNSUBSCRIBED in hubspot" in s.detail


def test_a_later_grant_lifts_a_denial_only_when_the_rule_says_so():
    consents = [
        consent("hubspot", "101", channel="email", purpose="marketing", status="denied", at=ago(days=30)),
        consent("salesforce", "003A", channel="email", purpose="Marketing", status="granted", at=ago(days=2)),
    ]
    assert policies(CONSENT).evaluate(person(consents=consents), now=NOW).reasons == ["unsubscribed_anywhere"]
    lifting = policies(CONSENT + "    lifted_by_later_grant: true\n")
    assert lifting.evaluate(person(consents=consents), now=NOW).reasons == []


EVENT = """
suppressions:
  email_bounced: {rule: event, scope: email, match: {kind: campaign_event, type: BOUNCE}, lasts: 30d}
"""


def test_an_event_suppresses_for_its_duration_from_the_latest_one():
    rules = policies(EVENT)
    bounces = [email_event("BOUNCE", ago(days=40)), email_event("BOUNCE", ago(days=10))]
    (s,) = rules.evaluate(person(*bounces), now=NOW).suppressions
    assert (s.scope, s.since, s.until) == (SuppressionScope.EMAIL, ago(days=10), ago(days=10) + timedelta(days=30))
    assert rules.evaluate(person(*bounces), now=ago(days=10) + timedelta(days=30)).suppressions == ()


TICKETS = """
suppressions:
  urgent_ticket_open:
    rule: open_ticket
    scope: marketing
    match: {kind: ticket, priority: [urgent, high]}
    resume_after: 3d
"""


def test_an_urgent_ticket_open_pauses_until_it_is_solved_plus_n_days():
    rules = policies(TICKETS)
    open_ticket = ticket(1, priority="urgent", status="open", created=ago(days=2))
    (s,) = rules.evaluate(person(open_ticket), now=NOW).suppressions
    assert (s.since, s.until) == (ago(days=2), None)
    solved = ticket(1, priority="urgent", status="solved", created=ago(days=2), updated=ago(days=1))
    (s,) = rules.evaluate(person(solved), now=NOW).suppressions
    assert s.until == ago(days=1) + timedelta(days=3)  # no solved_at: the last update is when it was solved
    assert "contact resumes 2026-10-17 12:00 UTC" in s.detail
    assert rules.evaluate(person(solved), now=ago(days=1) + timedelta(days=3)).suppressions == ()


def test_solved_at_wins_over_the_last_update_and_normal_tickets_do_not_pause():
    rules = policies(TICKETS)
    solved = ticket(
        1, priority="high", status="closed", created=ago(days=9), updated=ago(hours=1), solved_at=ago(days=8)
    )
    assert rules.evaluate(person(solved), now=NOW).suppressions == ()  # solved 8 days ago + 3 days: over
    assert rules.evaluate(person(ticket(2, priority="normal")), now=NOW).suppressions == ()


def test_several_tickets_make_one_suppression_lasting_as_long_as_the_longest():
    rules = policies(TICKETS)
    result = rules.evaluate(
        person(
            ticket(1, priority="urgent", status="solved", created=ago(days=5), updated=ago(days=2)),
            ticket(2, priority="high", status="open", created=ago(days=1)),
        ),
        now=NOW,
    )
    (s,) = result.suppressions
    assert (s.since, s.until, s.source.source_id) == (ago(days=5), None, "2")
    assert len(result.explain("suppression.urgent_ticket_open").contributions) == 2


NURTURE = """
scores:
  intent: {half_life: 14d, signals: [{weight: 5, match: {kind: product_event, path: "/enterprise*"}}]}
  learning: {half_life: 14d, signals: [{weight: 1, match: {kind: campaign_event, type: OPEN}}]}
segments:
  enterprise_buyer: {label: enterprise buyer, when: {intent: {at_least: 10}}}
  beginner:
    label: beginner
    when: {learning: {at_least: 1}}
    nurture: {kind: campaign_event, type: SENT, subject: "Getting started*"}
suppressions:
  beginner_nurture_left: {rule: segment_change, scope: marketing, from: beginner, to: [enterprise_buyer], within: 30d}
"""


def nurture(days_ago: float):
    return email_event("SENT", ago(days=days_ago), campaign="Getting started nurture")


def test_a_person_in_the_beginner_nurture_who_became_a_buyer_leaves_that_nurture_only():
    pages = [page_view(ago(days=d), "/enterprise/security") for d in (3, 2, 1)]
    result = policies(NURTURE).evaluate(person(nurture(20), nurture(6), *pages), now=NOW)
    (s,) = result.suppressions
    assert (s.reason, s.nurture, s.until) == ("beginner_nurture_left", "beginner", None)
    assert s.since == result.segment.since == ago(days=1)  # 5 + 4.76 on day -2; 14.3 on day -1
    assert result.reasons == ["beginner_nurture_left"]
    assert result.suppressed(SuppressionScope.MARKETING) is False  # the enterprise nurture may go on


def test_no_change_without_nurture_evidence_or_while_still_a_beginner():
    pages = [page_view(ago(days=d), "/enterprise") for d in (3, 2, 1)]
    rules = policies(NURTURE)
    assert rules.evaluate(person(*pages), now=NOW).suppressions == ()  # never in the beginner nurture
    assert rules.evaluate(person(nurture(45), *pages), now=NOW).suppressions == ()  # left it long ago
    assert rules.evaluate(person(nurture(5), email_event("OPEN", ago(days=1))), now=NOW).suppressions == ()


CAP = """
suppressions:
  frequency_cap: {rule: frequency_cap, scope: marketing, match: {kind: campaign_event, type: SENT}, cap: 3, window: 7d}
"""


def sent(days_ago: float):
    return email_event("SENT", ago(days=days_ago))


def test_the_cap_reached_suppresses_until_the_oldest_counted_message_leaves_the_window():
    rules = policies(CAP)
    messages = [sent(6), sent(4), sent(1)]
    (s,) = rules.evaluate(person(*messages), now=NOW).suppressions
    assert (s.since, s.until) == (ago(days=1), ago(days=6) + timedelta(days=7))
    assert "3 messages in the last 1 week reached the policy's cap of 3" in s.detail
    assert rules.evaluate(person(*messages), now=ago(days=6) + timedelta(days=7)).suppressions == ()
    assert rules.evaluate(person(sent(6), sent(1)), now=NOW).suppressions == ()


def test_messages_from_several_systems_count_together():
    other = email_event("SENT", ago(days=2))
    other = other.model_copy(update={"source": other.source.model_copy(update={"system": "salesforce"})})
    (s,) = policies(CAP).evaluate(person(sent(5), sent(3), other), now=NOW).suppressions
    assert s.since == ago(days=2)


@pytest.mark.parametrize(("own", "suppressed"), [(2, True), (5, False)])
def test_the_persons_own_cap_wins(own, suppressed):
    result = policies(CAP).evaluate(person(sent(5), sent(2), frequency_cap=own), now=NOW)
    assert bool(result.suppressions) is suppressed
    if suppressed:
        assert "the person's own cap of 2" in result.suppressions[0].detail
    assert bool(policies(CAP).evaluate(person(sent(5), sent(4), sent(2), frequency_cap=own), now=NOW).suppressions) is (
        own < 4
    )
