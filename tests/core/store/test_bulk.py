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
