"""``contactpoint schedule run|list``: the jobs contactpoint.yaml declares, run on their schedules.

contactpoint schedule run  [--config FILE] [--for SECONDS]   until SIGTERM or Ctrl-C (or SECONDS)
contactpoint schedule list [--config FILE] [--json]          each job: trigger, last run, next run
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from core.commands.common import console, errors_to_exit, print_json
from core.config import DEFAULT_PATH, load_project, project_store_url
from core.store import open_store

ConfigOption = Annotated[Path, typer.Option("--config", "-c", help="Project file.")]


def run_command(
    config: ConfigOption = DEFAULT_PATH,
    seconds: Annotated[
        float | None, typer.Option("--for", min=1, help="Stop after this many seconds (default: until SIGTERM).")
    ] = None,
) -> None:
    """Run the declared jobs on their schedules until stopped; a stop lets the running job finish its batch."""
    from core.sync.scheduler import run_scheduler  # the scheduler is loaded only by this command

    with errors_to_exit():
        ran = run_scheduler(config, until=seconds)
    console.print(f"scheduler stopped after {ran} job run(s)", markup=False)


def list_command(
    config: ConfigOption = DEFAULT_PATH,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List each declared job: its trigger, its last run and how it ended, and its next run."""
    from core.sync.scheduler import describe_jobs

    with errors_to_exit():
        project = load_project(config)
        with open_store(project_store_url(project)) as store:
            jobs = describe_jobs(project, store, now=datetime.now(UTC))
    rows = [
        {"name": j.name, "job": j.job, "trigger": j.trigger, "last_run": j.last_run, "last_status": j.last_status,
         "next_run": j.next_run.isoformat() if j.next_run else None, "note": j.note}
        for j in jobs
    ]  # fmt: skip
    if as_json:
        print_json(rows)
        return
    table = Table("name", "job", "trigger", "last run", "status", "next run")
    for row in rows:
        table.add_row(row["name"], row["job"], row["trigger"], row["last_run"] or "never", row["last_status"] or "",
                      row["next_run"] or "")  # fmt: skip
    console.print(table)
    for row in rows:
        if row["note"]:
            console.print(f"{row['name']}: {row['note']}", markup=False)
