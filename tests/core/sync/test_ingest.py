from __future__ import annotations

import csv
import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from connectors.base import Cursor, PullBatch
from connectors.files import FilesConnector
from connectors.files.config import FilesConfig
from core.cli import app
from core.mapping import load_mapping
from core.store import CanonicalRecord, ParkedRecord, SourceRecordRow
from core.sync import ingest_stream

ROOT = Path(__file__).resolve().parents[3]
MAPPING = ROOT / "mappings" / "files.yaml"
COLUMNS = "id,first_name,last_name,full_name,email,phone,company,job_title,street,city,postcode,country,date_of_birth,updated_at,unsubscribed"


def good_row(i: int) -> list[str]:
    return [
        str(i), f"First{i}", f"Last{i}", "", f"person{i}@example.com", f"07700 9{i % 100000:05d}",
        "Acme Ltd", "Buyer", f"{i} High St", "Leeds", "LS1 1AA", "GB", "1980-01-02",
        "2024-05-01T10:00:00Z", "yes" if i % 10 == 0 else "",
    ]  # fmt: skip


BAD_KINDS = ["bad_email", "bad_phone", "bad_date", "no_id", "short_row"]


def bad_row(i: int, kind: str) -> list[str]:
    row = good_row(i)
    if kind == "bad_email":
        row[4] = f"person{i}@@example"
    elif kind == "bad_phone":
        row[5] = "call me maybe"
    elif kind == "bad_date":
        row[12] = "31/31/1980"
    elif kind == "no_id":
        row[0] = ""
    else:
        row = row[:5]
    return row


def write_export(path: Path, n: int, bad_share: float, seed: int = 3) -> dict[str, str]:
    rng = random.Random(seed)
    bad_ids = set(rng.sample(range(n), int(n * bad_share)))
    kinds: dict[str, str] = {}
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS.split(","))
        for i in range(n):
            if i in bad_ids:
                kind = BAD_KINDS[i % len(BAD_KINDS)]
                kinds[str(i)] = kind
                writer.writerow(bad_row(i, kind))
            else:
                writer.writerow(good_row(i))
    return kinds


def count(store, table, **where) -> int:
    query = sa.select(sa.func.count()).select_from(table.__table__)
    for column, value in where.items():
        query = query.where(table.__table__.c[column] == value)
    with store.engine.connect() as conn:
        return conn.execute(query).scalar_one()


