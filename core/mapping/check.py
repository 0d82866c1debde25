"""``check_mapping``: validate a mapping and show what sample records map to.

A sample record that the mapping rejects is a problem of the check, pointed at
the mapping key involved (a required field's line, a failing transform's field),
because a mapping that cannot map its own sample is not ready to run.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import RejectedRecord, RejectionCode, SourceRecord
from core import yamlfile
from core.canonical import Person
from core.errors import ConnectorConfigError, MappingError, Problem
from core.mapping.engine import CompiledMapping, MapOutcome, Mapped, Rejected
from core.mapping.loader import load_mapping
from core.mapping.paths import parse_path
from core.mapping.sample_paths import empty_paths, source_uses
from core.mapping.streams_known import unknown_streams
from core.yamlfile import Document

if TYPE_CHECKING:
    from core.inputs import InputRows

__all__ = ["CheckReport", "SampleResult", "check_mapping", "read_sample"]

_TWO_PEOPLE = "maps to two people (two Person targets whose 'when' are both true)"


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
        warnings: What looks wrong but may be right (a source path no sample record fills).
    """

    file: str
    mapping: CompiledMapping | None
    problems: list[Problem] = field(default_factory=list)
    results: list[SampleResult] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)

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
            "warnings": [_problem_json(p) for p in self.warnings],
            "records": [_result_json(r) for r in self.results],
        }


def check_mapping(
    path: str | Path,
    sample: str | Path | None = None,
    *,
    stream: str | None = None,
    file_format: str | None = None,
    configured: Collection[str] | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
) -> CheckReport:
    """Validate a mapping file and, with ``sample``, map each sample record; report every problem at once.

    The mapping's own problems, its streams the connector does not have, and what the sample
    shows (an ID path no record fills, rejected records, paths no record fills) come in one
    report: a mapping that does not compile is still compared with the sample.

    Args:
        path: The mapping file.
        sample: A JSON (object or list), JSONL or CSV file of raw records.
        stream: The stream the sample holds; needed when the mapping has several.
        file_format: ``csv``, ``jsonl`` or ``json`` when neither the suffix nor the content tells.
        configured: The streams the configured system pulls (from contactpoint.yaml), when known.
        delimiter: The sample's CSV column separator, when its content should not tell.
        encoding: The sample's encoding, when its content should not tell.

    Returns:
        The report; mapping problems are in it, not raised.

    Raises:
        ConfigError: The sample cannot be read, or the stream is ambiguous or unknown.
    """
    file = str(path)
    mapping: CompiledMapping | None = None
    try:
        mapping = load_mapping(path)
    except MappingError as err:
        problems = list(err.problems)
    doc = _document(path)
    if mapping is not None:
        problems = unknown_streams(mapping, configured=configured)
    name = _sample_stream(mapping, doc, stream) if sample is not None and doc is not None else None
    if sample is None or doc is None or name is None:
        return CheckReport(file=file, mapping=mapping, problems=_ordered(problems))
    found = _read_rows(Path(sample), doc, mapping, name, file_format=file_format, delimiter=delimiter,
                       encoding=encoding)  # fmt: skip
    uses = source_uses(doc, name)
    without_id = empty_paths(doc, [u for u in uses if u.loc == ("streams", name, "id")], found.rows,
                             sample=str(sample), required=True)  # fmt: skip
    if mapping is None:  # nothing maps the sample: say which required paths it lacks
        problems.extend(empty_paths(doc, uses, found.rows, sample=str(sample), required=True))
    else:
        problems.extend(without_id)
    warnings = empty_paths(doc, uses, found.rows, sample=str(sample), required=False)
    results: list[SampleResult] = []
    mapped = mapping is not None and not without_id  # records without the ID cannot be mapped: said once above
    if mapping is not None and mapped:
        results, rejected = _map_sample(mapping, name, found.records)
        total = len(found.records) + len(found.rejected)
        problems.extend(
            _sample_problem(mapping, same[0][1], indexes=[i for i, _ in same], total=total, sample=str(sample))
            for same in rejected.values()
        )
    problems.extend(_unreadable(file, row) for row in found.rejected if mapped or row.code is not RejectionCode.NO_ID)
    return CheckReport(file=file, mapping=mapping, problems=_ordered(problems), results=results, warnings=warnings)


def _ordered(problems: list[Problem]) -> list[Problem]:
    return sorted(problems, key=lambda p: (p.file, p.line or 0, p.column or 0))


def _document(path: str | Path) -> Document | None:
    """The mapping file's parsed YAML, or ``None`` when it cannot be read or parsed (already a problem)."""
    try:
        return yamlfile.load(path)
    except (OSError, UnicodeDecodeError, yamlfile.YamlSyntaxError):
        return None


