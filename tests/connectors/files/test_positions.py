"""A saved read position belongs to one file's bytes: another file, or a rewritten one, is read from the start."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.files import FilesConnector
from connectors.files.config import FilesConfig


def _connector(path: Path, **extra) -> FilesConnector:
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(path), **extra}]})
    return FilesConnector(config, name="crm_export")


def _pull(path: Path, cursor=None, **extra):
    ids, last = [], cursor
    batches = list(_connector(path, **extra).pull("people", cursor))
    for batch in batches:
        ids.extend(r.source_id for r in batch.records)
        ids.extend(f"parked:{r.source_id}" for r in batch.rejected)
        last = dict(batch.cursor)
    return ids, last


def _csv(rows: list[list[str]], header: tuple[str, ...] = ("id", "email", "name")) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _people(prefix: str, count: int) -> list[list[str]]:
    return [[f"{prefix}-{n}", f"{prefix}{n}@example.com", f"Person {prefix}{n}"] for n in range(1, count + 1)]


def test_a_second_file_given_to_the_same_stream_is_read_from_its_first_row(tmp_path):
    jan, feb = tmp_path / "jan.csv", tmp_path / "feb.csv"
    jan.write_bytes(_csv(_people("a", 5)))
    feb.write_bytes(_csv(_people("b", 6)))
    _, cursor = _pull(jan)
    ids, after = _pull(feb, cursor)
    assert ids == [f"b-{n}" for n in range(1, 7)]
    assert "another file" in after["restarted"] and str(jan.resolve()) in after["restarted"]


def test_a_file_rewritten_in_place_with_more_bytes_is_read_from_the_start(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(_people("a", 5)))
    _, cursor = _pull(path)
    path.write_bytes(_csv([[f"c-{n}", f"longer.address.{n}@example.com", f"P{n}"] for n in range(1, 9)]))
    ids, after = _pull(path, cursor)
    assert ids == [f"c-{n}" for n in range(1, 9)]
    assert "changed before the saved position" in after["restarted"]


def test_a_re_encoded_file_is_read_from_the_start(tmp_path):
    path = tmp_path / "people.csv"
    text = "id,email,name\n" + "".join(f"r{n},r{n}@example.com,Zoë Müller {n}\n" for n in range(6))
    path.write_bytes(text.encode("cp1252"))
    _, cursor = _pull(path, encoding="cp1252")
    path.write_bytes(text.encode("utf-8"))  # the same rows, more bytes each: an old offset lands mid-line
    ids, _ = _pull(path, cursor, encoding="utf-8")
    assert ids == [f"r{n}" for n in range(6)]


def test_an_appended_file_resumes_after_its_last_complete_line_and_says_nothing_of_a_restart(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(_people("a", 3)))
    _, cursor = _pull(path)
    with path.open("ab") as handle:
        handle.write(b"a-4,a4@example.com,Four\n")
    ids, after = _pull(path, cursor)
    assert ids == ["a-4"] and "restarted" not in after
    assert after["line"] == 5 and after["offset"] == path.stat().st_size


def test_a_cursor_saved_by_an_older_version_reads_the_file_again(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(_csv(_people("a", 3)))
    old = {"mode": "position", "offset": 40, "line": 2, "fingerprint": "id,email,name"}
    ids, after = _pull(path, old)
    assert ids == ["a-1", "a-2", "a-3"] and "older" in after["restarted"]


def test_a_json_array_of_other_records_is_read_from_its_first_element(tmp_path):
    first, second = tmp_path / "arr.json", tmp_path / "arr2.json"
    first.write_text(json.dumps([{"id": f"r-{n}"} for n in range(3)]), encoding="utf-8")
    second.write_text(json.dumps([{"id": f"n-{n}"} for n in range(5)]), encoding="utf-8")
    _, cursor = _pull(first)
    assert _pull(second, cursor)[0] == [f"n-{n}" for n in range(5)]
    # the same path rewritten with other elements first: read again; with elements added at the end: only those
    _, cursor = _pull(first)
    first.write_text(json.dumps([{"id": f"x-{n}"} for n in range(4)]), encoding="utf-8")
    assert _pull(first, cursor)[0] == [f"x-{n}" for n in range(4)]
    _, cursor = _pull(first)
    first.write_text(json.dumps([{"id": f"x-{n}"} for n in range(6)], indent=2), encoding="utf-8")
    assert _pull(first, cursor)[0] == ["x-4", "x-5"]


def test_an_unfinished_last_line_of_a_file_still_being_written_waits_for_its_line_end(tmp_path):
    path = tmp_path / "grow.csv"
    path.write_bytes(b"id,email,name\np1,a@example.com,Ann\np2,b@exa")
    ids, cursor = _pull(path, complete=False)
    assert ids == ["p1"] and "line 3" in cursor["waiting"]
    with path.open("ab") as handle:
        handle.write(b"mple.com,Bo\n")
    ids, cursor = _pull(path, cursor, complete=False)
    assert ids == ["p2"] and "waiting" not in cursor


def test_a_record_whose_quote_is_still_open_at_the_end_waits_until_it_closes(tmp_path):
    path = tmp_path / "grow.csv"
    path.write_bytes(b'id,email,name\np1,a@example.com,Ann\np2,b@example.com,"Flat 2\n')
    ids, cursor = _pull(path, complete=False)
    assert ids == ["p1"] and "line 3" in cursor["waiting"]
    with path.open("ab") as handle:
        handle.write(b'1 High St"\np3,c@example.com,Cy\n')
    batches = list(_connector(path, complete=False).pull("people", cursor))
    assert [(r.source_id, r.raw["name"]) for b in batches for r in b.records] == [
        ("p2", "Flat 2\n1 High St"),
        ("p3", "Cy"),
    ]


def test_a_last_line_without_its_end_is_read_by_default_and_a_later_growth_of_that_line_rereads(tmp_path):
    path = tmp_path / "done.csv"
    path.write_bytes(b"id,email,name\np1,a@example.com,Ann\np2,b@example.com,Bo")
    ids, cursor = _pull(path)
    assert ids == ["p1", "p2"]
    with path.open("ab") as handle:  # the file was not finished after all: never resume mid-line
        handle.write(b"b Smith\n")
    batches = list(_connector(path, complete=True).pull("people", cursor))
    assert [(r.source_id, r.raw["name"]) for b in batches for r in b.records] == [("p1", "Ann"), ("p2", "Bob Smith")]


rows_strategy = st.lists(
    st.tuples(st.text(alphabet='ab,"\n é', max_size=6), st.text(alphabet="xy;\n", max_size=4)),
    min_size=0,
    max_size=8,
)


@given(old=rows_strategy, new=rows_strategy, append=st.booleans())
@settings(max_examples=150, deadline=None)
def test_a_resumed_read_only_ever_gives_whole_rows_of_the_current_file(tmp_path_factory, old, new, append):
    path = tmp_path_factory.mktemp("pos") / "people.csv"
    old_rows = [[f"o{n}", a, b] for n, (a, b) in enumerate(old)]
    new_rows = [[f"n{n}", a, b] for n, (a, b) in enumerate(new)]
    path.write_bytes(_csv(old_rows))
    _, cursor = _pull(path)
    path.write_bytes(_csv(old_rows + new_rows) if append else _csv(new_rows))
    batches = list(_connector(path).pull("people", cursor))
    got = [[r.source_id, r.raw["email"], r.raw["name"]] for b in batches for r in b.records]
    assert not [r for b in batches for r in b.rejected]
    assert got == new_rows  # appended: only the new rows; replaced: every row of the new file (IDs differ)


def test_a_file_read_again_with_another_encoding_is_read_from_the_start(tmp_path):
    path = tmp_path / "latin1.csv"
    path.write_bytes("id,name\nr-1,Zoë\nr-2,Zoé\n".encode("cp1252"))
    ids, cursor = _pull(path)
    assert ids == ["parked:r-1", "parked:r-2"]  # read as utf-8: every row parked, naming the encoding
    ids, after = _pull(path, cursor, encoding="cp1252")
    assert ids == ["r-1", "r-2"] and "cp1252" in after["restarted"]
    _, cursor = _pull(path, encoding="cp1252")
    assert _pull(path, cursor, encoding="cp1252")[0] == []
