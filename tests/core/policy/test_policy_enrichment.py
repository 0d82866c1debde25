"""Enrichment rules: count, highest, latest, sum."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.core.policy.builders import NOW, ago, opportunity, page_view, ticket
from tests.core.policy.helpers import person, policies

TICKETS = """
enrichment:
  open_tickets: {rule: count, match: {kind: ticket, open: true}}
  recent_tickets: {rule: count, match: {kind: ticket}, within: 7d}
  highest_open_priority:
    rule: highest
    match: {kind: ticket, open: true}
    field: priority
    order: [low, normal, high, urgent]
"""


def test_count_counts_open_tickets_only_and_explains_which():
    rules = policies(TICKETS)
    result = rules.evaluate(
        person(
            ticket(1, status="open", created=ago(days=2)),
            ticket(2, status="pending", created=ago(days=20)),
            ticket(3, status="solved", created=ago(days=1)),
            page_view(ago(hours=1), "/pricing"),
        ),
        now=NOW,
    )
    assert result.enrichment["open_tickets"] == 2
    assert result.enrichment["recent_tickets"] == 2  # tickets 1 and 3; ticket 2 is 20 days old
    why = result.explain("enrichment.open_tickets")
    assert [c.source.source_id for c in why.contributions] == ["2", "1"]
    assert why.text.startswith("2 interactions match kind=ticket open=true")


def test_count_of_nothing_is_zero():
    assert policies(TICKETS).evaluate(person(), now=NOW).enrichment["open_tickets"] == 0


def test_highest_ranks_by_the_declared_order_ignoring_case():
    result = policies(TICKETS).evaluate(
        person(
            ticket(1, priority="normal"),
            ticket(2, priority="Urgent"),
            ticket(3, priority="high"),
            ticket(4, priority="urgent", status="closed"),  # not open: not counted
        ),
        now=NOW,
    )
    assert result.enrichment["highest_open_priority"] == "urgent"
    assert "2" in result.explain("enrichment.highest_open_priority").text


def test_highest_leaves_unranked_values_out_and_says_so():
    result = policies(TICKETS).evaluate(person(ticket(1, priority="P1"), ticket(2, priority="low")), now=NOW)
    assert result.enrichment["highest_open_priority"] == "low"
    assert "not ranked: 'P1'" in result.explain("enrichment.highest_open_priority").text
    none = policies(TICKETS).evaluate(person(ticket(1, priority=None)), now=NOW)
    assert none.enrichment["highest_open_priority"] is None


def test_latest_gives_the_time_or_a_field_of_the_latest_match():
    rules = policies("""
        enrichment:
          last_product_activity: {rule: latest, match: {kind: product_event}}
          last_page: {rule: latest, match: {kind: product_event}, field: path}
        """)
    result = rules.evaluate(
        person(page_view(ago(days=3), "/docs/api"), page_view(ago(hours=2), "/pricing", full_url=True)), now=NOW
    )
    assert result.enrichment["last_product_activity"] == ago(hours=2)
    assert result.enrichment["last_page"] == "/pricing"  # cut from the full URL, query dropped
    assert result.writeback_values()["enrichment.last_product_activity"] == "2026-10-15T10:00:00Z"
    assert rules.evaluate(person(), now=NOW).enrichment["last_product_activity"] is None


SUMS = """
enrichment:
  lifetime_value:
    rule: sum
    match: {kind: sales_activity, type: opportunity, status: closed won}
    field: properties.amount
  open_pipeline:
    rule: sum
    match: {kind: sales_activity, type: opportunity, status: {not: [closed won, closed lost]}}
    field: properties.amount
    round: 0
"""


def test_sum_adds_numbers_and_reads_numeric_text():
    result = policies(SUMS).evaluate(
        person(
            opportunity("006A", stage="Closed Won", amount=12000.5, at=ago(days=100)),
            opportunity("006B", stage="Closed Won", amount="1,250", at=ago(days=50)),
            opportunity("006C", stage="Negotiation", amount=30000.4, at=ago(days=5)),
            opportunity("006D", stage="Closed Lost", amount=9999, at=ago(days=5)),
        ),
        now=NOW,
    )
    assert result.enrichment["lifetime_value"] == 13250.5
    assert result.enrichment["open_pipeline"] == 30000.0
    assert [c.weight for c in result.explain("enrichment.lifetime_value").contributions] == [12000.5, 1250.0]


@pytest.mark.parametrize("amount", ["TBD", None, {"value": 3}, True, float("nan")])
def test_sum_leaves_out_what_is_not_a_number_and_names_it(amount):
    result = policies(SUMS).evaluate(
        person(
            opportunity("006A", stage="Closed Won", amount=100, at=ago(days=3)),
            opportunity("006B", stage="Closed Won", amount=amount, at=ago(days=2)),
        ),
        now=NOW,
    )
    assert result.enrichment["lifetime_value"] == 100.0
    assert "salesforce/Opportunity/006B" in result.explain("enrichment.lifetime_value").text


def test_rules_see_only_what_happened_by_now():
    rules = policies(TICKETS)
    later = ticket(9, status="open", created=NOW + timedelta(hours=1))
    assert rules.evaluate(person(later), now=NOW).enrichment["open_tickets"] == 0
    assert rules.evaluate(person(later), now=NOW + timedelta(hours=2)).enrichment["open_tickets"] == 1
