"""Pulling a file's rows in batches, in each cursor mode (the cursor shapes: ``connectors.files.connector``)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, RejectionCode, SourceRecord
from connectors.cursor import Watermark
from connectors.files.config import FileFormat, FileStreamConfig
from connectors.files.dialect import shown
from connectors.files.position import ByteDigest, ItemDigest, restart_reason
from connectors.files.reader import BadRow, GoodRow, Pending, Row, read_header, read_rows
from connectors.files.text import text_encoding
from core.mapping.transforms.temporal import TextReader, to_datetime

__all__ = ["PositionPull", "UpdatedAtPull"]

log = structlog.get_logger(__name__)


class _Pull:
    """Shared batching for both cursor modes."""

    def __init__(self, system: str, config: FileStreamConfig, cursor: Cursor | None) -> None:
        self.system = system
        self.config = config
        self.cursor = dict(cursor or {})
        self.file = str(config.path.resolve())
        self.read_as = self._read_as()
        self.records: list[SourceRecord] = []
        self.rejected: list[RejectedRecord] = []

    def reject(
        self,
        reason: str,
        raw: Any,
        line: int,
        source_id: str | None = None,
        *,
        code: RejectionCode = RejectionCode.UNREADABLE,
        field: str | None = None,
    ) -> None:
        where = f"{self.config.path}:{line}"
        self.rejected.append(RejectedRecord(self.system, self.config.name, reason, raw, source_id, where, code, field))

    def record(self, row: GoodRow, updated_at: datetime | None) -> SourceRecord | None:
        source_id = row.data.get(self.config.id_field)
        if source_id is None or str(source_id).strip() == "":
            reason = f"empty {self.config.id_field!r}: every row needs an ID"
            self.reject(reason, row.data, row.line, code=RejectionCode.NO_ID, field=self.config.id_field)
            return None
        where = f"{self.config.path}:{row.line}"
        return SourceRecord(self.system, self.config.name, str(source_id).strip(), row.data, updated_at, position=where)

    def full(self) -> bool:
        return len(self.records) + len(self.rejected) >= self.config.batch_size

    def flush(self, cursor: dict[str, Any]) -> PullBatch:
        batch = PullBatch(self.config.name, self.records, cursor, self.rejected)
        self.records, self.rejected = [], []
        return batch

    def _read_as(self) -> str:
        """How the file is read: its encoding, and for CSV its delimiter (a change reads it again)."""
        encoding = text_encoding(self.config.path, self.config.encoding, given=self.config.encoding_given)
        if self.config.file_format is not FileFormat.CSV:
            return encoding.name
        return f"{encoding.name}, delimiter {shown(read_header(self.config).delimiter)}"

    def digest(self) -> ByteDigest | ItemDigest:
        """A fresh digest of the file's content before a position."""
        if self.config.file_format is FileFormat.JSON:
            return ItemDigest(lambda: read_rows(self.config, start=0, first_line=1))
        encoding = text_encoding(self.config.path, self.config.encoding, given=self.config.encoding_given)
        return ByteDigest(self.config.path, encoding.newline)

    def resume(self, saved: dict[str, Any]) -> tuple[int, int, str | None, ByteDigest | ItemDigest]:
        """Where to start (offset, line), why the saved position was not used, and the digest advanced there."""
        digest = self.digest()
        if not saved:
            return 0, 0, None, digest
        size = self.config.path.stat().st_size
        reason = restart_reason(saved, file=self.file, read_as=self.read_as, digest=digest, size=size)
        if reason is None:
            return int(saved.get("offset", 0)), int(saved.get("line", 0)), None, digest
        digest.__exit__(None, None, None)
        log.warning("stream.cursor_reset", system=self.system, stream=self.config.name, file=self.file, reason=reason)
        return 0, 0, reason, self.digest()

    def position(self, offset: int, line: int, digest: ByteDigest | ItemDigest) -> dict[str, Any]:
        """The position after ``offset`` (and ``line``), tied to the file and its bytes before it."""
        sha = digest.at(offset)
        at_end = digest.at_line_end
        return {"file": self.file, "offset": offset, "line": line, "sha256": sha, "at_line_end": at_end,
                "read_as": self.read_as}  # fmt: skip


