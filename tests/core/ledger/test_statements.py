"""Statements are checked against the JSON Schema; every problem names its field and reason."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from core.ledger import StatementRejected, parse_statements, statement_schema
from tests.core.ledger.helpers import PERSON, consent, grant, preference

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


def problems(data):
    with pytest.raises(StatementRejected) as caught:
        parse_statements(data, now=NOW)
    return caught.value.problems


def test_a_valid_statement_gets_an_id_and_a_time_in_utc():
    item = consent("given", at="2024-05-01T10:30:00+02:00")
    (statement,) = parse_statements(item, now=NOW)
    assert statement.statement_id.startswith("st_")
    assert statement.body["at"] == "2024-05-01T08:30:00Z"
    del item["at"]
    assert parse_statements(item, now=NOW)[0].at == NOW


def test_a_bad_enum_value_names_the_field_and_the_allowed_values():
    bad = consent("given", at="2024-05-01T00:00:00Z", channel="fax")
    (problem,) = problems([consent("given", at="2024-05-01T00:00:00Z"), bad])
    assert problem.startswith("statements[1].channel: 'fax' is not one of")
    assert "'email'" in problem


def test_every_problem_of_every_statement_is_listed():
    found = problems(
        [
            {"person": "nobody", "type": "consent", "source": {"kind": "customer"}},
            grant("hubspot", at="2024-05-01T00:00:00Z", parts=["kidneys"]),
        ]
    )
    text = "\n".join(found)
    assert "statements[0].person: 'nobody' does not match" in text
    assert "statements[0]: 'channel' is a required property" in text
    assert "statements[1].parts[0]: 'kidneys' is not one of" in text


def test_fields_of_another_type_are_refused():
    item = {**consent("given", at="2024-05-01T00:00:00Z"), "system": "hubspot"}
    assert problems(item) == ["statement: 'system' is not a field of a consent statement"]


def test_observations_need_a_system_and_cannot_grant():
    assert "statement.source: 'system' is a required property" in problems(
        consent("withdrawn", at="2024-05-01T00:00:00Z", kind="observation")
    )
    observed_grant = grant("hubspot", at="2024-05-01T00:00:00Z")
    observed_grant["source"] = {"kind": "observation", "system": "hubspot"}
    assert any(p.startswith("statement.source.kind: 'observation' is not one of") for p in problems(observed_grant))


def test_values_are_checked_per_preference():
    assert any("value" in p for p in problems(preference("weekly_cap", -1, at="2024-05-01T00:00:00Z")))
    assert any("value" in p for p in problems(preference("never_call", "yes", at="2024-05-01T00:00:00Z")))
    bad_zone = preference(
        "quiet_hours", {"start": "21:00", "end": "08:00", "timezone": "Mars/Olympus"}, at="2024-05-01T00:00:00Z"
    )
    assert problems(bad_zone) == [
        "statement.value.timezone: unknown timezone 'Mars/Olympus'; use an IANA name such as Europe/London"
    ]
    bad_clock = preference(
        "quiet_hours", {"start": "25:00", "end": "08:00", "timezone": "UTC"}, at="2024-05-01T00:00:00Z"
    )
    assert problems(bad_clock)


def test_times_need_a_timezone_and_a_grant_must_expire_after_it_is_made():
    assert any(p.startswith("statement.at:") for p in problems(consent("given", at="2024-05-01T00:00:00")))
    late = grant("hubspot", at="2024-05-01T00:00:00Z", expires="2024-04-01T00:00:00Z")
    assert problems(late) == ["statement.expires_at: '2024-04-01T00:00:00Z' is not after the statement's time"]
    assert "statement: 'expires_at' is a required property" in problems(
        {k: v for k, v in grant("hubspot", at="2024-05-01T00:00:00Z").items() if k != "expires_at"}
    )


def test_an_empty_list_and_a_non_object_are_refused():
    assert problems([]) == ["statements: an empty list of statements"]
    assert problems(["consent"]) == ["statements[0]: 'consent' is not of type 'object'"]


def test_the_published_schema_is_a_valid_draft_2020_12_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(statement_schema())
    assert statement_schema()["properties"]["person"]["pattern"].startswith("^cp_")
    assert PERSON
