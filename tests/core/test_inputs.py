"""Inputs are CSV, JSON arrays or JSON lines, told by content or --format, through one reader; never a traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from core.cli import app
from core.store import open_store

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()


def _run(*args: str):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    return result


def test_mapping_run_reads_a_json_array_export(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    result = _run("mapping", "run", str(ROOT / "mappings/salesforce.yaml"), "-i", str(ROOT / "samples/salesforce_contact.json"),
                  "--stream", "Contact", "--url", url, "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    expected = len(json.loads((ROOT / "samples/salesforce_contact.json").read_text(encoding="utf-8")))
    assert summary["pulled"] == expected and summary["stored"] == expected
    with open_store(url) as store:
        assert len(list(store.records.iter_source(system="salesforce"))) == expected


def test_a_file_whose_suffix_says_nothing_is_read_by_its_content_or_format(tmp_path):
    people = tmp_path / "people.txt"
    shutil.copy(ROOT / "samples/people.csv", people)
    url = f"sqlite:///{tmp_path / 's.db'}"
    assert _run("mapping", "run", str(ROOT / "mappings/files.yaml"), "-i", str(people), "--url", url).exit_code == 0
    lines = tmp_path / "people.data"
    lines.write_text("\n".join(json.dumps({"id": f"j{n}", "last_name": "Lee"}) for n in range(3)), encoding="utf-8")
    told = _run(
        "mapping", "run", str(ROOT / "mappings/files.yaml"), "-i", str(lines), "--format", "jsonl", "--url", url
    )
    assert told.exit_code == 0, told.output
    wrong = _run("mapping", "run", str(ROOT / "mappings/files.yaml"), "-i", str(lines), "--format", "xml", "--url", url)
    assert wrong.exit_code == 2 and "unknown input format 'xml'" in wrong.stderr


def test_identity_resolve_reads_json_through_a_mapping(tmp_path):
    out = tmp_path / "clusters.csv"
    result = _run("identity", "resolve", str(ROOT / "samples/salesforce_contact.json"), "--mapping",
                  str(ROOT / "mappings/salesforce.yaml"), "--stream", "Contact", "--out", str(out), "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["parked"] == 0 and summary["resolved"] == summary["rows"] > 0
    assert len(out.read_text(encoding="utf-8").splitlines()) == summary["rows"] + 1


def test_a_file_without_the_id_column_says_what_to_do(tmp_path):
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAnn,a@example.com\n", encoding="utf-8")
    result = _run("identity", "resolve", str(people), "--out", str(tmp_path / "out.csv"))
    assert result.exit_code == 2 and "record_id" in result.stderr and "--mapping" in result.stderr


def _lines(source: Path, target: Path) -> Path:
    records = json.loads(source.read_text(encoding="utf-8"))
    target.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return target


def test_json_lines_named_json_and_an_array_named_jsonl_are_read_by_their_content(tmp_path):
    source = ROOT / "samples/salesforce_contact.json"
    expected = len(json.loads(source.read_text(encoding="utf-8")))
    lines = _lines(source, tmp_path / "contacts.json")
    array = tmp_path / "contacts.jsonl"
    array.write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    mapping = str(ROOT / "mappings/salesforce.yaml")
    for path in (lines, array):
        out = tmp_path / f"{path.suffix[1:]}.csv"
        result = _run("identity", "resolve", str(path), "--mapping", mapping, "--stream", "Contact", "--out", str(out), "--json")  # fmt: skip
        assert result.exit_code == 0, result.output
        assert json.loads(result.stdout)["resolved"] == expected
        url = f"sqlite:///{tmp_path / (path.suffix[1:] + '.db')}"
        run = _run("mapping", "run", mapping, "-i", str(path), "--stream", "Contact", "--url", url, "--json")
        assert run.exit_code == 0, run.output
        assert json.loads(run.stdout)["pulled"] == expected
        check = _run("mapping", "check", mapping, "--sample", str(path), "--stream", "Contact")
        assert check.exit_code == 0, check.output


def test_identity_resolve_never_reads_json_as_rows_without_ids_and_exit_0(tmp_path):
    out = tmp_path / "clusters.csv"
    result = _run("identity", "resolve", str(ROOT / "samples/salesforce_contact.json"), "--out", str(out))
    assert result.exit_code == 2, result.output
    assert "none of its 2 records has 'record_id'" in result.stderr and "keys: Account, AccountId" in result.stderr
    assert "--mapping" in result.stderr
    people = tmp_path / "people.jsonl"
    people.write_text(json.dumps({"record_id": "1", "email": "x"}) + "\n", encoding="utf-8")
    bad = _run("identity", "resolve", str(people), "--out", str(out))
    assert bad.exit_code == 4, bad.output  # every row parked: the data exit code, as mapping run
    assert "every one of the 1 rows was parked" in bad.stderr


def _windows_export(path: Path) -> Path:
    """People as a Windows program saves them: cp1252, columns separated by '|' (which no content sniff is sure of)."""
    rows = "record_id|first_name|last_name|email\n1|Zoë|Brontë|zoe@example.com\n2|Zoë|Brontë|zoe@example.com\n"
    path.write_bytes((rows + "3|Renée|Müller|renee@example.com\n").encode("cp1252"))
    return path


def test_identity_resolve_and_mapping_check_read_a_file_as_told_like_mapping_run(tmp_path):
    people, out = _windows_export(tmp_path / "people.csv"), tmp_path / "out.csv"
    as_is = _run("identity", "resolve", str(people), "--out", str(out))
    assert as_is.exit_code == 4 and "--encoding cp1252" in as_is.output  # it says what to pass
    told = _run("identity", "resolve", str(people), "--out", str(out), "--encoding", "cp1252", "--delimiter", "|")
    assert told.exit_code == 0, told.output
    profiles = dict(line.split(",") for line in out.read_text(encoding="utf-8").splitlines()[1:])
    assert profiles["1"] == profiles["2"] != profiles["3"]
    mapping = tmp_path / "people.yaml"
    mapping.write_text(
        "version: 1\nsystem: files\nstreams:\n  people:\n    id: record_id\n    identifiers:\n"
        "      - {kind: email, path: email, transforms: [lower]}\n    targets:\n      - model: Person\n"
        "        fields:\n          first_name: {path: first_name}\n          last_name: {path: last_name}\n"
        "          email: {path: email, transforms: [lower]}\n",
        encoding="utf-8",
    )
    through = _run("identity", "resolve", str(people), "--mapping", str(mapping), "--out", str(out),
                   "--encoding", "cp1252", "--delimiter", "|")  # fmt: skip
    assert through.exit_code == 0, through.output
    checked = _run("mapping", "check", str(mapping), "--sample", str(people), "--encoding", "cp1252",
                   "--delimiter", "|", "--json")  # fmt: skip
    assert checked.exit_code == 0, checked.output
    report = json.loads(checked.stdout)
    assert [r["models"][0]["data"]["last_name"] for r in report["records"]] == ["Brontë", "Brontë", "Müller"]