def _waiting(row: Pending) -> str:
    return (
        f"line {row.line} {row.why} (the file may still be being written): it is read once finished; "
        "if the file is complete, read it now with 'mapping run --full' or 'complete: true' in the stream's settings"
    )


class PositionPull(_Pull):
    """Rows appended since the saved position; another file, or a rewritten one, from the start."""

    def batches(self) -> Iterator[PullBatch]:
        """Yield the batches, each with the position after it."""
        start, line, restarted, digest = self.resume(self.cursor)
        notes: dict[str, Any] = {"restarted": restarted} if restarted else {}
        offset, rows = start, read_rows(self.config, start=start, first_line=line + 1, complete=self.config.complete)
        with digest:
            for row in rows:
                if isinstance(row, Pending):
                    notes["waiting"] = _waiting(row)
                    log.warning("stream.line_unfinished", system=self.system, stream=self.config.name, line=row.line)
                    break
                digest.feed(row)
                self.take(row)
                offset, line = row.offset, row.line
                if self.full():
                    yield self.flush({"mode": "position", **self.position(offset, line, digest), **notes})
            if self.records or self.rejected or not self.cursor or notes:
                yield self.flush({"mode": "position", **self.position(offset, line, digest), **notes})

    def take(self, row: Row) -> None:
        """Keep the row as a record, or park it."""
        if isinstance(row, BadRow):
            self.reject(row.reason, row.raw, row.line, row.source_id)
        elif (record := self.record(row, None)) is not None:
            self.records.append(record)


class UpdatedAtPull(_Pull):
    """Rows changed since the saved watermark; the whole file is read each pass."""

    def __init__(self, system: str, config: FileStreamConfig, cursor: Cursor | None) -> None:
        super().__init__(system, config, cursor)
        self.zone = ZoneInfo(config.timezone)
        self.reader = TextReader([])

    def parse_time(self, value: Any) -> datetime:
        """Read a time as the mapping's ``parse_datetime`` does: ISO 8601 or epoch seconds (milliseconds from 10^11).

        A time without an offset is read in the stream's ``timezone``, as ``parse_datetime`` reads
        one in its ``default_tz``.

        Raises:
            ValueError: Not a date-time.
        """
        return to_datetime(value, formats=self.reader, zone=self.zone, unit="auto")

    def batches(self) -> Iterator[PullBatch]:
        """Yield the batches; the watermark moves at the end of the file, the scan marker after each batch."""
        committed = Watermark.load(self.cursor, at="since", ids="since_ids")
        scan = self.cursor.get("scan") or {}
        start, line, restarted, digest = self.resume(scan)
        best = Watermark.load(scan, at="max", ids="max_ids") if scan and not restarted else committed.copy()
        base = {"mode": "updated_at", **committed.dump(at="since", ids="since_ids")}
        with digest:
            for row in read_rows(self.config, start=start, first_line=line + 1):
                if isinstance(row, Pending):  # a complete read has none
                    break
                digest.feed(row)
                record = self.take(row, committed)
                if record is not None and record.updated_at is not None:
                    self.records.append(record)
                    best.advance(record.updated_at, record.source_id)
                if self.full():
                    marker = {**self.position(row.offset, row.line, digest), **best.dump(at="max", ids="max_ids")}
                    yield self.flush({**base, "scan": marker})
        yield self.flush({"mode": "updated_at", **best.dump(at="since", ids="since_ids"), "scan": None})

    def take(self, row: Row, committed: Watermark) -> SourceRecord | None:
        """Return the row as a record when it is newer than the cursor; park it when unreadable."""
        if isinstance(row, BadRow):
            self.reject(row.reason, row.raw, row.line, row.source_id)
            return None
        raw_time = row.data.get(self.config.updated_at_field or "")
        try:
            updated_at = self.parse_time(raw_time)
        except ValueError:
            field = self.config.updated_at_field
            reason = f"{field!r} is not a date-time: {raw_time!r}"
            self.reject(reason, row.data, row.line, row.data.get(self.config.id_field), field=field)
            return None
        record = self.record(row, updated_at)
        if record is None or committed.seen(updated_at, record.source_id):
            return None
        return record
