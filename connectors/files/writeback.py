"""Push for files: merge fields into an output file keyed by record ID.

Writing is idempotent: the output is read, the batch merged in, and the file
replaced atomically; an operation whose fields are already there is ``unchanged``.
CSV cells are written through ``core.csvout`` (no cell a spreadsheet would run as a
formula) and restored when the file is read back.
"""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from connectors.base import WriteOp, WriteOutcome, WriteResult
from connectors.files.config import FileFormat, FileStreamConfig
from core.csvout import CsvWriter, restore

__all__ = ["write_rows"]


def _read_existing(config: FileStreamConfig, path: Path) -> dict[str, dict[str, Any]]:
    if not path.exists():
        return {}
    rows: dict[str, dict[str, Any]] = {}
    with path.open(encoding="utf-8", newline="") as handle:
        if config.output_format is FileFormat.CSV:
            for row in csv.DictReader(handle):
                key = restore(row.pop(config.id_field))
                rows[key] = {k: json.loads(restore(v)) if v else None for k, v in row.items()}
        else:
            for line in handle:
                if line.strip():
                    row = json.loads(line)
                    rows[str(row.pop(config.id_field))] = row
    return rows


def _write_all(config: FileStreamConfig, path: Path, rows: dict[str, dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
        if config.output_format is FileFormat.CSV:
            columns: list[str] = []
            for fields in rows.values():
                columns.extend(c for c in fields if c not in columns)
            writer = CsvWriter(handle)
            writer.writerow([config.id_field, *columns])
            for key, fields in rows.items():
                writer.writerow(
                    [key, *(json.dumps(fields.get(c), default=str) if c in fields else "" for c in columns)]
                )
        else:
            for key, fields in rows.items():
                handle.write(json.dumps({config.id_field: key, **fields}, default=str) + "\n")
    Path(tmp).replace(path)


def write_rows(config: FileStreamConfig, ops: Sequence[WriteOp]) -> list[WriteResult]:
    """Merge ``ops`` into the stream's output file and return one result per op."""
    path = config.output_path
    rows = _read_existing(config, path)
    results: list[WriteResult] = []
    changed = False
    for op in ops:
        if op.source_id is None:
            results.append(WriteResult(None, WriteOutcome.FAILED, "CREATE_UNSUPPORTED", "a file row needs its ID"))
            continue
        if not op.fields:
            results.append(WriteResult(op.source_id, WriteOutcome.UNCHANGED))
            continue
        current = rows.get(op.source_id, {})
        fields = json.loads(json.dumps(dict(op.fields), default=str))
        merged = {**current, **fields}
        if op.source_id in rows and merged == current:
            results.append(WriteResult(op.source_id, WriteOutcome.UNCHANGED))
            continue
        rows[op.source_id] = merged
        changed = True
        results.append(WriteResult(op.source_id, WriteOutcome.WRITTEN))
    if changed:
        _write_all(config, path, rows)
    return results
