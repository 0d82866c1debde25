"""``contactpoint schedule run|list``: jobs on their triggers, in the run ledger, never overlapping, stopped by SIGTERM."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from structlog.testing import capture_logs
from typer.testing import CliRunner

from core.cli import app
from core.config import load_project, project_store_url
from core.errors import RetryableError
from core.store import open_store
from core.sync import scheduler
from core.sync.lifecycle import RunContext, RunKind
from core.sync.run import sync_jobs

ROOT = Path(__file__).resolve().parents[3]


def _project(folder: Path, schedules: list[dict[str, Any]]) -> Path:
    """A project with one files system (the bundled people export) and ``schedules``."""
    shutil.copyfile(ROOT / "samples" / "people.csv", folder / "people.csv")
    project = {
        "version": 1,
        "store": {"url": f"sqlite:///{folder / 'cp.db'}"},
        "systems": {
            "crm_export": {
                "kind": "files",
                "mapping": str(ROOT / "mappings" / "files.yaml"),
                "settings": {"streams": [{"name": "people", "path": "people.csv", "id_field": "id"}]},
            }
        },
        "schedules": schedules,
    }
    path = folder / "contactpoint.yaml"
    path.write_text(yaml.safe_dump(project, sort_keys=False), encoding="utf-8")
    return path


def _runs(config: Path) -> list[Any]:
    with open_store(project_store_url(load_project(config))) as store:
        return list(store.runs.list(kind="sync"))


def test_schedule_list_shows_each_jobs_trigger_last_run_and_next_run(tmp_path):
    config = _project(tmp_path, [{"name": "nightly", "cron": "0 2 * * *", "timezone": "Europe/Berlin"},
                                 {"name": "often", "every": "15m"}])  # fmt: skip
    before = CliRunner().invoke(app, ["schedule", "list", "--config", str(config), "--json"])
    assert before.exit_code == 0, before.output
    jobs = {job["name"]: job for job in json.loads(before.stdout)}
    assert jobs["nightly"]["trigger"] == "cron 0 2 * * * (Europe/Berlin)" and jobs["often"]["trigger"] == "every 15m"
    assert jobs["nightly"]["last_run"] is None and jobs["nightly"]["last_status"] is None
    nightly = datetime.fromisoformat(jobs["nightly"]["next_run"])
    assert nightly > datetime.now(UTC) and (nightly.astimezone(UTC).hour, nightly.minute) in {(0, 0), (1, 0)}
    assert jobs["often"]["next_run"] is not None  # 02:00 in Berlin is 00:00 or 01:00 UTC, by the season

    scheduler.run_job(str(config), "often")  # as APScheduler calls it
    after = CliRunner().invoke(app, ["schedule", "list", "--config", str(config), "--json"])
    jobs = {job["name"]: job for job in json.loads(after.stdout)}
    (run,) = _runs(config)
    assert (jobs["often"]["last_run"], jobs["often"]["last_status"]) == (run.run_id, "succeeded")
    assert run.job == "often" and run.counters["pulled"] > 0
    assert jobs["nightly"]["last_run"] is None  # the other job's runs are its own


def test_a_scheduled_job_is_skipped_while_the_same_job_runs_by_hand(tmp_path, monkeypatch):
    config = _project(tmp_path, [{"name": "often", "every": "15m"}])
    project = load_project(config)
    monkeypatch.setattr(scheduler, "JOB_WAIT_SECONDS", 0.2)
    with (
        open_store(project_store_url(project)) as store,
        RunContext(store, RunKind.SYNC, jobs=sync_jobs(project, ["crm_export"])),
        capture_logs() as logs,
    ):
        scheduler.run_job(str(config), "often")
    (skipped,) = [e for e in logs if e["event"] == "schedule.job_skipped"]
    assert skipped["job"] == "often" and "sync" in skipped["reason"]
    statuses = {r.job: r.status for r in _runs(config)}
    assert statuses["often"] == "refused" and statuses[None] == "succeeded"  # the scheduled run did no work


def test_a_scheduled_job_whose_system_fails_logs_what_to_do_without_a_traceback(tmp_path, monkeypatch):
    from connectors.files.connector import FilesConnector

    def unreachable(self, *args, **kwargs):
        raise RetryableError("export share unreachable: connection refused", hint="is the share mounted?")

    config = _project(tmp_path, [{"name": "often", "every": "15m"}])
    monkeypatch.setattr(FilesConnector, "pull", unreachable)
    with capture_logs() as logs:
        scheduler.run_job(str(config), "often")  # returns: the scheduler goes on to the next trigger
    (failed,) = [e for e in logs if e["event"] == "schedule.job_failed"]
    assert "exc_info" not in failed and failed["job"] == "often"
    assert failed["failed_systems"] == {"crm_export": "pull: export share unreachable: connection refused"}
    assert failed["hint"].startswith("check each failed system") and failed["pulled"] == 0
    (down,) = [e for e in logs if e["event"] == "sync.system_failed"]
    assert down["hint"] == "is the share mounted?"
    (run,) = _runs(config)
    assert run.status == "failed" and run.job == "often"


@pytest.mark.slow
def test_schedule_run_runs_a_job_on_its_interval_keeps_it_in_the_store_and_stops_on_sigterm(tmp_path):
    config = _project(tmp_path, [{"name": "every-second", "every": "1s"}])
    process = subprocess.Popen(
        [sys.executable, "-c", "from core.cli import main; main()", "schedule", "run", "--config", str(config)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=dict(os.environ),
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len([r for r in _runs(config) if r.status != "started"]) < 2:
            time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    finally:
        process.kill()
    assert process.returncode == 0, err[-2000:]
    runs = _runs(config)
    assert len(runs) >= 2 and {r.job for r in runs} == {"every-second"}
    assert all(r.status in {"succeeded", "partial", "interrupted"} for r in runs), [r.status for r in runs]
    assert "schedule.stopping" in err and "SIGTERM" in err and "scheduler stopped after" in out
    with open_store(project_store_url(load_project(config))) as store, store.database.connection() as conn:
        stored = conn.execute(sa.text("SELECT id FROM scheduler_jobs")).scalars().all()
    assert stored == ["every-second"]  # APScheduler's job store is the store's own table


def _listed(config: Path) -> list[scheduler.ScheduledJob]:
    project = load_project(config)
    with open_store(project_store_url(project)) as store:
        return scheduler.describe_jobs(project, store, now=datetime.now(UTC))


def _stored_jobs(config: Path) -> list[str]:
    with open_store(project_store_url(load_project(config))) as store, store.database.connection() as conn:
        return [str(i) for (i,) in conn.execute(sa.text("SELECT id FROM scheduler_jobs"))]


@pytest.mark.slow
def test_a_run_missed_while_the_scheduler_was_stopped_starts_once_within_its_grace_and_not_after(tmp_path):
    config = _project(tmp_path, [{"name": "often", "every": "2s", "misfire_grace_seconds": 30}])
    before = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    assert scheduler.run_scheduler(config, until=0.5) == 0  # stored; its first run is 2 s away
    assert {n: signal.getsignal(n) for n in before} == before  # its signal handlers are put back
    time.sleep(4.5)  # stopped while two runs came due: one run when it starts again, at once
    (listed,) = _listed(config)
    assert listed.next_run is not None and listed.next_run <= datetime.now(UTC)  # due now, as the stored job says
    assert listed.note is not None and "missed while the scheduler was stopped" in listed.note
    assert scheduler.run_scheduler(config, until=0.8) == 1
    assert [r.job for r in _runs(config)] == ["often"]

    late = _project(tmp_path, [{"name": "often", "every": "4s", "misfire_grace_seconds": 1}])
    assert scheduler.run_scheduler(late, until=0.3) == 0  # changed: stored afresh, next run in 4 s
    time.sleep(5.7)  # missed by about 2 s, more than its grace of 1 s: dropped, not run late (the next is in 2 s)
    (listed,) = _listed(late)
    assert listed.note is not None and "dropped" in listed.note
    away = (listed.next_run - datetime.now(UTC)).total_seconds() if listed.next_run else -1
    assert 0 < away < 3.5  # on the stored job's times (about 2 s away), not 4 s from now as a fresh trigger would say
    assert scheduler.run_scheduler(late, until=0.5) == 0
    assert len(_runs(config)) == 1

    changed = _project(tmp_path, [{"name": "daily", "every": "1d"}])  # a job no longer declared is removed
    assert scheduler.run_scheduler(changed, until=0.3) == 0
    assert _stored_jobs(changed) == ["daily"]
