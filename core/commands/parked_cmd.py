"""``contactpoint store parked``: the records that could not be used, the values left out, and why.

Personal values are masked by default (reasons quote them; raw records hold them): an
address shows as its hash, other text as its first letter and length. ``--reveal``
shows them as stored, and logs who asked.
"""

from __future__ import annotations

import getpass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from core.commands.common import console, errors_to_exit, print_json
from core.commands.store_cmd import UrlOption

if TYPE_CHECKING:
    from core.store import FieldProblemRow, ParkedRecord, Store

__all__ = ["parked"]


def _parked_json(row: ParkedRecord, *, reveal: bool) -> dict[str, Any]:
    from core.logs import mask_record, mask_text, redact

    return {
        "system": row.system,
        "stream": row.stream,
        "source_id": row.source_id,
        "position": row.position,
        "code": row.code,
        "field": row.field,
        "reason": row.reason if reveal else mask_text(row.reason),
        "times_seen": row.times_seen,
        "run_id": row.run_id,
        "raw": redact(row.raw, emails=False) if reveal else mask_record(row.raw),
    }


def _problem_json(row: FieldProblemRow, *, reveal: bool) -> dict[str, Any]:
    from core.logs import mask_text

    return {
        "system": row.system,
        "stream": row.stream,
        "source_id": row.source_id,
        "field": row.field,
        "code": row.code,
        "message": row.message if reveal else mask_text(row.message),
        "run_id": row.run_id,
    }


def _view(
    store: Store, filters: tuple[str | None, str | None, str | None], limit: int, *, reveal: bool
) -> dict[str, Any]:
    return {
        "parked": [_parked_json(r, reveal=reveal) for r in store.parked.list(*filters, limit=limit)],
        "parked_total": store.parked.count(*filters),
        "parked_by_reason": [
            {"code": code, "field": field, "count": n} for code, field, n in store.parked.reasons(*filters)
        ],
        "left_out": [_problem_json(p, reveal=reveal) for p in store.field_problems.list(*filters, limit=limit)],
        "left_out_total": store.field_problems.count(*filters),
        "left_out_by_field": [
            {"field": field, "code": code, "count": n} for field, code, n in store.field_problems.reasons(*filters)
        ],
    }


def parked(
    run: Annotated[str | None, typer.Option("--run", help="Only records parked by this run.")] = None,
    system: Annotated[str | None, typer.Option("--system", help="Only this system.")] = None,
    stream: Annotated[str | None, typer.Option("--stream", help="Only this stream.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Show at most this many of each.")] = 50,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="Show personal values as stored (masked by default); logged.")
    ] = False,
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (raw records, masked unless --reveal).")] = False,
) -> None:
    """List parked records (where from, where in the source, why) and values left out of kept records."""
    import structlog

    from core.store import open_store

    with errors_to_exit(), open_store(url) as store:
        view = _view(store, (system, stream, run), limit, reveal=reveal)
    if reveal:
        structlog.get_logger(__name__).warning(
            "store.parked_revealed", user=_user(), system=system, stream=stream, run_id=run
        )
    if as_json:
        print_json(view)
        return
    _print(view)


def _user() -> str | None:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return None


def _print(view: dict[str, Any]) -> None:
    from rich.table import Table

    if view["parked_by_reason"]:
        groups = Table("parked", "reason", "field", title="parked records by reason")
        for group in view["parked_by_reason"]:
            groups.add_row(str(group["count"]), group["code"], group["field"] or "")
        console.print(groups)
    table = Table("system/stream", "record", "where", "reason", "seen")
    for r in view["parked"]:
        table.add_row(f"{r['system']}/{r['stream']}", r["source_id"] or "?", r["position"] or "", r["reason"],
                      str(r["times_seen"]))  # fmt: skip
    console.print(table)
    console.print(f"{len(view['parked'])} of {view['parked_total']} parked record(s) shown", markup=False)
    if view["left_out_total"]:
        left = Table("system/stream", "record", "field", "why", title="values left out (the records were kept)")
        for p in view["left_out"]:
            left.add_row(f"{p['system']}/{p['stream']}", p["source_id"], p["field"], p["message"])
        console.print(left)
        console.print(f"{len(view['left_out'])} of {view['left_out_total']} value(s) left out shown", markup=False)