def test_cli_maps_10000_rows_stores_good_parks_bad_and_exits_0(tmp_path, store_url):
    export = tmp_path / "people.csv"
    bad = write_export(export, 10_000, 0.01)
    result = CliRunner().invoke(
        app, ["mapping", "run", str(MAPPING), "--input", str(export), "--url", store_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["pulled"] == 10_000
    # an impossible date of birth identifies nobody: the value is left out, the person kept
    kept = {i for i, kind in bad.items() if kind == "bad_date"}
    assert summary["rejected"] == len(bad) - len(kept) and len(bad) == 100 and kept
    from core.store import open_store

    with open_store(store_url) as store:
        parked = store.parked.list(run_id=summary["run_id"])
        people = {c.source_id: c.data for c in store.records.iter_canonical(system="files") if c.model == "Person"}
    assert len(parked) == len(bad) - len(kept)
    assert set(people) == {str(i) for i in range(10_000)} - (set(bad) - kept)
    assert all(people[i].get("date_of_birth") is None for i in kept)
    reasons = {p.source_id: p.reason for p in parked if p.source_id}
    assert all("email" in reasons[i] for i, kind in bad.items() if kind == "bad_email")
    assert all("phone" in reasons[i] for i, kind in bad.items() if kind == "bad_phone")
    no_position = [p for p in parked if p.source_id is None or bad.get(p.source_id) == "short_row"]
    assert len(no_position) == sum(1 for k in bad.values() if k in {"no_id", "short_row"})
    assert all(p.position and p.position.startswith(str(export)) for p in no_position)


def test_cli_summary_text_and_all_rows_bad_exit_code(tmp_path, store_url):
    export = tmp_path / "people.csv"
    bad = write_export(export, 50, 0.1)
    runner = CliRunner()
    result = runner.invoke(app, ["mapping", "run", str(MAPPING), "-i", str(export), "--url", store_url])
    assert result.exit_code == 0
    assert "rows read          50" in result.stdout
    parked = sum(1 for kind in bad.values() if kind != "bad_date")  # a bad date of birth is left out, not parked
    assert f"parked              {parked}" in result.stdout
    other = tmp_path / "other.csv"
    other.write_text("id,email\n1,x@@y\n2,z@@y\n", encoding="utf-8")
    result = runner.invoke(app, ["mapping", "run", str(MAPPING), "-i", str(other), "--url", store_url])
    assert result.exit_code == 4
    assert "every one of the 2 rows was parked" in result.stderr
    assert "Traceback" not in result.output


class CrashingConnector:
    """A files connector that dies after yielding ``crash_after`` batches."""

    def __init__(self, inner: FilesConnector, crash_after: int) -> None:
        self.inner = inner
        self.system = inner.system
        self.crash_after = crash_after

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        for n, batch in enumerate(self.inner.pull(stream, cursor)):
            if n == self.crash_after:
                raise RuntimeError("power cut")
            yield batch


def test_crash_mid_run_resumes_without_duplicates_or_gaps(tmp_path, store):
    export = tmp_path / "people.csv"
    bad = write_export(export, 1_000, 0.02)
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(export), "batch_size": 64}]})
    connector = FilesConnector(config, name="files")
    mapping = load_mapping(MAPPING)
    with pytest.raises(RuntimeError, match="power cut"):
        ingest_stream(
            CrashingConnector(connector, crash_after=7), "people", mapping, store, run_id=store.runs.start("sync")
        )
    assert count(store, SourceRecordRow) == pytest.approx(7 * 64, abs=64)
    summary = ingest_stream(connector, "people", mapping, store, run_id=store.runs.start("sync"))
    assert summary.resumed_from is not None
    kept = sum(1 for k in bad.values() if k == "bad_date")  # stored without the impossible date
    good = 1_000 - len(bad) + kept
    assert count(store, CanonicalRecord, model="Person") == good
    stored_ids = sum(1 for _ in store.records.iter_source(system="files"))
    assert (
        stored_ids
        == count(store, SourceRecordRow)
        == 1_000 - sum(1 for k in bad.values() if k in {"no_id", "short_row"})
    )
    assert count(store, ParkedRecord) == len(bad) - kept
    # a third run reads nothing new and changes nothing
    again = ingest_stream(connector, "people", mapping, store, run_id=store.runs.start("sync"))
    assert (again.pulled, again.inserted, again.updated, again.parked) == (0, 0, 0, 0)


def test_a_nul_character_is_cleaned_and_reported_and_blocks_nothing_on_either_backend(tmp_path, store_url):
    """PostgreSQL cannot store NUL in text or JSON: the row is cleaned, the field reported, the stream goes on."""
    export = tmp_path / "people.csv"
    with export.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS.split(","))
        for i in range(1200):  # more than one batch, the NUL in the first
            row = good_row(i)
            if i == 3:
                row[7] = "Head of\x00 Buying"
                row[8] = "\x00"
            writer.writerow(row)
    result = CliRunner().invoke(
        app, ["mapping", "run", str(MAPPING), "--input", str(export), "--url", store_url, "--json"]
    )
    assert result.exit_code == 0, result.output
    from core.store import open_store

    with open_store(store_url) as store:
        people = {c.source_id: c.data for c in store.records.iter_canonical(system="files") if c.model == "Person"}
        raw = store.records.raw_of("files", "people", ["3"])["3"]
        problems = store.field_problems.list()
    assert len(people) == 1200
    assert people["3"]["job_title"] == "Head of Buying" and raw["job_title"] == "Head of Buying"
    assert {(p.source_id, p.field) for p in problems} >= {("3", "raw.job_title"), ("3", "raw.street")}
    assert all("NUL characters removed" in p.message for p in problems if p.source_id == "3")


class ReplayingConnector:
    """A files connector that yields every batch twice, as an API that repeats a page does."""

    def __init__(self, inner: FilesConnector) -> None:
        self.inner = inner
        self.system = inner.system

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        for batch in self.inner.pull(stream, cursor):
            yield batch
            yield batch


def test_a_first_load_that_meets_its_own_records_again_stores_each_once(tmp_path, store):
    export = tmp_path / "people.csv"
    bad = write_export(export, 300, 0.0)
    assert not bad
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(export), "batch_size": 100}]})
    connector = FilesConnector(config, name="files")
    summary = ingest_stream(
        ReplayingConnector(connector), "people", load_mapping(MAPPING), store, run_id=store.runs.start("sync")
    )
    assert (summary.inserted, summary.updated, summary.unchanged) == (300, 0, 300)
    assert count(store, SourceRecordRow) == 300
    assert count(store, CanonicalRecord, model="Person") == 300
    with store.engine.connect() as conn:
        keys = conn.execute(sa.text("SELECT count(*) FROM record_identifiers")).scalar_one()
    assert count(store, CanonicalRecord) == 330  # a Consent for each tenth person, who unsubscribed
    assert keys == 330 * 3  # external ID, email and phone of each model, once


