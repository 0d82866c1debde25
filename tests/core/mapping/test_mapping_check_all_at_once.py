"""``mapping check`` reports every problem in one run, warns of paths no sample record fills,
refuses a record mapped into two people, and a stream its connector does not have."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from core.cli import app
from core.mapping import check_mapping

ROOT = Path(__file__).resolve().parents[3]
runner = CliRunner()

SHIPPED = (ROOT / "mappings/files.yaml").read_text(encoding="utf-8")


def _files_mapping(tmp_path: Path, *replacements: tuple[str, str]) -> Path:
    text = SHIPPED
    for old, new in replacements:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "files.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(n for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if needle in line)


def test_three_typos_are_reported_in_one_run(tmp_path):
    mapping = _files_mapping(
        tmp_path,
        ("    id: id\n", "    id: idd\n"),
        ("email: {path: email, transforms: [nullif, strip, lower]}", "email: {path: emial, transforms: [nullif, strip, lowercse]}"),
    )  # fmt: skip
    result = runner.invoke(app, ["mapping", "check", str(mapping), "--sample", str(ROOT / "samples/people.csv")])
    assert result.exit_code == 2, result.output
    err = result.stderr
    assert f"{mapping}:{_line_of(mapping, 'id: idd')}:5 streams.people.id: 'idd' is in no sample record" in err
    assert "the nearest path in the sample is 'id'" in err
    assert "unknown transform 'lowercse'" in err and "did you mean 'lower'?" in err
    email_line = _line_of(mapping, "path: emial")
    assert (
        f"warning: {mapping}:{email_line}:19 streams.people.targets.0.fields.email.path: 'emial' is in no sample" in err
    )
    assert "the nearest path in the sample is 'email'" in err
    assert "error: 2 problems found" in err
    assert "Traceback" not in result.output


def test_a_path_no_sample_record_fills_is_a_warning_and_the_check_passes(tmp_path):
    mapping = _files_mapping(tmp_path, ("company: {path: company,", "company: {path: compnay,"))
    sample = tmp_path / "people.csv"
    sample.write_text("id,first_name,full_name,last_name,email,job_title,company\n1,Al,,Lee,a@example.com,,Acme\n2,Bo,,Ng,b@example.com,,\n", "utf-8")  # fmt: skip
    result = runner.invoke(app, ["mapping", "check", str(mapping), "--sample", str(sample)])
    assert result.exit_code == 0, result.output
    assert "'compnay' is in no sample record" in result.stderr and "did you mean 'company'?" in result.stderr
    # a column the sample has, blank in every row: said as such, without a guess
    assert "'job_title' is empty in every sample record" in result.stderr
    # 'from:' alternatives: one of them filled is enough (first_name here; full_name is blank)
    assert "'full_name'" not in result.stderr and "'first_name'" not in result.stderr
    data = json.loads(runner.invoke(app, ["mapping", "check", str(mapping), "--sample", str(sample), "--json"]).stdout)
    assert data["ok"] is True
    assert {w["key"] for w in data["warnings"]} >= {"streams.people.targets.0.fields.company.path"}
    clean = check_mapping(ROOT / "mappings/files.yaml", ROOT / "samples/people.csv")
    assert clean.ok and clean.warnings == []


def test_the_same_person_fields_in_two_targets_is_an_error(tmp_path):
    mapping = tmp_path / "m.yaml"
    mapping.write_text(
        "system: crm\nversion: 1\nstreams:\n  people:\n    id: id\n    targets:\n"
        "      - model: Person\n        fields: {email: email, last_name: surname}\n"
        "      - model: Person\n        fields: {email: other_email}\n",
        encoding="utf-8",
    )
    report = check_mapping(mapping)
    (problem,) = report.problems
    assert (problem.line, problem.key) == (9, "streams.people.targets.1")
    assert "maps email again (first in targets.0): each record would become two people" in problem.message
    # guarded by 'when', only a sample can tell: a record both 'when's admit is refused
    mapping.write_text(
        mapping.read_text(encoding="utf-8")
        .replace("      - model: Person\n        fields: {email: email", "      - model: Person\n        when: a\n        fields: {email: email")
        .replace("      - model: Person\n        fields: {email: other", "      - model: Person\n        when: b\n        fields: {email: other"),
        encoding="utf-8",
    )  # fmt: skip
    assert check_mapping(mapping).ok
    sample = tmp_path / "s.csv"
    sample.write_text("id,a,b,email,other_email,surname\n1,yes,,a@example.com,,Lee\n2,yes,yes,b@example.com,c@example.com,Ng\n", "utf-8")  # fmt: skip
    (two,) = check_mapping(mapping, sample).problems
    assert "sample record 2" in two.message and "maps to two people" in two.message


def test_a_stream_the_connector_does_not_have_names_the_nearest(tmp_path):
    mapping = tmp_path / "salesforce.yaml"
    mapping.write_text((ROOT / "mappings/salesforce.yaml").read_text(encoding="utf-8").replace("\n  Contact:\n", "\n  Contacts:\n"), "utf-8")  # fmt: skip
    result = runner.invoke(app, ["mapping", "check", str(mapping)])
    assert result.exit_code == 2, result.output
    assert "streams.Contacts: the salesforce connector has no stream 'Contacts'" in result.stderr
    assert "did you mean 'Contact'?" in result.stderr
    custom = tmp_path / "custom.yaml"
    custom.write_text(mapping.read_text(encoding="utf-8").replace("\n  Contacts:\n", "\n  Invoice__c:\n"), "utf-8")
    assert check_mapping(custom).ok  # any sObject may be configured; only a near miss of a known one is refused
    hubspot = tmp_path / "hubspot.yaml"
    hubspot.write_text((ROOT / "mappings/hubspot.yaml").read_text(encoding="utf-8").replace("\n  companies:\n", "\n  deals:\n"), "utf-8")  # fmt: skip
    (problem,) = check_mapping(hubspot).problems
    assert "has no stream 'deals'" in problem.message
    assert problem.hint == "streams of hubspot: companies, contacts, email_events, subscriptions"


def test_mapping_check_compares_with_the_streams_the_project_pulls(tmp_path, monkeypatch):
    from core.commands.project_cmd import init

    init(path=tmp_path / "contactpoint.yaml", force=False, sandbox=False)
    config = tmp_path / "contactpoint.yaml"
    config.write_text(config.read_text(encoding="utf-8").replace("- name: people", "- name: contacts"), "utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["mapping", "check", "mappings/files.yaml"])
    assert result.exit_code == 2, result.output
    assert "the files connector has no stream 'people'; the system pulls: contacts" in result.stderr
    elsewhere = runner.invoke(app, ["mapping", "check", str(ROOT / "mappings/files.yaml")])
    assert elsewhere.exit_code == 0, elsewhere.output  # a mapping the project does not use: the connector's names
