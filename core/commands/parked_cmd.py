"""``contactpoint store parked``: the records that could not be used, and why."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from core.commands.common import console, errors_to_exit, print_json
from core.commands.store_cmd import UrlOption
from core.logs import redact
from core.store import open_store

__all__ = ["parked"]


def parked(
    run: Annotated[str | None, typer.Option("--run", help="Only records parked by this run.")] = None,
    system: Annotated[str | None, typer.Option("--system", help="Only this system.")] = None,
    stream: Annotated[str | None, typer.Option("--stream", help="Only this stream.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many.")] = 50,
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (raw records with secrets masked).")] = False,
) -> None:
    """List parked records: where they came from, where in the source, and the reason."""
    with errors_to_exit(), open_store(url) as store:
        shown = store.parked.list(system, stream, run, limit=limit)
        total = store.parked.count(system, stream, run)
    if as_json:
        print_json(
            [
                {
                    "system": r.system,
                    "stream": r.stream,
                    "source_id": r.source_id,
                    "position": r.position,
                    "reason": r.reason,
                    "times_seen": r.times_seen,
                    "run_id": r.run_id,
                    "raw": redact(r.raw, emails=False),
                }
                for r in shown
            ]
        )
        return
    table = Table("system/stream", "record", "where", "reason", "seen")
    for r in shown:
        table.add_row(f"{r.system}/{r.stream}", r.source_id or "?", r.position or "", r.reason, str(r.times_seen))
    console.print(table)
    console.print(f"{len(shown)} of {total} parked record(s) shown", markup=False)
