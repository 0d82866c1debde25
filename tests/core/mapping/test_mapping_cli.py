from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()

GOOD = """\
system: crm
version: 1
streams:
  people:
    id: id
    model: Person
    fields:
      email: {path: email, transforms: [strip, lower]}
      last_name: {path: surname, required: true}
"""


def check(*args):
    result = runner.invoke(app, ["mapping", "check", *map(str, args)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def assert_config_error(result, where, hint):
    output = result.output
    assert result.exit_code == 2, output
    assert "Traceback" not in output
    assert re.search(re.escape(where) + r"(:\d+)*[: ]", output), output
    assert re.search(r"^  hint: .*" + re.escape(hint), output, flags=re.MULTILINE), output


def test_a_yaml_syntax_error(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("system: crm\nversion: 1\nstreams:\n  people:\n    id: [id\n    model: Person\n")
    result = check(bad)
    assert_config_error(result, f"{bad}:6", "check indentation")
    assert "YAML syntax error" in result.output


def test_b_unknown_transform(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("[strip, lower]", "[strip, lowercse]"))
    result = check(bad)
    assert_config_error(result, f"{bad}:8:48", "did you mean 'lower'?")
    assert "streams.people.fields.email.transforms.1: unknown transform 'lowercse'" in result.output


def test_c_target_field_not_in_model(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(GOOD.replace("email:", "emial:"))
    result = check(bad)
    assert_config_error(result, f"{bad}:8:7", "did you mean 'email'?")
    assert "'emial' is not a field of Person" in result.output


def test_d_required_source_missing_from_sample(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(GOOD)
    sample = tmp_path / "sample.json"
    sample.write_text(json.dumps([{"id": "1", "email": "a@example.com", "surname": "Smith"}, {"id": "2"}]))
    result = check(mapping, "--sample", sample)
    assert_config_error(result, f"{mapping}:9:7", "drop 'required: true'")
    assert "sample record 2" in result.output
    assert "Person.last_name: required source path 'surname' is missing" in result.output
    assert "sample record 1" not in result.output


def test_nonexistent_file(tmp_path):
    result = check(tmp_path / "nope.yaml")
    assert_config_error(result, f"{tmp_path / 'nope.yaml'}", "check the path")
    assert "not found" in result.output


def test_nonexistent_sample(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(GOOD)
    result = check(mapping, "--sample", tmp_path / "none.csv")
    assert result.exit_code == 2
    assert "sample file" in result.output
    assert "hint:" in result.output
    assert "Traceback" not in result.output


def test_ok_prints_models(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(GOOD)
    sample = tmp_path / "s.csv"
    sample.write_text("id,email,surname\n7, Bob@Example.com ,Smith\n")
    result = check(mapping, "--sample", sample)
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"OK {mapping}: system crm; streams: people (Person)")
    assert "record 1 (people/7) → Person" in result.output
    assert "bob@example.com" in result.output


def test_json_output(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(GOOD)
    sample = tmp_path / "s.jsonl"
    sample.write_text('{"id": "1", "surname": "Smith"}\n{"id": "2"}\n')
    result = runner.invoke(app, ["mapping", "check", str(mapping), "--sample", str(sample), "--json"])
    assert result.exit_code == 2
    report = json.loads(result.stdout)
    assert report["ok"] is False
    assert [r["outcome"] for r in report["records"]] == ["mapped", "rejected"]
    assert report["records"][0]["models"][0]["data"]["last_name"] == "Smith"
    assert report["problems"][0]["line"] == 9


def test_stream_must_be_named_when_several(tmp_path):
    result = check(ROOT / "mappings/salesforce.yaml", "--sample", ROOT / "samples/salesforce_lead.json")
    assert result.exit_code == 2
    assert "--stream" in result.output


@pytest.mark.parametrize(
    ("mapping", "sample", "stream", "models"),
    [
        ("files.yaml", "people.csv", None, "Person, Consent"),
        ("salesforce.yaml", "salesforce_contact.json", "Contact", "Person, Consent"),
        ("salesforce.yaml", "salesforce_lead.json", "Lead", "Person"),
        ("salesforce.yaml", "salesforce_account.json", "Account", "Account"),
    ],
)
def test_shipped_mappings_pass_with_their_samples(mapping, sample, stream, models):
    args = [ROOT / "mappings" / mapping, "--sample", ROOT / "samples" / sample]
    if stream:
        args += ["--stream", stream]
    result = check(*args)
    assert result.exit_code == 0, result.output
    assert "record 1 (" in result.output
    assert f"→ {models}" in result.output or models == "Person, Consent"


def test_shipped_mappings_map_every_sample_record():
    from core.mapping import Mapped, check_mapping

    report = check_mapping(ROOT / "mappings/files.yaml", ROOT / "samples/people.csv")
    assert report.ok
    assert len(report.results) == 20
    assert all(isinstance(r.outcome, Mapped) for r in report.results)
    consents = sum(1 for r in report.results for m in r.outcome.models if type(m).__name__ == "Consent")
    assert consents == 3
    contact = check_mapping(
        ROOT / "mappings/salesforce.yaml", ROOT / "samples/salesforce_contact.json", stream="Contact"
    )
    assert contact.ok
    writeback = contact.mapping.writeback("Contact")
    assert writeback.vendor_fields() == [
        "Contactpoint_Profile_Id__c",
        "Contactpoint_Intent__c",
        "Contactpoint_Segment__c",
        "Contactpoint_Open_Tickets__c",
        "Contactpoint_Suppressed__c",
        "Contactpoint_Suppression_Reasons__c",
        "Contactpoint_Quiet_Hours__c",
        "Contactpoint_Preferred_Channel__c",
        "Contactpoint_Weekly_Cap__c",
        "Contactpoint_Never_Call__c",
    ]


def test_a_misspelt_stream_names_the_nearest_mapped_one():
    mapping = ROOT / "mappings/salesforce.yaml"
    result = check(mapping, "--sample", ROOT / "samples/salesforce_lead.json", "--stream", "Leed")
    assert result.exit_code == 2
    assert f"stream 'Leed' is not mapped in {mapping}; mapped streams: Contact, Lead, Account" in result.output
    assert "hint: did you mean 'Lead'? pass --stream with one of: Account, Contact, Lead" in result.output
