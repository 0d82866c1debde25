"""Intent scores (weighted, time-decayed) and the segments they make."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from core.policy.scores import decay_factor
from tests.core.policy.builders import NOW, ago, email_event, page_view, ticket
from tests.core.policy.helpers import person, policies

SCORES = """
scores:
  intent_score:
    half_life: 7d
    within: 30d
    round: 2
    signals:
      - {label: enterprise, weight: 4, match: {kind: product_event, path: "/enterprise*"}}
      - {label: any page, weight: 1, match: {kind: product_event}}
      - {label: enterprise ticket, weight: 2, match: {kind: ticket, tags: enterprise}}
segments:
  buyer:
    label: enterprise buyer
    when: {intent_score: {at_least: 6}}
  browser:
    label: browser
    when: {intent_score: {at_least: 0.5, below: 6}}
"""


def test_a_new_interaction_counts_its_full_weight_and_half_after_one_half_life():
    rules = policies(SCORES)
    assert rules.evaluate(person(page_view(NOW, "/enterprise/sso")), now=NOW).enrichment["intent_score"] == 4.0
    week = rules.evaluate(person(page_view(ago(days=7), "/enterprise/sso")), now=NOW)
    assert week.enrichment["intent_score"] == 2.0
    assert week.explain("enrichment.intent_score").contributions[0].factor == pytest.approx(0.5)


def test_each_interaction_counts_once_with_the_first_signal_it_matches():
    result = policies(SCORES).evaluate(person(page_view(NOW, "/enterprise"), page_view(NOW, "/blog")), now=NOW)
    assert result.enrichment["intent_score"] == 5.0  # 4 (enterprise, not also 'any page') + 1
    labels = [c.label for c in result.explain("enrichment.intent_score").contributions]
    assert sorted(labels) == ["any page", "enterprise"]


def test_interactions_older_than_within_do_not_count():
    result = policies(SCORES).evaluate(person(page_view(ago(days=31), "/enterprise")), now=NOW)
    assert result.enrichment["intent_score"] == 0.0
    assert result.explain("enrichment.intent_score").contributions == ()


def test_signals_of_several_kinds_and_tags():
    result = policies(SCORES).evaluate(person(ticket(1, tags=["SSO", "Enterprise"], created=NOW)), now=NOW)
    assert result.enrichment["intent_score"] == 2.0


def test_the_first_segment_that_holds_is_the_persons_and_since_is_when_the_threshold_was_reached():
    views = [page_view(ago(days=d), "/enterprise") for d in (6, 5, 4)]
    result = policies(SCORES).evaluate(person(*views), now=NOW)
    # at day -5 the score was 4*2^(-1/7) + 4 = 7.6: the threshold of 6 was reached then, and held
    assert result.segment.name == "buyer"
    assert result.segment.since == ago(days=5)
    assert [s.label for s in result.segments] == ["enterprise buyer"]
    assert result.enrichment["segments"] == ["enterprise buyer"]


def test_since_restarts_after_the_score_fell_below_the_threshold():
    views = [page_view(ago(days=d), "/enterprise") for d in (60, 59, 2, 1)]
    rules = policies(SCORES.replace("within: 30d", "within: 90d"))
    result = rules.evaluate(person(*views), now=NOW)
    assert result.segment.name == "buyer"
    assert result.segment.since == ago(days=1)  # the first burst decayed away; the second one counts


def test_below_bounds_a_segment_and_no_segment_gives_none():
    rules = policies(SCORES)
    browser = rules.evaluate(person(page_view(NOW, "/blog")), now=NOW)
    assert browser.enrichment["segment"] == "browser"
    nobody = rules.evaluate(person(), now=NOW)
    assert nobody.segment is None
    assert nobody.enrichment["segment"] is None
    assert nobody.enrichment["segments"] == []
    assert "no segment holds" in nobody.explain("enrichment.segment").text


def test_scores_ignore_interactions_of_other_kinds():
    assert policies(SCORES).evaluate(person(email_event("OPEN", NOW)), now=NOW).enrichment["intent_score"] == 0.0


@pytest.mark.parametrize(("age_days", "expected"), [(0, 1.0), (7, 0.5), (14, 0.25), (-1, 1.0)])
def test_decay_factor(age_days, expected):
    assert decay_factor(age_days * 86400, 7 * 86400) == pytest.approx(expected)


def test_the_score_is_the_exact_sum_of_its_contributions():
    views = [page_view(ago(hours=h * 13), "/enterprise" if h % 2 else "/docs") for h in range(20)]
    result = policies(SCORES).evaluate(person(*views), now=NOW)
    contributions = result.explain("enrichment.intent_score").contributions
    expected = math.fsum(c.weight * 0.5 ** ((NOW - c.occurred_at) / timedelta(days=7)) for c in contributions)
    assert result.enrichment["intent_score"] == round(expected, 2)
