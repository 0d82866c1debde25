from __future__ import annotations

import time

import pytest

from core.store import UpsertCounts, open_store

from .helpers import record


@pytest.mark.slow
def test_100k_source_and_canonical_rows_store_in_seconds(tmp_path):
    records = [record(str(i), email=f"p{i}@example.com", name=f"Person {i}", n=i) for i in range(100_000)]
    canonical = [(r, "Person", 0, {"email": r.raw["email"], "name": r.raw["name"]}) for r in records]
    with open_store(f"sqlite:///{tmp_path / 'bulk.db'}") as store:
        started = time.perf_counter()
        assert store.records.upsert_source(records, run_id="r1") == UpsertCounts(inserted=100_000)
        assert store.records.upsert_canonical(canonical, run_id="r1") == UpsertCounts(inserted=100_000)
        first = time.perf_counter() - started
        started = time.perf_counter()
        assert store.records.upsert_source(records, run_id="r2") == UpsertCounts(unchanged=100_000)
        again = time.perf_counter() - started
    # generous bounds for slow CI machines; typical: ~5 s and ~1.5 s on one core
    assert first < 30
    assert again < 15
