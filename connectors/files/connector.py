"""The files connector: CSV and JSONL exports read and written like any system.

Cursor shapes (JSON, kept in the store after each batch):

    {"mode": "position", "offset": 48213, "line": 812, "fingerprint": "id,email,..."}
        append-only files: resume after the last stored row; a file whose first
        line changed or that shrank is read again from the start.
    {"mode": "updated_at", "since": "2024-05-01T10:00:00+00:00", "since_ids": ["17", "18"],
     "scan": {"offset": ..., "line": ..., "max": ..., "max_ids": [...]}}
        files with an updated-at column: rows newer than ``since`` (or equal to it
        and not in ``since_ids``); ``scan`` lets an interrupted pass resume.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import structlog

from connectors.base import (
    CheckResult,
    Cursor,
    PullBatch,
    RejectedRecord,
    SourceRecord,
    StreamSpec,
    WriteBatch,
    WriteResult,
)
from connectors.files.config import FilesConfig, FileStreamConfig
from connectors.files.reader import BadRow, GoodRow, fingerprint, read_header, read_rows
from connectors.files.writeback import write_rows
from core.errors import ConnectorConfigError

__all__ = ["FilesConnector"]

log = structlog.get_logger(__name__)


class FilesConnector:
    """CSV and JSONL files as a system (``kind: files``)."""

    system: str = "files"
    config_model: ClassVar[type[FilesConfig]] = FilesConfig

    def __init__(self, config: FilesConfig, *, name: str = "files") -> None:
        self.config = config
        self.system = name
        self._streams = {s.name: s for s in config.streams}

    @classmethod
    def from_config(cls, config: FilesConfig, *, name: str) -> FilesConnector:
        """Build the connector for the system configured as ``name``."""
        return cls(config, name=name)

    def _stream(self, name: str) -> FileStreamConfig:
        try:
            return self._streams[name]
        except KeyError:
            msg = f"system {self.system!r} has no stream {name!r}; streams: {', '.join(self._streams)}"
            raise ConnectorConfigError(
                msg, hint="add the file under 'streams:' in its settings", system=self.system
            ) from None

    def _require_file(self, stream: FileStreamConfig) -> None:
        if not stream.path.is_file():
            msg = f"stream {stream.name!r}: file {stream.path} does not exist"
            raise ConnectorConfigError(msg, hint="check 'path' in the system's settings", system=self.system)

    def check(self) -> CheckResult:
        """Check every file exists and (for CSV) has a usable header.

        Raises:
            ConnectorConfigError: A file is missing or its header is unusable.

        """
        facts: dict[str, Any] = {}
        for stream in self.config.streams:
            self._require_file(stream)
            if stream.file_format.value == "csv":
                read_header(stream)
            facts[stream.name] = {"path": str(stream.path), "bytes": stream.path.stat().st_size}
        return CheckResult(ok=True, system=self.system, detail=f"{len(facts)} file(s) readable", facts=facts)

    def streams(self) -> list[StreamSpec]:
        """One stream per configured file."""
        return [
            StreamSpec(
                name=s.name,
                primary_key=s.id_field,
                cursor_field=s.updated_at_field,
                page_size=s.batch_size,
                writable=True,
                description=str(s.path),
            )
            for s in self.config.streams
        ]

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of rows after ``cursor``, each with the cursor to save after it."""
        config = self._stream(stream)
        self._require_file(config)
        if config.updated_at_field:
            yield from _UpdatedAtPull(self.system, config, cursor).batches()
        else:
            yield from _PositionPull(self.system, config, cursor).batches()

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Merge the batch's fields into the stream's output file; one result per op."""
        config = self._stream(batch.stream)
        return write_rows(config, batch.ops)


class _Pull:
    """Shared batching for both cursor modes."""

    def __init__(self, system: str, config: FileStreamConfig, cursor: Cursor | None) -> None:
        self.system = system
        self.config = config
        self.cursor = dict(cursor or {})
        self.zone = ZoneInfo(config.timezone)
        self.records: list[SourceRecord] = []
        self.rejected: list[RejectedRecord] = []

    def reject(self, reason: str, raw: Any, line: int, source_id: str | None = None) -> None:
        self.rejected.append(
            RejectedRecord(self.system, self.config.name, reason, raw, source_id, f"{self.config.path}:{line}")
        )

    def record(self, row: GoodRow, updated_at: datetime | None) -> SourceRecord | None:
        source_id = row.data.get(self.config.id_field)
        if source_id is None or str(source_id).strip() == "":
            self.reject(f"empty {self.config.id_field!r}: every row needs an ID", row.data, row.line)
            return None
        return SourceRecord(self.system, self.config.name, str(source_id).strip(), row.data, updated_at)

    def full(self) -> bool:
        return len(self.records) + len(self.rejected) >= self.config.batch_size

    def flush(self, cursor: dict[str, Any]) -> PullBatch:
        batch = PullBatch(self.config.name, self.records, cursor, self.rejected)
        self.records, self.rejected = [], []
        return batch


class _PositionPull(_Pull):
    def batches(self) -> Iterator[PullBatch]:
        first = fingerprint(self.config.path)
        offset, line = int(self.cursor.get("offset", 0)), int(self.cursor.get("line", 0))
        size = self.config.path.stat().st_size
        if self.cursor and (self.cursor.get("fingerprint") != first or offset > size):
            log.warning("stream.cursor_reset", system=self.system, stream=self.config.name, file=str(self.config.path))
            offset, line = 0, 0
        position = {"mode": "position", "offset": offset, "line": line, "fingerprint": first}
        for row in read_rows(self.config, start=offset, first_line=line + 1):
            if isinstance(row, BadRow):
                self.reject(row.reason, row.raw, row.line)
            else:
                record = self.record(row, None)
                if record is not None:
                    self.records.append(record)
            position = {"mode": "position", "offset": row.offset, "line": row.line, "fingerprint": first}
            if self.full():
                yield self.flush(position)
        if self.records or self.rejected or not self.cursor:
            yield self.flush(position)


class _UpdatedAtPull(_Pull):
    def parse_time(self, value: Any) -> datetime:
        text = str(value).strip()
        moment = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
        return moment if moment.tzinfo is not None else moment.replace(tzinfo=self.zone)

    def batches(self) -> Iterator[PullBatch]:
        since = self.cursor.get("since")
        since_at = datetime.fromisoformat(since) if since else None
        since_ids = set(self.cursor.get("since_ids", []))
        scan = dict(self.cursor.get("scan") or {"offset": 0, "line": 0, "max": since, "max_ids": sorted(since_ids)})
        best = datetime.fromisoformat(scan["max"]) if scan.get("max") else None
        best_ids = set(scan.get("max_ids", []))
        base = {"mode": "updated_at", "since": since, "since_ids": sorted(since_ids)}
        for row in read_rows(self.config, start=int(scan["offset"]), first_line=int(scan["line"]) + 1):
            record = self.take(row, since_at, since_ids)
            if record is not None and record.updated_at is not None:
                self.records.append(record)
                if best is None or record.updated_at > best:
                    best, best_ids = record.updated_at, {record.source_id}
                elif record.updated_at == best:
                    best_ids.add(record.source_id)
            if self.full():
                marker = {"offset": row.offset, "line": row.line, "max": _iso(best), "max_ids": sorted(best_ids)}
                yield self.flush({**base, "scan": marker})
        yield self.flush({"mode": "updated_at", "since": _iso(best), "since_ids": sorted(best_ids), "scan": None})

    def take(self, row: GoodRow | BadRow, since_at: datetime | None, since_ids: set[str]) -> SourceRecord | None:
        """Return the row as a record when it is newer than the cursor; park it when unreadable."""
        if isinstance(row, BadRow):
            self.reject(row.reason, row.raw, row.line)
            return None
        raw_time = row.data.get(self.config.updated_at_field or "")
        try:
            updated_at = self.parse_time(raw_time)
        except (TypeError, ValueError):
            field = self.config.updated_at_field
            self.reject(
                f"{field!r} is not a date-time: {raw_time!r}", row.data, row.line, row.data.get(self.config.id_field)
            )
            return None
        record = self.record(row, updated_at)
        if record is None or since_at is None:
            return record
        if updated_at < since_at or (updated_at == since_at and record.source_id in since_ids):
            return None
        return record


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
