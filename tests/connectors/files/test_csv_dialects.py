"""A well-formed CSV is read exactly as ``csv.reader`` reads it, whatever its delimiter, quoting or blank columns."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.files.config import FilesConfig
from connectors.files.reader import BadRow, GoodRow, read_header, read_rows
from core.errors import ConnectorConfigError


def _config(path: Path, **extra):
    return FilesConfig.model_validate({"streams": [{"name": "people", "path": path, **extra}]}).streams[0]


def _rows(path: Path, **extra):
    return list(read_rows(_config(path, **extra), start=0, first_line=0))


def test_a_file_whose_lines_end_in_a_carriage_return_alone_is_read_row_by_row(tmp_path):
    path = tmp_path / "mac.csv"
    path.write_bytes(b'id,email,note\rp1,ann@example.com,"two\rlines"\rp2,bob@example.com,plain\r')
    rows = _rows(path)
    assert [(r.line, r.data["id"], r.data["note"]) for r in rows] == [(2, "p1", "two\rlines"), (4, "p2", "plain")]
    assert rows[-1].offset == len(path.read_bytes())


def test_a_multi_line_first_column_is_one_row(tmp_path):
    path = tmp_path / "mlfirst.csv"
    path.write_bytes(
        b"notes,id,email,first_name,last_name\r\n"
        b'"VIP customer\r\nprefers phone",p1,ann@example.com,Ann,Lee\r\n'
        b"regular,p2,bob@example.com,Bob,Ray\r\n"
    )
    rows = _rows(path)
    assert [type(r).__name__ for r in rows] == ["GoodRow", "GoodRow"]
    assert [(r.line, r.data["id"], r.data["notes"]) for r in rows] == [
        (2, "p1", "VIP customer\r\nprefers phone"),
        (4, "p2", "regular"),
    ]


def test_continuation_text_that_looks_like_a_row_stays_in_its_field(tmp_path):
    path = tmp_path / "mlnotes.csv"
    path.write_bytes(
        b"id,email,notes,first_name,last_name\r\n"
        b'p1,a@example.com,"Called Monday\r\nasked for, pricing, demo",Ann,Lee\r\n'
        b"p2,b@example.com,x,Bob,Ray\r\n"
    )
    rows = _rows(path)
    assert [(type(r).__name__, r.line) for r in rows] == [("GoodRow", 2), ("GoodRow", 4)]
    assert rows[0].data["notes"] == "Called Monday\r\nasked for, pricing, demo"
    assert rows[1].offset == path.stat().st_size


def test_a_quote_that_never_closes_before_the_end_parks_its_line_when_the_file_is_complete(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b'id,email,name\nr1,a@example.com,Ann\nr2,b@example.com,"Bo\nr3,c@example.com,Cy\n')
    rows = _rows(path, complete=True)
    assert [(type(r).__name__, r.line) for r in rows] == [("GoodRow", 2), ("BadRow", 3), ("GoodRow", 4)]
    assert "never closes" in rows[1].reason and rows[1].source_id == "r2"


cell = st.text(alphabet=st.sampled_from(list('ab ,;"\n\r\té|')), max_size=8)


@st.composite
def tables(draw: st.DrawFn) -> tuple[list[str], list[list[str]], str, str]:
    width = draw(st.integers(min_value=2, max_value=5))
    header = ["id", *(f"c{n}" for n in range(1, width))]
    rows = draw(st.lists(st.lists(cell, min_size=width, max_size=width), max_size=12))
    delimiter = draw(st.sampled_from([",", ";", "\t", "|"]))
    terminator = draw(st.sampled_from(["\n", "\r\n", "\r"]))  # "\r": old Mac programs, some exports
    if terminator in ("\n", "\r"):  # csv.writer quotes only the terminator's characters: the other would end the row
        other = "\r" if terminator == "\n" else "\n"
        rows = [[v.replace(other, "") for v in row] for row in rows]
    return header, rows, delimiter, terminator


@given(table=tables())
@settings(max_examples=300, deadline=None)
def test_any_file_csv_writer_makes_is_read_back_exactly_with_its_lines_and_offsets(tmp_path_factory, table):
    header, rows, delimiter, terminator = table
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator=terminator)
    writer.writerow(header)
    ends, lines = [], []
    for row in rows:
        lines.append(out.getvalue().count(terminator[-1]) + 1)
        writer.writerow(row)
        ends.append(len(out.getvalue().encode("utf-8")))
    data = out.getvalue().encode("utf-8")
    path = tmp_path_factory.mktemp("w") / "table.csv"
    path.write_bytes(data)
    assert list(csv.reader(io.StringIO(data.decode(), newline=""), delimiter=delimiter)) == [header, *rows]
    got = _rows(path, delimiter=delimiter)
    assert [r for r in got if isinstance(r, BadRow)] == []
    assert [[r.data[h] for h in header] for r in got] == rows
    assert [(r.line, r.offset) for r in got] == list(zip(lines, ends, strict=True))
    for n, (line, end) in enumerate(zip(lines, ends, strict=True)):  # resuming after any row gives the rest
        rest = list(read_rows(_config(path, delimiter=delimiter), start=end, first_line=line + 1))
        assert [[r.data[h] for h in header] for r in rest] == rows[n + 1 :]


def test_a_semicolon_csv_from_european_excel_is_read_without_settings(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_bytes("\ufeffid;first_name;email\r\nr-1;Zoë;z@example.com\r\n".encode())
    assert [r.data for r in _rows(path)] == [{"id": "r-1", "first_name": "Zoë", "email": "z@example.com"}]


def test_an_excel_sep_line_names_the_delimiter_and_is_not_the_header(tmp_path):
    path = tmp_path / "excel_sep.csv"
    path.write_bytes(b"sep=;\r\nid;first_name;email\r\nr-1;Zo;z@example.com\r\n")
    rows = _rows(path)
    assert [(r.line, r.data) for r in rows] == [(3, {"id": "r-1", "first_name": "Zo", "email": "z@example.com"})]


def test_a_one_column_header_holding_semicolons_says_which_delimiter_to_set(tmp_path):
    path = tmp_path / "semi.csv"
    path.write_bytes(b"id;first_name;email\r\nr-1;Zo;z@example.com\r\n")
    with pytest.raises(ConnectorConfigError) as info:
        read_header(_config(path, delimiter=","))
    assert "';'" in info.value.message and "delimiter" in info.value.hint


def test_a_comma_is_kept_when_the_header_has_commas_and_semicolons_only_in_values(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(b"id,tags\n1,a;b;c\n2,d;e\n")
    assert [r.data["tags"] for r in _rows(path)] == ["a;b;c", "d;e"]


def test_trailing_unnamed_empty_columns_from_excel_are_left_out(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_bytes(b"id,email,,\nr-1,a@example.com,,\nr-2,b@example.com,,\n")
    assert [r.data for r in _rows(path)] == [
        {"id": "r-1", "email": "a@example.com"},
        {"id": "r-2", "email": "b@example.com"},
    ]


def test_a_value_under_an_unnamed_column_is_kept_under_the_column_position(tmp_path):
    path = tmp_path / "trailing.csv"
    path.write_bytes(b"id,email,,\nr-1,a@example.com,,\nr-2,b@example.com,,stray\n")
    rows = _rows(path)
    assert [r.data for r in rows] == [
        {"id": "r-1", "email": "a@example.com"},
        {"id": "r-2", "email": "b@example.com", "column 4": "stray"},
    ]


def test_repeated_column_names_are_named(tmp_path):
    path = tmp_path / "dup.csv"
    path.write_bytes(b"id,email,email\n1,a,b\n")
    with pytest.raises(ConnectorConfigError, match="repeats column names in its header: 'email'"):
        read_header(_config(path))


def test_whitespace_only_lines_are_skipped_like_empty_ones(tmp_path):
    path = tmp_path / "ws.csv"
    path.write_bytes(b"id,email\n\n1,a@example.com\n   \n \t\r\n2,b@example.com\n")
    rows = _rows(path)
    assert [type(r).__name__ for r in rows] == ["GoodRow", "GoodRow"]
    assert [r.data["id"] for r in rows] == ["1", "2"]


def test_a_jsonl_trailing_comma_is_reported_at_its_column_on_its_line(tmp_path):
    path = tmp_path / "mid_bad.jsonl"
    good = json.dumps({"id": "r-1"})
    path.write_text(f'{good}\n{{"id": "j-bad", "email": "x@example.com",\n{good}\n', encoding="utf-8")
    rows = _rows(path)
    (bad,) = [r for r in rows if isinstance(r, BadRow)]
    assert [r.line for r in rows if isinstance(r, GoodRow)] == [1, 3]
    assert bad.line == 2 and "column 42" in bad.reason and "trailing ','" in bad.reason, bad.reason
