r"""``contactpoint identity resolve``: resolve a CSV of people into profiles.

    contactpoint identity resolve people.csv --out clusters.csv
    contactpoint identity resolve export.csv --mapping mappings/files.yaml --out clusters.csv \\
        --settings mappings/identity.yaml --explain-out pairs.jsonl
    contactpoint identity resolve --store                 (the store's people; see identity_store_cmd)

Writes ``record_id,profile_id`` for every usable row; rows that fail validation
go to ``<out>.parked.csv`` with their reason.
"""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path
from typing import Annotated

import typer

from core.commands.common import console, errors_to_exit, print_json
from core.commands.identity_store_cmd import (
    explain_command,
    merge_command,
    resolve_store_command,
    split_command,
)
from core.commands.store_cmd import UrlOption
from core.errors import IdentityError
from core.identity import CsvPeople, Resolution, load_settings, read_mapped_csv, read_people_csv, resolve

app = typer.Typer(help="Resolve people into unified profiles.", no_args_is_help=True)
app.command("explain")(explain_command)
app.command("merge")(merge_command)
app.command("split")(split_command)


def _file_and_out(file: Path | None, out: Path | None) -> tuple[Path, Path]:
    if file is None or out is None:
        msg = "give a CSV FILE and --out, or --store to resolve the people in the store"
        raise IdentityError(msg, hint="contactpoint identity resolve people.csv --out clusters.csv")
    return file, out


def _write_clusters(path: Path, found: CsvPeople, resolution: Resolution) -> None:
    profile_of = resolution.profile_of()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["record_id", "profile_id"])
        for person in found.people:
            writer.writerow([person.source.source_id, profile_of[str(person.source)]])


def _write_parked(path: Path, found: CsvPeople) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["line", "record_id", "source", "reason"])
        for row in found.parked:
            writer.writerow([row.line, row.record_id, row.source, row.reason])


def _write_explanations(path: Path, resolution: Resolution) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for position in range(len(resolution.pairs)):
            handle.write(json.dumps(resolution.explain(position).to_dict()) + "\n")


@app.command("resolve")
def resolve_command(
    file: Annotated[Path | None, typer.Argument(help="CSV file of people.", exists=True, dir_okay=False)] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write record_id,profile_id.")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="YAML mapping to read FILE through.")] = None,
    stream: Annotated[str | None, typer.Option("--stream", help="The mapping's stream, when it maps several.")] = None,
    settings: Annotated[Path | None, typer.Option("--settings", help="Identity settings (identity.yaml).")] = None,
    explain_out: Annotated[
        Path | None, typer.Option("--explain-out", help="Write every decision as JSON lines.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    store: Annotated[bool, typer.Option("--store", help="Resolve the people in the store instead of FILE.")] = False,
    url: UrlOption = None,
) -> None:
    """Resolve the people in FILE (or, with --store, in the store) into profiles."""
    if store:
        with errors_to_exit():
            if file is not None or out is not None:
                msg = "give a CSV FILE with --out, or --store, not both"
                raise IdentityError(msg, hint="contactpoint identity resolve --store [--url URL]")
        resolve_store_command(url, settings, as_json=as_json)
        return
    with errors_to_exit():
        file, out = _file_and_out(file, out)
        started = time.perf_counter()
        config = load_settings(settings)
        found = (
            read_mapped_csv(file, mapping, stream=stream) if mapping else read_people_csv(file, phones=config.phones)
        )
        resolution = resolve(found.people, config)
        _write_clusters(out, found, resolution)
        parked_path = out.with_name(out.name + ".parked.csv") if found.parked else None
        if parked_path is not None:
            _write_parked(parked_path, found)
        if explain_out is not None:
            _write_explanations(explain_out, resolution)
        summary = {
            "rows": found.rows,
            "resolved": len(found.people),
            "parked": len(found.parked),
            "dropped_values": len(found.warnings),
            "profiles": len(resolution.clusters),
            "links": sum(1 for d in resolution.pairs.decision if d.value == "link"),
            "reviews": sum(1 for d in resolution.pairs.decision if d.value == "review"),
            "skipped_blocks": resolution.blocking.skipped_blocks,
            "out": str(out),
            "parked_out": str(parked_path) if parked_path else None,
            "seconds": round(time.perf_counter() - started, 3),
        }
    if as_json:
        print_json(summary)
        return
    console.print(
        f"rows read {found.rows}: {len(found.people)} resolved into {summary['profiles']} profiles, "
        f"{len(found.parked)} parked; {summary['links']} links, {summary['reviews']} pairs for review",
        markup=False,
    )
    for warning in found.warnings[:5]:
        console.print(f"  {warning}", markup=False)
    if len(found.warnings) > 5:
        console.print(f"  … and {len(found.warnings) - 5} more values dropped", markup=False)
    for row in found.parked[:20]:
        console.print(f"  parked line {row.line} ({row.record_id or '?'}): {row.reason}", markup=False)
    if len(found.parked) > 20:
        console.print(f"  … and {len(found.parked) - 20} more in {parked_path}", markup=False)
    console.print(f"wrote {out}" + (f" and {parked_path}" if parked_path else ""), markup=False)
