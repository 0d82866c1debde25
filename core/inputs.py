"""Files named on the command line, read through the files connector: the one way Contactpoint reads a file.

``mapping run``, ``mapping check --sample`` and ``identity resolve FILE`` all go through
``input_connector``, so CSV, JSON lines and JSON arrays are told apart the same way (by
suffix, else by content, or ``--format``), a broken row is parked the same way (with its
line, raw text and ID), and a file is never read with a second, different CSV parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from connectors.base import Connector, RejectedRecord
from core.config import connector_of
from core.errors import ConfigError, ConnectorConfigError

if TYPE_CHECKING:
    from core.mapping.engine import CompiledMapping

__all__ = ["INPUT_FORMATS", "InputRows", "id_column", "input_connector", "read_input"]

INPUT_FORMATS = ("csv", "jsonl", "json")
"""What ``--format`` accepts; without it the suffix, else the content, tells."""


def id_column(mapping: CompiledMapping, stream: str, *, nested: bool = False) -> str:
    """Return the top-level column or key the mapping reads ``stream``'s record IDs from.

    With ``nested``, a nested ID path gives its first key (the rows need it; the mapping reads the rest).

    Raises:
        ConfigError: The mapping reads the ID from a nested path (and ``nested`` is false), or not from a key.
    """
    path = mapping.stream(stream).id_path
    if nested and path.steps and path.steps[0][0] == "key":
        return str(path.steps[0][1])
    if len(path.steps) != 1 or path.steps[0][0] != "key":
        msg = f"stream {stream!r} reads its ID from {path.text!r}; a file import needs the ID in one top-level column"
        raise ConfigError(msg, hint="point 'id:' at a column of the file", file=mapping.file)
    return str(path.steps[0][1])


def input_connector(
    path: Path,
    *,
    stream: str,
    id_field: str,
    system: str,
    file_format: str | None = None,
    what: str = "input file",
    id_hint: str | None = None,
    delimiter: str | None = None,
    encoding: str | None = None,
    complete: bool = True,
) -> Connector:
    """Return a files connector reading ``path`` as stream ``stream`` of system ``system``.

    ``what`` names the file in messages (``input file``, ``sample file``); ``id_hint`` is the
    hint when the file has no ``id_field`` column (what the command's user can do about it).
    ``delimiter`` and ``encoding`` override what the file's content tells; ``complete: False``
    leaves a last line without a line end for a later read (the file may still be written).

    Raises:
        ConfigError: The file is missing, or ``file_format`` is not one of ``INPUT_FORMATS``.
        ConnectorConfigError: The format cannot be told, or the file's header lacks ``id_field``.
    """
    if not path.is_file():
        msg = f"{what} {path} does not exist" if not path.exists() else f"{what} {path} is not a file"
        raise ConfigError(msg, hint="check the path", file=str(path))
    if file_format is not None and file_format not in INPUT_FORMATS:
        msg = f"unknown input format {file_format!r}; formats: {', '.join(INPUT_FORMATS)}"
        raise ConfigError(msg, hint="pass --format csv, --format jsonl or --format json, or leave it out")
    stream_settings: dict[str, Any] = {"name": stream, "path": path, "id_field": id_field}
    if file_format is not None:
        stream_settings["format"] = file_format
    stream_settings |= {"complete": complete} | {
        key: value for key, value in (("delimiter", delimiter), ("encoding", encoding)) if value is not None
    }
    connector = connector_of("files", {"streams": [stream_settings]}, name=system)
    try:
        connector.check()
    except ConnectorConfigError as err:
        if id_hint is None or "missing_column" not in err.context:
            raise
        raise ConfigError(err.message, hint=id_hint, file=str(path)) from None
    return connector


@dataclass
class InputRows:
    """A whole (small) input read into memory: each good row's raw data, and the rows that could not be read."""

    rows: list[Mapping[str, Any]] = field(default_factory=list)
    rejected: list[RejectedRecord] = field(default_factory=list)


def read_input(connector: Connector, stream: str) -> InputRows:
    """Read every row of a file connector's stream (for samples and other small inputs)."""
    found = InputRows()
    for batch in connector.pull(stream, None):
        found.rows.extend(record.raw for record in batch.records)
        found.rejected.extend(batch.rejected)
    return found
