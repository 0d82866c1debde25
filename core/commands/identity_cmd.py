r"""``contactpoint identity resolve``: resolve a CSV of people into profiles.

    contactpoint identity resolve people.csv --out clusters.csv
    contactpoint identity resolve export.csv --mapping mappings/files.yaml --out clusters.csv \\
        --settings mappings/identity.yaml --explain-out pairs.jsonl
    contactpoint identity resolve --store                 (the store's people; see identity_store_cmd)

Writes ``record_id,profile_id`` for every usable row; rows that fail validation
go to ``<out>.parked.csv`` with their reason.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from core.commands.common import (
    DelimiterOption,
    EncodingOption,
    FormatOption,
    WaitOption,
    console,
    errors_to_exit,
    print_json,
)
from core.commands.identity_store_cmd import (
    SettingsOption,
    resolve_store_command,
)
from core.commands.store_cmd import UrlOption
from core.csvout import CsvWriter
from core.errors import RecordRejected, UsageError
from core.identity import FilePeople, Resolution, load_settings, read_mapped_file, read_people_file, resolve
from core.logs import mask_text


def _file_and_out(file: Path | None, out: Path | None) -> tuple[Path, Path]:
    if file is None or out is None:
        msg = "give a FILE and --out, or --store to resolve the people in the store"
        raise UsageError(msg, hint="contactpoint identity resolve people.csv --out clusters.csv")
    return file, out


def _write_clusters(path: Path, found: FilePeople, resolution: Resolution) -> None:
    profile_of = resolution.profile_of()
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = CsvWriter(handle)
        writer.writerow(["record_id", "profile_id"])
        for person in found.people:
            writer.writerow([person.source.source_id, profile_of[str(person.source)]])


def _write_parked(path: Path, found: FilePeople) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = CsvWriter(handle)
        writer.writerow(["position", "record_id", "system", "code", "field", "reason"])
        for row in found.parked:
            writer.writerow([row.position, row.source_id, row.system, row.code, row.field, mask_text(row.reason)])


def _write_explanations(path: Path, resolution: Resolution) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for position in range(len(resolution.pairs)):
            handle.write(json.dumps(resolution.explain(position).to_dict()) + "\n")


def resolve_command(
    file: Annotated[Path | None, typer.Argument(help="File of people: CSV, JSON lines or JSON.")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="Where to write record_id,profile_id.")] = None,
    mapping: Annotated[Path | None, typer.Option("--mapping", help="YAML mapping to read FILE through.")] = None,
    stream: Annotated[str | None, typer.Option("--stream", help="The mapping's stream, when it maps several.")] = None,
    settings: SettingsOption = None,
    explain_out: Annotated[
        Path | None, typer.Option("--explain-out", help="Write every decision as JSON lines.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    store: Annotated[bool, typer.Option("--store", help="Resolve the people in the store instead of FILE.")] = False,
    file_format: FormatOption = None,
    delimiter: DelimiterOption = None,
    encoding: EncodingOption = None,
    wait: WaitOption = 0.0,
    url: UrlOption = None,
) -> None:
    """Resolve the people in FILE (or, with --store, in the store) into profiles."""
    if store:
        with errors_to_exit():
            given = [name for name, value in (("FILE", file), ("--out", out), ("--mapping", mapping),
                     ("--stream", stream), ("--explain-out", explain_out), ("--format", file_format), ("--delimiter", delimiter),
                     ("--encoding", encoding)) if value]  # fmt: skip
            if given:
                msg = f"--store resolves the people in the store; {', '.join(given)} only go with a FILE"
                raise UsageError(msg, hint="contactpoint identity resolve --store [--url URL] [--settings FILE]")
        resolve_store_command(url, settings, as_json=as_json, wait=wait)
        return
    with errors_to_exit():
        file, out = _file_and_out(file, out)
        started = time.perf_counter()
        config = load_settings(settings)
        found = (
            read_mapped_file(
                file, mapping, stream=stream, file_format=file_format, delimiter=delimiter, encoding=encoding
            )
            if mapping
            else read_people_file(
                file, phones=config.phones, file_format=file_format, delimiter=delimiter, encoding=encoding
            )
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
            "dropped_values": len(found.problems),
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
        _refuse_all_parked(found)
        return
    console.print(
        f"rows read {found.rows}: {len(found.people)} resolved into {summary['profiles']} profiles, "
        f"{len(found.parked)} parked; {summary['links']} links, {summary['reviews']} pairs for review",
        markup=False,
    )
    for record, problem in found.problems[:5]:
        console.print(f"  left out of {record}: {mask_text(problem.message)}", markup=False)
    if len(found.problems) > 5:
        console.print(f"  … and {len(found.problems) - 5} more values left out", markup=False)
    for row in found.parked[:20]:
        where = row.position or f"{row.system}/{row.stream}"
        console.print(f"  parked {where} ({row.source_id or '?'}): {mask_text(row.reason)}", markup=False)
    if len(found.parked) > 20:
        console.print(f"  … and {len(found.parked) - 20} more in {parked_path}", markup=False)
    console.print(f"wrote {out}" + (f" and {parked_path}" if parked_path else ""), markup=False)
    _refuse_all_parked(found)


def _refuse_all_parked(found: FilePeople) -> None:
    """Exit with the data code when not one row became a person (the summary above says why)."""
    if found.rows and not found.people:
        msg = f"every one of the {found.rows:,} rows was parked; nothing was resolved"
        hint = "read the reasons above; a file in another shape needs --mapping MAPPING.yaml"
        with errors_to_exit():
            raise RecordRejected(msg, hint=hint)