def test_the_collector_is_paused_while_a_batch_is_stored_and_runs_again_after(tmp_path, store, monkeypatch):
    import gc

    from core.sync import ingest

    export = tmp_path / "people.csv"
    write_export(export, 50, 0.0)
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(export), "batch_size": 20}]})
    seen: list[bool] = []
    real = ingest._store_batch

    def watching(*args, **kwargs):
        seen.append(gc.isenabled())
        return real(*args, **kwargs)

    monkeypatch.setattr(ingest, "_store_batch", watching)
    ingest_stream(FilesConnector(config, name="files"), "people", load_mapping(MAPPING), store,
                  run_id=store.runs.start("sync"))  # fmt: skip
    assert seen == [False, False, False]
    assert gc.isenabled()


def test_a_large_batch_is_stored_in_parts_and_its_cursor_saved_once_all_of_them_are(tmp_path, store, monkeypatch):
    from core.sync import ingest

    export = tmp_path / "people.csv"
    bad = write_export(export, 250, 0.04)
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(export), "batch_size": 1000}]})
    connector, mapping = FilesConnector(config, name="files"), load_mapping(MAPPING)
    monkeypatch.setattr(ingest, "STORED_AT_ONCE", 100)
    parts: list[tuple[int, int]] = []
    real = ingest._store_batch

    def failing_in_the_second_part(batch, *args, **kwargs):
        parts.append((len(batch.records), len(batch.rejected)))
        if len(parts) == 2:
            raise RuntimeError("power cut")
        return real(batch, *args, **kwargs)

    monkeypatch.setattr(ingest, "_store_batch", failing_in_the_second_part)
    with pytest.raises(RuntimeError, match="power cut"):
        ingest_stream(connector, "people", mapping, store, run_id=store.runs.start("sync"))
    unreadable = sum(1 for kind in bad.values() if kind in {"no_id", "short_row"})  # the connector's own rejects
    assert parts == [(100, unreadable), (100, 0)]  # the rejects go with the first part
    assert count(store, SourceRecordRow) == 100 and store.cursors.get("files", "people") is None
    monkeypatch.setattr(ingest, "_store_batch", real)
    summary = ingest_stream(connector, "people", mapping, store, run_id=store.runs.start("sync"))
    assert summary.batches == 1 and summary.pulled == 250
    assert count(store, SourceRecordRow) == 250 - unreadable and store.cursors.get("files", "people") is not None
    assert count(store, ParkedRecord) == len(bad) - sum(1 for kind in bad.values() if kind == "bad_date")


def _write_rows(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS.split(","))
        writer.writerows(rows)
    return path


def _row(i: int, *, email: str | None = None, updated: str = "2024-05-01T10:00:00Z") -> list[str]:
    row = good_row(i)
    row[4], row[13] = email or row[4], updated
    return row


def _ingest(store, path: Path, *, batch_size: int = 1000, resume: bool = False):  # each file read whole
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(path), "batch_size": batch_size}]})
    return ingest_stream(FilesConnector(config, name="files"), "people", load_mapping(MAPPING), store,
                         run_id=store.runs.start("sync"), resume=resume)  # fmt: skip


def _stored_email(store, source_id: str) -> str:
    with store.engine.connect() as conn:
        raw = conn.execute(
            sa.select(SourceRecordRow.__table__.c.raw).where(SourceRecordRow.__table__.c.source_id == source_id)
        ).scalar_one()
    return str((raw if isinstance(raw, dict) else json.loads(raw))["email"])


def test_an_id_twice_in_one_batch_keeps_its_newest_row_and_the_counts_add_up(tmp_path, store):
    export = _write_rows(tmp_path / "people.csv", [
        _row(1, email="ann.new@example.com", updated="2024-06-01T10:00:00Z"),
        _row(2),
        _row(1, email="ann.old@example.com", updated="2023-01-01T10:00:00Z"),  # read last, changed first
        _row(3, email="bo.first@example.com", updated=""),
        _row(3, email="bo.second@example.com", updated=""),  # no time: the row read last wins
    ])  # fmt: skip
    summary = _ingest(store, export)
    assert (summary.pulled, summary.repeated, summary.inserted, summary.parked) == (5, 2, 3, 0)
    assert _stored_email(store, "1") == "ann.new@example.com"
    assert _stored_email(store, "3") == "bo.second@example.com"
    assert count(store, SourceRecordRow) == 3


