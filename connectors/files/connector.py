"""The files connector: CSV and JSONL exports read and written like any system.

Cursor shapes (JSON, kept in the store after each batch):

    {"mode": "position", "file": "/data/people.csv", "offset": 48213, "line": 812, "sha256": "9f2c…",
     "at_line_end": true}
        append-only files: resume after the last stored row, only in the same file with
        the same bytes before the position (``connectors.files.position``); another file,
        or one rewritten, is read from the start (the cursor then says why, in
        ``restarted``). A last line still being written is left for a later pull (``waiting``).
    {"mode": "updated_at", "since": "2024-05-01T10:00:00+00:00", "since_ids": ["17", "18"],
     "scan": {"offset": ..., "line": ..., "max": ..., "max_ids": [...]}}
        files with an updated-at column: rows newer than the ``since`` watermark
        (``connectors.cursor.Watermark``); rows are in no order, so the pass keeps the
        newest it saw in ``scan`` and moves ``since`` only at the end of the file;
        ``scan`` lets an interrupted pass resume (in the same file and bytes, as above).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, ClassVar

from connectors.base import (
    CheckResult,
    Cursor,
    PullBatch,
    SetupPlan,
    StreamSpec,
    WritebackTarget,
    WriteBatch,
    WriteResult,
)
from connectors.files.config import FileFormat, FilesConfig, FileStreamConfig
from connectors.files.pulls import PositionPull, UpdatedAtPull
from connectors.files.reader import read_header
from connectors.files.writeback import write_rows
from core.errors import ConnectorConfigError

__all__ = ["FilesConnector"]


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
            facts[stream.name] = {"path": str(stream.path), "bytes": stream.path.stat().st_size}
            if stream.file_format is FileFormat.CSV:
                header = read_header(stream)
                facts[stream.name] |= {"delimiter": header.delimiter, "encoding": header.encoding.name,
                                       "columns": len(header.columns)}  # fmt: skip
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
            yield from UpdatedAtPull(self.system, config, cursor).batches()
        else:
            yield from PositionPull(self.system, config, cursor).batches()

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Merge the batch's fields into the stream's output file; one result per op."""
        config = self._stream(batch.stream)
        return write_rows(config, batch.ops)

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Nothing to prepare: an output file gains a column the first time a field is written."""
        return SetupPlan(self.system)
