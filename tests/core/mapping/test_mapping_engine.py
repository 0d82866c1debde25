from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import SourceRecord
from core.canonical import Consent, IdentifierKind, Person
from core.errors import ConfigError, RecordRejected
from core.mapping import Mapped, Rejected, load_mapping_text

MAPPING = """
system: crm
version: 1
defaults: {phone_region: GB, timezone: UTC}
streams:
  people:
    id: Id
    updated_at: Modified
    deleted: Gone
    identifiers:
      - {kind: external_id, path: Id}
      - {kind: email, path: "emails[*].value", transforms: [lower]}
      - {kind: phone, path: Phone, transforms: [e164]}
    targets:
      - model: Person
        fields:
          first_name: {from: [First, {path: Full, transforms: [{split_name: first}]}]}
          last_name: {path: Last, required: true}
          email: {path: "emails[0].value", transforms: [strip, lower]}
          phone: {path: Phone, transforms: [e164]}
          company: {path: Account.Name, default: Unknown Ltd}
          job_title: {transforms: [{template: "{Title} at {Account.Name}"}]}
      - model: Consent
        when: {path: OptOut, transforms: [to_bool]}
        fields:
          channel: {transforms: [{constant: email}]}
          purpose: {transforms: [{constant: marketing}]}
          status: {transforms: [{constant: denied}]}
          at: {path: Modified, transforms: [parse_datetime]}
    writeback:
      profile_id: CP_Id__c
      suppression.reasons: {field: CP_Reasons__c, transforms: [{join: ";"}]}
  accounts:
    id: Id
    model: Account
    fields:
      name: Name
"""


@pytest.fixture(scope="module")
def mapping():
    return load_mapping_text(MAPPING, file="crm.yaml")


def record(raw, *, stream="people", source_id="", updated_at=None, deleted=False):
    return SourceRecord(
        system="crm", stream=stream, source_id=source_id, raw=raw, updated_at=updated_at, deleted=deleted
    )


GOOD = {
    "Id": "c1",
    "First": "Robert",
    "Last": "Smith",
    "emails": [{"value": " Bob@Example.com "}, {"value": "R.Smith@Example.org"}],
    "Phone": "020 7946 0018",
    "Account": {"Name": "Acme"},
    "Title": "CFO",
    "Modified": "2024-05-01T09:30:00Z",
    "OptOut": "yes",
}


def test_maps_a_record_into_person_and_consent(mapping):
    outcome = mapping.map(record(GOOD))
    assert isinstance(outcome, Mapped)
    person, consent = outcome.models
    assert isinstance(person, Person)
    assert isinstance(consent, Consent)
    assert str(person.source) == "crm/people/c1"
    assert (person.first_name, person.last_name, person.email) == ("Robert", "Smith", "bob@example.com")
    assert person.phone == "+442079460018"
    assert person.job_title == "CFO at Acme"
    assert person.updated_at == datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    keys = [i.key for i in person.identifiers]
    assert keys == [
        "external_id:crm:c1",
        "email:bob@example.com",
        "email:r.smith@example.org",
        "phone:+442079460018",
    ]
    assert consent.status.value == "denied"
    assert consent.identifiers == person.identifiers


def test_source_record_values_win_over_mapped_paths(mapping):
    when = datetime(2030, 1, 1, tzinfo=UTC)
    outcome = mapping.map(record(GOOD, source_id="given", updated_at=when, deleted=True))
    assert isinstance(outcome, Mapped)
    person = outcome.models[0]
    assert person.source.source_id == "given"
    assert person.updated_at == when
    assert person.deleted is True


def test_deleted_path_and_when_false(mapping):
    outcome = mapping.map(record({**GOOD, "Gone": "true", "OptOut": "no"}))
    assert isinstance(outcome, Mapped)
    assert [type(m).__name__ for m in outcome.models] == ["Person"]
    assert outcome.models[0].deleted is True


def test_from_list_and_default(mapping):
    raw = {**GOOD, "First": "", "Full": "Jones, Alice", "Account": None, "Title": None}
    outcome = mapping.map(record(raw))
    assert isinstance(outcome, Mapped)
    person = outcome.models[0]
    assert person.first_name == "Alice"
    assert person.company == "Unknown Ltd"
    assert person.job_title is None


