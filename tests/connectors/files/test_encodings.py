"""Encodings: an unknown name is refused when settings load, UTF-16/32 are read as text, a wrong one is named."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError
from typer.testing import CliRunner

from connectors.files import FilesConnector
from connectors.files.config import FilesConfig
from connectors.files.reader import BadRow, GoodRow, read_rows
from core.cli import app
from core.errors import ConnectorConfigError

ROOT = Path(__file__).resolve().parents[3]
ROWS = "id\tfirst_name\temail\r\nr-1\tZoë\tz@example.com\r\nr-2\tMüller\tm@example.com\r\n"


def _config(path: Path, **extra):
    return FilesConfig.model_validate({"streams": [{"name": "people", "path": path, **extra}]}).streams[0]


def _data(path: Path, **extra):
    return [
        r.data if isinstance(r, GoodRow) else r.reason for r in read_rows(_config(path, **extra), start=0, first_line=0)
    ]


def test_an_unknown_encoding_is_refused_when_the_settings_load_with_the_nearest_name(tmp_path):
    with pytest.raises(ValidationError) as info:
        _config(tmp_path / "p.csv", encoding="windows-1252x")
    text = str(info.value)
    assert "encoding" in text and "'windows-1252x'" in text and "cp1252" in text


def test_an_unknown_encoding_in_contactpoint_yaml_exits_2_naming_the_file_and_key(tmp_path, monkeypatch):
    (tmp_path / "people.csv").write_text("id,email\n1,a@example.com\n", encoding="utf-8")
    (tmp_path / "contactpoint.yaml").write_text(
        "version: 1\nsystems:\n  crm:\n    kind: files\n    settings:\n      streams:\n"
        "        - name: people\n          path: people.csv\n          encoding: windows-1252x\n",
        encoding="utf-8",
    )
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["check", "crm"])
    assert "Traceback" not in result.output and result.exit_code == 2, result.output
    assert "contactpoint.yaml:9" in result.stderr and "encoding" in result.stderr and "cp1252" in result.stderr


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32"])
def test_utf16_and_utf32_files_are_read_as_text(tmp_path, codec):
    path = tmp_path / "excel_unicode.txt"
    bom = {"utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}.get(codec, b"")
    path.write_bytes(bom + ROWS.encode(codec))
    expected = [
        {"id": "r-1", "first_name": "Zoë", "email": "z@example.com"},
        {"id": "r-2", "first_name": "Müller", "email": "m@example.com"},
    ]
    assert _data(path, encoding=codec, format="csv", delimiter="\t") == expected
    assert _data(path) == expected  # without settings the byte-order mark tells


def test_utf16_positions_resume_between_rows(tmp_path):
    path = tmp_path / "u16.csv"
    path.write_bytes(ROWS.replace("\t", ",").encode("utf-16"))
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": path, "batch_size": 1}]})
    first = next(iter(FilesConnector(config).pull("people", None)))
    rest = [r.source_id for b in FilesConnector(config).pull("people", first.cursor) for r in b.records]
    assert [r.source_id for r in first.records] == ["r-1"] and rest == ["r-2"]


def test_a_utf16_file_without_a_byte_order_mark_is_named_as_utf16(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("id,email\n1,a@example.com\n".encode("utf-16-le"))
    with pytest.raises(ConnectorConfigError) as info:
        _data(path)
    assert "UTF-16" in info.value.message and "utf-16-le" in info.value.hint


def test_a_byte_order_mark_contradicting_the_encoding_setting_is_named(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("id,email\n1,a@example.com\n".encode("utf-16"))
    with pytest.raises(ConnectorConfigError) as info:
        _data(path, encoding="cp1252")
    assert "UTF-16" in info.value.message and "encoding" in info.value.hint


def test_a_cp1252_file_read_as_utf8_names_the_encoding_and_how_to_set_it(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name\nr-1,Zoë\n".encode("cp1252"))
    (reason,) = _data(path)
    assert "utf-8" in reason and "encoding: cp1252" in reason and "--encoding" in reason
    assert _data(path, encoding="cp1252") == [{"id": "r-1", "name": "Zoë"}]


def test_a_bad_byte_in_a_jsonl_line_names_the_encoding_too(tmp_path):
    path = tmp_path / "people.jsonl"
    path.write_bytes(json.dumps({"id": "1", "name": "Zoë"}, ensure_ascii=False).encode("cp1252") + b"\n")
    (row,) = read_rows(_config(path), start=0, first_line=0)
    assert isinstance(row, BadRow) and "encoding: cp1252" in row.reason


def _mapping_run(*args: str, url: str):
    return CliRunner().invoke(app, ["mapping", "run", str(ROOT / "mappings/files.yaml"), *args, "--url", url])


def test_mapping_run_takes_delimiter_and_encoding_and_says_when_it_read_another_file_from_the_start(tmp_path):
    url = f"sqlite:///{tmp_path / 's.db'}"
    pipes = tmp_path / "people.csv"
    pipes.write_bytes("id|first_name|last_name\nr-1|Zoë|Müller\n".encode("cp1252"))
    first = _mapping_run("-i", str(pipes), "--delimiter", "|", "--encoding", "cp1252", "--json", url=url)
    assert first.exit_code == 0, first.output
    assert json.loads(first.stdout)["stored"] == 1
    other = tmp_path / "feb.csv"
    other.write_text("id,first_name,last_name\nb-1,Ben,Beta\nb-2,Bo,Beta\n", encoding="utf-8")
    second = _mapping_run("-i", str(other), url=url)
    assert second.exit_code == 0, second.output
    assert "resumed after line" not in second.stdout and "from the start" in second.stdout
    grow = tmp_path / "grow.csv"  # no line end after its last row, as many tools write files
    grow.write_text("id,first_name,last_name\ng-1,Gil,Gray\ng-2,Guido,Gr", encoding="utf-8")
    third = _mapping_run("-i", str(grow), "--json", url=url)
    assert (json.loads(third.stdout)["inserted"], json.loads(third.stdout)["pulled"]) == (2, 2), third.output
    with grow.open("a", encoding="utf-8") as handle:  # it was still being written after all
        handle.write("ay\n")
    fourth = _mapping_run("-i", str(grow), "--json", url=url)
    assert (json.loads(fourth.stdout)["updated"], json.loads(fourth.stdout)["unchanged"]) == (1, 1), fourth.output
