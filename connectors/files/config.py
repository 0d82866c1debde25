"""Settings of the files connector: one entry per file-backed stream."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.canonical.fields import TimeZoneName

__all__ = ["FileFormat", "FileStreamConfig", "FilesConfig"]


class FileFormat(StrEnum):
    """Formats the files connector reads and writes."""

    CSV = "csv"
    JSONL = "jsonl"


_SUFFIXES = {".csv": FileFormat.CSV, ".tsv": FileFormat.CSV, ".jsonl": FileFormat.JSONL, ".ndjson": FileFormat.JSONL}


class FileStreamConfig(BaseModel):
    """One file read as a stream.

    Without ``updated_at_field`` the cursor is the byte position reached, for
    append-only exports; with it, each pull returns rows changed since the last
    one, ties on the boundary timestamp included exactly once.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Stream name used by the mapping.")
    path: Path
    format: FileFormat | None = Field(default=None, description="csv or jsonl; taken from the suffix when empty.")
    id_field: str = Field(default="id", min_length=1)
    updated_at_field: str | None = None
    timezone: TimeZoneName = Field(default="UTC", description="Zone for timestamps that carry none.")
    delimiter: str = Field(default=",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    output: Path | None = Field(default=None, description="Where push writes; default '<name>.writeback.<format>'.")

    @model_validator(mode="after")
    def _format_known(self) -> FileStreamConfig:
        if self.format is None:
            inferred = _SUFFIXES.get(self.path.suffix.lower())
            if inferred is None:
                msg = f"cannot tell the format of {self.path} from its suffix; set format: csv or format: jsonl"
                raise ValueError(msg)
            self.format = inferred
            if self.path.suffix.lower() == ".tsv" and self.delimiter == ",":
                self.delimiter = "\t"
        return self

    @property
    def file_format(self) -> FileFormat:
        """The format, inferred from the suffix when not given."""
        assert self.format is not None  # set by the validator
        return self.format

    @property
    def output_format(self) -> FileFormat:
        """The output file's format: from its suffix, else the input's format."""
        return _SUFFIXES.get(self.output_path.suffix.lower(), self.file_format)

    @property
    def output_path(self) -> Path:
        """Where ``push`` writes this stream's write-back rows."""
        return self.output or self.path.with_name(f"{self.name}.writeback.{self.file_format.value}")


class FilesConfig(BaseModel):
    """Settings of a ``kind: files`` system in contactpoint.yaml."""

    model_config = ConfigDict(extra="forbid")

    streams: list[FileStreamConfig] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_names(self) -> FilesConfig:
        names = [s.name for s in self.streams]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            msg = f"stream names must be unique; repeated: {', '.join(duplicates)}"
            raise ValueError(msg)
        return self
