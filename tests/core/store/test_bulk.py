from __future__ import annotations

import pytest

from core.store import UpsertCounts, open_store

from .helpers import record


@pytest.mark.slow
def test_many_source_and_canonical_rows_store_once_and_a_rerun_changes_nothing(tmp_path):
    # how fast lives in bench/mapping.py; this checks the counts at a batch-spanning size
    records = [record(str(i), email=f"p{i}@example.com", name=f"Person {i}", n=i) for i in range(30_000)]
    canonical = [(r, "Person", 0, {"email": r.raw["email"], "name": r.raw["name"]}) for r in records]
    with open_store(f"sqlite:///{tmp_path / 'bulk.db'}") as store:
        assert store.records.upsert_source(records, run_id="r1") == UpsertCounts(inserted=30_000)
        assert store.records.upsert_canonical(canonical, run_id="r1") == UpsertCounts(inserted=30_000)
        assert store.records.upsert_source(records, run_id="r2") == UpsertCounts(unchanged=30_000)
        assert store.counts()["source_records"] == 30_000


def test_many_chunks_written_at_once_store_every_row_converted_as_one_write_would(store):
    """``write_all`` (one ``COPY`` on PostgreSQL) stores what ``write`` stores chunk by chunk, and counts it."""
    from datetime import UTC, datetime, timedelta

    from core.errors import StoreError
    from core.store.bulk import prepare
    from core.store.tables import Run

    table = Run.__table__  # type: ignore[attr-defined]
    start = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)
    rows = [
        (f"run-{i:04d}", "import", "succeeded", start + timedelta(seconds=i), {"pulled": i}, {}) for i in range(2_345)
    ]
    chunks = [rows[i : i + 1_000] for i in range(0, len(rows), 1_000)]
    columns = ("run_id", "kind", "status", "started_at", "counters", "api_usage")  # times and JSON converted
    with store.database.transaction() as conn:
        assert prepare(conn, table, columns).write_all(iter(chunks)) == len(rows)
        assert prepare(conn, table, columns).write_all(iter([])) == 0
    found = {r.run_id: (r.started_at, r.counters) for r in store.runs.list(limit=5_000)}
    assert len(found) == len(rows) and found["run-2344"] == (start + timedelta(seconds=2_344), {"pulled": 2_344})
    with pytest.raises(StoreError), store.database.transaction() as conn:
        prepare(conn, table, columns).write_all(iter([rows[:2], rows[1:3]]))  # a row of the second chunk is there
