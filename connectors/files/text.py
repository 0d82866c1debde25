"""Bytes to text for the files connector: which encoding a file is in, and its physical lines.

    text_encoding(path, configured, given=) ─→ TextEncoding (codec, byte-order mark, encoded line end)
    Lines(handle, encoding, start=, first_line=) ─→ Line (text, number, start, end, undecodable)

A byte-order mark decides when the settings name no encoding (UTF-8 with a mark, and
UTF-16 or UTF-32 as Excel's "Unicode Text" writes them); a mark that contradicts the
encoding the settings name is an error, and so is a UTF-16 file without a mark (a zero byte
between the letters of its first line), rather than a header of garbled names. UTF-16 and
UTF-32 lines end at an encoded line feed on a character boundary, never at a 0x0A byte
inside a character. A file whose lines end in a carriage return alone (as old Mac programs
and some exports still write them) is read with that as its line end.
"""

from __future__ import annotations

import codecs
import difflib
from dataclasses import dataclass
from encodings.aliases import aliases
from pathlib import Path
from typing import BinaryIO

from core.errors import ConnectorConfigError

__all__ = ["Line", "Lines", "TextEncoding", "check_encoding", "marked_codec", "text_encoding", "undecodable_reason"]

_MARKS = (  # UTF-32-LE's mark starts with UTF-16-LE's: the longer is tried first
    (codecs.BOM_UTF32_LE, "utf-32-le", "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "utf-32"),
    (codecs.BOM_UTF8, "utf-8", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "utf-16"),
)
_COMMON = "utf-8, utf-8-sig, cp1252 (Excel and other Windows programs, Western Europe), latin-1, utf-16"
_CHUNK = 65_536


def check_encoding(name: str) -> str:
    """Return ``name`` when Python can decode text with it (for the settings validator).

    Raises:
        ValueError: Unknown or not a text encoding; the message names the nearest known one.
    """
    try:
        "".encode(name)
    except LookupError:
        wanted = name.strip().lower().replace("-", "_").replace(" ", "_")
        close = difflib.get_close_matches(wanted, {*aliases, *aliases.values()}, n=1, cutoff=0.6)
        nearest = f"did you mean {codecs.lookup(aliases.get(close[0], close[0])).name}? " if close else ""
        msg = f"unknown encoding {name!r}; {nearest}common ones: {_COMMON}"
        raise ValueError(msg) from None
    return name


def marked_codec(head: bytes) -> str | None:
    """The codec a byte-order mark at the start of ``head`` names (``utf-16-le``…), or None without one."""
    return next((codec for mark, codec, _ in _MARKS if head.startswith(mark)), None)


@dataclass(frozen=True, slots=True)
class TextEncoding:
    """How a file's bytes are read: the codec (without mark handling), the mark's length, the encoded line end (a line feed, or a carriage return alone)."""

    codec: str
    name: str
    """What messages call it (``utf-16``, ``cp1252``)."""
    mark: int = 0
    newline: bytes = b"\n"


def _family(codec: str) -> str:
    name = codecs.lookup(codec).name
    for prefix in ("utf-8", "utf-16", "utf-32"):
        if name.startswith(prefix):
            return prefix
    return name


def text_encoding(path: Path, configured: str, *, given: bool) -> TextEncoding:
    """Return how to read ``path``: its byte-order mark when it has one, else ``configured``.

    Raises:
        ConnectorConfigError: The mark contradicts an encoding the settings name, or the file
            is UTF-16 or UTF-32 without a mark while the settings name a one-byte encoding.
    """
    with path.open("rb") as handle:
        head = handle.read(_CHUNK)
    family = _family(configured)
    for mark, codec, mark_family in _MARKS:
        if head.startswith(mark):
            if given and family != mark_family:
                msg = (
                    f"{path} is {mark_family.upper()} (it starts with the byte-order mark {mark.hex(' ').upper()}) "
                    f"but its settings say encoding: {configured}"
                )
                hint = f"set encoding: {mark_family} (or leave encoding out: the mark tells)"
                raise ConnectorConfigError(msg, hint=hint, file=str(path))
            return TextEncoding(codec, mark_family, len(mark), _line_end(head, codec))
    if family in ("utf-16", "utf-32"):
        codec = codecs.lookup(configured).name
        codec = codec if codec.endswith(("-le", "-be")) else f"{family}-le"  # no mark: Windows' order
        return TextEncoding(codec, family, 0, _line_end(head, codec))
    _refuse_wide_text(path, head)
    codec = codecs.lookup(configured).name
    return TextEncoding(codec, configured, 0, _line_end(head, codec))


def _line_end(head: bytes, codec: str) -> bytes:
    """The file's line end, encoded: a line feed, or a carriage return when its first line ends in one alone."""
    feed, carriage = "\n".encode(codec), "\r".encode(codec)
    unit = len(feed)
    at = head.find(carriage)
    while at != -1 and at % unit:  # on a character boundary only
        at = head.find(carriage, at + 1)
    if at == -1 or head[at + unit : at + 2 * unit] == feed or len(head) < at + 2 * unit:
        return feed  # no carriage return, CR LF, or too little read to tell: line feeds
    first_feed = head.find(feed)
    return carriage if first_feed == -1 or first_feed > at else feed


def _refuse_wide_text(path: Path, head: bytes) -> None:
    """Fail when the file's start is UTF-16 without a mark (a zero byte beside each ASCII letter)."""
    pairs = len(head) // 2
    if pairs < 2 or b"\x00" not in head:
        return
    even_zero = sum(1 for i in range(0, 2 * pairs, 2) if head[i] == 0)
    odd_zero = sum(1 for i in range(1, 2 * pairs, 2) if head[i] == 0)
    order = "utf-16-le" if odd_zero > pairs // 2 else "utf-16-be" if even_zero > pairs // 2 else None
    if order is None:
        return
    msg = f"{path} is UTF-16 without a byte-order mark: its first line has a zero byte beside each letter"
    hint = f"set encoding: {order} in the stream's settings (on the command line: --encoding {order})"
    raise ConnectorConfigError(msg, hint=hint, file=str(path))


def undecodable_reason(encoding: TextEncoding, error: UnicodeDecodeError) -> str:
    """Why a line could not be read, and how to set the encoding that reads it."""
    suggestion = "cp1252" if encoding.name.startswith("utf") else "utf-8"
    byte = error.object[error.start : error.start + 1].hex().upper()
    return (
        f"bytes that are not {encoding.name} (0x{byte} at byte {error.start + 1} of the line); a file saved by Excel "
        f"or another Windows program is often {suggestion}: set 'encoding: {suggestion}' in the stream's settings "
        f"(on the command line: --encoding {suggestion})"
    )


@dataclass(frozen=True, slots=True)
class Line:
    """One physical line: its text (line end kept), number, byte span, and why it did not decode (None: it did).

    ``ended``: whether the line has its line end (the last line of a file being written may not yet).
    """

    text: str
    number: int
    start: int
    end: int
    undecodable: UnicodeDecodeError | None
    ended: bool


class Lines:
    """Physical lines of a binary file from a byte offset, decoded, with a push-back buffer."""

    def __init__(self, handle: BinaryIO, encoding: TextEncoding, *, start: int, first_line: int) -> None:
        self.handle = handle
        self.encoding = encoding
        self.offset = max(start, encoding.mark)
        handle.seek(self.offset)
        self.number = first_line - 1
        self.pending: list[Line] = []
        self._buffer = b""

    def next(self) -> Line | None:
        """The next line, or None at the end of the file."""
        if self.pending:
            return self.pending.pop(0)
        raw = self._readline()
        if not raw:
            return None
        start, self.offset = self.offset, self.offset + len(raw)
        self.number += 1
        try:
            text, undecodable = raw.decode(self.encoding.codec), None
        except UnicodeDecodeError as err:
            text, undecodable = raw.decode(self.encoding.codec, errors="replace"), err
        ended = raw.endswith(self.encoding.newline)
        return Line(text.removeprefix("\ufeff"), self.number, start, self.offset, undecodable, ended)

    def push_back(self, lines: list[Line]) -> None:
        """Read ``lines`` again, in order, before the rest of the file."""
        self.pending[:0] = lines

    def _readline(self) -> bytes:
        newline = self.encoding.newline
        if newline == b"\n":
            return self.handle.readline()
        unit, search = len(newline), 0
        while True:  # a line end counts only on a character boundary (UTF-16: even offsets)
            at = self._buffer.find(newline, search)
            while at != -1 and at % unit:
                at = self._buffer.find(newline, at + 1)
            if at != -1:
                line, self._buffer = self._buffer[: at + unit], self._buffer[at + unit :]
                return line
            search = max(0, (len(self._buffer) - unit) // unit * unit)
            chunk = self.handle.read(_CHUNK)
            if not chunk:
                line, self._buffer = self._buffer, b""
                return line
            self._buffer += chunk