def test_an_older_version_never_replaces_a_newer_one_and_a_repeated_id_across_batches_settles(tmp_path, store):
    newer = _write_rows(tmp_path / "new.csv", [_row(i, updated="2024-06-01T10:00:00Z") for i in range(5)])
    older = _write_rows(tmp_path / "old.csv", [_row(i, email=f"old{i}@example.com", updated="2019-01-01T10:00:00Z")
                                               for i in range(3)])  # fmt: skip
    _ingest(store, newer)
    summary = _ingest(store, older)
    assert (summary.older, summary.inserted, summary.updated) == (3, 0, 0)
    assert [_stored_email(store, str(i)) for i in range(3)] == [f"person{i}@example.com" for i in range(3)]

    far = _write_rows(tmp_path / "far.csv", [
        _row(100, email="far.new@example.com", updated="2024-07-01T10:00:00Z"),
        *[_row(i) for i in range(101, 110)],
        _row(100, email="far.old@example.com", updated="2024-01-01T10:00:00Z"),  # a batch later, and older
    ])  # fmt: skip
    first = _ingest(store, far, batch_size=4)
    again = _ingest(store, far, batch_size=4)
    assert _stored_email(store, "100") == "far.new@example.com"
    assert (first.older, again.older, again.inserted, again.updated, again.changed) == (1, 1, 0, 0, 0)


def test_a_parked_record_read_again_and_stored_is_no_longer_open(tmp_path, store):
    broken = _write_rows(tmp_path / "jan.csv", [_row(1), _row(2, email="u2@@example")])
    first = _ingest(store, broken)
    assert first.parked == 1 and store.parked.count("files", "people") == 1
    fixed = _write_rows(
        tmp_path / "jan.csv", [_row(1), _row(2, email="u2@example.com", updated="2024-05-02T10:00:00Z")]
    )
    second = _ingest(store, fixed)
    assert (second.parked, second.unparked) == (0, 1)
    assert store.parked.count("files", "people") == 0
    assert store.parked.count("files", "people", include_resolved=True) == 1


class ListingConnector:
    """A files connector whose last batch says the pass listed every live record (as Mixpanel's profiles do)."""

    def __init__(self, inner: FilesConnector) -> None:
        self.inner = inner
        self.system = inner.system

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        batches = list(self.inner.pull(stream, None))
        listed = frozenset(r.source_id for b in batches for r in b.records)
        *first, last = batches
        yield from first
        yield PullBatch(last.stream, last.records, last.cursor, last.rejected, listed=listed)


def _live(store) -> set[str]:
    return set(store.records.live_ids("files", "people"))


def test_records_a_complete_listing_leaves_out_are_stored_deleted_and_come_back_when_listed_again(tmp_path, store):
    export = tmp_path / "people.csv"
    write_export(export, 250, 0.0)
    config = FilesConfig.model_validate({"streams": [{"name": "people", "path": str(export), "batch_size": 100}]})
    mapping = load_mapping(MAPPING)

    def run() -> object:
        connector = ListingConnector(FilesConnector(config, name="files"))
        return ingest_stream(connector, "people", mapping, store, run_id=store.runs.start("sync"), resume=False)

    run()
    everyone = _live(store)
    assert len(everyone) == 250
    rows = export.read_text(encoding="utf-8").splitlines()
    kept = [rows[0], *(line for line in rows[1:] if not line.startswith(("7,", "8,", "201,")))]
    export.write_text("\n".join(kept) + "\n", encoding="utf-8")  # deleted in the system: no longer listed
    summary = run()
    assert everyone - _live(store) == {"7", "8", "201"}
    assert summary.deleted == 3  # type: ignore[attr-defined]
    gone = store.records.get_source("files", "people", "201")
    assert gone is not None and gone.deleted and gone.raw["id"] == "201"  # its stored version, marked deleted
    changed = {key for key in store.records.changed_since(gone.last_seen_at) if key[3] == "Person"}
    assert {key[2] for key in changed} >= {"7", "8", "201"}  # identity hears of it (the link goes)
    again = run()
    assert again.deleted == 0 and _live(store) == everyone - {"7", "8", "201"}  # type: ignore[attr-defined]
    export.write_text("\n".join(rows) + "\n", encoding="utf-8")  # made again in the system
    run()
    assert _live(store) == everyone
