"""What reading a file yields: a row read, a row that could not be read, or a last record not finished yet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RAW_LIMIT", "BadRow", "GoodRow", "Pending", "Row", "cut"]

RAW_LIMIT = 4096
"""Characters of a bad row's text kept for the admin; the rest is counted, not kept."""


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


@dataclass(frozen=True, slots=True)
class Pending:
    """The last record of a file still being written: left unread, from ``offset`` on, until it is finished."""

    line: int
    offset: int
    why: str
    """What is unfinished, as a phrase after "line N": ``has no line end yet``."""


Row = GoodRow | BadRow


def cut(text: str) -> str:
    """``text`` without its line end, cut to ``RAW_LIMIT`` characters with a count of the rest."""
    text = text.rstrip("\r\n")
    if len(text) <= RAW_LIMIT:
        return text
    return f"{text[:RAW_LIMIT]}… ({len(text) - RAW_LIMIT:,} more characters)"
