from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.files import FilesConnector
from connectors.files.config import FilesConfig
from core.errors import ConnectorConfigError


def make(path: Path, **stream) -> FilesConnector:
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(path), **stream}]})
    return FilesConnector.from_config(config, name="crm_export")


def write_csv(path: Path, rows: list[str], header: str = "id,email,updated_at") -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def pull_ids(connector: FilesConnector, cursor=None) -> tuple[list[str], dict | None]:
    ids, last = [], cursor
    for batch in connector.pull("people", cursor):
        ids.extend(r.source_id for r in batch.records)
        last = dict(batch.cursor)
    return ids, last


def test_position_cursor_resumes_after_crash_without_gaps_or_duplicates(tmp_path):
    path = write_csv(tmp_path / "p.csv", [f"{i},p{i}@x.com,2024-01-01T00:00:00Z" for i in range(25)])
    connector = make(path, batch_size=10)
    batches = list(connector.pull("people", None))
    assert [len(b.records) for b in batches] == [10, 10, 5]
    # crash after the first batch was stored: resume from its cursor
    rest, _ = pull_ids(connector, batches[0].cursor)
    first = [r.source_id for r in batches[0].records]
    assert first + rest == [str(i) for i in range(25)]


def test_appended_rows_are_the_only_ones_pulled_next_time(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,2024-01-01T00:00:00Z"])
    connector = make(path)
    ids, cursor = pull_ids(connector)
    assert ids == ["1"]
    with path.open("a", encoding="utf-8") as handle:
        handle.write("2,b@x.com,2024-01-02T00:00:00Z\n")
    ids, cursor = pull_ids(connector, cursor)
    assert ids == ["2"]
    assert pull_ids(connector, cursor)[0] == []


def test_replaced_file_is_read_from_the_start(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,x", "2,b@x.com,x"])
    connector = make(path)
    _, cursor = pull_ids(connector)
    write_csv(path, ["9,z@x.com"], header="id,email")
    assert pull_ids(connector, cursor)[0] == ["9"]


def test_malformed_rows_are_rejected_with_reason_and_position_and_the_rest_read(tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(
        b"id,email,note\n"
        b"1,a@x.com,ok\n"
        b"2,b@x.com\n"  # too few fields
        b',c@x.com,"no id"\n'
        b"4,d@x.com,\xff\xfe broken\n"  # not utf-8
        b'5,e@x.com,"two\nlines"\n'
        b"6,f@x.com,ok\n"
    )
    batches = list(make(path).pull("people", None))
    records = [r for b in batches for r in b.records]
    rejected = [r for b in batches for r in b.rejected]
    assert [r.source_id for r in records] == ["1", "5", "6"]
    assert records[1].raw["note"] == "two\nlines"
    reasons = {r.position: r.reason for r in rejected}
    assert reasons.pop(f"{path}:5").startswith("bytes that are not utf-8 (0xFF at byte 11 of the line)")
    assert reasons == {
        f"{path}:3": "row has 2 fields, the header has 3",
        f"{path}:4": "empty 'id': every row needs an ID",
    }
    assert all(r.system == "crm_export" and r.stream == "people" for r in rejected)


def test_missing_id_column_is_a_config_error_naming_the_columns(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a"], header="key,email")
    with pytest.raises(ConnectorConfigError) as info:
        list(make(path).pull("people", None))
    assert "no column 'id'" in info.value.message
    assert "key, email" in info.value.message
    assert info.value.hint


def test_check_reports_missing_file(tmp_path):
    with pytest.raises(ConnectorConfigError, match="does not exist"):
        make(tmp_path / "absent.csv").check()
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,x"])
    result = make(path).check()
    assert result.ok
    assert result.facts["people"]["bytes"] == path.stat().st_size


def test_jsonl_invalid_lines_are_rejected(tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text('{"id": 1, "e": "a"}\nnot json\n[1,2]\n{"id": "2"}\n', encoding="utf-8")
    batches = list(make(path).pull("people", None))
    assert [r.source_id for b in batches for r in b.records] == ["1", "2"]
    reasons = [r.reason for b in batches for r in b.rejected]
    assert reasons[0].startswith("invalid JSON")
    assert reasons[1] == "a JSONL line must be an object, got list"


def test_updated_at_cursor_keeps_boundary_ties_exactly_once(tmp_path):
    t = "2024-03-01T10:00:00Z"
    path = write_csv(tmp_path / "p.csv", [f"1,a@x.com,{t}", f"2,b@x.com,{t}", "3,c@x.com,2024-02-01T00:00:00Z"])
    connector = make(path, updated_at_field="updated_at")
    ids, cursor = pull_ids(connector)
    assert sorted(ids) == ["1", "2", "3"]
    assert cursor["since_ids"] == ["1", "2"]
    # a new row arrives carrying the boundary timestamp: it must not be skipped
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"4,d@x.com,{t}\n")
    ids, cursor = pull_ids(connector, cursor)
    assert ids == ["4"]
    assert pull_ids(connector, cursor)[0] == []


def test_updated_at_naive_times_use_the_configured_zone_and_bad_times_are_rejected(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,2024-03-01 10:00:00", "2,b@x.com,yesterday"])
    connector = make(path, updated_at_field="updated_at", timezone="Europe/Paris")
    (batch,) = list(connector.pull("people", None))
    assert batch.records[0].updated_at.isoformat() == "2024-03-01T10:00:00+01:00"
    assert batch.rejected[0].reason == "'updated_at' is not a date-time: 'yesterday'"


@settings(max_examples=30, deadline=None)
@given(
    times=st.lists(st.integers(min_value=0, max_value=4), min_size=1, max_size=30),
    batch_size=st.integers(min_value=1, max_value=7),
    crash_after=st.integers(min_value=0, max_value=10),
)
def test_updated_at_resume_from_any_batch_loses_nothing(tmp_path_factory, times, batch_size, crash_after):
    path = tmp_path_factory.mktemp("p") / "p.csv"
    write_csv(path, [f"{i},x{i}@x.com,2024-01-0{t + 1}T00:00:00Z" for i, t in enumerate(times)])
    connector = make(path, updated_at_field="updated_at", batch_size=batch_size)
    batches = list(connector.pull("people", None))
    stored = {r.source_id for b in batches[: crash_after + 1] for r in b.records}
    resumed, _ = pull_ids(connector, batches[min(crash_after, len(batches) - 1)].cursor)
    assert stored | set(resumed) == {str(i) for i in range(len(times))}


def test_push_is_idempotent_and_reports_unchanged(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,x"])
    connector = make(path, output=str(tmp_path / "out.jsonl"))
    batch = WriteBatch("crm_export", "people", [WriteOp("1", {"profile_id": "cp_abcdefgh1"}), WriteOp("2", {"x": 1})])
    first = connector.push(batch)
    content = (tmp_path / "out.jsonl").read_text()
    second = connector.push(batch)
    assert [r.outcome for r in first] == [WriteOutcome.WRITTEN, WriteOutcome.WRITTEN]
    assert [r.outcome for r in second] == [WriteOutcome.UNCHANGED, WriteOutcome.UNCHANGED]
    assert (tmp_path / "out.jsonl").read_text() == content
    assert json.loads(content.splitlines()[0]) == {"id": "1", "profile_id": "cp_abcdefgh1"}


def test_push_csv_merges_fields_into_existing_rows(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,x"])
    connector = make(path)
    connector.push(WriteBatch("crm_export", "people", [WriteOp("1", {"a": "x"})]))
    results = connector.push(WriteBatch("crm_export", "people", [WriteOp("1", {"b": 2})]))
    assert results[0].outcome is WriteOutcome.WRITTEN
    out = tmp_path / "people.writeback.csv"
    assert out.read_text().splitlines() == ["id,a,b", '1,"""x""",2']


def test_unknown_timezone_is_refused_with_examples(tmp_path):
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="unknown timezone 'Mars/Olympus'; use an IANA name such as UTC"):
        make(tmp_path / "p.csv", timezone="Mars/Olympus")


def test_updated_at_reads_epoch_seconds_and_milliseconds_like_the_mappings_parse_datetime(tmp_path):
    path = write_csv(tmp_path / "p.csv", ["1,a@x.com,1714816800", "2,b@x.com,1714816800000", "3,c@x.com, 1714816801 "])
    (batch,) = list(make(path, updated_at_field="updated_at").pull("people", None))
    assert not batch.rejected
    assert [r.updated_at.isoformat() for r in batch.records] == [
        "2024-05-04T10:00:00+00:00",
        "2024-05-04T10:00:00+00:00",
        "2024-05-04T10:00:01+00:00",
    ]


def test_updated_at_reads_a_jsonl_number_as_epoch_seconds(tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text('{"id": "1", "updated_at": 1714816800}\n', encoding="utf-8")
    (batch,) = list(make(path, updated_at_field="updated_at").pull("people", None))
    assert [r.updated_at.isoformat() for r in batch.records] == ["2024-05-04T10:00:00+00:00"]
