"""``contactpoint store migrate|status``: create or upgrade the store's schema, and look at it."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from core.commands.common import console, errors_to_exit, print_json
from core.store import Store, database_url, head_revision, mask_url, open_store

app = typer.Typer(
    help="The store: SQLite ./contactpoint.db by default, PostgreSQL when CONTACTPOINT_DATABASE_URL is set.",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option("--url", help="Database URL (default: CONTACTPOINT_DATABASE_URL, else sqlite:///./contactpoint.db)."),
]


@app.command("migrate")
def migrate_command(
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False,
) -> None:
    """Create the store's tables, or upgrade them to the newest schema revision."""
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
