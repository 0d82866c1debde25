"""The contract every connector satisfies, and the values that cross it.

    Connector (Protocol)
    ├── check()                 -> CheckResult          can we talk to it? how much API left?
    ├── streams()               -> list[StreamSpec]     what can be pulled
    ├── pull(stream, cursor)    -> Iterator[PullBatch]  records + the cursor to save after each batch
    ├── push(WriteBatch)        -> list[WriteResult]    one final outcome per operation, in order
    └── provision(targets, apply=)  -> SetupPlan        what write-back needs in the vendor
                                                        (fields, properties, layouts, access)

    Eraser (Protocol, optional: checked with isinstance)
    └── erase(stream, source_ids) -> list[EraseResult]  delete people's records for good (or
                                                        anonymise where deletion is refused)

A connector is a plain class; it inherits nothing. Its package exposes a
``ConnectorFactory`` (usually the class itself): ``system`` (the default name),
``config_model`` (a pydantic model of its settings) and ``from_config(config)``.
Register it in the ``contactpoint.connectors`` entry-point group.

Cursors are small JSON objects owned by the connector; the sync layer stores the
cursor of a batch only after the batch is stored, so a crash resumes from the last
saved cursor and the store's idempotent upserts absorb the replayed batch.
``connectors.cursor.Watermark`` is the shared "newest timestamp plus the IDs already
read at it" bookmark for incremental streams.

**Push outcomes are final.** Where a vendor writes asynchronously (a Salesforce Bulk
ingest job, a Zendesk ``job_status``), the connector follows the job to its end inside
``push`` and turns the job's per-record results into ``WriteResult`` values; a job that
fails, or does not finish within the connector's wait, fails every record it holds
(``retryable=True``), so nothing is reported written that the vendor did not confirm.
Where a vendor acknowledges a whole request rather than each record (Mixpanel's
ingestion), every record of the request gets the request's outcome. The sync layer
therefore never holds a half-known write: what ``push`` returns is what the write-back
ledger records.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, ClassVar, Protocol, runtime_checkable

from pydantic import BaseModel

__all__ = [
    "CheckResult",
    "Connector",
    "EraseOutcome",
    "EraseResult",
    "Eraser",
    "ConnectorFactory",
    "Cursor",
    "KeyedLookup",
    "PullBatch",
    "RejectedRecord",
    "RejectionCode",
    "SetupAction",
    "SetupChange",
    "SetupPlan",
    "SourceRecord",
    "StreamSpec",
    "WriteBatch",
    "WriteBatching",
    "WriteOp",
    "WriteOutcome",
    "WriteResult",
    "WritebackTarget",
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
        position: Where it was read (a file line, a result page), so a problem found later
            (by the mapping, by a vendor on write-back) can say where to look.
    """

    system: str
    stream: str
    source_id: str
    raw: Mapping[str, Any]
    updated_at: datetime | None = None
    deleted: bool = False
    merged_into: str | None = None
    position: str | None = None


class RejectionCode(StrEnum):
    """Why a record was parked, by kind: what reports group by and what tells an operator where to look.

    Connectors use ``unreadable``, ``no_id`` and ``too_large``; the mapping uses ``missing``,
    ``transform``, ``invalid`` and ``unmapped_stream``; write-back uses ``vendor_refused``.
    """

    UNREADABLE = "unreadable"
    """The connector could not read it: broken CSV or JSON, bytes not in the encoding, a bad vendor value."""
    NO_ID = "no_id"
    """It has no record ID, so it cannot be stored or found again."""
    TOO_LARGE = "too_large"
    """A value or the record is over a size limit."""
    MISSING = "missing"
    """A required value is missing or empty."""
    TRANSFORM = "transform"
    """A transform could not read a value of a required field or an identifier."""
    INVALID = "invalid"
    """The canonical model or an identifier refused a value."""
    UNMAPPED_STREAM = "unmapped_stream"
    """The mapping has no stream for it."""
    VENDOR_REFUSED = "vendor_refused"
    """The vendor refused the write-back to it."""


