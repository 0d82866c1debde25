"""Killed at points chosen from the store's own progress, then run again: the same store as an uninterrupted run.

Each kill is ``SIGKILL`` at a failpoint (``core.failpoints``) in a child process: nothing
is flushed, no handler runs. The rerun must end with the store an uninterrupted run
gives, compared record by record (``tests.support.snapshot``), on SQLite and PostgreSQL.
"""

from __future__ import annotations

import signal

import pytest

from core.store import open_store
from tests.core.sync.test_lifecycle import MAPPING, cli, write_people
from tests.support.snapshot import snapshot

pytestmark = [pytest.mark.slow, pytest.mark.soak]

KILLED = -signal.SIGKILL


def _fill(url: str, people, *, kill: str | None = None) -> None:
    env = {"CONTACTPOINT_FAILPOINTS": kill} if kill else None
    result = cli("mapping", "run", str(MAPPING), "-i", str(people), "--url", url, env=env)
    assert result.returncode == (KILLED if kill else 0), result.stderr


def _resolve(url: str, *, kill: str | None = None) -> None:
    env = {"CONTACTPOINT_FAILPOINTS": kill} if kill else None
    result = cli("identity", "resolve", "--store", "--url", url, env=env)
    assert result.returncode == (KILLED if kill else 0), result.stderr


@pytest.fixture(scope="module")
def people(tmp_path_factory):
    return write_people(tmp_path_factory.mktemp("kills") / "people.csv", 2600)


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory, people):
    url = f"sqlite:///{tmp_path_factory.mktemp('whole') / 'whole.db'}"
    _fill(url, people)
    _resolve(url)
    with open_store(url) as store:
        return snapshot(store)


@pytest.mark.parametrize("point", ["ingest.batch_stored:1", "ingest.batch_stored:3", "ingest.cursor_saved:2"])
def test_an_import_killed_mid_stream_resumes_without_duplicates_or_gaps(point, store_url, people, uninterrupted):
    _fill(store_url, people, kill=point)
    _fill(store_url, people)
    _resolve(store_url)
    with open_store(store_url) as store:
        found = snapshot(store)
        (killed, *_) = sorted(store.runs.list(kind="import"), key=lambda r: r.started_at)
    assert found == uninterrupted
    assert killed.status == "abandoned"  # the rerun found the killed run and said so


@pytest.mark.parametrize(
    "point", ["identity.resolved", "identity.profiles_written", "identity.links_written", "identity.written"]
)
def test_a_resolution_killed_while_writing_leaves_no_profile_without_records(point, store_url, people, uninterrupted):
    _fill(store_url, people)
    _resolve(store_url, kill=point)
    with open_store(store_url) as store:
        half = snapshot(store)
    assert half["profiles_without_records"] == []  # nothing or everything of the resolution landed
    assert half["profiles"] in ([], uninterrupted["profiles"])
    _resolve(store_url)
    with open_store(store_url) as store:
        assert snapshot(store) == uninterrupted


def test_profiles_orphaned_by_an_older_version_are_retired_on_the_next_resolution(store_url, people, uninterrupted):
    _fill(store_url, people)
    _resolve(store_url)
    with open_store(store_url) as store:  # as an older version left them: profiles written, links not
        from core.store import ProfileInput

        store.profiles.upsert(
            [ProfileInput(f"cp_orphan{i:04d}", {"email": {"value": "x"}}) for i in range(5)], run_id=None
        )
        assert len(snapshot(store)["profiles_without_records"]) == 5
    _resolve(store_url)
    with open_store(store_url) as store:
        found = snapshot(store)
        assert store.profiles.count_by_status()["retired"] == 5
    assert found == uninterrupted
