r"""Making a pulled record storable on every backend, the same way on each.

PostgreSQL cannot hold the NUL character (``\x00``) in text or JSON, while SQLite can;
a record carrying one would fail its whole batch there and block the stream for good.
So NULs are removed from every string of the raw record (keys included) before it is
mapped and stored, on both backends alike, and each cleaned field is reported as a field
problem so the record can be fixed at its source.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from connectors.base import RejectionCode, SourceRecord
from core.mapping import FieldProblem

__all__ = ["clean_record"]

_NUL = "\x00"


def _clean(value: Any, path: str, found: list[str]) -> Any:
    """Return ``value`` without NULs in any string, appending the path of each cleaned value to ``found``."""
    if isinstance(value, str):
        if _NUL not in value:
            return value
        found.append(path)
        return value.replace(_NUL, "")
    if isinstance(value, dict):
        cleaned: dict[Any, Any] = {}
        for key, item in value.items():
            name = _clean(key, f"{path} (a key)", found) if isinstance(key, str) else key
            cleaned[name] = _clean(item, f"{path}.{name}", found)
        return cleaned
    if isinstance(value, list):
        return [_clean(item, f"{path}[{index}]", found) for index, item in enumerate(value)]
    return value


def _has_nul(value: Any) -> bool:
    """Whether any string inside ``value`` holds a NUL (a walk that copies nothing: the common, clean case)."""
    if isinstance(value, str):
        return _NUL in value
    if isinstance(value, dict):
        for key, item in value.items():
            if key.__class__ is str and _NUL in key:
                return True
            if item.__class__ is str:  # the common case, a flat row of text, without a call per value
                if _NUL in item:
                    return True
            elif item is not None and _has_nul(item):
                return True
        return False
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def clean_record(record: SourceRecord) -> tuple[SourceRecord, list[FieldProblem]]:
    """Return the record without NUL characters, and one field problem per cleaned value (none when clean)."""
    if _NUL not in record.source_id and not _has_nul(record.raw):
        return record, []
    found: list[str] = []
    raw = _clean(dict(record.raw), "raw", found)
    source_id = _clean(record.source_id, "source_id", found)
    if not found:
        return record, []
    problems = [
        FieldProblem(path, RejectionCode.INVALID, f"{path}: NUL characters removed (the store cannot hold them)")
        for path in found
    ]
    return replace(record, raw=raw, source_id=source_id), problems
