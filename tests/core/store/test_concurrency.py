from __future__ import annotations

import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

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


_OPEN = """
import sys
from core.errors import StoreError
from core.store import open_store
try:
    open_store(sys.argv[1]).close()
except StoreError as err:
    print(err.message)
    raise SystemExit(5) from None
"""


@pytest.mark.slow
@pytest.mark.soak
def test_two_processes_opening_one_new_sqlite_store_at_once_both_open_it(tmp_path):
    """Both ask to turn the new file to WAL; SQLite refuses one at once, whatever its busy timeout."""
    root = Path(__file__).resolve().parents[3]
    refused = []
    for round_ in range(30):
        url = f"sqlite:///{tmp_path / f'store{round_}.db'}"
        procs = [
            subprocess.Popen([sys.executable, "-c", _OPEN, url], cwd=root, text=True, stdout=subprocess.PIPE)
            for _ in range(2)
        ]
        refused += [out for p in procs if (out := p.communicate(timeout=120)[0]) or p.returncode != 0]
    assert refused == []
