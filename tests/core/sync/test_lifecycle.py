"""Every work command records its run from start to end: failed with the error, interrupted on a signal,
abandoned when killed; two runs of one job never overlap."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.cli import app
from core.errors import JobBusyError, StoreError
from core.store import open_store
from core.sync.lifecycle import IDENTITY_JOB, RunContext, RunKind, job_for_stream
from tests.support.snapshot import snapshot

ROOT = Path(__file__).resolve().parents[3]
MAPPING = ROOT / "mappings" / "files.yaml"


def write_people(path: Path, n: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "first_name", "last_name", "email", "date_of_birth", "updated_at"])
        for i in range(n):
            writer.writerow(
                [i, f"Ann{i % 97}", f"Lee{i % 89}", f"p{i}@example.com", "1980-01-02", "2024-05-01T10:00:00Z"]
            )
    return path


def cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from core.cli import main; main()", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
        timeout=300,
    )


# -- a crash inside any work command leaves its run failed, with the error -----------------------------

CRASHES = {
    "import": ("core.commands.mapping_run.ingest_stream", ["mapping", "run", str(MAPPING), "-i", "{people}"]),
    "identity": ("core.commands.identity_store_cmd.resolve_store", ["identity", "resolve", "--store"]),
    "identity-merge": ("core.commands.identity_store_cmd.merge_profiles", ["identity", "merge", "cp_a", "cp_b"]),
    "identity-split": (
        "core.commands.identity_store_cmd.split_profile",
        ["identity", "split", "cp_a", "--records", "x"],
    ),
    "demo": ("core.commands.demo_cmd.run_sync", ["demo", "--records", "10", "--dir", "{dir}"]),
}


@pytest.mark.parametrize("kind", sorted(CRASHES))
@pytest.mark.parametrize("error", [RuntimeError("disk on fire"), StoreError("disk on fire", hint="check the disk")])
def test_a_crash_inside_every_work_command_marks_its_run_failed_with_the_error(kind, error, tmp_path, monkeypatch):
    target, args = CRASHES[kind]

    def crash(*_args, **_kwargs):
        raise error

    monkeypatch.setattr(target, crash)
    people = write_people(tmp_path / "people.csv", 5)
    url = f"sqlite:///{tmp_path / 'demo.db'}" if kind == "demo" else f"sqlite:///{tmp_path / 'store.db'}"
    argv = [a.format(people=people, dir=tmp_path) for a in args] + ([] if kind == "demo" else ["--url", url])
    result = CliRunner().invoke(app, argv)
    assert result.exit_code != 0
    with open_store(url) as store:
        (run,) = store.runs.list(kind=kind)
    assert (run.status, run.error, run.error_type) == ("failed", "disk on fire", type(error).__name__)
    assert run.finished_at is not None


# -- two runs of one job never overlap --------------------------------------------------------------------


def test_a_second_run_of_a_held_job_is_refused_naming_the_holder(store):
    with RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB]) as first:
        with pytest.raises(JobBusyError) as refused, RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB]):
            pass
        assert first.run_id in refused.value.message and refused.value.exit_code == 6
        with RunContext(store, RunKind.IMPORT, jobs=[job_for_stream("files", "people")]):
            pass  # another job runs beside it
    with RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB]):
        pass  # released at the end of the first
    statuses = [r.status for r in store.runs.list(kind="identity")]
    assert sorted(statuses) == ["refused", "succeeded", "succeeded"]  # the refused one did nothing: not a failure
    assert store.locks.list() == []


def test_a_run_paused_until_another_took_its_job_stops_at_its_next_check_and_leaves_the_job_to_it(store):
    import sqlalchemy as sa

    from core.errors import LockLost
    from core.store.tables import JobLock

    with pytest.raises(LockLost) as lost, RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB]) as paused:
        paused.check_stop()  # holding its job: nothing to stop for
        with store.database.transaction() as conn:  # what a takeover of a run silent for minutes does
            conn.execute(sa.update(JobLock.__table__).values(run_id="sync-newcomer", pid=1, host="elsewhere"))
        paused._last_beat -= 3600  # the process was stopped for an hour: the next check sees its beat is overdue
        paused.check_stop()
    assert "'identity' by run sync-newcomer" in lost.value.message and lost.value.exit_code == 6
    ((run), *_) = store.runs.list(kind="identity")
    assert run.status == "interrupted" and "taken for dead" in (run.error or "")
    (lock,) = store.locks.list()
    assert lock.run_id == "sync-newcomer"  # the job stays with the run that holds it now


def test_closing_the_terminal_stops_a_run_after_its_batch_as_sigterm_does():
    from core.sync.lifecycle import _SIGNALS

    assert {signal.SIGTERM, signal.SIGINT, signal.SIGHUP} <= set(_SIGNALS)


def test_the_cli_refuses_a_second_run_with_exit_6_and_waits_when_asked(store_url, tmp_path):
    people = write_people(tmp_path / "people.csv", 20)
    with open_store(store_url) as store, RunContext(store, RunKind.IMPORT, jobs=[job_for_stream("files", "people")]):
        refused = cli("mapping", "run", str(MAPPING), "-i", str(people), "--url", store_url)
        waited = cli("mapping", "run", str(MAPPING), "-i", str(people), "--url", store_url, "--wait", "0.3")
        other = cli("identity", "resolve", "--store", "--url", store_url)
    assert refused.returncode == 6 and "two runs of one job never overlap" in refused.stderr
    assert "hint:" in refused.stderr and "Traceback" not in refused.stderr
    assert waited.returncode == 6
    assert other.returncode == 0, other.stderr
    with open_store(store_url) as store:
        assert store.records.get_source("files", "people", "3") is None  # the refused runs did nothing


HOLDER = textwrap.dedent(
    """
    import sys
    from core.store import open_store
    from core.sync.lifecycle import RunContext, RunKind
    with open_store(sys.argv[1]) as store, RunContext(store, RunKind.IDENTITY, jobs=["identity"]) as run:
        print("RUN", run.run_id, flush=True)
        sys.stdin.readline()
    """
)


def test_a_job_left_by_a_killed_process_is_taken_over_and_its_run_found_abandoned(store_url):
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, store_url], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT
    )
    dead_run = next(line.split()[1] for line in holder.stdout if line.startswith("RUN "))
    holder.kill()
    holder.wait()
    with open_store(store_url) as store:
        with RunContext(store, RunKind.IDENTITY, jobs=[IDENTITY_JOB]) as run:
            (lock,) = store.locks.list()
            assert lock.run_id == run.run_id
        dead = store.runs.get(dead_run)
    assert dead is not None and dead.status == "abandoned"
    assert "ended without finishing" in (dead.error or "")


# -- a signal finishes the batch, records the run as interrupted and exits 130/143 -----------------------


@pytest.mark.slow
@pytest.mark.soak
@pytest.mark.parametrize(("how", "code"), [("term", 143), ("int", 130)])
def test_a_signal_stops_after_the_batch_and_a_rerun_completes_the_work(how, code, store_url, tmp_path):
    people = write_people(tmp_path / "people.csv", 3500)  # 4 batches of 1,000
    args = ["mapping", "run", str(MAPPING), "-i", str(people), "--url", store_url]
    stopped = cli(*args, env={"CONTACTPOINT_FAILPOINTS": f"ingest.cursor_saved:2={how}"})
    assert stopped.returncode == code, stopped.stderr
    assert f"stopped by SIG{how.upper()}" in stopped.stderr and "run the same command again" in stopped.stderr
    with open_store(store_url) as store:
        (run,) = store.runs.list(kind="import")
        assert run.status == "interrupted" and run.error_type == "RunInterrupted"
        assert store.cursors.get("files", "people")["line"] == 2001  # two whole batches, nothing half-done
        assert len(list(store.records.iter_source(system="files"))) == 2000
        assert store.locks.list() == []
    again = cli(*args)
    assert again.returncode == 0, again.stderr
    whole = f"sqlite:///{tmp_path / 'whole.db'}"
    assert cli("mapping", "run", str(MAPPING), "-i", str(people), "--url", whole).returncode == 0
    with open_store(store_url) as resumed, open_store(whole) as uninterrupted:
        assert snapshot(resumed) == snapshot(uninterrupted)


def test_a_second_signal_stops_at_once(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    with pytest.raises(KeyboardInterrupt), RunContext(store, RunKind.IMPORT) as run:
        os.kill(os.getpid(), signal.SIGTERM)
        assert run.stop_requested
        os.kill(os.getpid(), signal.SIGTERM)
    (found,) = store.runs.list()
    assert found.status == "interrupted"
    store.close()


# -- two runs started at once: one does the work, the other refuses; nothing doubled -----------------


def _at_once(*commands: list[str]) -> list[subprocess.CompletedProcess[str]]:
    procs = [
        subprocess.Popen([sys.executable, "-c", "from core.cli import main; main()", *args], cwd=ROOT, text=True,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for args in commands
    ]  # fmt: skip
    return [subprocess.CompletedProcess(p.args, p.wait(timeout=300), *p.communicate()) for p in procs]


@pytest.mark.slow
@pytest.mark.soak
def test_two_resolutions_or_two_imports_started_at_once_never_double_the_work(store_url, tmp_path):
    people = write_people(tmp_path / "people.csv", 3000)
    imports = _at_once(*[["mapping", "run", str(MAPPING), "-i", str(people), "--url", store_url, "--json"]] * 2)
    assert sorted(r.returncode for r in imports) in ([0, 0], [0, 6]), [r.stderr[-500:] for r in imports]
    resolutions = _at_once(*[["identity", "resolve", "--store", "--url", store_url, "--json"]] * 2)
    codes = sorted(r.returncode for r in resolutions)
    assert codes in ([0, 0], [0, 6]), [r.stderr[-500:] for r in resolutions]
    for refused in (r for r in imports + resolutions if r.returncode == 6):  # under --json, the error is JSON
        error = json.loads(refused.stdout)["error"]
        assert error["exit_code"] == 6 and "two runs of one job never overlap" in error["hint"] + error["message"]
    with open_store(store_url) as store:
        active = store.profiles.count_by_status().get("active", 0)
        linked = {link.profile_id for link in store.links.iter()}
        assert store.counts()["source_records"] == 3000
    assert active == len(linked) <= 3000  # every active profile holds records; none doubled
    again = cli("identity", "resolve", "--store", "--url", store_url, "--json")
    assert again.returncode == 0, again.stderr
    with open_store(store_url) as store:
        assert store.profiles.count_by_status().get("active", 0) == active  # the rerun finds the same profiles
