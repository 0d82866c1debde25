"""Inputs and outputs: preparation of interactions, overrides, write-back names, JSON, canonical suppressions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.canonical import GoldenValue, SuppressionScope, UnifiedProfile
from core.mapping.writeback import check_source_name, source_names
from core.policy import PersonOverrides, PolicyInput, check_policies, load_policies
from tests.core.policy.builders import NOW, ago, consent, ref, ticket
from tests.core.policy.helpers import person, policies
from tests.core.policy.story_inputs import maya, priya, tomas

ROOT = Path(__file__).resolve().parents[3]
COUNT = "enrichment:\n  open_tickets: {rule: count, match: {kind: ticket, open: true}}\n"


def test_the_clock_must_carry_a_timezone():
    with pytest.raises(ValueError, match="no timezone"):
        policies(COUNT).evaluate(person(), now=datetime(2026, 10, 15, 12, 0))


@pytest.mark.parametrize("cap", [0, -3, True])
def test_a_persons_cap_is_at_least_one(cap):
    with pytest.raises(ValueError, match="at least 1"):
        PersonOverrides(frequency_cap=cap)


def test_an_interaction_given_twice_counts_once_as_its_latest_version_says():
    old = ticket(1, status="open", created=ago(days=3), updated=ago(days=3))
    new = ticket(1, status="solved", created=ago(days=3), updated=ago(days=1))
    rules = policies(COUNT)
    assert rules.evaluate(person(old, old), now=NOW).enrichment["open_tickets"] == 1
    assert rules.evaluate(person(new, old), now=NOW).enrichment["open_tickets"] == 0
    deleted = old.model_copy(update={"deleted": True, "updated_at": ago(days=2)})
    assert rules.evaluate(person(old, deleted), now=NOW).enrichment["open_tickets"] == 0


def test_deleted_consents_are_ignored():
    rules = policies("suppressions:\n  u: {rule: consent_denied, scope: marketing}\n")
    denied = consent("hubspot", "1", channel="email", purpose="marketing", status="denied", at=ago(days=2))
    assert rules.evaluate(person(consents=[denied]), now=NOW).reasons == ["u"]
    gone = denied.model_copy(update={"deleted": True})
    assert rules.evaluate(person(consents=[gone]), now=NOW).reasons == []


def test_an_input_from_a_stored_profile():
    source = ref("salesforce", "Contact", "003A")
    profile = UnifiedProfile(
        profile_id="cp_0123456789ab",
        golden={"first_name": GoldenValue(value="Ada", source=source, rule="system_priority")},
        records=[ref("zendesk", "users", "7"), source, ref("salesforce", "Lead", "00Q1"), ref("salesforce", "Contact", "003")],
        created_at=NOW,
        updated_at=NOW,
    )  # fmt: skip
    built = PolicyInput.from_profile(profile, interactions=[ticket(1)])
    assert built.golden == {"first_name": "Ada"}
    assert [str(r) for r in built.records_in("salesforce", ["Lead", "Contact"])] == [
        "salesforce/Lead/00Q1", "salesforce/Contact/003", "salesforce/Contact/003A",
    ]  # fmt: skip
    assert built.overrides.frequency_cap is None


@pytest.mark.parametrize("story", [maya, tomas, priya])
def test_writeback_values_use_exactly_the_names_write_back_knows(story):
    rules = load_policies(ROOT / "mappings" / "policies.yaml")
    values = rules.evaluate(story(), now=NOW).writeback_values()
    assert all(check_source_name(name) for name in values), [n for n in values if not check_source_name(n)]
    suppression_names = {n for n in source_names() if n.startswith("suppression.")}
    assert suppression_names <= set(values)
    assert list(values) == rules.writeback_names()
    json.dumps(values)


def test_an_all_scope_suppression_sets_every_scope():
    rules = policies("suppressions:\n  legal_hold: {rule: consent_denied, scope: all, channel: email}\n")
    result = rules.evaluate(
        person(consents=[consent("salesforce", "1", channel="email", purpose="any", status="denied", at=ago(days=1))]),
        now=NOW,
    )
    assert all(result.suppressed(scope) for scope in SuppressionScope)
    assert result.writeback_values()["suppression.sms"] is True


def test_results_render_as_json_and_as_canonical_suppressions():
    rules = load_policies(ROOT / "mappings" / "policies.yaml")
    result = rules.evaluate(priya(), now=NOW)
    data = json.loads(json.dumps(result.to_json()))
    assert data["alerts"][0]["key"] == "complaint:zendesk/tickets/9003"
    assert data["evaluated_at"] == "2026-10-15T12:00:00Z"
    assert data["explanations"]["enrichment.open_tickets"]["contributions"][0]["source"] == "zendesk/tickets/9003"
    canonical = result.canonical_suppressions()
    assert [s.reason for s in canonical] == ["urgent_ticket_open", "complaint_open"]
    assert all(s.active(NOW) for s in canonical)


def test_explain_names_the_values_it_knows():
    result = policies(COUNT).evaluate(person(), now=NOW)
    with pytest.raises(KeyError, match="enrichment.open_tickets"):
        result.explain("enrichment.nope")


def test_the_shipped_policies_give_what_the_shipped_mappings_write_back():
    report = check_policies(ROOT / "mappings" / "policies.yaml", mappings=[ROOT / "mappings" / "salesforce.yaml"])
    assert report.ok, report.problems


def test_a_mapping_asking_for_a_value_no_policy_computes_is_a_problem_at_its_line(tmp_path):
    mapping = tmp_path / "crm.yaml"
    mapping.write_text(
        "system: crm\nversion: 1\nstreams:\n  people:\n    id: id\n    model: Person\n    fields:\n"
        "      email: email\n    writeback:\n      enrichment.open_tickets: tickets\n      enrichment.intent: intent\n"
    )
    report = check_policies(ROOT / "mappings" / "policies.yaml", mappings=[mapping])
    (problem,) = report.problems
    assert (problem.file, problem.line) == (str(mapping), 11)
    assert problem.message == "enrichment.intent is written back here, but no policy computes it"
    assert problem.hint.startswith("did you mean 'enrichment.intent_score'?")
    assert report.to_json()["problems"][0]["line"] == 11


def test_time_values_written_back_are_utc_text():
    rules = policies("enrichment:\n  last: {rule: latest, match: {kind: ticket}}\n")
    local = ticket(1, created=datetime(2026, 10, 14, 14, 0, tzinfo=UTC).astimezone())
    assert rules.evaluate(person(local), now=NOW).writeback_values()["enrichment.last"] == "2026-10-14T14:00:00Z"


def test_the_project_file_names_the_policy_files(tmp_path):
    from core.config import load_project
    from core.policy import load_project_policies

    (tmp_path / "rules").mkdir()
    (tmp_path / "rules" / "p.yaml").write_text("version: 1\n" + COUNT)
    project_file = tmp_path / "contactpoint.yaml"
    project_file.write_text("version: 1\npolicies:\n  files: [rules/p.yaml]\n")
    loaded = load_project_policies(load_project(project_file))
    assert loaded is not None and [r.name for r in loaded.enrichment] == ["open_tickets"]
    project_file.write_text("version: 1\n")
    assert load_project_policies(load_project(project_file)) is None