def _sample_stream(mapping: CompiledMapping | None, doc: Document, stream: str | None) -> str | None:
    """The stream the sample holds; without a compiled mapping, ``None`` when the document does not tell."""
    if mapping is not None:
        return mapping.pick_stream(stream)
    streams = doc.data.get("streams") if isinstance(doc.data, dict) else None
    names = [str(n) for n in streams] if isinstance(streams, dict) else []
    if stream is not None:
        return stream if stream in names else None
    return names[0] if len(names) == 1 else None


def _map_sample(
    mapping: CompiledMapping, name: str, records: list[SourceRecord]
) -> tuple[list[SampleResult], dict[tuple[tuple[str | int, ...], str], list[tuple[int, Rejected]]]]:
    results: list[SampleResult] = []
    rejected: dict[tuple[tuple[str | int, ...], str], list[tuple[int, Rejected]]] = {}
    for index, record in enumerate(records, start=1):
        outcome = mapping.map(mapping.source_record(name, record.raw))
        results.append(SampleResult(index=index, stream=name, outcome=outcome))
        if isinstance(outcome, Rejected):
            # the same reason at the same place is one problem, naming every record it hit
            rejected.setdefault((tuple(outcome.loc), outcome.reason), []).append((index, outcome))
        elif sum(isinstance(m, Person) for m in outcome.models) > 1:
            loc: tuple[str | int, ...] = ("streams", name)
            rejected.setdefault((loc, _TWO_PEOPLE), []).append((index, Rejected(record, _TWO_PEOPLE, None, loc)))
    return results, rejected


def _unreadable(mapping_file: str, row: RejectedRecord) -> Problem:
    """A sample row the files connector could not read, as a problem of the sample (not of the mapping)."""
    file, _, line = (row.position or mapping_file).rpartition(":")
    number = int(line) if line.isdigit() else None
    return Problem(file if number else (row.position or mapping_file), number, None, "",
                   f"sample row cannot be read: {row.reason}", "fix the sample file, or say how to read it (--format, --encoding, --delimiter)")  # fmt: skip


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
    if outcome.reason == _TWO_PEOPLE:
        hint = "give the Person targets 'when' conditions that exclude each other, or map one Person"
    elif outcome.code == "missing":
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


@dataclass
class _Sample:
    """A sample as read: each readable row's data (with or without an ID), the records with one, the rejected rows."""

    rows: list[Mapping[str, Any]] = field(default_factory=list)
    records: list[SourceRecord] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)


def _read_rows(
    sample: Path, doc: Document, mapping: CompiledMapping | None, stream: str, *,
    file_format: str | None, delimiter: str | None, encoding: str | None,
) -> _Sample:  # fmt: skip
    """Read the sample through the files connector; a CSV without the ID column is read all the same.

    Raises:
        ConfigError: The file is missing or its format is unknown.
        ConnectorConfigError: The file cannot be read at all (no header, JSON that does not parse).
    """
    from core.inputs import input_connector  # core.inputs builds on this package

    system = mapping.system if mapping is not None else str(doc.data.get("system") or "files")
    id_field = _id_column(doc, stream)
    read = partial(input_connector, sample, stream=stream, system=system, what="sample file",
                   file_format=file_format, delimiter=delimiter, encoding=encoding)  # fmt: skip
    try:
        connector = read(id_field=id_field)
    except ConnectorConfigError as err:
        columns = err.context.get("columns")
        if "missing_column" not in err.context or not columns:
            raise
        # the missing ID is reported as a problem of the mapping's 'id:'; the rows still show the other paths
        connector = read(id_field=str(columns[0]))
    found = _Sample()
    for batch in connector.pull(stream, None):
        found.records.extend(batch.records)
        found.rows.extend(record.raw for record in batch.records)
        found.rows.extend(r.raw for r in batch.rejected if r.code is RejectionCode.NO_ID and isinstance(r.raw, Mapping))
        found.rejected.extend(batch.rejected)
    return found


def _id_column(doc: Document, stream: str) -> str:
    """The top-level key the stream's ``id:`` path starts with (the files connector needs one to read rows)."""
    streams = doc.data.get("streams") if isinstance(doc.data, dict) else None
    raw = streams.get(stream) if isinstance(streams, dict) else None
    text = raw.get("id") if isinstance(raw, dict) else None
    try:
        steps = parse_path(text).steps if isinstance(text, str) else ()
    except ValueError:
        steps = ()
    return str(steps[0][1]) if steps and steps[0][0] == "key" else "id"


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
