"""``contactpoint connectors list``: which connectors loaded, and why not."""

from __future__ import annotations

from typing import Annotated

import typer

from core.commands.common import console, print_json

app = typer.Typer(help="Connectors installed through the contactpoint.connectors entry points.", no_args_is_help=True)


@app.command("list")
def list_connectors(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")] = False,
) -> None:
    """List installed connectors: name, package, status, and the reason a broken one did not load."""
    from rich.table import Table

    from connectors.registry import discover  # the connectors' packages: only when listing them

    found = discover()
    rows = [
        {
            "name": c.name,
            "target": c.target,
            "distribution": c.distribution,
            "status": "loaded" if c.ok else "failed",
            "error": c.error,
        }
        for c in found
    ]
    if as_json:
        print_json(rows)
        return
    table = Table("connector", "package", "status", "detail")
    for row in rows:
        table.add_row(row["name"], row["distribution"] or "?", row["status"], row["error"] or row["target"])
    console.print(table)
