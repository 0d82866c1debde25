"""Loading a policy file: every problem at once, each with file:line:column, key and a hint."""

from __future__ import annotations

import pytest

from core.errors import ConfigError, PolicyError
from core.policy import load_policies, load_policies_text
from tests.core.policy.helpers import policies, problems


def by_key(found):
    return {p.key: p for p in found}


def test_every_problem_is_collected_in_file_order_with_positions_and_hints():
    found = problems("""\
        enrichmnt: {}
        enrichment:
          open_tickets: {rule: cuont, match: {kind: ticket}}
          latest_page: {rule: latest, match: {kind: product, path: {regex: "^/docs/(api"}}}
        scores:
          intent: {half_life: 14, signals: [{weight: 2, match: {pth: x}}]}
        """)
    assert [p.line for p in found] == sorted(p.line for p in found)
    assert all(p.file == "p.yaml" and p.line and p.column and p.hint for p in found)
    keys = by_key(found)
    assert keys["enrichmnt"].message == "unknown key 'enrichmnt'"
    assert keys["enrichmnt"].hint.startswith("did you mean 'enrichment'?")
    assert (keys["enrichment.open_tickets.rule"].line, keys["enrichment.open_tickets.rule"].column) == (4, 18)
    assert keys["enrichment.open_tickets.rule"].hint == "did you mean 'count'? rules: count, highest, latest, sum"
    kind = keys["enrichment.latest_page.match.kind"]
    assert kind.message == "unknown interaction kind 'product'" and kind.hint.startswith(
        "did you mean 'product_event'?"
    )
    regex = keys["enrichment.latest_page.match.path.regex"]
    assert regex.message.startswith("bad regular expression '^/docs/(api': missing )")
    assert regex.line == 5
    assert "a number needs a unit" in keys["scores.intent.half_life"].message
    assert keys["scores.intent.signals.0.match.pth"].hint.startswith("did you mean 'path'?")


def test_references_between_items_are_checked():
    found = by_key(
        problems("""\
        scores:
          intent: {half_life: 7d, signals: [{match: {kind: product_event}}]}
        segments:
          buyer: {label: buyer, when: {intnt: {at_least: 1}}}
          beginner: {label: beginner, when: {intent: {below: 1}}}
        suppressions:
          left: {rule: segment_change, scope: marketing, from: beginner, to: [buyers]}
        alerts:
          complaint:
            match: {kind: ticket}
            target: {system: salesforce, streams: [Contact]}
            subject: "From {nam}"
            text: "{subject"
            suppress: {reason: left, scope: marketing}
        """)
    )
    assert found["segments.buyer.when.intnt"].hint == "did you mean 'intent'? scores: intent"
    assert "declares no 'nurture:'" in found["suppressions.left.from"].message
    assert found["suppressions.left.to.0"].hint.startswith("did you mean 'buyer'?")
    assert found["alerts.complaint.subject"].message == "unknown placeholder '{nam}'"
    assert "bad template" in found["alerts.complaint.text"].message
    assert "already given at p.yaml:8" in found["alerts.complaint.suppress.reason"].message


