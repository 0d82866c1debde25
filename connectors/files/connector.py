"""The files connector: CSV and JSONL exports read and written like any system.

Cursor shapes (JSON, kept in the store after each batch):

    {"mode": "position", "offset": 48213, "line": 812, "fingerprint": "id,email,..."}
        append-only files: resume after the last stored row; a file whose first
        line changed or that shrank is read again from the start.
    {"mode": "updated_at", "since": "2024-05-01T10:00:00+00:00", "since_ids": ["17", "18"],
     "scan": {"offset": ..., "line": ..., "max": ..., "max_ids": [...]}}
        files with an updated-at column: rows newer than the ``since`` watermark
        (``connectors.cursor.Watermark``); rows are in no order, so the pass keeps the
        newest it saw in ``scan`` and moves ``since`` only at the end of the file;
        ``scan`` lets an interrupted pass resume.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import structlog

from connectors.base import (
    CheckResult,
    Cursor,
    PullBatch,
    RejectedRecord,
    RejectionCode,
    SetupPlan,
    SourceRecord,
    StreamSpec,
    WritebackTarget,
    WriteBatch,
    WriteResult,
)
from connectors.cursor import Watermark
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
    stream_names: ClassVar[tuple[str, ...]] = ()
    open_streams: ClassVar[bool] = True  # each file is a stream named in the settings

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

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Nothing to prepare: an output file gains a column the first time a field is written."""
        return SetupPlan(self.system)


class _Pull:
    """Shared batching for both cursor modes."""

    def __init__(self, system: str, config: FileStreamConfig, cursor: Cursor | None) -> None:
        self.system = system
        self.config = config
        self.cursor = dict(cursor or {})
        self.zone = ZoneInfo(config.timezone)
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
                self.reject(row.reason, row.raw, row.line, row.source_id)
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
        committed = Watermark.load(self.cursor, at="since", ids="since_ids")
        scan = self.cursor.get("scan") or {}
        best = Watermark.load(scan, at="max", ids="max_ids") if scan else committed.copy()
        base = {"mode": "updated_at", **committed.dump(at="since", ids="since_ids")}
        for row in read_rows(self.config, start=int(scan.get("offset", 0)), first_line=int(scan.get("line", 0)) + 1):
            record = self.take(row, committed)
            if record is not None and record.updated_at is not None:
                self.records.append(record)
                best.advance(record.updated_at, record.source_id)
            if self.full():
                marker = {"offset": row.offset, "line": row.line, **best.dump(at="max", ids="max_ids")}
                yield self.flush({**base, "scan": marker})
        yield self.flush({"mode": "updated_at", **best.dump(at="since", ids="since_ids"), "scan": None})

    def take(self, row: GoodRow | BadRow, committed: Watermark) -> SourceRecord | None:
        """Return the row as a record when it is newer than the cursor; park it when unreadable."""
        if isinstance(row, BadRow):
            self.reject(row.reason, row.raw, row.line, row.source_id)
            return None
        raw_time = row.data.get(self.config.updated_at_field or "")
        try:
            updated_at = self.parse_time(raw_time)
        except (TypeError, ValueError):
            field = self.config.updated_at_field
            reason = f"{field!r} is not a date-time: {raw_time!r}"
            self.reject(reason, row.data, row.line, row.data.get(self.config.id_field), field=field)
            return None
        record = self.record(row, updated_at)
        if record is None or committed.seen(updated_at, record.source_id):
            return None
        return record
