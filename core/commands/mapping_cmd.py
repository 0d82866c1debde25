"""``contactpoint mapping check``: validate a mapping, and show what a sample maps to.

Problems print as ``file:line:column key: message`` followed by a ``hint:``
line, on standard error, and the command exits with 2 (a configuration error).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from core.canonical import CanonicalModel, Identifier
from core.commands.common import (
    DelimiterOption,
    EncodingOption,
    FormatOption,
    console,
    errors_to_exit,
    print_json,
    stderr,
)
from core.config import build_connector, found_project
from core.errors import ConfigError, Problem, problem_count
from core.mapping import CheckReport, Mapped, check_mapping

_EXIT_CONFIG = ConfigError.exit_code


def check(
    file: Annotated[Path, typer.Argument(help="The mapping file, e.g. mappings/salesforce.yaml.")],
    sample: Annotated[
        Path | None, typer.Option("--sample", help="Sample records: JSON (object or list), JSONL or CSV.")
    ] = None,
    stream: Annotated[
        str | None, typer.Option("--stream", help="The stream the sample holds (needed when several are mapped).")
    ] = None,
    file_format: FormatOption = None,
    delimiter: DelimiterOption = None,
    encoding: EncodingOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate FILE (every problem at once); with --sample, show what each sample record maps to.

    When the contactpoint.yaml found here or above uses FILE for a system, its streams are compared
    with the streams that system pulls.
    """
    with errors_to_exit():
        report = check_mapping(file, sample, stream=stream, file_format=file_format, configured=_configured(file),
                               delimiter=delimiter, encoding=encoding)  # fmt: skip
    if as_json:
        print_json(report.to_json())
    elif report.ok:
        _print_ok(report)
    if not as_json:
        _print_warnings(report.warnings)
    if not report.ok:
        if not as_json:
            _print_problems(report.problems)
        raise typer.Exit(_EXIT_CONFIG)


def _configured(mapping_file: Path) -> list[str] | None:
    """The streams pulled by the system of the contactpoint.yaml found (here or above) that uses this mapping, if any.

    Raises:
        ConfigError: The project file found is invalid.
    """
    project = found_project()
    if project is None:
        return None
    for name, system in project.systems.items():
        if system.mapping is not None and project.resolve_path(system.mapping).resolve() == mapping_file.resolve():
            try:
                return [spec.name for spec in build_connector(project, name).streams()]
            except ConfigError:
                return None  # settings not ready (variables unset): compare with the connector's own names
    return None


def _print_warnings(warnings: list[Problem]) -> None:
    for warning in warnings:
        stderr.print(f"warning: {warning.headline}", markup=False)
        if warning.hint:
            stderr.print(f"  hint: {warning.hint}", markup=False)


def _print_problems(problems: list[Problem]) -> None:
    for problem in problems:
        stderr.print(problem.headline, markup=False)
        if problem.hint:
            stderr.print(f"  hint: {problem.hint}", markup=False)
    stderr.print(f"error: {problem_count(len(problems))} found", markup=False)


def _print_ok(report: CheckReport) -> None:
    mapping = report.mapping
    assert mapping is not None  # report.ok implies it compiled
    streams = ", ".join(f"{name} ({', '.join(mapping.stream(name).models)})" for name in mapping.streams)
    console.print(f"OK {report.file}: system {mapping.system}; streams: {streams}", markup=False)
    for result in report.results:
        outcome = result.outcome
        if not isinstance(outcome, Mapped):
            continue  # a rejected sample record is a problem, printed by _print_problems
        names = ", ".join(type(m).__name__ for m in outcome.models) or "nothing (every 'when' was false)"
        console.print(f"\nrecord {result.index} ({result.stream}/{outcome.record.source_id}) → {names}", markup=False)
        if outcome.models:
            console.print(_table(outcome.models))


def _table(models: list[CanonicalModel]) -> Table:
    table = Table("model", "field", "value", show_lines=False)
    for model in models:
        name = type(model).__name__
        for field, value in model:
            if value is None or field == "source" or value == []:
                continue
            table.add_row(Text(name), Text(field), Text(_render(value)))
            name = ""
    return table


def _render(value: Any) -> str:
    if isinstance(value, list) and all(isinstance(v, Identifier) for v in value):
        return ", ".join(f"{i.kind.value}:{i.system + ':' if i.system else ''}{i.value}" for i in value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if hasattr(value, "value") and isinstance(value.value, str):  # StrEnum members
        return str(value.value)
    return str(value)
