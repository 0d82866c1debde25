"""Every CSV Contactpoint writes neutralises cells a spreadsheet would run as formulas (OWASP)."""

from __future__ import annotations

import csv
import io
import json

from hypothesis import given
from hypothesis import strategies as st
from typer.testing import CliRunner

from connectors.base import WriteBatch, WriteOp
from connectors.files import FilesConnector
from connectors.files.config import FilesConfig
from core.cli import app
from core.csvout import CsvWriter, neutralise, restore

DANGEROUS = ["=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3", "\t=1", "\r=1"]


def test_formula_cells_get_a_leading_apostrophe_and_plain_ones_are_untouched():
    assert [neutralise(v) for v in DANGEROUS] == [f"'{v}" for v in DANGEROUS]
    assert [neutralise(v) for v in ("Robert", "a=b", "", 5, None)] == ["Robert", "a=b", "", 5, None]
    out = io.StringIO()
    CsvWriter(out).writerow(["=1+1", "ok"])
    assert out.getvalue().strip() == "'=1+1,ok"


@given(st.text())
def test_restore_undoes_neutralise_for_every_text(value):
    assert restore(neutralise(value)) == value


def test_identity_resolve_out_and_parked_files_hold_no_formula(tmp_path):
    people = tmp_path / "people.csv"
    with people.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "first_name", "last_name", "email"])
        writer.writerow(["=cmd|' /C calc'!A0", "Ann", "Lee", "ann@example.com"])
        writer.writerow(["@SUM(1)", "Ann", "Lee", "ann@example.com"])
        writer.writerow(["+3", "Bo", "Day", "not an email"])
    out = tmp_path / "clusters.csv"
    result = CliRunner().invoke(app, ["identity", "resolve", str(people), "--out", str(out)])
    assert result.exit_code == 0, result.output
    for path in (out, tmp_path / "clusters.csv.parked.csv"):
        cells = [cell for row in csv.reader(path.open(encoding="utf-8")) for cell in row]
        assert not [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")], cells
    ids = [restore(row[0]) for row in list(csv.reader(out.open(encoding="utf-8")))[1:]]
    assert ids == ["=cmd|' /C calc'!A0", "@SUM(1)"]


def test_the_files_connector_writes_formula_ids_safely_and_reads_them_back(tmp_path):
    source = tmp_path / "people.csv"
    source.write_text("id,email\n=1+1,a@example.com\n", encoding="utf-8")
    output = tmp_path / "people.out.csv"
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": source, "output": output}]})
    connector = FilesConnector(config, name="files")
    connector.push(WriteBatch("files", "people", [WriteOp("=1+1", {"cp_note": "@risk"})]))
    header, row = list(csv.reader(output.open(encoding="utf-8")))
    assert header == ["id", "cp_note"] and row[0] == "'=1+1" and json.loads(row[1]) == "@risk"
    again = connector.push(WriteBatch("files", "people", [WriteOp("=1+1", {"cp_note": "@risk"})]))
    assert again[0].outcome == "unchanged"  # read back as written
