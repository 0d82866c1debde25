"""Reading CSV and JSONL files row by row, knowing the byte offset after each row.

The offset lets a pull resume exactly after the last stored row. Rows that cannot
be read (wrong number of columns, invalid JSON, bytes that are not the declared
encoding) come out as ``BadRow`` with a reason instead of stopping the file.
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

__all__ = ["BadRow", "GoodRow", "fingerprint", "read_header", "read_rows"]


@dataclass(frozen=True, slots=True)
class GoodRow:
    """A row read as a dict of column → value, ending at byte ``offset``."""

    data: dict[str, Any]
    line: int
    offset: int


@dataclass(frozen=True, slots=True)
class BadRow:
    """A row that could not be read, with the reason, its raw text and its ID when that could be read."""

    reason: str
    raw: str
    line: int
    offset: int
    source_id: str | None = None


Row = GoodRow | BadRow


class _Lines:
    """Decoded lines of a binary file, counting bytes and flagging undecodable ones."""

    def __init__(self, handle: BinaryIO, encoding: str, start: int) -> None:
        self.handle = handle
        self.encoding = encoding
        self.offset = start
        self.bad_lines: list[int] = []
        self.count = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        raw = self.handle.readline()
        if not raw:
            raise StopIteration
        self.offset += len(raw)
        self.count += 1
        try:
            text = raw.decode(self.encoding)
        except UnicodeDecodeError:
            self.bad_lines.append(self.count)
            text = raw.decode(self.encoding, errors="replace")
        return text.removeprefix("\ufeff")


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
        lines = _Lines(handle, config.encoding, 0)
        header = next(csv.reader(lines, delimiter=config.delimiter), None)
        offset = lines.offset
    if not header:
        msg = f"{config.path} is empty: a CSV file needs a header row naming its columns"
        raise ConnectorConfigError(msg, hint="export the file with a header row", stream=config.name)
    header = [h.strip() for h in header]
    duplicates = sorted({h for h in header if header.count(h) > 1})
    if duplicates:
        msg = f"{config.path} repeats column names in its header: {', '.join(duplicates)}"
        raise ConnectorConfigError(msg, hint="rename the columns so each is unique", stream=config.name)
    if config.id_field not in header:
        msg = f"{config.path} has no column {config.id_field!r} to identify rows; columns: {', '.join(header)}"
        raise ConnectorConfigError(msg, hint="set 'id_field' to the column holding each row's ID", stream=config.name)
    return header, offset


def read_rows(config: FileStreamConfig, *, start: int, first_line: int) -> Iterator[Row]:
    """Yield rows from byte ``start``; ``first_line`` is the line number found there."""
    if config.file_format is FileFormat.CSV:
        header, data_start = read_header(config)
        yield from _csv_rows(config, header, start=max(start, data_start), first_line=max(first_line, 2))
    else:
        yield from _jsonl_rows(config, start=start, first_line=max(first_line, 1))


def _csv_rows(config: FileStreamConfig, header: list[str], *, start: int, first_line: int) -> Iterator[Row]:
    with config.path.open("rb") as handle:
        handle.seek(start)
        lines = _Lines(handle, config.encoding, start)
        reader = csv.reader(lines, delimiter=config.delimiter, strict=True)
        id_column = header.index(config.id_field)
        line = first_line
        while True:
            before = lines.count
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as err:
                yield BadRow(f"unreadable CSV: {err}", "", line, lines.offset)
                line = first_line + lines.count
                continue
            row_line, line = line, first_line + lines.count
            if not values or values == [""]:
                continue
            bad = [n for n in lines.bad_lines if n > before]
            source_id = _id_of(values, id_column)
            if bad:
                reason = f"bytes that are not {config.encoding}"
                yield BadRow(reason, config.delimiter.join(values), row_line, lines.offset, source_id)
            elif len(values) != len(header):
                reason = f"row has {len(values)} fields, the header has {len(header)}"
                yield BadRow(reason, config.delimiter.join(values), row_line, lines.offset, source_id)
            else:
                yield GoodRow(dict(zip(header, values, strict=True)), row_line, lines.offset)


def _id_of(values: list[str], column: int) -> str | None:
    """The row's ID, read at the ID column's place, when the row reaches it (so a bad row can be found)."""
    value = values[column].strip() if column < len(values) else ""
    return value or None


def _jsonl_rows(config: FileStreamConfig, *, start: int, first_line: int) -> Iterator[Row]:
    with config.path.open("rb") as handle:
        handle.seek(start)
        lines = _Lines(handle, config.encoding, start)
        for number, text in enumerate(lines, start=first_line):
            if not text.strip():
                continue
            if lines.bad_lines and lines.bad_lines[-1] == lines.count:
                yield BadRow(f"bytes that are not {config.encoding}", text.rstrip("\n"), number, lines.offset)
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as err:
                yield BadRow(f"invalid JSON: {err.msg} at column {err.colno}", text.rstrip("\n"), number, lines.offset)
                continue
            if not isinstance(data, dict):
                reason = f"a JSONL line must be an object, got {type(data).__name__}"
                yield BadRow(reason, text.rstrip("\n"), number, lines.offset)
                continue
            yield GoodRow(data, number, lines.offset)
