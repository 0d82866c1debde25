"""Match blocks: globs, regular expressions, negation, combinators, derived fields."""

from __future__ import annotations

import pytest

from core.policy.matching import compile_pattern
from tests.core.policy.builders import NOW, ago, email_event, page_view, ticket
from tests.core.policy.helpers import person, policies


def count(match: str, *interactions) -> int:
    rules = policies(f"enrichment:\n  n: {{rule: count, match: {match}}}\n")
    return rules.evaluate(person(*interactions), now=NOW).enrichment["n"]


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("/enterprise*", "/enterprise/security/sso", True),  # '*' crosses '/'
        ("/enterprise*", "/Enterprise", True),  # case is ignored
        ("/enterprise*", "/blog/enterprise", False),  # a glob matches the whole value
        ("/docs/api?", "/docs/apis", True),
        ("/docs/[ab]pi", "/docs/api", True),
        ("urgent", "URGENT", True),
        ("urgent", "urgently", False),
    ],
)
def test_globs(pattern, value, matches):
    assert compile_pattern(pattern).matches(value) is matches


def test_a_regex_is_found_anywhere_unless_anchored():
    assert compile_pattern("api", regex=True).matches("/docs/API/v2")
    assert not compile_pattern("^/api", regex=True).matches("/docs/api")


def test_path_is_read_from_a_path_property_or_cut_from_a_full_url():
    views = [page_view(ago(hours=1), "/pricing"), page_view(ago(hours=2), "/pricing/enterprise", full_url=True)]
    assert count('{kind: product_event, path: "/pricing*"}', *views) == 2
    assert count("{kind: product_event, path: {regex: '^/pricing$'}}", *views) == 1


def test_lists_are_any_of_and_not_is_none_of():
    tickets = [ticket(1, status="open"), ticket(2, status="solved"), ticket(3, status="hold")]
    assert count("{kind: ticket, status: [open, hold]}", *tickets) == 2
    assert count("{kind: ticket, status: {not: [solved, closed]}}", *tickets) == 2
    assert count("{kind: ticket, not: {status: open}}", *tickets) == 2


def test_any_and_all_combine_blocks():
    items = [ticket(1, tags=["complaint"]), ticket(2, satisfaction="bad"), ticket(3, ticket_type="question")]
    assert count("{any: [{kind: ticket, tags: complaint}, {satisfaction: bad}]}", *items) == 2
    assert count("{all: [{kind: ticket}, {tags: complaint}]}", *items) == 1


def test_tags_match_any_element_and_a_text_of_tags_is_split():
    text_tags = ticket(1)
    text_tags = text_tags.model_copy(update={"properties": {"tags": "vip, complaint delivery"}})
    assert count("{tags: complaint}", ticket(2, tags=["a", "Complaint"]), text_tags) == 2


def test_properties_by_path_numbers_and_booleans():
    event = email_event("BOUNCE", ago(days=1), category="HARD_BOUNCE", attempts=3, final=True)
    assert count("{properties.category: '*hard*'}", event) == 1
    assert count("{properties.attempts: 3, properties.final: true}", event) == 1
    assert count("{properties.missing: '*'}", event) == 0
    assert count("{properties.missing: {not: x}}", event) == 1  # a missing value is none of them


def test_system_and_stream_of_the_source():
    assert count("{system: zendesk, stream: tick*}", ticket(1), email_event("SENT", ago(days=1))) == 1


def test_an_empty_block_matches_every_interaction():
    assert count("{}", ticket(1), email_event("SENT", ago(days=1))) == 2


def test_fields_can_be_read_from_other_properties():
    rules = policies("""
        fields:
          path: [properties.page]
        enrichment:
          n: {rule: count, match: {path: "/pricing"}}
        """)
    item = page_view(ago(hours=1), "/docs").model_copy(update={"properties": {"page": "https://x.example/pricing#top"}})
    assert rules.evaluate(person(item), now=NOW).enrichment["n"] == 1
