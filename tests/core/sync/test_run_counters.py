"""A run that stops before its end keeps the counts of what it did: stopped by a signal, failed, or killed."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import core.sync.lifecycle as lifecycle
from connectors.base import Cursor, PullBatch
from connectors.files import FilesConnector
from core.cli import app
from core.errors import ConnectorError
from core.store import open_store
from core.sync.lifecycle import RunContext, RunKind
from tests.core.sync.test_lifecycle import MAPPING, write_people
from tests.support.sandboxes import synced_project


def _stored(url: str, system: str | None = None) -> int:
    with open_store(url) as store:
        return sum(1 for _ in store.records.iter_source(system=system))


def test_an_import_that_fails_halfway_keeps_the_counts_of_the_batches_it_stored(tmp_path, monkeypatch):
    people = write_people(tmp_path / "people.csv", 2500)  # batches of 1,000: two stored, then the disk fails
    pull = FilesConnector.pull

    def failing(self: FilesConnector, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        for n, batch in enumerate(pull(self, stream, cursor)):
            if n == 2:
                raise ConnectorError("the export's disk went away", hint="mount it again")
            yield batch

    monkeypatch.setattr(FilesConnector, "pull", failing)
    url = f"sqlite:///{tmp_path / 'store.db'}"
    result = CliRunner().invoke(app, ["mapping", "run", str(MAPPING), "-i", str(people), "--url", url])
    assert result.exit_code == 3, result.output
    with open_store(url) as store:
        (run,) = store.runs.list(kind="import")
    assert run.status == "failed"
    assert _stored(url) == 2000
    assert (run.counters["pulled"], run.counters["stored"]) == (2000, 2000)


def test_the_heartbeat_records_the_counts_so_far_so_a_killed_run_keeps_them(tmp_path, monkeypatch):
    monkeypatch.setattr(lifecycle, "HEARTBEAT_EVERY", timedelta(seconds=0.05))
    done = {"pulled": 0}
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store, RunContext(store, RunKind.IMPORT) as run:
        run.count_from(lambda: dict(done))
        run.count(lifecycle.Counter.REJECTED, 2)
        done["pulled"] = 700
        deadline = time.monotonic() + 10
        while (store.runs.get(run.run_id).counters or {}).get("pulled") != 700 and time.monotonic() < deadline:
            time.sleep(0.02)
        seen = store.runs.get(run.run_id)
        assert (seen.status, seen.counters) == ("started", {"pulled": 700, "rejected": 2})  # recorded while it runs
        done["pulled"] = 900
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        (finished,) = store.runs.list()
    assert finished.counters == {"pulled": 900, "rejected": 2}  # and at its end, added once


@pytest.mark.slow
def test_a_sync_stopped_by_sigterm_inside_a_stream_records_what_it_pulled_and_stored(tmp_path: Path):
    with synced_project(tmp_path, records=20, seed=4) as env:
        stopped = env.subprocess("sync", "run", env={"CONTACTPOINT_FAILPOINTS": "ingest.cursor_saved:3=term"})
        assert stopped.returncode == 143, stopped.stderr[-2000:]
        with open_store(env.url) as store:
            (run,) = store.runs.list(kind="sync")
        stored = _stored(env.url)
        assert run.status == "interrupted"
        assert stored > 0
        assert run.counters["stored"] == stored  # every record stored before the stop, the stream it was in too
        assert run.counters["pulled"] >= stored
