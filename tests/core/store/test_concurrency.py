from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from core.store import UpsertCounts, open_store

from .helpers import record


def test_two_writers_on_one_sqlite_file_queue_instead_of_failing(tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    open_store(url).close()

    def load(offset: int) -> UpsertCounts:
        with open_store(url, migrate=False) as store:
            total = UpsertCounts()
            for start in range(offset, offset + 3000, 300):
                batch = [record(str(i), n=i) for i in range(start, start + 300)]
                total += store.records.upsert_source(batch, run_id=f"r{offset}")
                store.cursors.save("hubspot", "contacts", {"at": start}, run_id=f"r{offset}")
            return total

    with ThreadPoolExecutor(max_workers=2) as pool:
        results = list(pool.map(load, [0, 3000]))
    assert results == [UpsertCounts(inserted=3000), UpsertCounts(inserted=3000)]
    with open_store(url) as store:
        assert store.counts()["source_records"] == 6000