@dataclass(frozen=True, slots=True)
class RejectedRecord:
    """A record that could not be used; it gets parked with its reason, and the run goes on.

    Attributes:
        system: The system it came from.
        stream: The stream it came from.
        reason: What went wrong, for a person to read (the field, the value, why).
        raw: The record as received (any JSON-compatible value; for an unreadable row, its text).
        source_id: Its ID, when that could be read.
        position: Where it was in the source (a file line, a result page), for the admin.
        code: The kind of problem (``RejectionCode``).
        field: The field involved (``Person.email``, ``identifier email``), when one is.
    """

    system: str
    stream: str
    reason: str
    raw: Any
    source_id: str | None = None
    position: str | None = None
    code: RejectionCode = RejectionCode.UNREADABLE
    field: str | None = None


@dataclass(frozen=True, slots=True)
class PullBatch:
    """A batch of pulled records and the cursor to save once they are stored."""

    stream: str
    records: list[SourceRecord]
    cursor: Cursor
    rejected: list[RejectedRecord] = field(default_factory=list)
    listed: AbstractSet[str] | None = None
    """On the last batch of a pass that listed every live record of a stream whose API reports no
    deletions (Mixpanel's profiles): the IDs the pass listed. A stored record of the stream not
    among them was deleted in the system: the ingest stores it as deleted, so it is unlinked and
    never written to again (a write to a deleted Mixpanel profile would make it anew)."""


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
    """What finally happened to one write operation (see "Push outcomes are final")."""

    WRITTEN = "written"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class WriteOp:
    """Set ``fields`` on one record of a stream.

    ``source_id`` names the record to update. A write-back that may create records
    sends ``source_id=None`` with ``match``: the vendor field and value that find the
    record when it exists (an upsert by email or external ID) or seed it when created.
    A connector that cannot create records fails such an op with code ``CREATE_UNSUPPORTED``.
    """

    source_id: str | None
    fields: Mapping[str, Any]
    match: tuple[str, str] | None = None


