"""``check_mapping``: validate a mapping and show what sample records map to.

A sample record that the mapping rejects is a problem of the check, pointed at
the mapping key involved (a required field's line, a failing transform's field),
because a mapping that cannot map its own sample is not ready to run.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ConfigError, MappingError, Problem
from core.mapping.engine import CompiledMapping, MapOutcome, Mapped, Rejected
from core.mapping.loader import load_mapping

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


def check_mapping(path: str | Path, sample: str | Path | None = None, *, stream: str | None = None) -> CheckReport:
    """Validate a mapping file and, with ``sample``, map each sample record.

    Args:
        path: The mapping file.
        sample: A JSON (object or list), JSONL or CSV file of raw records.
        stream: The stream the sample holds; needed when the mapping has several.

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
    records = read_sample(sample)
    name = mapping.pick_stream(stream)
    results: list[SampleResult] = []
    rejected: dict[tuple[tuple[str | int, ...], str], list[tuple[int, Rejected]]] = {}
    for index, raw in enumerate(records, start=1):
        outcome = mapping.map(mapping.source_record(name, raw))
        results.append(SampleResult(index=index, stream=name, outcome=outcome))
        if isinstance(outcome, Rejected):
            rejected.setdefault((tuple(outcome.loc), outcome.reason), []).append((index, outcome))
    # the same reason at the same place is one problem, naming every record it hit
    problems = [
        _sample_problem(mapping, same[0][1], indexes=[i for i, _ in same], total=len(records), sample=str(sample))
        for same in rejected.values()
    ]
    return CheckReport(file=file, mapping=mapping, problems=problems, results=results)


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


def read_sample(path: str | Path) -> list[Mapping[str, Any]]:
    """Read sample records: ``.json`` (one object or a list), ``.jsonl``/``.ndjson``, or ``.csv``.

    Raises:
        ConfigError: The file is missing, unreadable, of another kind, or holds non-objects.
    """
    p = Path(path)
    suffix = p.suffix.lower()
    if suffix not in {".json", ".jsonl", ".ndjson", ".csv"}:
        msg = f"sample {p} is not .json, .jsonl or .csv"
        raise ConfigError(msg, hint="convert it, or name it by its format")
    try:
        text = p.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        msg = f"sample file {p} not found"
        raise ConfigError(msg, hint="check the path; examples are in samples/") from None
    except (OSError, UnicodeDecodeError) as err:
        msg = f"cannot read sample file {p}: {err}"
        raise ConfigError(msg, hint="the sample must be UTF-8 text") from None
    if suffix == ".csv":  # newline="": a quoted field may hold line breaks
        return list(csv.DictReader(io.StringIO(text, newline="")))
    records = _read_json(p, text, lines=suffix != ".json")
    for number, item in enumerate(records, start=1):
        if not isinstance(item, dict):
            msg = f"sample {p}: record {number} is {type(item).__name__}, not an object"
            raise ConfigError(
                msg,
                hint="each record must be a JSON object",
            )
    return records


def _read_json(p: Path, text: str, *, lines: bool) -> list[Any]:
    try:
        if lines:
            return [json.loads(line) for line in text.splitlines() if line.strip()]
        data = json.loads(text)
    except json.JSONDecodeError as err:
        msg = f"sample {p} is not valid JSON: {err}"
        raise ConfigError(msg, hint="fix the JSON, or use .jsonl for one object per line") from None
    return data if isinstance(data, list) else [data]


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
