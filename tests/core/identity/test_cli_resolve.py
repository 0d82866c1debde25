"""``contactpoint identity resolve`` on the direct CSV format and through a mapping."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from core.cli import app

CSV = """record_id,source,first_name,last_name,email,phone,company,date_of_birth
1,salesforce,Robert,Smith,robert.smith@acme.com,020 7946 0958,Acme Inc.,
2,zendesk,Bob,Smith,ROBERT.SMITH@acme.com,,,
3,hubspot,Ann,Lee,info@acme.com,,Acme,
4,hubspot,Raj,Patel,info@acme.com,,Acme,
5,hubspot,Bad,Row,not-an-email,,,
6,hubspot,Bad,Date,x@y.com,,,31/02/1980
"""


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_direct_csv_is_resolved_and_rows_broken_in_an_identifier_are_parked(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text(CSV, encoding="utf-8")
    settings = tmp_path / "identity.yaml"
    settings.write_text("phones:\n  default_region: GB\n", encoding="utf-8")
    out = tmp_path / "clusters.csv"
    pairs = tmp_path / "pairs.jsonl"
    result = CliRunner().invoke(
        app,
        [
            "identity",
            "resolve",
            str(source),
            "--out",
            str(out),
            "--settings",
            str(settings),
            "--explain-out",
            str(pairs),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    # An impossible date of birth (31 February) is kept for comparison, not a reason to park the row.
    assert (summary["rows"], summary["resolved"], summary["parked"], summary["profiles"]) == (6, 5, 1, 4)
    rows = {row["record_id"]: row["profile_id"] for row in _read(out)}
    assert set(rows) == {"1", "2", "3", "4", "6"}
    assert rows["1"] == rows["2"]
    assert rows["3"] != rows["4"]
    parked = _read(tmp_path / "clusters.csv.parked.csv")
    assert [p["record_id"] for p in parked] == ["5"]
    assert "not a valid address" in parked[0]["reason"]
    explanations = [json.loads(line) for line in pairs.read_text(encoding="utf-8").splitlines()]
    assert explanations[0]["rule"] == "same_personal_email"


def test_unknown_columns_are_a_configuration_error(tmp_path: Path) -> None:
    source = tmp_path / "people.csv"
    source.write_text("record_id,shoe_size\n1,42\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["identity", "resolve", str(source), "--out", str(tmp_path / "c.csv")])
    assert result.exit_code == 2
    assert "shoe_size" in result.output


def test_csv_through_a_mapping(tmp_path: Path) -> None:
    repo = Path(__file__).resolve().parents[3]
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(
        app,
        [
            "identity",
            "resolve",
            str(repo / "samples" / "people.csv"),
            "--mapping",
            str(repo / "mappings" / "files.yaml"),
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = _read(out)
    assert rows
    assert all(row["profile_id"].startswith("cp_") for row in rows)