@pytest.mark.parametrize(
    ("text", "key", "message"),
    [
        ("enrichment:\n  Open-Tickets: {rule: count, match: {}}\n", "enrichment.Open-Tickets", "must be lowercase"),
        ("enrichment:\n  segment: {rule: count, match: {}}\n", "enrichment.segment", "taken by the segments"),
        ("enrichment:\n  x: {match: {}}\n", "enrichment.x", "missing 'rule'"),
        ("enrichment:\n  x: {rule: sum, match: {}, field: amount}\n", "enrichment.x.field", "'amount' is not a field"),
        ("enrichment:\n  x: {rule: count, match: {occurred_at: x}}\n", "enrichment.x.match.occurred_at", "is a time"),
        ("enrichment:\n  x: {rule: count, match: {status: []}}\n", "enrichment.x.match.status", "empty list"),
        ("enrichment:\n  x: {rule: count, match: {any: {kind: ticket}}}\n", "enrichment.x.match.any", "takes a list"),
        ("enrichment:\n  x: {rule: count, match: {open: yes please}}\n", "enrichment.x.match.open", "true or false"),
        ("enrichment:\n  x: {rule: count, match: [ticket]}\n", "enrichment.x.match", "mapping"),
        ("defaults:\n  open: {open: true}\n", "defaults.open.open", "inside defaults.open"),
        ("fields:\n  path: [url]\n", "fields.path.0", "'url' is not a field"),
        ("scores:\n  s: {half_life: 0d, signals: [{match: {}}]}\n", "scores.s.half_life", "longer than 0"),
        ("segments:\n  s: {label: s, when: {x: {}}}\n", "segments.s.when.x", "give 'at_least', 'below' or both"),
        ("suppressions:\n  c: {rule: frequency_cap, scope: marketing, match: {}, cap: 0, window: 7d}\n",
         "suppressions.c.cap", "greater than or equal to 1"),
        ("suppressions:\n  c: {rule: consent_denied, scope: promo}\n", "suppressions.c.scope", "'marketing'"),
    ],
)  # fmt: skip
def test_single_problems(text, key, message):
    found = by_key(problems(text))
    assert key in found, list(found)
    assert message in found[key].message, found[key].message
    assert found[key].hint


def test_only_version_1_exists():
    with pytest.raises(PolicyError) as info:
        load_policies_text("version: 2\n", file="p.yaml")
    (problem,) = info.value.problems
    assert (problem.key, problem.line) == ("version", 1)
    assert "Input should be 1" in problem.message


def test_a_yaml_syntax_error_and_a_missing_file(tmp_path):
    with pytest.raises(PolicyError) as info:
        load_policies_text("version: 1\nenrichment:\n  x: {rule: count\n", file="p.yaml")
    (problem,) = info.value.problems
    assert problem.message.startswith("YAML syntax error") and problem.line == 4
    with pytest.raises(PolicyError) as info:
        load_policies(tmp_path / "nope.yaml")
    assert info.value.problems[0].message == "policy file not found"
    assert "mappings/policies.yaml" in info.value.problems[0].hint
    assert isinstance(info.value, ConfigError) and info.value.exit_code == 2
    assert "contactpoint policy check" in info.value.hint


def test_several_files_make_one_set_and_names_are_unique_across_them(tmp_path):
    one = tmp_path / "one.yaml"
    two = tmp_path / "two.yaml"
    one.write_text("version: 1\nenrichment:\n  open_tickets: {rule: count, match: {kind: ticket, open: true}}\n")
    two.write_text("version: 1\nscores:\n  intent: {half_life: 7d, signals: [{match: {kind: product_event}}]}\n")
    rules = load_policies([one, two])
    assert rules.files == (str(one), str(two))
    assert [r.name for r in rules.enrichment] == ["open_tickets"] and [s.name for s in rules.scores] == ["intent"]
    two.write_text(
        "version: 1\ndefaults: {round: 2}\nscores:\n  open_tickets: {half_life: 7d, signals: [{match: {}}]}\n"
    )
    one.write_text(one.read_text() + "defaults: {round: 1}\n")
    with pytest.raises(PolicyError) as info:
        load_policies([one, two])
    found = {(p.file, p.key): p for p in info.value.problems}
    assert f"already defined at {one}:3" in found[(str(two), "scores.open_tickets")].message
    assert f"already set in {one}:4" in found[(str(two), "defaults")].message


def test_the_shipped_file_and_an_empty_one_load():
    assert policies("").writeback_names()[-1] == "suppression.reasons"


def test_a_section_with_every_item_commented_out_is_empty():
    rules = policies("enrichment:\n  # open_tickets: {rule: count, match: {kind: ticket}}\nalerts:\n")
    assert rules.enrichment == () and rules.alerts == ()
