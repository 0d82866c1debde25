"""The one way Contactpoint writes CSV: cells a spreadsheet would run as formulas are neutralised.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a
formula to Excel, LibreOffice and Google Sheets (``=cmd|' /C calc'!A0``, ``@SUM(1)``);
a record ID or a name from a customer system can begin that way. As OWASP recommends,
such a cell is written with a leading apostrophe, which spreadsheets show as text.

The change can be undone exactly (``restore``), for files Contactpoint reads back: a
cell already beginning with apostrophes before such a character gets one more, so a
value that really begins ``'=`` survives the round trip.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import IO, Any

__all__ = ["CsvWriter", "neutralise", "restore"]

_FORMULA = re.compile(r"^'*[=+\-@\t\r]")
_ADDED = re.compile(r"^'+[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """Return the cell as written: text a spreadsheet would run as a formula gets a leading apostrophe."""
    if isinstance(value, str) and _FORMULA.match(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """Undo ``neutralise`` on a cell read back from a CSV this module wrote."""
    return value[1:] if _ADDED.match(value) else value


class CsvWriter:
    """``csv.writer`` over ``handle`` that neutralises every cell it writes."""

    def __init__(self, handle: IO[str], **options: Any) -> None:
        self._writer = csv.writer(handle, **options)

    def writerow(self, row: Iterable[Any]) -> None:
        """Write one row, each cell neutralised."""
        self._writer.writerow([neutralise(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        """Write rows, each cell neutralised."""
        for row in rows:
            self.writerow(row)
