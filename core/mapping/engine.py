"""A compiled mapping and what mapping one record gives: ``Mapped`` or ``Rejected``.

``CompiledMapping.map(record)`` never raises for a bad record: a missing
required value, a transform that cannot read a value, or a model that refuses
the result all give ``Rejected`` with a reason naming the field and the value,
so one bad record is parked and the run goes on. A bad value in a field that is
neither required nor an identifier is left out instead, with a ``FieldProblem``
on the ``Mapped`` outcome: the record is kept.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from pydantic import ValidationError

from connectors.base import RejectedRecord, RejectionCode, SourceRecord, WritebackTarget
from core.canonical import CanonicalModel, Identifier, RecordRef
from core.canonical.base import describe_validation_error
from core.errors import ConfigError, Problem, RecordRejected
from core.mapping.alerts import AlertTemplate
from core.mapping.paths import SourcePath
from core.mapping.plans import UNSET, FieldProblem, IdentifierPlan, TargetPlan, ValuePlan, is_missing
from core.mapping.writeback import Writeback
from core.problems import Loc, suggest
from core.yamlfile import Document

__all__ = ["CompiledMapping", "FieldProblem", "MapOutcome", "Mapped", "Rejected", "StreamMapping"]


@dataclass(frozen=True, slots=True)
class Mapped:
    """A record mapped into one or more canonical models (none when every ``when`` said no).

    ``problems`` lists the values left out because their (droppable) field refused them.
    """

    record: SourceRecord
    models: list[CanonicalModel]
    problems: tuple[FieldProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class Rejected:
    """A record that could not be mapped, and why.

    Attributes:
        record: The source record, unchanged.
        reason: What went wrong, naming the field and the bad value.
        field: The canonical field (``Person.email``) or mapping key involved, if one.
        loc: The key path in the mapping file the reason points at.
        code: ``missing`` (a required value), ``transform`` (a transform failed), ``invalid``
            (the model or an identifier refused a value) or ``unmapped_stream``.
    """

    record: SourceRecord
    reason: str
    field: str | None = None
    loc: Loc = ()
    code: RejectionCode = RejectionCode.INVALID

    def to_rejected_record(self) -> RejectedRecord:
        """Return the record in the shape the store parks rejected records in, with where it was read."""
        rec = self.record
        return RejectedRecord(
            system=rec.system,
            stream=rec.stream,
            reason=self.reason,
            raw=dict(rec.raw),
            source_id=rec.source_id or None,
            position=rec.position,
            code=self.code,
            field=self.field,
        )


MapOutcome = Mapped | Rejected
"""What ``CompiledMapping.map`` returns for one record."""


@dataclass(frozen=True)
class StreamMapping:
    """The compiled mapping of one stream.

    Attributes:
        name: The stream's name.
        loc: Its key path in the file (``("streams", name)``).
        id_path: Source path of the record's ID.
        targets: The models each record produces.
        identifiers: The identifiers declared for the stream.
        writeback: What write-back sets on this stream's records.
        updated_at: Plan for the record's change time, if declared.
        deleted: Plan for the record's deleted flag, if declared.
    """

    name: str
    loc: Loc
    id_path: SourcePath
    targets: tuple[TargetPlan, ...]
    identifiers: tuple[IdentifierPlan, ...]
    writeback: Writeback
    updated_at: ValuePlan | None = None
    deleted: ValuePlan | None = None
    shared: int = 0
    """How many (path, transforms) pairs several plans share: each is computed once per record."""

    @property
    def models(self) -> list[str]:
        """Names of the canonical models this stream produces."""
        return [t.name for t in self.targets]

    def record_id(self, raw: Mapping[str, Any]) -> str | None:
        """Return the record's ID read with ``id:`` (as text), or ``None`` when it is empty."""
        value = self.id_path.get(raw)
        return None if is_missing(value) or isinstance(value, dict | list) else str(value).strip()

    def record_updated_at(self, raw: Mapping[str, Any], memo: list[Any] | None = None) -> datetime | None:
        """Return the change time read with ``updated_at:``, or ``None`` when undeclared or empty.

        Raises:
            RecordRejected: The value cannot be read as a date-time.
        """
        value = self.updated_at.evaluate(raw, memo) if self.updated_at is not None else None
        return value if isinstance(value, datetime) else None

    def map(self, record: SourceRecord) -> MapOutcome:
        """Map one record of this stream; never raises for bad data."""
        problems: list[FieldProblem] = []
        try:
            return Mapped(record, self._models(record, problems), tuple(problems))
        except RecordRejected as err:
            ctx = err.context
            code = RejectionCode(ctx.get("code", RejectionCode.INVALID))
            return Rejected(record, err.message, field=ctx.get("field"), loc=ctx.get("loc", ()), code=code)

    def _models(self, record: SourceRecord, problems: list[FieldProblem]) -> list[CanonicalModel]:
        raw = record.raw
        ref = self._ref(record)
        memo = [UNSET] * self.shared if self.shared else None
        updated_at = record.updated_at if record.updated_at is not None else self.record_updated_at(raw, memo)
        deleted = record.deleted or (self.deleted is not None and self.deleted.evaluate(raw, memo) is True)
        identifiers: list[Identifier] = []
        for plan in self.identifiers:
            plan.evaluate(raw, identifiers, memo)
        models: list[CanonicalModel] = []
        for target in self.targets:
            built = target.build(
                raw, ref, updated_at=updated_at, deleted=deleted, identifiers=identifiers, problems=problems, memo=memo
            )
            if built is not None:
                models.append(cast(CanonicalModel, built))
        return models

    def _ref(self, record: SourceRecord) -> RecordRef:
        source_id = record.source_id or self.record_id(record.raw)
        if not source_id:
            message = f"record has no ID: source path '{self.id_path.text}' is missing or empty"
            raise RecordRejected(message, field="id", loc=(*self.loc, "id"), code=RejectionCode.MISSING)
        try:
            return RecordRef(system=record.system, stream=record.stream, source_id=source_id)
        except ValidationError as err:
            reason = "record reference: " + "; ".join(describe_validation_error(err))
            raise RecordRejected(reason, code=RejectionCode.INVALID) from None


