"""Bulk API 2.0 speaks CSV: stream it in, write it out, give values their types back.

Result pages are parsed as they arrive (chunk by chunk), so a page of 50,000
rows is never held in memory whole. Bulk CSV has no types: ``""`` is null and
booleans are ``true``/``false``; ``coerce_row`` restores the JSON types the
REST API would have given, from the object's describe.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

__all__ = ["coerce_row", "iter_csv_rows", "rows_to_csv"]

_INTEGER_TYPES = frozenset({"int", "long"})
_NUMBER_TYPES = frozenset({"double", "currency", "percent"})


def _lines(chunks: Iterable[bytes]) -> Iterator[str]:
    """Split a byte stream into text lines, each keeping its line ending (csv needs them)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    pending = ""
    for chunk in chunks:
        pending += decoder.decode(chunk)
        lines = pending.splitlines(keepends=True)
        pending = lines.pop() if lines and not lines[-1].endswith(("\n", "\r")) else ""
        yield from lines
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending


def iter_csv_rows(chunks: Iterable[bytes]) -> Iterator[dict[str, str]]:
    """Yield each CSV row as a dict keyed by the header, parsing as bytes arrive."""
    yield from csv.DictReader(_lines(chunks))


def rows_to_csv(rows: Sequence[Mapping[str, Any]], columns: Sequence[str]) -> str:
    """Write rows as Bulk API CSV (LF line endings; None becomes ``#N/A`` to clear a field)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_csv_value(row.get(col)) for col in columns])
    return out.getvalue()


def _csv_value(value: Any) -> str:
    if value is None:
        return "#N/A"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def coerce_row(row: Mapping[str, str], types: Mapping[str, str]) -> dict[str, Any]:
    """Return ``row`` with empty strings as None and booleans and numbers typed, per describe types."""
    return {name: _coerce(value, types.get(name)) for name, value in row.items()}


def _coerce(value: str, kind: str | None) -> Any:
    if value == "":
        return None
    try:
        if kind == "boolean":
            return value.lower() == "true"
        if kind in _INTEGER_TYPES:
            return int(value)
        if kind in _NUMBER_TYPES:
            return float(value)
    except ValueError:
        return value
    return value
