"""Which character separates a CSV file's columns, when the settings do not say.

Excel writes ``,`` or, where the decimal mark is a comma (most of Europe), ``;``; other
tools use a tab or ``|``. Excel also honours, and may write, a first line ``sep=;`` naming
the delimiter. So: a ``sep=X`` first line wins; else ``csv.Sniffer`` reads the header line,
choosing among ``, ; TAB |`` only (a header with none of them is one column, read with
``,``). Only the header is looked at, so the guess does not move as rows are appended; a
header that uses two of them (``id;name,x``) gets ``,``: set ``delimiter`` for such a file.
"""

from __future__ import annotations

import csv
import re

__all__ = ["DELIMITERS", "excel_separator", "guess_delimiter", "shown"]

DELIMITERS = ",;\t|"

_SEP_LINE = re.compile(r"^\ufeff?sep=(.)\r?\n?$", re.IGNORECASE)


def excel_separator(first_line: str) -> str | None:
    """The delimiter an Excel ``sep=X`` first line names, or None when the line is not one."""
    found = _SEP_LINE.match(first_line)
    return found.group(1) if found else None


def guess_delimiter(header_line: str) -> str:
    """Return the delimiter a header line uses: one of ``, ; TAB |``, ``,`` when it shows none."""
    line = header_line.lstrip("\ufeff").rstrip("\r\n")
    if not any(c in line for c in DELIMITERS):
        return ","
    try:
        return csv.Sniffer().sniff(line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def shown(delimiter: str) -> str:
    """A delimiter as the settings write it (a tab as an escaped t in double quotes)."""
    return '"\\t"' if delimiter == "\t" else repr(delimiter)