class CompiledMapping:
    """A validated mapping file, compiled into per-stream plans; build it with ``load_mapping``.

    Attributes:
        file: The file it was read from, as given.
        system: The system it maps (``salesforce``).
    """

    def __init__(
        self,
        *,
        file: str,
        system: str,
        streams: dict[str, StreamMapping],
        document: Document,
        alerts: Mapping[str, AlertTemplate] | None = None,
    ) -> None:
        self.file = file
        self.system = system
        self._streams = streams
        self._document = document
        self.alerts: dict[str, AlertTemplate] = dict(alerts or {})
        """Object name → how a policy alert becomes a record of it in this system."""

    def __repr__(self) -> str:
        return f"CompiledMapping(file={self.file!r}, system={self.system!r}, streams={list(self._streams)})"

    @property
    def streams(self) -> list[str]:
        """The mapped streams' names, in file order."""
        return list(self._streams)

    def stream(self, name: str) -> StreamMapping:
        """Return the compiled mapping of one stream.

        Raises:
            KeyError: When the stream is not mapped; the message lists those that are.
        """
        try:
            return self._streams[name]
        except KeyError:
            msg = f"stream {name!r} is not mapped in {self.file}; mapped streams: {', '.join(self._streams)}"
            raise KeyError(msg) from None

    def pick_stream(self, stream: str | None) -> str:
        """Return the stream an input holds: ``stream`` itself, or the only one mapped when it is ``None``.

        Raises:
            ConfigError: ``stream`` is ``None`` while several streams are mapped, or
                ``stream`` is not mapped (the hint names the nearest mapped one).
        """
        listed = ", ".join(self._streams)
        if stream is None:
            if len(self._streams) == 1:
                return next(iter(self._streams))
            msg = f"{self.file} maps several streams ({listed}); which one does the input hold?"
            hint = f"pass --stream NAME, e.g. --stream {next(iter(self._streams))}"
            raise ConfigError(msg, hint=hint, file=self.file)
        if stream not in self._streams:
            msg = f"stream '{stream}' is not mapped in {self.file}; mapped streams: {listed}"
            hint = suggest(stream, self._streams, noun="pass --stream with one of")
            raise ConfigError(msg, hint=hint, file=self.file)
        return stream

    def map(self, record: SourceRecord) -> MapOutcome:
        """Map one source record to canonical models; never raises for bad data."""
        stream = self._streams.get(record.stream)
        if stream is None:
            reason = (
                f"stream '{record.stream}' is not mapped in {self.file}; mapped streams: {', '.join(self._streams)}"
            )
            return Rejected(record, reason, field=None, code=RejectionCode.UNMAPPED_STREAM)
        return stream.map(record)

    def writeback(self, stream: str) -> Writeback:
        """Return the write-back declared for ``stream`` (empty when none is).

        Raises:
            KeyError: When the stream is not mapped.
        """
        return self.stream(stream).writeback

    def writeback_targets(self) -> list[WritebackTarget]:
        """Return every vendor field write-back fills.

        The ``writeback:`` sections' fields, stream by stream in file order, then each
        alert object's key field (source ``alert.key``).
        """
        found = [
            WritebackTarget(name, item.vendor_field, item.source)
            for name, plan in self._streams.items()
            for item in plan.writeback.fields
        ]
        found += [WritebackTarget(name, alert.key_field, "alert.key") for name, alert in self.alerts.items()]
        return found

    def source_record(self, stream: str, raw: Mapping[str, Any], *, position: str | None = None) -> SourceRecord:
        """Wrap a raw record of ``stream`` as a ``SourceRecord``, reading ``id``/``updated_at`` by the mapping.

        An empty ID gives ``source_id=""`` (``map`` then rejects it); an unreadable
        ``updated_at`` is left ``None`` (``map`` then rejects it with the reason).

        Raises:
            KeyError: When the stream is not mapped.
        """
        plan = self.stream(stream)
        try:
            updated_at = plan.record_updated_at(raw)
        except RecordRejected:
            updated_at = None
        return SourceRecord(
            system=self.system,
            stream=stream,
            source_id=plan.record_id(raw) or "",
            raw=raw,
            updated_at=updated_at,
            position=position,
        )

    def locate(self, loc: Loc) -> tuple[int | None, int | None]:
        """Return the 1-based (line, column) of a key path in the mapping file."""
        return self._document.locate(loc)

    def problem(self, loc: Loc, message: str, hint: str | None = None) -> Problem:
        """Build a ``Problem`` pointing at ``loc`` in the mapping file; an empty ``loc`` has no position."""
        if not loc:
            return Problem(self.file, None, None, "", message, hint)
        return self._document.problem(loc, message, hint)
