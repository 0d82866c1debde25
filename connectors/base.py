"""The contract every connector satisfies, and the values that cross it.

    Connector (Protocol)
    ├── check()                 -> CheckResult          can we talk to it? how much API left?
    ├── streams()               -> list[StreamSpec]     what can be pulled
    ├── pull(stream, cursor)    -> Iterator[PullBatch]  records + the cursor to save after each batch
    └── push(WriteBatch)        -> list[WriteResult]    one outcome per operation, in order

A connector is a plain class; it inherits nothing. Its package exposes a
``ConnectorFactory`` (usually the class itself): ``system`` (the default name),
``config_model`` (a pydantic model of its settings) and ``from_config(config)``.
Register it in the ``contactpoint.connectors`` entry-point group.

Cursors are small JSON objects owned by the connector; the sync layer stores the
cursor of a batch only after the batch is stored, so a crash resumes from the last
saved cursor and the store's idempotent upserts absorb the replayed batch.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

__all__ = [
    "CheckResult",
    "Connector",
    "ConnectorFactory",
    "Cursor",
    "PullBatch",
    "RejectedRecord",
    "SourceRecord",
    "StreamSpec",
    "WriteBatch",
    "WriteOp",
    "WriteOutcome",
    "WriteResult",
]

Cursor = Mapping[str, Any]
"""A connector's bookmark for one stream: a small JSON object it alone interprets."""


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """One record as a system gave it, before any mapping.

    Attributes:
        system: Configured system name (``salesforce``, ``files``...).
        stream: Stream name within the system (``Contact``, ``people``...).
        source_id: The record's ID in that system.
        updated_at: When the system last changed it (timezone-aware), if known.
        deleted: The system reports it deleted.
        raw: The record's fields exactly as received (JSON-compatible).
        merged_into: For a deleted record that lost a merge, the winner's source ID.
    """

    system: str
    stream: str
    source_id: str
    raw: Mapping[str, Any]
    updated_at: datetime | None = None
    deleted: bool = False
    merged_into: str | None = None


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record the connector could not turn into a ``SourceRecord``; it gets parked."""

    system: str
    stream: str
    reason: str
    raw: Any
    source_id: str | None = None
    position: str | None = None
    """Where it was in the source (a file line, a result page), for the admin."""


@dataclass(frozen=True, slots=True)
class PullBatch:
    """A batch of pulled records and the cursor to save once they are stored."""

    stream: str
    records: list[SourceRecord]
    cursor: Cursor
    rejected: list[RejectedRecord] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class StreamSpec:
    """What a stream is: its name, key, cursor field and natural page size."""

    name: str
    primary_key: str
    cursor_field: str | None
    page_size: int
    writable: bool = False
    description: str = ""


class WriteOutcome(StrEnum):
    """What happened to one write operation."""

    WRITTEN = "written"
    UNCHANGED = "unchanged"
    FAILED = "failed"
    SKIPPED = "skipped"


@dataclass(frozen=True, slots=True)
class WriteOp:
    """Set ``fields`` on one record of a stream, found by ``source_id``."""

    source_id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class WriteBatch:
    """Operations for one stream of one system, pushed together."""

    system: str
    stream: str
    ops: list[WriteOp]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The outcome of one ``WriteOp``; ``push`` returns them in the ops' order."""

    source_id: str
    outcome: WriteOutcome
    error_code: str | None = None
    message: str | None = None
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class CheckResult:
    """What ``check()`` learned: whether auth works and how much API is left."""

    ok: bool
    system: str
    detail: str
    api_used: int | None = None
    api_limit: int | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


@runtime_checkable
class Connector(Protocol):
    """A system Contactpoint reads from and writes back to."""

    system: str

    def check(self) -> CheckResult:
        """Authenticate and report API usage; raise ``ConnectorError`` on failure."""
        ...

    def streams(self) -> list[StreamSpec]:
        """List the streams this connector can pull."""
        ...

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of records changed since ``cursor`` (everything when None)."""
        ...

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Apply the batch's operations; return one result per operation, in order."""
        ...


class ConnectorFactory(Protocol):
    """What an entry point in ``contactpoint.connectors`` must point at."""

    system: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]

    @classmethod
    def from_config(cls, config: BaseModel, *, name: str) -> Connector:
        """Build a connector for the system configured as ``name``."""
        ...
