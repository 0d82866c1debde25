"""CSV records from physical lines: exactly what ``csv.reader`` reads, and a recovery only for broken files.

Each record is parsed by ``csv.reader`` (``strict``) from its first physical line on. When
that parse succeeds with the header's number of fields, the record is what ``csv.reader``
gives, however many lines its quoted fields span: a well-formed file is never second-guessed.
Only a record that fails is recovered from, by reading its first line as bad and parsing
again from the next line:

- the parse fails (a character after a closing quote, a field over the CSV field limit);
- a quote is still open at the end of the file: in a complete file it never closes; while
  the file may still be written it is left ``Pending``, unless the lines it swallowed are
  rows of their own (then it is broken either way);
- the record has the wrong number of fields while one of the lines it swallowed is, on
  its own, a row of the right width (an opened quote ran on into the rows after it).

A record with the wrong number of fields and no such line is bad as a whole (a row with a
surplus field that also holds an address over two lines).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from connectors.files.config import FileStreamConfig
from connectors.files.dialect import DELIMITERS, excel_separator, guess_delimiter, shown
from connectors.files.rows import BadRow, GoodRow, Pending, Row, cut
from connectors.files.text import Line, Lines, TextEncoding, text_encoding, undecodable_reason
from core.errors import ConnectorConfigError

__all__ = ["MAX_RECORD_LINES", "Header", "csv_rows", "read_header"]

MAX_RECORD_LINES = 1000
"""Physical lines one CSV record may span before its open quote counts as never closing."""

_FIELD_LIMIT = csv.field_size_limit()


@dataclass(frozen=True, slots=True)
class Header:
    """A CSV file's header as read: its columns and how the rows after it are read."""

    columns: list[str]
    """Column names; a column without a name is called ``column N`` (N counts from 1)."""
    unnamed: frozenset[int]
    """Positions of columns without a name: their values are kept only when not blank."""
    delimiter: str
    encoding: TextEncoding
    data_offset: int
    data_line: int


@dataclass(frozen=True, slots=True)
class _Record:
    values: list[str] | None
    error: csv.Error | None
    taken: list[Line]
    open_at_end: bool
    """The file ended inside a quoted field (within ``MAX_RECORD_LINES``)."""


def _one_record(lines: Lines, delimiter: str) -> _Record | None:
    """Parse one CSV record from the next line on, with the lines it took."""
    taken: list[Line] = []
    ended = False

    def feed() -> Iterator[str]:
        nonlocal ended
        while len(taken) < MAX_RECORD_LINES:
            line = lines.next()
            if line is None:
                ended = True
                return
            taken.append(line)
            yield line.text

    reader = csv.reader(feed(), delimiter=delimiter, strict=True)
    try:
        values = next(reader)
    except StopIteration:
        return _Record([], None, taken, open_at_end=False) if taken else None
    except csv.Error as err:
        open_at_end = ended and "unexpected end of data" in str(err)
        return _Record(None, err, taken, open_at_end=open_at_end)
    return _Record(values, None, taken, open_at_end=False)


def read_header(config: FileStreamConfig) -> Header:
    """Read a CSV file's header: its columns, delimiter, and where its data starts.

    Raises:
        ConnectorConfigError: No header, repeated column names, no ID column, or an encoding
            the file contradicts.

    """
    encoding = text_encoding(config.path, config.encoding, given=config.encoding_given)
    with config.path.open("rb") as handle:
        lines = Lines(handle, encoding, start=0, first_line=1)
        first = lines.next()
        named = excel_separator(first.text) if first is not None else None
        if first is not None and named is None:
            lines.push_back([first])
        header_line = lines.next()
        if header_line is not None:
            lines.push_back([header_line])
        delimiter = (
            config.delimiter
            if config.delimiter_given
            else named or guess_delimiter(header_line.text if header_line is not None else "")
        )
        record = _one_record(lines, delimiter)
        offset, number = lines.offset, lines.number + 1
    if record is not None and record.error is not None:
        msg = f"{config.path}: its header (line {record.taken[0].number}) cannot be read: {record.error}"
        raise ConnectorConfigError(msg, hint="fix the header's quotes", stream=config.name)
    names = [h.strip() for h in record.values or []] if record is not None else []
    _check_columns(config, names, delimiter)
    columns = [name or f"column {n}" for n, name in enumerate(names, start=1)]
    unnamed = frozenset(n for n, name in enumerate(names) if not name)
    return Header(columns, unnamed, delimiter, encoding, offset, number)


def _check_columns(config: FileStreamConfig, names: list[str], delimiter: str) -> None:
    path = config.path
    if not any(names):
        msg = f"{path} is empty: a CSV file needs a header row naming its columns"
        raise ConnectorConfigError(msg, hint="export the file with a header row", stream=config.name)
    repeated = sorted({n for n in names if n and names.count(n) > 1})
    if repeated:
        where = "; ".join(
            f"{name!r} (columns {', '.join(str(i + 1) for i, n in enumerate(names) if n == name)})" for name in repeated
        )
        msg = f"{path} repeats column names in its header: {where}"
        raise ConnectorConfigError(msg, hint="rename the columns so each is unique", stream=config.name)
    if config.id_field in names:
        return
    msg = f"{path} has no column {config.id_field!r} to identify rows; columns: {', '.join(names)}"
    hint = "set 'id_field' to the column holding each row's ID"
    other = next((c for c in DELIMITERS if c != delimiter and len(names) == 1 and c in names[0]), None)
    if other is not None:
        msg = (
            f"{path} has no column {config.id_field!r}: its header is one column, {names[0][:80]!r}, holding "
            f"{shown(other)}; the file seems to separate its columns with {shown(other)}, not {shown(delimiter)}"
        )
        hint = (
            f"set delimiter: {shown(other)} in the stream's settings (on the command line: --delimiter {shown(other)})"
        )
        # not a missing column to point the mapping's 'id:' at: the file is read with the wrong delimiter
        raise ConnectorConfigError(msg, hint=hint, stream=config.name, delimiter=delimiter, suggested=other)
    raise ConnectorConfigError(msg, hint=hint, stream=config.name, missing_column=config.id_field, columns=names)


