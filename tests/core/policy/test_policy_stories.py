"""The shipped policies on the sandbox stories: Maya the buyer, Tomas who unsubscribed, Priya who complained."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from core.canonical import SuppressionScope
from core.policy import PolicyInput, load_policies
from tests.core.policy.builders import NOW, ticket
from tests.core.policy.story_inputs import MAYA_TICKET, PRIYA_TICKET, maya, priya, tomas

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def shipped():
    return load_policies(ROOT / "mappings" / "policies.yaml")


def with_ticket(person: PolicyInput, replacement) -> PolicyInput:
    kept = [i for i in person.interactions if i.source.source_id != replacement.source.source_id]
    return PolicyInput(person.profile_id, person.golden, person.records, [*kept, replacement], person.consents)


def test_maya_is_an_enterprise_buyer_whose_beginner_nurture_stops(shipped):
    result = shipped.evaluate(maya(), now=NOW)
    assert result.segment is not None
    assert result.segment.label == "enterprise buyer"
    assert result.enrichment["segment"] == "enterprise buyer"
    assert "beginner" in result.enrichment["segments"]  # she still reads beginner content; the buyer wins
    assert result.enrichment["intent_score"] >= 15
    left = next(s for s in result.suppressions if s.reason == "beginner_nurture_left")
    assert left.nurture == "beginner"
    assert left.until is None
    assert "'enterprise buyer'" in left.detail and "'beginner' nurture" in left.detail
    assert "Getting started nurture" in left.detail
    assert left.since == result.segment.since


def test_maya_nurture_is_paused_while_her_urgent_ticket_is_open(shipped):
    result = shipped.evaluate(maya(), now=NOW)
    paused = next(s for s in result.suppressions if s.reason == "urgent_ticket_open")
    assert paused.scope is SuppressionScope.MARKETING
    assert paused.until is None
    assert str(paused.source) == f"zendesk/tickets/{MAYA_TICKET}"
    assert "SSO login fails" in paused.detail and "priority urgent" in paused.detail
    assert result.enrichment["open_tickets"] == 1
    assert result.enrichment["highest_open_priority"] == "urgent"
    values = result.writeback_values()
    assert values["suppression.marketing"] is True
    assert values["suppression.reasons"] == ["urgent_ticket_open", "beginner_nurture_left"]
    assert values["enrichment.segment"] == "enterprise buyer"


def test_maya_nurture_resumes_three_days_after_the_ticket_is_solved(shipped):
    solved_at = NOW - timedelta(days=1)
    solved = ticket(MAYA_TICKET, subject="SSO login fails for our whole team", status="solved", priority="urgent",
                    created=NOW - timedelta(days=2), updated=solved_at, solved_at=solved_at)  # fmt: skip
    person = with_ticket(maya(), solved)
    result = shipped.evaluate(person, now=NOW)
    paused = next(s for s in result.suppressions if s.reason == "urgent_ticket_open")
    assert paused.until == solved_at + timedelta(days=3)
    later = shipped.evaluate(person, now=solved_at + timedelta(days=3, seconds=1))
    assert "urgent_ticket_open" not in later.reasons
    assert later.enrichment["open_tickets"] == 0
    assert later.enrichment["highest_open_priority"] is None
    # the beginner nurture stays off: only that nurture, so marketing as a whole is not suppressed
    assert later.reasons == ["beginner_nurture_left"]
    assert later.writeback_values()["suppression.marketing"] is False


def test_maya_explanations_name_the_pages_that_made_her_a_buyer(shipped):
    result = shipped.evaluate(maya(), now=NOW)
    why = result.explain("enrichment.intent_score")
    labels = {c.label for c in why.contributions}
    assert labels == {"enterprise pages", "API docs", "pricing", "enterprise ticket"}
    assert sum(1 for c in why.contributions if c.label == "enterprise pages") == 12
    assert all(0 < c.factor <= 1 for c in why.contributions)
    assert sum(c.value for c in why.contributions) == pytest.approx(result.enrichment["intent_score"], abs=0.05)
    assert "12 x enterprise pages" in why.text
    assert "enterprise buyer" in result.explain("enrichment.segment").text


def test_tomas_unsubscribed_in_hubspot_is_suppressed_everywhere(shipped):
    result = shipped.evaluate(tomas(), now=NOW)
    (suppression,) = result.suppressions
    assert suppression.reason == "unsubscribed_anywhere"
    assert suppression.scope is SuppressionScope.MARKETING
    assert suppression.since.isoformat() == "2026-10-01T09:15:00+00:00"
    assert suppression.until is None
    assert "denied in hubspot" in suppression.detail
    values = result.writeback_values()
    assert values["suppression.marketing"] is True
    assert values["suppression.reasons"] == ["unsubscribed_anywhere"]
    assert result.alerts == ()


def test_priya_complaint_raises_one_alert_for_the_contact_owner(shipped):
    result = shipped.evaluate(priya(), now=NOW)
    (alert,) = result.alerts  # tagged 'complaint' AND rated bad: one occurrence, one alert
    assert alert.key == f"complaint:zendesk/tickets/{PRIYA_TICKET}"
    assert alert.open is True
    assert (alert.target.system, alert.target.object, alert.target.assign_to) == ("salesforce", "Task", "owner")
    assert str(alert.target.record) == "salesforce/Contact/003PRIYA"
    assert alert.subject == "Complaint from Priya Raman: Third late delivery this quarter - unacceptable"
    assert "satisfaction bad" in alert.text and "Copperleaf Retail" in alert.text
    held = next(s for s in result.suppressions if s.reason == "complaint_open")
    assert held.scope is SuppressionScope.MARKETING and held.until is None
    assert result.writeback_values()["suppression.marketing"] is True


def test_priya_alert_key_is_the_same_on_every_run_and_promotion_resumes_when_solved(shipped):
    first = shipped.evaluate(priya(), now=NOW)
    tomorrow = shipped.evaluate(priya(), now=NOW + timedelta(days=1))
    assert [a.key for a in tomorrow.alerts] == [a.key for a in first.alerts]
    solved = ticket(PRIYA_TICKET, subject="Third late delivery this quarter - unacceptable", status="solved",
                    priority="high", tags=["complaint", "delivery", "callback_done"], satisfaction="bad",
                    created=NOW - timedelta(days=3), updated=NOW - timedelta(hours=1))  # fmt: skip
    after = shipped.evaluate(with_ticket(priya(), solved), now=NOW)
    (alert,) = after.alerts
    assert alert.key == first.alerts[0].key  # solved, retagged: still the same occurrence
    assert alert.open is False
    assert "complaint_open" not in after.reasons


def test_the_stories_do_not_leak_into_each_other(shipped):
    assert shipped.evaluate(tomas(), now=NOW).enrichment["open_tickets"] == 0
    assert shipped.evaluate(priya(), now=NOW).segment is None
    assert shipped.evaluate(maya(), now=NOW).alerts == ()
