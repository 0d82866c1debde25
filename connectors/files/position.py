"""The read position of an append-only file, tied to the file and to every byte before it.

Why: the store keeps one cursor per system and stream, and it outlives the file it was
taken in. The next run may be handed another file (``feb.csv`` after ``jan.csv``), the same
path rewritten by a full export, or the same rows re-encoded; resuming at a byte offset in
any of them skips their first rows and starts in the middle of a line. So a position
carries the file's path and a SHA-256 of all the bytes before it, and a run resumes only
when both still match; otherwise it reads the file from the start and says why. Hashing
the whole prefix, not samples of it, runs at about 1.4 GB/s on our machines (some 70 ms
for a 100 MB export, next to the seconds that parsing takes), so an edit anywhere before
the position is seen. An append leaves every byte before the position as it was: the
run resumes there, after the last complete line.

A JSON document is parsed whole and its position is an element index; its digest is over
the elements before it, so an array that gains elements at its end resumes after the old ones.

Cursor JSON::

    {"mode": "position", "file": "/data/exports/people.csv", "offset": 48213, "line": 812,
     "sha256": "9f2c…", "at_line_end": true, "read_as": "utf-8, delimiter ','",
     "restarted": "…why this pass began at the start…", "waiting": "…the unfinished last line…"}
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

from connectors.files.rows import BadRow, GoodRow, Row

__all__ = ["ByteDigest", "ItemDigest", "restart_reason"]

_CHUNK = 1 << 20


class ByteDigest:
    """SHA-256 of a file's bytes from its start up to an offset that only moves forward."""

    def __init__(self, path: Path, newline: bytes = b"\n") -> None:
        self._handle = path.open("rb")
        self._hash = hashlib.sha256()
        self._newline = newline
        self._tail = b""
        self.reached = 0

    def __enter__(self) -> ByteDigest:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self._handle.close()

    def feed(self, row: Row) -> None:
        """Nothing to do: the bytes are read from the file at ``at``."""

    def at(self, offset: int) -> str | None:
        """The digest of the bytes before ``offset``; None when the file is shorter."""
        while self.reached < offset:
            chunk = self._handle.read(min(offset - self.reached, _CHUNK))
            if not chunk:
                return None
            self._hash.update(chunk)
            self._tail = (self._tail + chunk)[-len(self._newline) :]
            self.reached += len(chunk)
        return self._hash.hexdigest()

    @property
    def at_line_end(self) -> bool:
        """Whether the bytes digested so far end with a line end (or are none)."""
        return self.reached == 0 or self._tail == self._newline


class ItemDigest:
    """SHA-256 of a JSON document's elements before an index, fed the rows as they are read."""

    def __init__(self, rows_from_start: Callable[[], Iterator[Any]]) -> None:
        self._rows = rows_from_start
        self._hash = hashlib.sha256()
        self.reached = 0
        self.at_line_end = True

    def __enter__(self) -> ItemDigest:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        return None

    def feed(self, row: Row) -> None:
        """Add the element ``row`` was read from."""
        text = json.dumps(row.data, sort_keys=True, default=str) if isinstance(row, GoodRow) else row.raw
        self._hash.update(text.encode("utf-8") + b"\n")
        self.reached = row.offset

    def at(self, offset: int) -> str | None:
        """The digest of the elements before index ``offset``; None when the document has fewer."""
        if self.reached < offset:
            for row in self._rows():
                if isinstance(row, GoodRow | BadRow) and self.reached < row.offset <= offset:
                    self.feed(row)
        return self._hash.hexdigest() if self.reached >= offset else None


def restart_reason(
    cursor: dict[str, Any], *, file: str, read_as: str, digest: ByteDigest | ItemDigest, size: int
) -> str | None:
    """Why the saved position ``cursor`` cannot be resumed from in ``file``; None when it can.

    ``read_as`` says how the file is read now (encoding, delimiter): rows read another way
    before (all parked as undecodable, say) are read again. ``digest`` is fresh: it is
    advanced to the saved offset here.
    """
    if not cursor.get("sha256") or "file" not in cursor:
        return "the saved position was written by an older Contactpoint that did not check the file's content"
    if cursor["file"] != file:
        return f"the saved position was in another file ({cursor['file']})"
    if cursor.get("read_as") != read_as:
        return f"the file is now read as {read_as}, not {cursor.get('read_as')}"
    offset = int(cursor.get("offset", 0))
    found = digest.at(offset)
    if found is None:
        return "the file is now shorter than the saved position (it was replaced)"
    if found != cursor["sha256"]:
        return "the file changed before the saved position (it was rewritten or re-encoded, not appended to)"
    if not cursor.get("at_line_end", True) and size > offset:
        return "the last line read had no line end and the file has grown since: it was still being written"
    return None
