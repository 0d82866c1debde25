"""The lean insert path of a stream that was empty when the run began: same rows, same counts, no clash."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

from core.store import UpsertCounts, open_store

from .helpers import record, snapshot


def _records(n: int, **extra):
    return [record(str(i), email=f"p{i}@example.com", tags=["a", "b"], note='é ✓ "quoted"', **extra) for i in range(n)]


def _canonical(records):
    return [(r, "Person", 0, {"email": r.raw["email"], "updated_at": "2024-04-30T12:00:00+00:00"}) for r in records]


def test_fresh_inserts_store_the_rows_the_upsert_stores(store_url, fixed_clock, tmp_path):
    records = _records(2500)
    records[7] = replace(records[7], updated_at=datetime(2024, 5, 1, 9, tzinfo=timezone(timedelta(hours=2))))
    other = f"sqlite:///{tmp_path / 'reference.db'}"
    tables = ("source_records", "canonical_records")
    with open_store(store_url, clock=fixed_clock) as store:
        assert store.records.stream_is_empty("hubspot", "contacts")
        counts = store.records.upsert_source(records, run_id="run-1", fresh=True)
        changed: list[tuple] = []
        canonical = store.records.upsert_canonical(_canonical(records), run_id="run-1", changed=changed, fresh=True)
        fresh_rows = {t: [row[1:] for row in snapshot(store, t)] for t in tables}
        assert not store.records.stream_is_empty("hubspot", "contacts")
        again = store.records.upsert_source(records, run_id="run-2")
    with open_store(other, clock=fixed_clock) as reference:
        reference.records.upsert_source(records, run_id="run-1")
        reference.records.upsert_canonical(_canonical(records), run_id="run-1")
        upserted = {t: [row[1:] for row in snapshot(reference, t)] for t in tables}
    assert counts == UpsertCounts(inserted=2500)
    assert canonical == UpsertCounts(inserted=2500)
    assert sorted(changed) == sorted(("hubspot", "contacts", str(i), "Person", 0) for i in range(2500))
    assert again == UpsertCounts(unchanged=2500)  # the hashes the lean path stored are the upsert's
    if store_url.startswith("sqlite"):  # both stores are SQLite: every column byte for byte
        assert fresh_rows == upserted
    else:
        assert len(fresh_rows["source_records"]) == len(upserted["source_records"]) == 2500


def test_a_record_stored_during_the_run_falls_back_to_the_upsert(store_url, fixed_clock):
    first, second = _records(10), _records(10)
    second[3] = record("3", email="changed@example.com")
    with open_store(store_url, clock=fixed_clock) as store:
        store.records.upsert_source(first[:5], run_id="run-1", fresh=True)
        counts = store.records.upsert_source(second, run_id="run-1", fresh=True)  # 0-4 stored: a clash
        row = store.records.get_source("hubspot", "contacts", "3")
        rows = snapshot(store, "source_records")
    assert counts == UpsertCounts(inserted=5, updated=1, unchanged=4)
    assert row is not None and row.raw["email"] == "changed@example.com"
    assert len(rows) == 10


def test_duplicates_within_a_fresh_batch_keep_the_last(store_url, fixed_clock):
    records = [record("1", email="old@example.com"), record("2"), record("1", email="new@example.com")]
    with open_store(store_url, clock=fixed_clock) as store:
        counts = store.records.upsert_source(records, run_id="run-1", fresh=True)
        row = store.records.get_source("hubspot", "contacts", "1")
    assert counts == UpsertCounts(inserted=2)
    assert row is not None and row.raw["email"] == "new@example.com"


def test_fresh_identifiers_fall_back_when_a_record_has_some_stored(store_url):
    key = record("1")
    with open_store(store_url) as store:
        store.identifiers.replace([(key, [("Person", "email:a@example.com")])], fresh=True)
        pairs = [("Person", "email:a@example.com"), ("Person", "email:c@example.com")]
        store.identifiers.replace([(key, pairs)], fresh=True)  # a@ is stored: a clash, so the record is replaced
        rows = sorted(row[1:] for row in snapshot(store, "record_identifiers"))
    assert rows == [("hubspot", "contacts", "1", "Person", f"email:{x}@example.com") for x in "ac"]


def test_timestamps_are_stored_in_utc(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as store:
        store.records.upsert_source(_records(1), run_id="run-1", fresh=True)
        row = store.records.get_source("hubspot", "contacts", "0")
    assert row is not None
    assert row.first_seen_at == fixed_clock.now
    assert row.updated_at == datetime(2024, 4, 30, 12, 0, tzinfo=UTC)
