"""``check_mapping``: validate a mapping and show what sample records map to.

A sample record that the mapping rejects is a problem of the check, pointed at
the mapping key involved (a required field's line, a failing transform's field),
because a mapping that cannot map its own sample is not ready to run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import RejectedRecord
from core.errors import MappingError, Problem
from core.mapping.engine import CompiledMapping, MapOutcome, Mapped, Rejected
from core.mapping.loader import load_mapping

if TYPE_CHECKING:
    from core.inputs import InputRows

__all__ = ["CheckReport", "SampleResult", "check_mapping", "read_sample"]


@dataclass(frozen=True)
class SampleResult:
    """What one sample record mapped to.

    Attributes:
        index: The record's 1-based position in the sample file.
        stream: The stream it was mapped as.
        outcome: ``Mapped`` or ``Rejected``.
    """

    index: int
    stream: str
    outcome: MapOutcome


@dataclass(frozen=True)
class CheckReport:
    """The result of checking a mapping (and a sample).

    Attributes:
        file: The mapping file, as given.
        mapping: The compiled mapping, when it compiled.
        problems: Every problem, in file order; empty means OK.
        results: One entry per sample record.
    """

    file: str
    mapping: CompiledMapping | None
    problems: list[Problem] = field(default_factory=list)
    results: list[SampleResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when there is no problem."""
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        """Return the report as JSON-compatible data (what ``--json`` prints)."""
        return {
            "file": self.file,
            "ok": self.ok,
            "system": self.mapping.system if self.mapping else None,
            "streams": self.mapping.streams if self.mapping else [],
            "problems": [_problem_json(p) for p in self.problems],
            "records": [_result_json(r) for r in self.results],
        }


def check_mapping(
    path: str | Path, sample: str | Path | None = None, *, stream: str | None = None, file_format: str | None = None
) -> CheckReport:
    """Validate a mapping file and, with ``sample``, map each sample record.

    Args:
        path: The mapping file.
        sample: A JSON (object or list), JSONL or CSV file of raw records.
        stream: The stream the sample holds; needed when the mapping has several.
        file_format: ``csv``, ``jsonl`` or ``json`` when neither the suffix nor the content tells.

    Returns:
        The report; mapping problems are in it, not raised.

    Raises:
        ConfigError: The sample cannot be read, or the stream is ambiguous or unknown.
    """
    file = str(path)
    try:
        mapping = load_mapping(path)
    except MappingError as err:
        return CheckReport(file=file, mapping=None, problems=err.problems)
    if sample is None:
        return CheckReport(file=file, mapping=mapping)
    name = mapping.pick_stream(stream)
    found = read_sample(sample, mapping, name, file_format=file_format)
    total = len(found.rows) + len(found.rejected)
    results: list[SampleResult] = []
    rejected: dict[tuple[tuple[str | int, ...], str], list[tuple[int, Rejected]]] = {}
    for index, raw in enumerate(found.rows, start=1):
        outcome = mapping.map(mapping.source_record(name, raw))
        results.append(SampleResult(index=index, stream=name, outcome=outcome))
        if isinstance(outcome, Rejected):
            rejected.setdefault((tuple(outcome.loc), outcome.reason), []).append((index, outcome))
    # the same reason at the same place is one problem, naming every record it hit
    problems = [
        _sample_problem(mapping, same[0][1], indexes=[i for i, _ in same], total=total, sample=str(sample))
        for same in rejected.values()
    ]
    problems.extend(_unreadable(mapping, row) for row in found.rejected)
    return CheckReport(file=file, mapping=mapping, problems=problems, results=results)


def _unreadable(mapping: CompiledMapping, row: RejectedRecord) -> Problem:
    """A sample row the files connector could not read, as a problem of the sample (not of the mapping)."""
    file, _, line = (row.position or mapping.file).rpartition(":")
    number = int(line) if line.isdigit() else None
    return Problem(file if number else (row.position or mapping.file), number, None, "",
                   f"sample row cannot be read: {row.reason}", "fix the sample file, or its format (--format)")  # fmt: skip


def _records_text(indexes: list[int], total: int) -> str:
    if len(indexes) == 1:
        return f"sample record {indexes[0]}"
    shown = ", ".join(str(i) for i in indexes[:5]) + (", ..." if len(indexes) > 5 else "")
    return f"{len(indexes)} of {total} sample records ({shown})"


def _sample_problem(
    mapping: CompiledMapping, outcome: Rejected, *, indexes: list[int], total: int, sample: str
) -> Problem:
    verb = "is" if len(indexes) == 1 else "are"
    message = f"{_records_text(indexes, total)} of {sample} {verb} rejected: {outcome.reason}"
    if outcome.code == "missing":
        hint = "the sample has no value there: fix the source path, or drop 'required: true' if it may be empty"
    elif outcome.code == "transform":
        hint = "fix the transform's arguments (e.g. formats, region) or the sample value"
    else:
        hint = "map a value the canonical model accepts (add a transform), or fix the sample"
    return mapping.problem(outcome.loc, message, hint)


def read_sample(
    path: str | Path, mapping: CompiledMapping, stream: str, *, file_format: str | None = None
) -> InputRows:
    """Read sample records through the files connector (CSV, JSON lines, or JSON: one object or a list).

    Raises:
        ConfigError: The file is missing or its format cannot be told.
        ConnectorConfigError: A CSV header lacks the mapping's ID column, or the JSON does not parse.
    """
    from core.inputs import id_column, input_connector, read_input  # core.inputs builds on this package

    connector = input_connector(
        Path(path),
        stream=stream,
        id_field=id_column(mapping, stream, nested=True),
        system=mapping.system,
        file_format=file_format,
        what="sample file",
    )
    return read_input(connector, stream)


def _problem_json(problem: Problem) -> dict[str, Any]:
    return {
        "file": problem.file,
        "line": problem.line,
        "column": problem.column,
        "key": problem.key,
        "message": problem.message,
        "hint": problem.hint,
    }


def _result_json(result: SampleResult) -> dict[str, Any]:
    outcome = result.outcome
    base: dict[str, Any] = {"index": result.index, "stream": result.stream, "source_id": outcome.record.source_id}
    if isinstance(outcome, Mapped):
        models = [
            {"model": type(m).__name__, "data": m.model_dump(mode="json", exclude_none=True)} for m in outcome.models
        ]
        return {**base, "outcome": "mapped", "models": models}
    return {**base, "outcome": "rejected", "reason": outcome.reason, "field": outcome.field}