def test_required_missing_is_rejected_with_reason(mapping):
    outcome = mapping.map(record({**GOOD, "Last": "  "}))
    assert isinstance(outcome, Rejected)
    assert outcome.field == "Person.last_name"
    assert "required source path 'Last' is missing" in outcome.reason
    assert outcome.code == "missing"
    assert outcome.loc == ("streams", "people", "targets", 0, "fields", "last_name")
    assert mapping.locate(outcome.loc)[0] == 18


def test_transform_failure_is_rejected_naming_field_transform_and_value(mapping):
    outcome = mapping.map(record({**GOOD, "Phone": "12ab"}))
    assert isinstance(outcome, Rejected)
    assert outcome.code == "transform"
    assert "transform 'e164' failed on '12ab'" in outcome.reason
    assert outcome.field == "identifier phone"


def test_model_validation_failure_is_rejected(mapping):
    outcome = mapping.map(record({**GOOD, "emails": [{"value": "not-an-email"}]}))
    assert isinstance(outcome, Rejected)
    assert outcome.code == "invalid"
    assert outcome.field == "Person.email"
    assert "Person.email" in outcome.reason
    assert "not-an-email" in outcome.reason
    parked = outcome.to_rejected_record()
    assert (parked.system, parked.stream, parked.reason) == ("crm", "people", outcome.reason)


def test_record_without_id_is_rejected(mapping):
    outcome = mapping.map(record({k: v for k, v in GOOD.items() if k != "Id"}))
    assert isinstance(outcome, Rejected)
    assert "record has no ID" in outcome.reason


def test_unknown_stream_is_rejected_listing_streams(mapping):
    outcome = mapping.map(record(GOOD, stream="deals"))
    assert isinstance(outcome, Rejected)
    assert "deals" in outcome.reason
    assert "people, accounts" in outcome.reason


def test_bad_updated_at_is_rejected(mapping):
    outcome = mapping.map(record({**GOOD, "Modified": "last tuesday"}))
    assert isinstance(outcome, Rejected)
    assert "updated_at: transform 'parse_datetime' failed on 'last tuesday'" in outcome.reason


def test_api_surface(mapping):
    assert mapping.system == "crm"
    assert mapping.streams == ["people", "accounts"]
    assert mapping.stream("people").models == ["Person", "Consent"]
    with pytest.raises(KeyError, match="mapped streams: people, accounts"):
        mapping.stream("nope")
    src = mapping.source_record("people", GOOD)
    assert (src.source_id, src.updated_at) == ("c1", datetime(2024, 5, 1, 9, 30, tzinfo=UTC))
    assert mapping.stream("people").identifiers[0].kind is IdentifierKind.EXTERNAL_ID


def test_writeback(mapping):
    writeback = mapping.writeback("people")
    assert writeback.vendor_fields() == ["CP_Id__c", "CP_Reasons__c"]
    assert writeback.sources() == ["profile_id", "suppression.reasons"]
    rendered = writeback.render({"profile_id": "cp_0123456789", "suppression.reasons": ["a", "b"], "other": 1})
    assert rendered == {"CP_Id__c": "cp_0123456789", "CP_Reasons__c": "a;b"}
    assert mapping.writeback("accounts").vendor_fields() == []


def test_writeback_transform_failure_raises_record_rejected():
    mapping = load_mapping_text(
        "system: x\nversion: 1\nstreams:\n  s:\n    id: id\n    model: Account\n    writeback:\n"
        "      enrichment.score: {field: S__c, transforms: [to_int]}\n"
    )
    with pytest.raises(RecordRejected, match="to_int"):
        mapping.writeback("s").render({"enrichment.score": "high"})


def test_pick_stream_takes_the_only_one_or_the_named_one(mapping):
    only = load_mapping_text("system: x\nversion: 1\nstreams:\n  s:\n    id: id\n    model: Account\n")
    assert only.pick_stream(None) == "s"
    assert mapping.pick_stream("accounts") == "accounts"


def test_pick_stream_refuses_to_guess_among_several(mapping):
    with pytest.raises(ConfigError, match=r"crm.yaml maps several streams \(people, accounts\)") as info:
        mapping.pick_stream(None)
    assert info.value.hint == "pass --stream NAME, e.g. --stream people"
    assert info.value.context["file"] == "crm.yaml"


def test_pick_stream_suggests_the_nearest_mapped_stream(mapping):
    with pytest.raises(
        ConfigError, match="stream 'peple' is not mapped in crm.yaml; mapped streams: people, accounts"
    ) as info:
        mapping.pick_stream("peple")
    assert info.value.hint == "did you mean 'people'? pass --stream with one of: accounts, people"


