"""Reading CSV, JSON-lines and JSON files row by row: the one reading path for files.

The files connector, ``mapping run``, ``mapping check --sample`` and ``identity resolve
FILE`` all read through here, so a file is read the same way wherever it is given.

    read_rows(config, start=, first_line=) ─→ GoodRow | BadRow, each with its line and the
                                              position to resume after it

A row that cannot be read comes out as ``BadRow`` with a reason, its line, a raw copy
(at most ``RAW_LIMIT`` characters) and its ID when the ID column can still be read, and
the rows after it are still read:

- CSV: each record is parsed from its first physical line. A quote that never closes,
  or that swallows following lines which are rows of their own, makes that first line
  bad and reading resumes at the next line; a record with the wrong number of fields or
  a field over the CSV field limit is bad on its own. A quoted field may still hold line
  breaks (an address over two lines).
- JSON lines: a line that is not a JSON object is bad; the next line is read.
- JSON (an array of objects, or one object): read whole, element by element; an element
  that is not an object is bad. For large exports, JSON lines or CSV stream instead.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from connectors.files.config import FileFormat, FileStreamConfig
from core.errors import ConnectorConfigError

__all__ = ["RAW_LIMIT", "BadRow", "GoodRow", "fingerprint", "read_header", "read_rows"]

RAW_LIMIT = 4096
"""Characters of a bad row's text kept for the admin; the rest is counted, not kept."""

MAX_RECORD_LINES = 1000
"""Physical lines one CSV record may span before its open quote counts as never closing."""

_FIELD_LIMIT = csv.field_size_limit()


@dataclass(frozen=True, slots=True)
class GoodRow:
    """A row read as a dict of column → value; ``offset`` is where reading resumes after it."""

    data: dict[str, Any]
    line: int
    offset: int


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that could not be read: the reason, its raw text (cut), its line, and its ID when readable."""

    reason: str
    raw: str
    line: int
    offset: int
    source_id: str | None = None


Row = GoodRow | BadRow


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    number: int
    end: int
    undecodable: bool


class _Lines:
    """Physical lines of a binary file from a byte offset, decoded, with a push-back buffer."""

    def __init__(self, handle: BinaryIO, encoding: str, *, start: int, first_line: int) -> None:
        self.handle = handle
        self.encoding = encoding
        self.offset = start
        self.number = first_line - 1
        self.pending: list[_Line] = []

    def next(self) -> _Line | None:
        if self.pending:
            return self.pending.pop(0)
        raw = self.handle.readline()
        if not raw:
            return None
        self.offset += len(raw)
        self.number += 1
        try:
            text, undecodable = raw.decode(self.encoding), False
        except UnicodeDecodeError:
            text, undecodable = raw.decode(self.encoding, errors="replace"), True
        return _Line(text.removeprefix("\ufeff"), self.number, self.offset, undecodable)

    def push_back(self, lines: list[_Line]) -> None:
        self.pending[:0] = lines


def _cut(text: str) -> str:
    text = text.rstrip("\r\n")
    if len(text) <= RAW_LIMIT:
        return text
    return f"{text[:RAW_LIMIT]}… ({len(text) - RAW_LIMIT:,} more characters)"


def fingerprint(path: Path) -> str:
    """Return the file's first line, which tells whether a file was replaced."""
    with path.open("rb") as handle:
        return handle.readline(4096).decode("utf-8", errors="replace").strip()


def read_header(config: FileStreamConfig) -> tuple[list[str], int]:
    """Return a CSV file's column names and the byte offset where data starts.

    Raises:
        ConnectorConfigError: No header, duplicate column names, or no id column.

    """
    with config.path.open("rb") as handle:
        lines = _Lines(handle, config.encoding, start=0, first_line=1)
        parsed = _one_record(lines, config.delimiter)
        offset = lines.offset
    header = [h.strip() for h in parsed[0]] if parsed is not None and isinstance(parsed[0], list) else []
    if not header:
        msg = f"{config.path} is empty: a CSV file needs a header row naming its columns"
        raise ConnectorConfigError(msg, hint="export the file with a header row", stream=config.name)
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        msg = f"{config.path} repeats column names in its header: {', '.join(duplicates)}"
        raise ConnectorConfigError(msg, hint="rename the columns so each is unique", stream=config.name)
    if config.id_field not in header:
        msg = f"{config.path} has no column {config.id_field!r} to identify rows; columns: {', '.join(header)}"
        hint = "set 'id_field' to the column holding each row's ID"
        raise ConnectorConfigError(msg, hint=hint, stream=config.name, missing_column=config.id_field, columns=header)
    return header, offset


def read_rows(config: FileStreamConfig, *, start: int, first_line: int) -> Iterator[Row]:
    """Yield rows from position ``start``; ``first_line`` is the line (JSON: element) number found there.

    ``start`` is a byte offset for CSV and JSON lines, and an element index for JSON.
    """
    if config.file_format is FileFormat.CSV:
        header, data_start = read_header(config)
        yield from _csv_rows(config, header, start=max(start, data_start), first_line=max(first_line, 2))
    elif config.file_format is FileFormat.JSONL:
        yield from _jsonl_rows(config, start=start, first_line=max(first_line, 1))
    else:
        yield from _json_rows(config, start=start)


