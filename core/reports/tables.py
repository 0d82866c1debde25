"""The report's tables: named columns and rows kept in a spool file, so memory does not follow the store.

    Table(name, title, columns)   add(row) while collecting; rows() reads them back, as often as needed
    Report                        headline figures by section, the tables, and when and over what it ran

A table's rows are written to a temporary file as JSON lines while the report is
collected (one pass over the store, chunk by chunk) and streamed from there by each
format (HTML, CSV, JSON), so a report over 100,000 profiles holds one chunk at a time.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any

__all__ = ["Report", "Table"]


class Table:
    """One table of the report: its columns, and its rows spooled to a temporary file.

    Args:
        name: File and anchor name (``conflicts``).
        title: What a person reads above it.
        columns: Column names, in order; every row has one value per column.
        note: A sentence under the title (what the rows mean).
    """

    def __init__(self, name: str, title: str, columns: Sequence[str], *, note: str = "") -> None:
        self.name = name
        self.title = title
        self.columns = list(columns)
        self.note = note
        self.count = 0
        self._file: IO[str] = tempfile.TemporaryFile("w+", encoding="utf-8")  # noqa: SIM115 (closed by close())

    def add(self, row: Sequence[Any]) -> None:
        """Append one row (its values in column order)."""
        if len(row) != len(self.columns):
            msg = f"table {self.name}: a row of {len(row)} values for {len(self.columns)} columns"
            raise ValueError(msg)
        self._file.write(json.dumps(list(row), default=str) + "\n")
        self.count += 1

    def rows(self) -> Iterator[list[Any]]:
        """Yield every row, in the order added (reading the spool from its start)."""
        self._file.flush()
        self._file.seek(0)
        for line in self._file:
            yield json.loads(line)
        self._file.seek(0, 2)

    def dicts(self) -> Iterator[dict[str, Any]]:
        """Yield every row as ``{column: value}``."""
        for row in self.rows():
            yield dict(zip(self.columns, row, strict=True))

    def close(self) -> None:
        """Remove the spool file."""
        self._file.close()


@dataclass
class Report:
    """A reconciliation report: headline figures per section, its tables, and what it covers."""

    report_id: str
    generated_at: str
    since_run: str | None
    window: dict[str, Any]
    figures: dict[str, dict[str, Any]] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    revealed: bool = False
    summary: str = ""
    """The headline sentence: profiles, conflicts, suppressions and ledger opt-outs not landed everywhere."""

    def table(self, name: str, title: str, columns: Sequence[str], *, note: str = "") -> Table:
        """Add an empty table and return it."""
        self.tables[name] = Table(name, title, columns, note=note)
        return self.tables[name]

    def headline(self) -> dict[str, Any]:
        """The figures the next report compares with (drift): flat ``section.name`` → number."""
        flat: dict[str, Any] = {}
        for section, values in self.figures.items():
            if section == "drift":
                continue
            for name, value in values.items():
                if isinstance(value, int | float) and not isinstance(value, bool):
                    flat[f"{section}.{name}"] = value
        return flat

    def close(self) -> None:
        """Remove every table's spool file."""
        for table in self.tables.values():
            table.close()

    def __enter__(self) -> Report:
        """Return the report itself."""
        return self

    def __exit__(self, *_exc: object) -> None:
        """Remove the spool files."""
        self.close()
