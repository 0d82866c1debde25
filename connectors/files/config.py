"""Settings of the files connector: one entry per file-backed stream."""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from connectors.files.dialect import excel_separator, guess_delimiter
from connectors.files.text import check_encoding, marked_codec
from core.canonical.fields import TimeZoneName

__all__ = ["FileFormat", "FileStreamConfig", "FilesConfig", "sniff_format"]


class FileFormat(StrEnum):
    """Formats the files connector reads (and, for CSV and JSON lines, writes)."""

    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"


_SUFFIXES = {
    ".csv": FileFormat.CSV,
    ".tsv": FileFormat.CSV,
    ".jsonl": FileFormat.JSONL,
    ".ndjson": FileFormat.JSONL,
    ".json": FileFormat.JSON,
}
_SNIFF_BYTES = 65_536


def _head_text(raw: bytes) -> str:
    return raw.decode(marked_codec(raw) or "utf-8", errors="replace").lstrip("\ufeff \t\r\n")


def sniff_format(path: Path) -> tuple[FileFormat, str | None]:
    """Tell a file's format from its content: JSON (an array or one object), JSON lines, or CSV.

    Returns:
        The format, and for CSV the delimiter its header uses (``connectors.files.dialect``).

    Raises:
        OSError: The file cannot be read.
    """
    with path.open("rb") as handle:
        head = _head_text(handle.read(_SNIFF_BYTES))
    if head.startswith("["):
        return FileFormat.JSON, None
    if head.startswith("{"):
        first = head.split("\n", 1)[0]
        try:
            json.loads(first)
        except ValueError:
            return FileFormat.JSON, None  # one object over several lines
        return FileFormat.JSONL, None
    first, _, rest = head.partition("\n")
    named = excel_separator(first)
    return FileFormat.CSV, named or guess_delimiter(rest.partition("\n")[0] if named else first)


class FileStreamConfig(BaseModel):
    """One file read as a stream.

    Without ``updated_at_field`` the cursor is the byte position reached, for
    append-only exports; with it, each pull returns rows changed since the last
    one, ties on the boundary timestamp included exactly once.
    """

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="Stream name used by the mapping.")
    path: Path
    format: FileFormat | None = Field(
        default=None,
        description="csv, jsonl or json; when empty, from the suffix (JSON or JSON lines: from the content), "
        "else from the content.",
    )
    id_field: str = Field(default="id", min_length=1)
    updated_at_field: str | None = None
    timezone: TimeZoneName = Field(default="UTC", description="Zone for timestamps that carry none.")
    delimiter: str = Field(
        default=",", min_length=1, max_length=1, description="When not given: a 'sep=X' first line, else the header's."
    )
    encoding: str = Field(default="utf-8", description="When not given, a byte-order mark (UTF-8/16/32) wins.")
    complete: bool = Field(
        default=True,
        description="The file is finished when read: a last line with no line end is read (and read again, from "
        "the file's start, should the file grow after all); false: without an updated-at column, such a line "
        "waits for its line end, as the end of a file still being written.",
    )
    batch_size: int = Field(default=1000, ge=1, le=100_000)
    output: Path | None = Field(default=None, description="Where push writes; default '<name>.writeback.<format>'.")

    @field_validator("encoding")
    @classmethod
    def _encoding_known(cls, value: str) -> str:
        return check_encoding(value)

    @model_validator(mode="after")
    def _format_known(self) -> FileStreamConfig:
        if self.format is not None:
            return self
        suffix = self.path.suffix.lower()
        self.format = _SUFFIXES.get(suffix)
        if self.format in (FileFormat.JSON, FileFormat.JSONL) and self.path.is_file():
            # JSON lines saved as .json (or an array as .jsonl) are common: the content tells which
            found, _ = sniff_format(self.path)
            self.format = found if found in (FileFormat.JSON, FileFormat.JSONL) else self.format
        if suffix == ".tsv" and "delimiter" not in self.model_fields_set:
            self.delimiter = "\t"
        if self.format is None:
            if not self.path.is_file():
                msg = (
                    f"cannot tell the format of {self.path}: its suffix is not .csv, .tsv, .jsonl, .ndjson or "
                    ".json and the file does not exist to look inside; set format: csv, jsonl or json"
                )
                raise ValueError(msg)
            self.format, delimiter = sniff_format(self.path)
            if delimiter is not None and "delimiter" not in self.model_fields_set:
                self.delimiter = delimiter
        return self

    @property
    def delimiter_given(self) -> bool:
        """Whether the delimiter was set (or known from a .tsv suffix), rather than to be read from the file."""
        return "delimiter" in self.model_fields_set

    @property
    def encoding_given(self) -> bool:
        """Whether the settings name the encoding (else a byte-order mark may tell it)."""
        return "encoding" in self.model_fields_set

    @property
    def file_format(self) -> FileFormat:
        """The format, inferred from the suffix when not given."""
        assert self.format is not None  # set by the validator
        return self.format

    @property
    def output_format(self) -> FileFormat:
        """The output file's format: from its suffix, else the input's (JSON lines for a JSON input)."""
        found = _SUFFIXES.get(self.output_path.suffix.lower(), self.file_format)
        return FileFormat.JSONL if found is FileFormat.JSON else found

    @property
    def output_path(self) -> Path:
        """Where ``push`` writes this stream's write-back rows."""
        written = FileFormat.JSONL if self.file_format is FileFormat.JSON else self.file_format
        return self.output or self.path.with_name(f"{self.name}.writeback.{written.value}")


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
