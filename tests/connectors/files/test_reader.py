"""The files reader never loses a good row to a bad one, and never moves past a row it did not read."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.files import FilesConnector
from connectors.files.config import FileFormat, FilesConfig
from connectors.files.reader import RAW_LIMIT, BadRow, GoodRow, read_rows

HEADER = ["id", "email", "name"]


def _config(path: Path, **extra):
    return FilesConfig.model_validate({"streams": [{"name": "people", "path": path, **extra}]}).streams[0]


def _rows(path: Path, **extra):
    return list(read_rows(_config(path, **extra), start=0, first_line=0))


def _good_line(n: int) -> str:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerow([f"r{n}", f"p{n}@example.com", f"Person, {n}"])
    return out.getvalue()


def test_an_unterminated_quote_parks_its_line_and_every_later_row_is_read(tmp_path):
    lines = ["id,email,name\n"] + [_good_line(n) for n in range(20)]
    lines[6] = 'r5,"p5@example.com,Person 5\n'  # the 6th row opens a quote that never closes
    path = tmp_path / "people.csv"
    path.write_text("".join(lines), encoding="utf-8")
    rows = _rows(path)
    good = [r.data["id"] for r in rows if isinstance(r, GoodRow)]
    bad = [r for r in rows if isinstance(r, BadRow)]
    assert good == [f"r{n}" for n in range(20) if n != 5]
    assert [(b.line, b.source_id, b.raw) for b in bad] == [(7, "r5", 'r5,"p5@example.com,Person 5')]
    assert "never closes" in bad[0].reason
    assert rows[-1].offset == path.stat().st_size


def test_a_quoted_field_over_two_lines_is_still_one_row(tmp_path):
    path = tmp_path / "people.csv"
    path.write_text('id,email,name\nr1,a@example.com,"Flat 2\n1 High St"\nr2,b@example.com,Bo\n', encoding="utf-8")
    rows = _rows(path)
    assert [(r.line, r.data["name"]) for r in rows if isinstance(r, GoodRow)] == [(2, "Flat 2\n1 High St"), (4, "Bo")]
    assert not [r for r in rows if isinstance(r, BadRow)]


def test_a_field_over_the_csv_limit_keeps_the_id_and_a_cut_copy(tmp_path):
    path = tmp_path / "people.csv"
    huge = "x" * (csv.field_size_limit() + 10)
    path.write_text(f"id,email,name\nr1,a@example.com,{huge}\nr2,b@example.com,Bo\n", encoding="utf-8")
    rows = _rows(path)
    (bad,) = [r for r in rows if isinstance(r, BadRow)]
    assert bad.source_id == "r1" and bad.line == 2 and "field limit" in bad.reason
    assert bad.raw.startswith("r1,a@example.com,xxx") and len(bad.raw) < RAW_LIMIT + 40 and "more characters" in bad.raw
    assert [r.data["id"] for r in rows if isinstance(r, GoodRow)] == ["r2"]


def test_the_format_is_told_by_content_when_the_suffix_says_nothing(tmp_path):
    array = tmp_path / "export.txt"
    array.write_text(json.dumps([{"id": "1"}, 5, {"id": "2"}]), encoding="utf-8")
    lines = tmp_path / "export.data"
    lines.write_text('{"id": "1"}\n{"id": "2"}\n', encoding="utf-8")
    semicolons = tmp_path / "people.txt"
    semicolons.write_text("id;email;name\n1;a@example.com;Ann\n", encoding="utf-8")
    assert _config(array).file_format is FileFormat.JSON
    assert [type(r).__name__ for r in _rows(array)] == ["GoodRow", "BadRow", "GoodRow"]
    assert _config(lines).file_format is FileFormat.JSONL
    config = _config(semicolons)
    assert (config.file_format, config.delimiter) == (FileFormat.CSV, ";")
    assert [r.data for r in _rows(semicolons)] == [{"id": "1", "email": "a@example.com", "name": "Ann"}]


# -- property: over generated files with random malformed rows ------------------------------------------

BAD_KINDS = ("open_quote", "extra_field", "missing_field", "bad_bytes", "stray_quote")


def _bad_line(n: int, kind: str) -> bytes:
    if kind == "open_quote":
        return f'r{n},"p{n}@example.com,Person {n}\n'.encode()
    if kind == "extra_field":
        return f"r{n},p{n}@example.com,Person {n},surplus\n".encode()
    if kind == "missing_field":
        return f"r{n},p{n}@example.com\n".encode()
    if kind == "stray_quote":
        return f'r{n},p{n}@example.com,"Per"son {n}\n'.encode()
    return f"r{n},p{n}@example.com,Person \xff{n}\n".encode("latin-1")


@st.composite
def exports(draw: st.DrawFn) -> tuple[bytes, set[str], set[int]]:
    kinds = draw(st.lists(st.one_of(st.none(), st.sampled_from(BAD_KINDS)), min_size=1, max_size=40))
    body, good, bad_lines = [b"id,email,name\n"], set(), set()
    for n, kind in enumerate(kinds):
        if kind is None:
            body.append(_good_line(n).encode())
            good.add(f"r{n}")
        else:
            body.append(_bad_line(n, kind))
            bad_lines.add(n + 2)
    return b"".join(body), good, bad_lines


@given(export=exports(), batch=st.integers(min_value=1, max_value=7))
@settings(max_examples=120, deadline=None)
def test_every_row_that_parses_alone_is_read_every_other_is_parked_and_resuming_loses_nothing(
    tmp_path_factory, export, batch
):
    data, good, bad_lines = export
    path = tmp_path_factory.mktemp("export") / "people.csv"
    path.write_bytes(data)
    # the file is complete: a quote still open at its end is broken, not a row still being written
    stream = {"name": "people", "path": path, "batch_size": batch, "complete": True}
    config = FilesConfig.model_validate({"streams": [stream]})
    seen, parked_lines, cursor = [], [], None
    while True:  # stop after every batch and resume from its cursor, as a killed run would
        batches = FilesConnector(config, name="files").pull("people", cursor)
        first = next(batches, None)
        batches.close()
        if first is None or (not first.records and not first.rejected):
            break
        seen.extend(r.source_id for r in first.records)
        parked_lines.extend(int(r.position.rsplit(":", 1)[1]) for r in first.rejected)
        cursor = first.cursor
    assert sorted(seen) == sorted(good) and len(seen) == len(set(seen))
    assert sorted(parked_lines) == sorted(bad_lines)
