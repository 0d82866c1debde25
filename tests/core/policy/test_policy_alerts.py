"""Closed-loop alerts: once per occurrence, a stable key, a target, words from templates."""

from __future__ import annotations

from datetime import timedelta

from core.canonical import SuppressionScope
from tests.core.policy.builders import NOW, ago, ref, ticket
from tests.core.policy.helpers import person, policies

ALERTS = """
alerts:
  complaint:
    match:
      any:
        - {kind: ticket, tags: complaint}
        - {kind: ticket, type: complaint}
        - {kind: ticket, satisfaction: bad}
    within: 30d
    target: {system: salesforce, streams: [Contact, Lead], object: Task}
    subject: "Complaint from {name}: {subject}"
    text: "{first_name} rated {satisfaction}; tags {tags}; {priority} in {system}/{stream}/{source_id} on {occurred_at}"
    suppress: {reason: complaint_open, scope: marketing, resume_after: 2d}
"""


def test_each_occurrence_raises_one_alert_with_a_key_derived_from_it():
    result = policies(ALERTS).evaluate(
        person(
            ticket(11, tags=["complaint"], satisfaction="bad", created=ago(days=3)),  # two reasons, one ticket
            ticket(12, ticket_type="complaint", created=ago(days=1)),
            ticket(13, satisfaction="good", created=ago(days=1)),
        ),
        now=NOW,
    )
    assert [a.key for a in result.alerts] == ["complaint:zendesk/tickets/11", "complaint:zendesk/tickets/12"]
    assert {a.name for a in result.alerts} == {"complaint"}
    assert result.explain("alert.complaint:zendesk/tickets/11").contributions[0].source.source_id == "11"


def test_the_key_does_not_change_with_the_clock_the_order_or_the_tickets_later_state():
    rules = policies(ALERTS)
    first = rules.evaluate(person(ticket(11, tags=["complaint"], created=ago(days=3))), now=NOW)
    later = ticket(11, tags=["complaint", "escalated"], status="pending", priority="urgent", created=ago(days=3),
                   updated=NOW + timedelta(days=2))  # fmt: skip
    again = rules.evaluate(person(later), now=NOW + timedelta(days=3))
    assert [a.key for a in again.alerts] == [a.key for a in first.alerts]


def test_the_target_is_the_crm_record_preferred_by_stream_and_the_words_fill_the_templates():
    records = (
        ref("salesforce", "Lead", "00QZ"),
        ref("salesforce", "Contact", "003B"),
        ref("salesforce", "Contact", "003A"),
    )
    result = policies(ALERTS).evaluate(
        person(ticket(11, subject="Late again", tags=["complaint", "delivery"], satisfaction="bad", priority="high",
                      created=ago(days=1)), records=records),
        now=NOW,
    )  # fmt: skip
    (alert,) = result.alerts
    assert str(alert.target.record) == "salesforce/Contact/003A"
    assert alert.target.object == "Task" and alert.target.assign_to == "owner"
    assert alert.subject == "Complaint from Ada Byron: Late again"
    assert alert.text == "Ada rated bad; tags complaint, delivery; high in zendesk/tickets/11 on 2026-10-14 12:00 UTC"


def test_without_a_crm_record_the_alert_still_says_so():
    result = policies(ALERTS).evaluate(
        person(
            ticket(11, tags=["complaint"]), records=[ref("zendesk", "users", "9")], golden={"email": "x@example.com"}
        ),
        now=NOW,
    )
    (alert,) = result.alerts
    assert alert.target.record is None
    assert alert.subject == "Complaint from x@example.com: Help"
    assert "no salesforce record is linked" in result.explain(f"alert.{alert.key}").text


def test_old_occurrences_are_not_alerted_but_a_recently_updated_one_is():
    rules = policies(ALERTS)
    old = ticket(11, tags=["complaint"], status="solved", created=ago(days=60), updated=ago(days=59))
    assert rules.evaluate(person(old), now=NOW).alerts == ()
    touched = ticket(11, tags=["complaint"], status="open", created=ago(days=60), updated=ago(days=2))
    assert [a.key for a in rules.evaluate(person(touched), now=NOW).alerts] == ["complaint:zendesk/tickets/11"]


def test_an_open_complaint_suppresses_promotion_until_solved_plus_resume_after():
    rules = policies(ALERTS)
    open_one = ticket(11, tags=["complaint"], status="open", created=ago(days=3))
    (s,) = rules.evaluate(person(open_one), now=NOW).suppressions
    assert (s.reason, s.scope, s.since, s.until) == ("complaint_open", SuppressionScope.MARKETING, ago(days=3), None)
    solved = ticket(11, tags=["complaint"], status="solved", created=ago(days=3), updated=ago(days=1))
    result = rules.evaluate(person(solved), now=NOW)
    (s,) = result.suppressions
    assert s.until == ago(days=1) + timedelta(days=2)
    assert result.alerts[0].open is False
    assert rules.evaluate(person(solved), now=ago(days=1) + timedelta(days=2)).suppressions == ()


def test_a_ticket_stamped_later_than_now_counts_once_its_time_comes_and_the_result_says_when():
    """A helpdesk whose clock runs ahead of ours (or a device's event time) must not lose the occurrence."""
    rules = policies(ALERTS)
    ahead = ticket(21, tags=["complaint"], created=ago(seconds=-90))
    early = rules.evaluate(person(ahead), now=NOW)
    assert early.alerts == () and early.comes_into_view_at == NOW + timedelta(seconds=90)
    assert early.to_json()["comes_into_view_at"] == (NOW + timedelta(seconds=90)).isoformat().replace("+00:00", "Z")
    later = rules.evaluate(person(ahead), now=NOW + timedelta(seconds=90))
    assert [a.key for a in later.alerts] == ["complaint:zendesk/tickets/21"] and later.comes_into_view_at is None
    past = rules.evaluate(person(ticket(22, tags=["complaint"], created=ago(days=1))), now=NOW)
    assert past.comes_into_view_at is None