def test_problem_points_at_a_key_or_at_the_file_for_the_record_as_a_whole(mapping):
    at_key = mapping.problem(("streams", "people", "id"), "bad", "fix it")
    assert (at_key.file, at_key.line, at_key.column, at_key.key) == ("crm.yaml", 7, 5, "streams.people.id")
    whole = mapping.problem((), "bad")
    assert (whole.line, whole.column, whole.key, str(whole)) == (None, None, "", "crm.yaml: bad")


# -- field-level problems: a bad value in a field that identifies nobody costs the value, not the record --

FIELDS = """
system: crm
version: 1
defaults: {phone_region: GB, timezone: UTC}
streams:
  people:
    id: Id
    identifiers:
      - {kind: email, path: Email, transforms: [nullif, lower]}
    targets:
      - model: Person
        fields:
          last_name: {path: Last, required: true}
          email: {path: Email, transforms: [nullif, lower]}
          phone: {path: Phone, transforms: [nullif, e164]}
          country: {path: Country, transforms: [nullif, country]}
          job_title: {path: Title}
          date_of_birth: {path: Born, transforms: [nullif, {parse_date: ["%Y-%m-%d"]}]}
"""


@pytest.fixture(scope="module")
def tolerant():
    return load_mapping_text(FIELDS, file="fields.yaml")


CLEAN = {"Id": "7", "Last": "Okafor", "Email": "t@example.com", "Country": "GB", "Title": "Buyer", "Born": "1980-02-01"}


def test_an_impossible_date_is_left_out_with_a_field_problem_and_the_person_kept(tolerant):
    outcome = tolerant.map(record({**CLEAN, "Born": "1980-13-45"}))
    assert isinstance(outcome, Mapped)
    (person,) = outcome.models
    assert person.date_of_birth is None and person.last_name == "Okafor" and person.email == "t@example.com"
    (problem,) = outcome.problems
    assert problem.field == "Person.date_of_birth" and problem.code == "transform"
    assert "1980-13-45" in problem.message and problem.loc[-1] == "date_of_birth"


def test_a_value_the_model_refuses_in_a_plain_field_is_left_out(tolerant):
    outcome = tolerant.map(record({**CLEAN, "Title": "x" * 301}))
    assert isinstance(outcome, Mapped)
    assert outcome.models[0].job_title is None
    assert [(p.field, p.code) for p in outcome.problems] == [("Person.job_title", "invalid")]


def test_several_bad_plain_fields_each_give_a_problem(tolerant):
    outcome = tolerant.map(record({**CLEAN, "Title": "x" * 301, "Born": "31/31/1980"}))
    assert isinstance(outcome, Mapped)
    assert sorted(p.field for p in outcome.problems) == ["Person.date_of_birth", "Person.job_title"]


def test_a_bad_identifying_field_or_required_field_still_rejects_the_record(tolerant):
    phone = tolerant.map(record({**CLEAN, "Phone": "call me maybe"}))
    assert isinstance(phone, Rejected) and phone.field == "Person.phone" and phone.code == "transform"
    email = tolerant.map(record({**CLEAN, "Email": "t@@example"}))
    assert isinstance(email, Rejected) and email.field == "Person.email"
    from dataclasses import replace

    last = tolerant.map(replace(record({**CLEAN, "Last": ""}), position="people.csv:9"))
    assert isinstance(last, Rejected) and last.code == "missing"
    parked = last.to_rejected_record()
    assert (parked.code, parked.field, parked.position) == ("missing", "Person.last_name", "people.csv:9")


@given(
    title=st.text(max_size=400),
    born=st.one_of(st.none(), st.text(max_size=12), st.dates().map(str)),
    country=st.one_of(st.none(), st.text(max_size=20)),
)
@settings(max_examples=150, deadline=None)
def test_no_value_in_a_plain_field_ever_parks_the_record(tolerant, title, born, country):
    outcome = tolerant.map(record({**CLEAN, "Title": title, "Born": born, "Country": country}))
    assert isinstance(outcome, Mapped), outcome.reason
    person = outcome.models[0]
    left_out = {p.field.removeprefix("Person.") for p in outcome.problems}
    assert left_out <= {"job_title", "date_of_birth", "country"}
    for name in left_out:
        assert getattr(person, name) is None
