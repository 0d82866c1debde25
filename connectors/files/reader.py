"""Reading CSV, JSON-lines and JSON files row by row: the one reading path for files.

The files connector, ``mapping run``, ``mapping check --sample`` and ``identity resolve
FILE`` all read through here, so a file is read the same way wherever it is given.

    read_rows(config, start=, first_line=, complete=) ─→ GoodRow | BadRow, each with its line and
                                                         the position to resume after it,
                                                         then at most one Pending

A row that cannot be read comes out as ``BadRow`` with a reason, its line, a raw copy
(at most ``RAW_LIMIT`` characters) and its ID when the ID column can still be read, and
the rows after it are still read. A file still being written ends in a line without a
line end, or inside a quoted field: unless ``complete``, that last record is not read but
announced as ``Pending`` (the position stays before it), so it is never stored cut short.

- CSV (``connectors.files.csvrecords``): a well-formed file is read exactly as
  ``csv.reader`` reads it, quoted line breaks included. Only a broken record is recovered
  from: a quote that never closes, or that swallows following lines which are rows of their
  own, makes its first line bad and reading resumes at the next line; a record with the
  wrong number of fields, or a field over the CSV field limit, is bad on its own.
- JSON lines: a line that is not a JSON object is bad; the next line is read.
- JSON (an array of objects, or one object): read whole, element by element; an element
  that is not an object is bad. For large exports, JSON lines or CSV stream instead.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from connectors.files.config import FileFormat, FileStreamConfig
from connectors.files.csvrecords import Header, csv_rows, read_header
from connectors.files.rows import RAW_LIMIT, BadRow, GoodRow, Pending, Row, cut
from connectors.files.text import Lines, text_encoding, undecodable_reason
from core.errors import ConnectorConfigError

__all__ = ["RAW_LIMIT", "BadRow", "GoodRow", "Header", "Pending", "Row", "read_header", "read_rows"]


def read_rows(
    config: FileStreamConfig, *, start: int, first_line: int, complete: bool = True
) -> Iterator[Row | Pending]:
    """Yield rows from position ``start``; ``first_line`` is the line (JSON: element) number found there.

    ``start`` is a byte offset for CSV and JSON lines, and an element index for JSON. Without
    ``complete``, a last record that is not finished yet ends the rows as a ``Pending``.

    Raises:
        ConnectorConfigError: The file cannot be read at all (see ``read_header``; a JSON
            document that does not parse).
    """
    if config.file_format is FileFormat.CSV:
        yield from csv_rows(config, start=start, first_line=first_line, complete=complete)
    elif config.file_format is FileFormat.JSONL:
        yield from _jsonl_rows(config, start=start, first_line=max(first_line, 1), complete=complete)
    else:
        yield from _json_rows(config, start=start)


def object_id(data: Any, config: FileStreamConfig) -> str | None:
    """The record's ID when ``data`` is an object holding a non-blank one."""
    value = data.get(config.id_field) if isinstance(data, dict) else None
    return None if value is None or str(value).strip() == "" else str(value).strip()


def _json_problem(err: json.JSONDecodeError, text: str) -> str:
    """Where on its line a JSON line breaks, and the likely cause at the line's end."""
    if err.pos < len(text):
        return f"invalid JSON: {err.msg} at column {err.pos + 1}"
    trailing = " (a trailing ',' before it?)" if text.rstrip().endswith(",") else ""
    return f"invalid JSON: {err.msg} at the end of the line, column {len(text) + 1}{trailing}"


def _jsonl_rows(config: FileStreamConfig, *, start: int, first_line: int, complete: bool) -> Iterator[Row | Pending]:
    encoding = text_encoding(config.path, config.encoding, given=config.encoding_given)
    with config.path.open("rb") as handle:
        lines = Lines(handle, encoding, start=start, first_line=first_line)
        while (line := lines.next()) is not None:
            if not line.ended and not complete:
                yield Pending(line.number, line.start, "has no line end yet")
                return
            text = line.text.rstrip("\r\n")
            if not text.strip():
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as err:
                yield BadRow(_json_problem(err, text), cut(text), line.number, line.end)
                continue
            if line.undecodable is not None:
                reason = undecodable_reason(encoding, line.undecodable)
                yield BadRow(reason, cut(text), line.number, line.end, object_id(data, config))
            elif not isinstance(data, dict):
                reason = f"a JSONL line must be an object, got {type(data).__name__}"
                yield BadRow(reason, cut(text), line.number, line.end)
            else:
                yield GoodRow(data, line.number, line.end)


def load_json(config: FileStreamConfig) -> list[Any]:
    """A JSON document's elements (one object is a list of one).

    Raises:
        ConnectorConfigError: The document does not parse, or does not decode.
    """
    encoding = text_encoding(config.path, config.encoding, given=config.encoding_given)
    raw = config.path.read_bytes()[encoding.mark :]
    try:
        document = json.loads(raw.decode(encoding.codec).removeprefix("\ufeff"))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        detail = (
            f"{err.msg} at line {err.lineno} column {err.colno}"
            if isinstance(err, json.JSONDecodeError)
            else undecodable_reason(encoding, err)
        )
        msg = f"{config.path} is not a JSON document: {detail}"
        raise ConnectorConfigError(
            msg, hint="fix the JSON, or export one object per line (JSON lines)", stream=config.name
        ) from None
    return document if isinstance(document, list) else [document]


def _json_rows(config: FileStreamConfig, *, start: int) -> Iterator[Row]:
    items = load_json(config)
    for index in range(start, len(items)):
        item = items[index]
        if isinstance(item, dict):
            yield GoodRow(item, index + 1, index + 1)
        else:
            reason = f"element {index + 1} of the JSON array is a {type(item).__name__}, not an object"
            yield BadRow(reason, cut(json.dumps(item)), index + 1, index + 1)
