from __future__ import annotations

import pytest

from core.errors import MappingError
from core.mapping import load_mapping, load_mapping_text

BASE = "system: crm\nversion: 1\nstreams:\n  people:\n    id: Id\n    model: Person\n    fields:\n"


def problems(text):
    with pytest.raises(MappingError) as info:
        load_mapping_text(text, file="m.yaml")
    return info.value.problems


def test_unknown_transform_names_the_nearest():
    (p,) = problems(BASE + "      email: {path: Email, transforms: [strip, lowercse]}\n")
    assert (p.file, p.line, p.column) == ("m.yaml", 8, 48)
    assert p.key == "streams.people.fields.email.transforms.1"
    assert "unknown transform 'lowercse'" in p.message
    assert p.hint.startswith("did you mean 'lower'?")
    assert "e164" in p.hint
    assert str(p).startswith("m.yaml:8:48 streams.people.fields.email.transforms.1: unknown transform")


def test_every_problem_is_collected_in_file_order():
    text = (
        "system: crm\nversion: 2\nstreems: {}\nstreams:\n"
        "  a:\n    id: Id\n    model: Persn\n"
        "  b:\n    id: Id\n    model: Person\n    fields:\n"
        "      emial: Email\n      phone: {path: Phone, transforms: [{e164: XX}]}\n"
        "      source: Id\n"
        "  c:\n    idd: Id\n    model: Account\n"
    )
    found = problems(text)
    assert [p.line for p in found] == sorted(p.line for p in found)
    by_key = {p.key: p for p in found}
    assert "version" in by_key
    assert "did you mean 'streams'" in by_key["streems"].hint
    assert by_key["streams.a.model"].message == "unknown model 'Persn'"
    assert by_key["streams.a.model"].hint == "did you mean 'Person'? models: Account, Consent, Interaction, Person"
    assert "did you mean 'email'" in by_key["streams.b.fields.emial"].hint
    assert "unknown phone region 'XX'" in by_key["streams.b.fields.phone.transforms.0.e164.region"].message
    assert "identifiers" not in by_key["streams.b.fields.source"].message
    assert "did you mean 'id'" in by_key["streams.c.idd"].hint
    assert "missing required key 'id'" in by_key["streams.c.id"].message
    assert all(p.hint for p in found)


def test_required_model_fields_must_be_mapped():
    text = "system: crm\nversion: 1\nstreams:\n  s:\n    id: Id\n    model: Consent\n    fields:\n      channel: C\n"
    (p,) = problems(text)
    assert p.key == "streams.s.fields"
    assert "Consent needs 'purpose', 'status', 'at'" in p.message


def test_transform_argument_problems():
    text = BASE + (
        "      email: {path: E, transforms: [{value_map: {yes: 1}}]}\n"
        "      phone: {path: P, transforms: [{to_float: {decimal: ';'}}]}\n"
        "      city: {path: C, transforms: [{split_name: middle}]}\n"
        "      company: {path: X, transforms: [{coalesce: ['a..b']}]}\n"
        "      street: {path: S, transforms: [{lower: {x: 1}}]}\n"
        "      region: {path: R, transforms: [[strip]]}\n"
    )
    found = {p.key: p for p in problems(text)}
    assert "unknown key 'yes'" in found["streams.people.fields.email.transforms.0.value_map.yes"].message
    assert "missing required key 'map'" in found["streams.people.fields.email.transforms.0.value_map.map"].message
    assert "streams.people.fields.phone.transforms.0.to_float.decimal" in found
    assert "'first' or 'last'" in found["streams.people.fields.city.transforms.0.split_name.part"].message
    assert "path 'a..b'" in found["streams.people.fields.company.transforms.0.coalesce"].message
    assert "unknown key 'x'" in found["streams.people.fields.street.transforms.0.lower.x"].message
    assert "a transform is a name" in found["streams.people.fields.region.transforms.0"].message


def test_stream_shape_problems():
    text = "system: crm\nversion: 1\nstreams:\n  s:\n    id: Id\n    model: Person\n    targets: [{model: Person}]\n"
    (p,) = problems(text)
    assert "not both" in p.message
    (p,) = problems("system: crm\nversion: 1\nstreams:\n  s:\n    id: Id\n")
    assert "say what the records become" in p.message


def test_value_without_source_is_a_problem():
    (p,) = problems(BASE + "      email: {transforms: [lower]}\n")
    assert "no source" in p.message


def test_writeback_problems():
    text = (
        "system: crm\nversion: 1\nstreams:\n  s:\n    id: Id\n    model: Account\n    writeback:\n"
        "      profileid: X__c\n      enrichment.Score: Y__c\n"
        "      golden.email: {field: E__c, transforms: [{coalesce: [a]}]}\n"
    )
    found = {p.key: p for p in problems(text)}
    assert "did you mean 'profile_id'" in found["streams.s.writeback.profileid"].hint
    assert "streams.s.writeback.enrichment.Score" in found
    assert "write-back does not have" in found["streams.s.writeback.golden.email.transforms.0.coalesce"].message


def test_yaml_syntax_error_has_position():
    (p,) = problems("system: crm\nversion: 1\nstreams:\n  s:\n    id: [Id\n    model: Person\n")
    assert p.line is not None
    assert "YAML syntax error" in p.message
    assert p.hint


def test_not_a_mapping_at_all():
    (p,) = problems("- just\n- a list\n")
    assert "system" in p.message


def test_missing_file(tmp_path):
    with pytest.raises(MappingError) as info:
        load_mapping(tmp_path / "nope.yaml")
    (p,) = info.value.problems
    assert p.message == "mapping file not found"
    assert info.value.exit_code == 2


def test_constant_shorthand_may_be_a_mapping():
    text = BASE + "      lifecycle_stage: {transforms: [{constant: {value: lead}}]}\n"
    mapping = load_mapping_text(text)
    plan = dict(mapping.stream("people").targets[0].fields)["lifecycle_stage"]
    assert plan.evaluate({}) == "lead"


def test_writeback_shape_problem():
    text = "system: crm\nversion: 1\nstreams:\n  s:\n    id: Id\n    model: Account\n    writeback:\n"
    (p,) = problems(text + "      suppression.marketing: {field: ''}\n")
    assert p.key == "streams.s.writeback.suppression.marketing.field"
    assert p.line == 8


def test_the_message_lists_each_problem_under_a_count():
    with pytest.raises(MappingError) as info:
        load_mapping_text("- just\n- a list\n", file="m.yaml")
    (p,) = info.value.problems
    assert p.headline == f"m.yaml:1:1: {p.message}"
    assert info.value.message == f"m.yaml: 1 problem in mapping\n  m.yaml:1:1: {p.message} ({p.hint})"
    two = MappingError([p, p], file="m.yaml")
    assert two.message.splitlines() == ["m.yaml: 2 problems in mapping", f"  {p}", f"  {p}"]


def test_a_value_outside_a_fixed_set_is_answered_with_the_set():
    (p,) = problems(BASE.replace("version: 1", "version: 2") + "      email: Email\n")
    assert (p.line, p.key) == (2, "version")
    assert p.hint == "write 1"