def _one_record(lines: _Lines, delimiter: str) -> tuple[list[str] | csv.Error, list[_Line]] | None:
    """Parse one CSV record from the next line on; return it (or the error) and the lines it took."""
    taken: list[_Line] = []

    def feed() -> Iterator[str]:
        while len(taken) < MAX_RECORD_LINES and (line := lines.next()) is not None:
            taken.append(line)
            yield line.text

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    try:
        values = next(reader)
    except StopIteration:
        return ([], taken) if taken else None
    except csv.Error as err:
        return err, taken
    return values, taken


def _alone(line: _Line, delimiter: str, width: int) -> bool:
    """Whether a physical line is, on its own, a complete row of ``width`` fields."""
    try:
        values = next(csv.reader([line.text], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return False
    return len(values) == width


def _id_of(values: list[str], column: int) -> str | None:
    """The row's ID, read at the ID column's place, when the row reaches it (so a bad row can be found)."""
    value = values[column].strip() if column < len(values) else ""
    return value or None


def _id_in_text(text: str, delimiter: str, column: int) -> str | None:
    """The ID column of a line read leniently (a broken quote or an over-long field still give the ID)."""
    values = next(csv.reader([text[:_FIELD_LIMIT]], delimiter=delimiter), [])
    return _id_of(values, column)


def _csv_problem(err: csv.Error | None, taken: list[_Line], width: int) -> str:
    if err is None:
        return "a quote opened on this line runs on into the rows after it; reading resumed at the next line"
    text = str(err)
    if "field larger than field limit" in text:
        return f"a field is longer than the CSV field limit of {_FIELD_LIMIT:,} characters"
    if "unexpected end of data" in text or len(taken) > 1:  # the open quote ran on into later lines
        return "a quote opened on this line never closes on it; reading resumed at the next line"
    return f"unreadable CSV: {text}"


def _csv_rows(config: FileStreamConfig, header: list[str], *, start: int, first_line: int) -> Iterator[Row]:
    width, delimiter = len(header), config.delimiter
    id_column = header.index(config.id_field)
    with config.path.open("rb") as handle:
        handle.seek(start)
        lines = _Lines(handle, config.encoding, start=start, first_line=first_line)
        while (parsed := _one_record(lines, delimiter)) is not None:
            values, taken = parsed
            first = taken[0]
            swallowed = len(taken) > 1 and any(_alone(line, delimiter, width) for line in taken[1:])
            if isinstance(values, csv.Error) or swallowed:
                lines.push_back(taken[1:])  # resynchronise: the next line is read as a row of its own
                reason = _csv_problem(values if isinstance(values, csv.Error) else None, taken, width)
                yield BadRow(
                    reason, _cut(first.text), first.number, first.end, _id_in_text(first.text, delimiter, id_column)
                )
                continue
            end, text = taken[-1].end, "".join(line.text for line in taken)
            if not values or values == [""]:
                continue
            source_id = _id_of(values, id_column)
            if any(line.undecodable for line in taken):
                yield BadRow(f"bytes that are not {config.encoding}", _cut(text), first.number, end, source_id)
            elif len(values) != width:
                reason = f"row has {len(values)} fields, the header has {width}"
                yield BadRow(reason, _cut(text), first.number, end, source_id)
            else:
                yield GoodRow(dict(zip(header, values, strict=True)), first.number, end)


def _object_id(data: Any, config: FileStreamConfig) -> str | None:
    value = data.get(config.id_field) if isinstance(data, dict) else None
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _jsonl_rows(config: FileStreamConfig, *, start: int, first_line: int) -> Iterator[Row]:
    with config.path.open("rb") as handle:
        handle.seek(start)
        lines = _Lines(handle, config.encoding, start=start, first_line=first_line)
        while (line := lines.next()) is not None:
            text = line.text
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as err:
                reason = f"invalid JSON: {err.msg} at column {err.colno}"
                yield BadRow(reason, _cut(text), line.number, line.end)
                continue
            if line.undecodable:
                yield BadRow(
                    f"bytes that are not {config.encoding}", _cut(text), line.number, line.end, _object_id(data, config)
                )
            elif not isinstance(data, dict):
                reason = f"a JSONL line must be an object, got {type(data).__name__}"
                yield BadRow(reason, _cut(text), line.number, line.end)
            else:
                yield GoodRow(data, line.number, line.end)


def _json_rows(config: FileStreamConfig, *, start: int) -> Iterator[Row]:
    try:
        document = json.loads(config.path.read_bytes().decode(config.encoding).removeprefix("\ufeff"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        detail = (
            f"{err.msg} at line {err.lineno} column {err.colno}" if isinstance(err, json.JSONDecodeError) else str(err)
        )
        msg = f"{config.path} is not a JSON document: {detail}"
        raise ConnectorConfigError(
            msg, hint="fix the JSON, or export one object per line (JSON lines)", stream=config.name
        ) from None
    items = document if isinstance(document, list) else [document]
    for index in range(start, len(items)):
        item = items[index]
        if isinstance(item, dict):
            yield GoodRow(item, index + 1, index + 1)
        else:
            reason = f"element {index + 1} of the JSON array is a {type(item).__name__}, not an object"
            yield BadRow(reason, _cut(json.dumps(item)), index + 1, index + 1)