def _alone(line: Line, delimiter: str, width: int) -> bool:
    """Whether a physical line is, on its own, a complete row of ``width`` fields."""
    try:
        values = next(csv.reader([line.text], delimiter=delimiter, strict=True), [])
    except csv.Error:
        return False
    return len(values) == width


def _id_in_text(text: str, delimiter: str, column: int) -> str | None:
    """The ID column of a line read leniently (a broken quote or an over-long field still give the ID)."""
    values = next(csv.reader([text[:_FIELD_LIMIT]], delimiter=delimiter), [])
    value = values[column].strip() if column < len(values) else ""
    return value or None


def _runaway_reason(record: _Record) -> str:
    if record.error is None:
        return "a quote opened on this line runs on into the rows after it; reading resumed at the next line"
    text = str(record.error)
    if "field larger than field limit" in text:
        return f"a field is longer than the CSV field limit of {_FIELD_LIMIT:,} characters"
    if record.open_at_end or len(record.taken) >= MAX_RECORD_LINES:
        return "a quote opened on this line never closes; reading resumed at the next line"
    if len(record.taken) > 1:
        return "a quote opened on this line never closes on it; reading resumed at the next line"
    return f"unreadable CSV: {text}"


class _CsvRows:
    """The rows of one pass over a CSV file."""

    def __init__(self, config: FileStreamConfig, header: Header, *, complete: bool) -> None:
        self.config = config
        self.header = header
        self.width = len(header.columns)
        self.id_column = header.columns.index(config.id_field)
        self.complete = complete

    def verdict(self, record: _Record) -> str:
        """``pending``, ``runaway`` (park the first line, read on from the next), ``skip`` or ``row``."""
        taken, values = record.taken, record.values
        if values is not None and len(taken) == 1 and len(values) == self.width and taken[0].ended:
            return "row"  # the common case: one whole line that is one whole row
        if record.error is not None and not record.open_at_end:
            return "runaway"
        if record.open_at_end or not taken[-1].ended:
            if self.swallowed(record):
                return "runaway"
            if not self.complete:
                return "pending"
            if record.open_at_end:
                return "runaway"
        values = values or []
        if len(taken) == 1 and len(values) <= 1 and not "".join(values).strip():
            return "skip"  # an empty or blank line
        if len(values) != self.width and self.swallowed(record):
            return "runaway"
        return "row"

    def swallowed(self, record: _Record) -> bool:
        """Whether a line after the record's first is, on its own, a row of the header's width."""
        return any(_alone(line, self.header.delimiter, self.width) for line in record.taken[1:])

    def row(self, record: _Record) -> Row:
        """The record as a row, or as a bad row saying why."""
        values, taken = record.values or [], record.taken
        first, end = taken[0], taken[-1].end
        broken = next((line.undecodable for line in taken if line.undecodable is not None), None)
        if broken is None and len(values) == self.width:
            return GoodRow(self.data(values), first.number, end)
        text = "".join(line.text for line in taken)
        source_id = (values[self.id_column].strip() or None) if self.id_column < len(values) else None
        if broken is not None:
            return BadRow(undecodable_reason(self.header.encoding, broken), cut(text), first.number, end, source_id)
        reason = f"row has {len(values)} fields, the header has {self.width}"
        return BadRow(reason, cut(text), first.number, end, source_id)

    def data(self, values: list[str]) -> dict[str, Any]:
        """Column → value; a column without a name only when it holds something."""
        columns, unnamed = self.header.columns, self.header.unnamed
        if not unnamed:
            return dict(zip(columns, values, strict=True))
        return {c: v for n, (c, v) in enumerate(zip(columns, values, strict=True)) if n not in unnamed or v.strip()}


def csv_rows(config: FileStreamConfig, *, start: int, first_line: int, complete: bool) -> Iterator[Row | Pending]:
    """Yield the CSV file's rows from byte ``start`` (line ``first_line``); see the module docstring."""
    header = read_header(config)
    if start < header.data_offset:
        start, first_line = header.data_offset, header.data_line
    rows = _CsvRows(config, header, complete=complete)
    with config.path.open("rb") as handle:
        lines = Lines(handle, header.encoding, start=start, first_line=first_line)
        while (record := _one_record(lines, header.delimiter)) is not None:
            verdict = rows.verdict(record)
            first = record.taken[0]
            if verdict == "pending":
                why = "has no line end yet" if record.values is not None else "opens a quote not closed yet"
                yield Pending(first.number, first.start, why)
                return
            if verdict == "runaway":
                lines.push_back(record.taken[1:])  # resynchronise: the next line is read as a row of its own
                source_id = _id_in_text(first.text, header.delimiter, rows.id_column)
                yield BadRow(_runaway_reason(record), cut(first.text), first.number, first.end, source_id)
            elif verdict == "row":
                yield rows.row(record)
