"""``contactpoint mapping run``: map a CSV or JSONL file into the store.

Rows that cannot be read or mapped are parked with their reason and the run goes
on; the summary says how many and why. The file is read through the files
connector, so a second run of the same append-only file reads only new rows
(``--full`` reads it all again; unchanged rows change nothing).
"""

from __future__ import annotations

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
from core.commands.progress import progress
from core.commands.store_cmd import UrlOption
from core.errors import RecordRejected
from core.inputs import id_column, input_connector
from core.logs import mask_text
from core.mapping import load_mapping
from core.store import mask_url, open_store
from core.sync import IngestSummary, ingest_stream
from core.sync.lifecycle import RunContext, RunKind, job_for_stream

__all__ = ["run"]


def _print_summary(summary: IngestSummary, *, source: Path, url: str, run_id: str) -> None:
    console.print(f"imported {source} into {url} (run {run_id})", markup=False)
    reached = summary.cursor or {}  # the files connector says when it could not resume, and what it left
    if reached.get("restarted"):
        console.print(f"  read from the start: {reached['restarted']}", markup=False)
    elif summary.resumed_from:
        console.print(f"  resumed after line {summary.resumed_from.get('line', '?')} (pass --full to read all)")
    if reached.get("waiting"):
        console.print(f"  not read yet: {reached['waiting']}", markup=False)
    console.print(f"  rows read   {summary.pulled:>9,}")
    console.print(
        f"  stored      {summary.inserted:>9,} new, {summary.updated:,} updated, {summary.unchanged:,} unchanged"
    )
    if summary.repeated:
        console.print(f"  repeated    {summary.repeated:>9,} (an ID read again in the same batch: its newest row kept)")
    if summary.older:
        console.print(f"  older       {summary.older:>9,} (than the stored version, which was kept)")
    if summary.unparked:
        console.print(f"  unparked    {summary.unparked:>9,} (parked before, read again and stored now)")
    console.print(f"  canonical   {summary.canonical:>9,} models written")
    console.print(f"  parked      {summary.parked:>9,}")
    for group, count in summary.reasons.most_common(10):  # the example masked, as in ``store parked``
        console.print(f"    {count:>7,}  {group}  e.g. {mask_text(summary.examples[group])}", markup=False)
    console.print(f"  values left out {summary.field_problems:>5,} (the records kept)")
    for field, count in summary.problem_fields.most_common(10):
        console.print(f"    {count:>7,}  {field}", markup=False)
    if summary.parked or summary.field_problems:
        console.print(f"  list them: contactpoint store parked --run {run_id}", markup=False)


def run(
    mapping_file: Annotated[Path, typer.Argument(help="The mapping, e.g. mappings/files.yaml.")],
    input_file: Annotated[Path, typer.Option("--input", "-i", help="CSV, JSON lines or JSON file to import.")],
    stream: Annotated[str | None, typer.Option("--stream", help="Mapped stream the file holds.")] = None,
    system: Annotated[
        str | None, typer.Option("--system", help="System name to store under (default: the mapping's).")
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Read the whole file, not only rows after the last import.",
        ),
    ] = False,
    file_format: FormatOption = None,
    delimiter: DelimiterOption = None,
    encoding: EncodingOption = None,
    wait: WaitOption = 0.0,
    url: UrlOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Map a CSV, JSON lines or JSON file into the store; bad rows are parked with their reason."""
    with errors_to_exit():
        mapping = load_mapping(mapping_file)
        name = mapping.pick_stream(stream)
        connector = input_connector(
            input_file,
            stream=name,
            id_field=id_column(mapping, name),
            system=system or mapping.system,
            file_format=file_format,
            id_hint=f"point 'id:' in {mapping_file} at the file's ID column, or export the file with it",
            delimiter=delimiter,
            encoding=encoding,
        )
        jobs = [job_for_stream(connector.system, name)]
        with open_store(url) as store, RunContext(store, RunKind.IMPORT, jobs=jobs, wait=wait) as run:
            run_id = run.run_id
            summary = IngestSummary(system=connector.system, stream=name)
            run.count_from(summary.counters)  # a run that stops halfway keeps the counts of what it stored
            with progress(f"mapping {input_file.name}", quiet=as_json) as bar:
                ingest_stream(connector, name, mapping, store, run_id=run_id, resume=not full,
                              on_batch=bar.ingested, check_stop=run.check_stop, into=summary)  # fmt: skip
            run.partial = bool(summary.parked or summary.field_problems)
            shown_url = mask_url(store.url)
        if as_json:
            print_json(
                {
                    "run_id": run_id,
                    "file": str(input_file),
                    "store": shown_url,
                    **summary.counters(),
                    "reasons": dict(summary.reasons),
                    "fields_left_out": dict(summary.problem_fields),
                    # the files connector's word on where it read from and what it left for later
                    **{k: v for k, v in (summary.cursor or {}).items() if k in ("restarted", "waiting")},
                }
            )
        else:
            _print_summary(summary, source=input_file, url=shown_url, run_id=run_id)
        if summary.pulled and summary.parked == summary.pulled:
            if set(summary.reasons) == {"unreadable"}:  # the file is not read as written, whatever the mapping
                msg = f"every one of the {summary.pulled:,} rows was parked: {summary.examples['unreadable']}"
                raise RecordRejected(msg, hint="read it as written (--encoding, --delimiter), then run again")
            msg = f"every one of the {summary.pulled:,} rows was parked; the mapping probably does not fit this file"
            raise RecordRejected(msg, hint=f"try: contactpoint mapping check {mapping_file} --sample {input_file}")