@dataclass(frozen=True, slots=True)
class WriteBatch:
    """Operations for one stream of one system, pushed together."""

    system: str
    stream: str
    ops: list[WriteOp]


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The final outcome of one ``WriteOp``; ``push`` returns them in the ops' order.

    ``source_id`` is the record's ID in the vendor: the op's own, or the new record's
    when the op created one (None when a create failed).
    """

    source_id: str | None
    outcome: WriteOutcome
    error_code: str | None = None
    message: str | None = None
    retryable: bool = False


@dataclass(frozen=True, slots=True)
class WritebackTarget:
    """One vendor field that write-back fills, as a mapping's ``writeback:`` section declares it.

    Attributes:
        stream: The stream (object, record type) written to, e.g. ``Contact`` or ``users``.
        field: The vendor's field or property name, e.g. ``Contactpoint_Profile_Id__c``.
        source: The canonical or policy value it receives, e.g. ``enrichment.intent_score``;
            the connector derives the vendor type from it.
    """

    stream: str
    field: str
    source: str


class SetupAction(StrEnum):
    """Where one provisioning change stands: already there, still to make, or made now."""

    EXISTS = "exists"
    CREATE = "create"
    DONE = "done"

    @property
    def pending(self) -> bool:
        """Whether the change is still to make."""
        return self is SetupAction.CREATE

    def say(self, would: str, did: str) -> str:
        """Word the action for a line of output: ``already there``, ``would create``, ``created``."""
        if self is SetupAction.EXISTS:
            return "already there"
        return f"would {would}" if self is SetupAction.CREATE else did


@dataclass(frozen=True, slots=True)
class SetupChange:
    """One thing write-back needs in the vendor (a field, a property, a layout placement, an access grant).

    Attributes:
        kind: The group it is listed under (``fields``, ``properties``, ``layouts``, ``grants``...).
        action: Whether it exists, is still to make, or was made.
        line: The line ``contactpoint setup`` prints for it.
        detail: Its JSON form for ``setup --json`` (names, types, the action).
    """

    kind: str
    action: SetupAction
    line: str
    detail: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class SetupPlan:
    """What ``provision`` found (``apply=False``) or did (``apply=True``), change by change.

    Attributes:
        system: The configured system.
        changes: Every change, existing ones included, in the order they are made.
        kinds: The groups this connector lists, in order, shown even when empty.
    """

    system: str
    changes: tuple[SetupChange, ...] = ()
    kinds: tuple[str, ...] = ()

    def pending(self) -> int:
        """Return how many changes are still to make."""
        return sum(c.action.pending for c in self.changes)

    def done(self) -> int:
        """Return how many changes were made."""
        return sum(c.action is SetupAction.DONE for c in self.changes)

    def lines(self) -> list[str]:
        """Return one line per change, existing ones included, in order."""
        return [c.line for c in self.changes]

    def as_dict(self) -> dict[str, Any]:
        """Return the JSON form: the changes grouped by kind, with the pending and done counts."""
        groups: dict[str, list[Mapping[str, Any]]] = {kind: [] for kind in self.kinds}
        for change in self.changes:
            groups.setdefault(change.kind, []).append(dict(change.detail))
        return {"system": self.system, **groups, "pending": self.pending(), "done": self.done()}


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
        """Apply the batch's operations; return one final result per operation, in order."""
        ...

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Plan what write-back to ``targets`` needs in the vendor; with ``apply``, make it (idempotently).

        Targets on streams the connector does not write are ignored; a connector whose
        vendor needs nothing prepared returns an empty plan.

        Raises:
            ConnectorError: The vendor refused a change or could not be reached.
        """
        ...


class EraseOutcome(StrEnum):
    """What a system answered to a request to erase one record."""

    DELETED = "deleted"
    """Deleted for good (or queued by the vendor's own deletion job, which ran to its end)."""
    ANONYMISED = "anonymised"
    """The vendor refused to delete it; its personal fields were blanked instead."""
    NOT_FOUND = "not_found"
    """The vendor has no such record (already deleted): nothing left to do."""
    FAILED = "failed"
    """Not erased; ``retryable`` says whether asking again may succeed."""


@dataclass(frozen=True, slots=True)
class EraseResult:
    """The final answer for one record of an erasure (asynchronous vendor jobs followed to their end)."""

    source_id: str
    outcome: EraseOutcome
    message: str = ""
    retryable: bool = False


@runtime_checkable
class Eraser(Protocol):
    """A connector that can erase people's records in its vendor (an optional capability).

    ``erase`` deletes each record for good where the vendor allows it: HubSpot's GDPR
    delete, Zendesk's delete then permanent delete, Mixpanel's data-deletion request,
    Salesforce's delete (its personal fields blanked when deletion is refused). A
    connector without it is reported as unable to erase, and someone deletes by hand.
    """

    system: str

    def erase(self, stream: str, source_ids: Sequence[str]) -> list[EraseResult]:
        """Erase these records of ``stream``; return one final result per ID, in order.

        Raises:
            ConnectorError: The vendor could not be reached or refused the credentials.
        """
        ...


@runtime_checkable
class KeyedLookup(Protocol):
    """A connector that can say which records already carry given values of an external-key field.

    For a write in doubt (sent, and the process died before the vendor's answer was
    recorded): one look-up settles whether the vendor made it, instead of sending it again.
    """

    def find_keyed(self, stream: str, key_field: str, keys: Sequence[str]) -> dict[str, str]:
        """Return ``{key: record ID}`` for the records of ``stream`` whose ``key_field`` holds one of ``keys``.

        Raises:
            ConnectorError: The vendor could not be asked.
        """
        ...


@runtime_checkable
class WriteBatching(Protocol):
    """A connector that says how many operations one ``push`` should carry to fill the vendor's requests.

    A push of any size is split into the vendor's own requests; a push of this many (or a
    multiple) leaves no request part-filled between pushes: 2,000 for Mixpanel's /engage,
    3,000 for Zendesk (30 queued jobs of 100 users, their outcomes read together).
    Connectors without it get the core's default (``core.sync.push.BATCH``).
    """

    def write_batch(self, stream: str) -> int:
        """Return the operations per ``push`` of ``stream`` that fill whole vendor requests."""
        ...


class ConnectorFactory(Protocol):
    """What an entry point in ``contactpoint.connectors`` must point at.

    Two class attributes are optional, read where present: ``stream_names`` (the
    streams the connector can pull, ``tuple[str, ...]``) and ``open_streams`` (true
    when other names may be configured too, as any Salesforce sObject). With them,
    ``contactpoint mapping check`` tells a misspelt stream of a mapping (``Contacts``)
    before a sync pulls nothing for it.
    """

    system: ClassVar[str]
    config_model: ClassVar[type[BaseModel]]

    @classmethod
    def from_config(cls, config: BaseModel, *, name: str) -> Connector:
        """Build a connector for the system configured as ``name``."""
        ...
