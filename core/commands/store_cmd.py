"""``contactpoint store migrate|status|runs``: create or upgrade the store's schema, and look at it and its runs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.commands.common import console, errors_to_exit, print_json

if TYPE_CHECKING:
    from core.store import Run, Store

# The store's modules (SQLAlchemy, SQLModel, Alembic) are imported inside each command:
# ``contactpoint store --help`` needs none of them.

app = typer.Typer(
    help="The store: SQLite ./contactpoint.db by default, PostgreSQL when CONTACTPOINT_DATABASE_URL is set.",
    no_args_is_help=True,
)


def _store_url(value: str | None) -> str | None:
    """``--url``, else the project's store (CONTACTPOINT_DATABASE_URL, then contactpoint.yaml's store.url)."""
    if value:
        return value
    from core.config import default_store_url  # the project file's reader: only when no --url is given

    with errors_to_exit():
        return default_store_url()


UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        callback=_store_url,
        help="Database URL (default: CONTACTPOINT_DATABASE_URL, else store.url of contactpoint.yaml, "
        "else sqlite:///./contactpoint.db).",
    ),
]


@app.command("migrate")
def migrate_command(
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Create the store's tables, or upgrade them to the newest schema revision."""
    from core.store import database_url, mask_url, open_store

    with errors_to_exit():
        target = url or database_url()
        with open_store(target, migrate=False) as store:
            before = store.revision()
            store.migrate()
            after = store.revision()
    if as_json:
        print_json({"url": mask_url(target), "from": before, "to": after, "changed": before != after})
        return
    if before == after:
        console.print(f"store {mask_url(target)} is up to date (revision {after})", markup=False)
    else:
        console.print(f"store {mask_url(target)} migrated from {before or 'empty'} to {after}", markup=False)


def _status(store: Store, target: str) -> dict[str, Any]:
    from core.store import head_revision, mask_url

    current, head = store.revision(), head_revision()
    return {
        "url": mask_url(target),
        "backend": store.dialect,
        "revision": current,
        "head": head,
        "up_to_date": current == head,
        "tables": store.counts() if current is not None else {},
    }


@app.command("status")
def status_command(
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show where the store is, its schema revision against the newest, and rows per table."""
    from rich.table import Table

    from core.store import database_url, open_store

    with errors_to_exit():
        target = url or database_url()
        with open_store(target, migrate=False) as store:
            status = _status(store, target)
    if as_json:
        print_json(status)
        return
    console.print(f"store     {status['url']} ({status['backend']})", markup=False)
    state = "up to date" if status["up_to_date"] else "run: contactpoint store migrate"
    console.print(f"revision  {status['revision'] or 'none (empty)'} / head {status['head']} ({state})", markup=False)
    if status["tables"]:
        table = Table("table", "rows")
        for name, count in status["tables"].items():
            table.add_row(name, str(count))
        console.print(table)


def _run_row(run: Run) -> dict[str, Any]:
    from core.logs import mask_text

    took = (run.finished_at - run.started_at).total_seconds() if run.finished_at else None
    return {
        "run_id": run.run_id,
        "kind": run.kind,
        "status": str(run.status),
        "schedule": run.job,
        "started_at": run.started_at.isoformat(),
        "seconds": round(took, 3) if took is not None else None,
        "counters": dict(run.counters or {}),
        "api_calls": {system: usage.get("calls") for system, usage in (run.api_usage or {}).items()},
        "error": mask_text(run.error) if run.error else None,
    }


@app.command("runs")
def runs_command(
    url: UrlOption = None,
    kind: Annotated[
        str | None, typer.Option("--kind", help="Only runs of this kind (sync, import, resolve...).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", "-n", min=1, help="How many, newest first.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """Show the newest runs: kind, how each ended, what started it, how long it took, what it counted."""
    from core.store import database_url, open_store

    with errors_to_exit(), open_store(url or database_url()) as store:
        rows = [_run_row(r) for r in store.runs.list(kind=kind, limit=limit)]
    if as_json:
        print_json(rows)
        return
    if not rows:
        console.print("no runs yet", markup=False)
        return
    _print_runs(rows)
    for row in rows:
        if row["error"]:
            console.print(f"{row['run_id']}: {row['error']}", markup=False)


_WIDE_RUNS = 120
"""Below this many columns each run is a line of its own with what it counted beneath, so no ID is cut."""


def _print_runs(rows: list[dict[str, Any]]) -> None:
    """A table on a wide terminal; on a narrow one, a line per run (ID whole) and its counters indented beneath."""
    import textwrap

    from rich.table import Column, Table
    from rich.text import Text

    def counted(row: dict[str, Any]) -> str:
        return ", ".join(f"{k} {v}" for k, v in row["counters"].items() if v) or "-"

    def head(row: dict[str, Any]) -> tuple[str, ...]:
        return (row["run_id"], row["kind"], row["status"], row["started_at"][:19].replace("T", " "),
                str(row["seconds"] or "-"), row["schedule"] or "-")  # fmt: skip

    fixed = [Column(name, no_wrap=True) for name in ("run", "kind", "status", "started (UTC)", "seconds", "schedule")]
    if console.width >= _WIDE_RUNS:
        table = Table(*fixed, Column("counted", ratio=1))
        for row in rows:
            table.add_row(*head(row), counted(row))
        console.print(table)
        return
    for row in rows:
        run_id, kind, status, started, seconds, schedule = head(row)
        took = "" if seconds == "-" else f"  {seconds} s"
        scheduled = "" if schedule == "-" else f"  schedule {schedule}"
        console.print(Text.assemble((run_id, "bold"), f"  {kind}  {status}  {started}{took}{scheduled}"))
        lines = textwrap.wrap(counted(row), width=max(console.width - 3, 30), break_long_words=False)
        console.print("\n".join(f"  {line}" for line in lines), markup=False)


from core.commands.parked_cmd import parked  # noqa: E402  (imports UrlOption from this module)

app.command("parked")(parked)
