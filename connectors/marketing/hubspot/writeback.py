"""Writing back to HubSpot: batch update by record ID, batch upsert by a unique property, 100 a request.

push(WriteBatch)
├── property names are HubSpot's internal names (the mapping's ``writeback:`` renders them);
│     values are sent as HubSpot's text (``wire_value``: true/false, numbers, ;-joined lists)
├── ops with a record ID  → POST /crm/v3/objects/{object}/batch/update
├── ops with source_id None and match=(property, value) → POST .../batch/upsert with idProperty
│     (``email`` for contacts; any property with unique values); the new record's ID comes back
├── a 200 or 207 answer: each result and each entry of ``errors`` (its ``context.ids``) is
│     tied back to its op; an op HubSpot reported on neither way fails, retryable
├── a 400 refuses the whole batch for one bad value: the batch is split in halves until
│     the bad records stand alone, so every other record is still written; a property the
│     portal does not have (``PROPERTY_DOESNT_EXIST``, before ``contactpoint setup hubspot``)
│     refuses every record that sets it: those fail at once and the others go in one request
└── a transient failure (429 after retries, 5xx) fails that request's ops, retryable
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import structlog

from connectors.base import WriteBatch, WriteOp, WriteOutcome, WriteResult
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.errors import batch_error
from core.errors import ConnectorConfigError, FatalApiError, RetryableError

__all__ = ["BATCH_SIZE", "WriteBack", "wire_value"]

log = structlog.get_logger(__name__)

BATCH_SIZE = 100
"""Inputs per batch request (HubSpot's maximum)."""


@dataclass(frozen=True, slots=True)
class _Pending:
    """An op that passed the precheck: where it sits in the batch, its key, and what to set."""

    index: int
    key: str
    fields: Mapping[str, Any]
    id_property: str | None = None
    """None for an update by record ID; the unique property of an upsert."""

    @property
    def norm(self) -> str:
        """The key as HubSpot compares it (emails without case)."""
        return self.key.strip().lower() if self.id_property == "email" else self.key


def _groups(pending: Sequence[_Pending]) -> Iterator[list[_Pending]]:
    """Split into requests of at most ``BATCH_SIZE``, never one key twice in a request (HubSpot refuses that)."""
    groups: list[tuple[list[_Pending], set[str]]] = []
    for item in pending:
        for members, keys in groups:
            if len(members) < BATCH_SIZE and item.norm not in keys:
                members.append(item)
                keys.add(item.norm)
                break
        else:
            groups.append(([item], {item.norm}))
    for members, _ in groups:
        yield members


def wire_value(value: Any) -> str:
    """Write a value the way HubSpot stores it: every property value is text.

    ``True`` -> ``"true"``; numbers as written; None -> ``""`` (clears the property); a list
    -> ``;``-joined (multiple checkboxes); a datetime -> milliseconds since the epoch; a date
    -> ``YYYY-MM-DD``.
    """
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return str(round(value.timestamp() * 1000))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return ";".join(wire_value(v) for v in value)
    return str(value)


def _failed(
    item: _Pending, code: str, message: str, *, retryable: bool, source_id: str | None = None
) -> tuple[int, WriteResult]:
    sid = source_id if source_id is not None else (item.key if item.id_property is None else None)
    return item.index, WriteResult(sid, WriteOutcome.FAILED, code, message, retryable=retryable)


class WriteBack:
    """Applies write batches to one portal; see the module docstring."""

    def __init__(self, client: HubSpotClient, config: HubSpotConfig, *, system: str) -> None:
        self._client = client
        self._config = config
        self._system = system

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Apply ``batch``; return one result per op, in the ops' order.

        Raises:
            ConnectorConfigError: The stream is not configured as writable.
            ConnectorError: A failure that stops the whole push (auth, the daily budget).
        """
        settings = self._config.object(batch.stream)
        if settings is None or not settings.writable:
            msg = f"{self._system}.{batch.stream} is not writable"
            hint = f"set writable: true for {batch.stream} under settings.objects"
            raise ConnectorConfigError(msg, hint=hint, system=self._system, stream=batch.stream)
        results: dict[int, WriteResult] = {}
        updates: list[_Pending] = []
        upserts: list[_Pending] = []
        for index, op in enumerate(batch.ops):
            checked = self._check(index, op)
            if isinstance(checked, WriteResult):
                results[index] = checked
            else:
                (updates if checked.id_property is None else upserts).append(checked)
        for verb, pending in (("update", updates), ("upsert", upserts)):
            for group in _groups(pending):
                results.update(self._send(batch.stream, verb, group))
        return [results[i] for i in range(len(batch.ops))]

    def _check(self, index: int, op: WriteOp) -> _Pending | WriteResult:
        if op.source_id is not None:
            if not str(op.source_id).isdigit():
                return WriteResult(op.source_id, WriteOutcome.FAILED, "INVALID_ID",
                                   f"{op.source_id!r} is not a HubSpot record ID (digits)")  # fmt: skip
            if not op.fields:
                return WriteResult(op.source_id, WriteOutcome.UNCHANGED)
            return _Pending(index, str(op.source_id), {k: wire_value(v) for k, v in op.fields.items()})
        if op.match is None or not op.match[1]:
            return WriteResult(None, WriteOutcome.FAILED, "NO_TARGET",
                               "a write without a record ID needs match=(unique property, value), e.g. ('email', ...)")  # fmt: skip
        prop, value = op.match
        fields = {**{k: wire_value(v) for k, v in op.fields.items()}, prop: value}
        return _Pending(index, str(value), fields, id_property=prop)

    def _send(self, stream: str, verb: str, group: list[_Pending]) -> dict[int, WriteResult]:
        inputs = [{"id": p.key, "properties": dict(p.fields)} | ({"idProperty": p.id_property} if p.id_property else {})
                  for p in group]  # fmt: skip
        try:
            _, body = self._client.batch(stream, verb, inputs)
        except FatalApiError as err:
            if err.context.get("status") != 400:
                raise
            return self._split(stream, verb, group, err)
        except RetryableError as err:
            code = str(err.context.get("error_code") or type(err).__name__)
            log.warning(
                "writeback.request_failed", system=self._system, stream=stream, records=len(group), error_code=code
            )
            return dict(_failed(p, code, err.message, retryable=True) for p in group)
        return self._tie(group, body)

    def _split(self, stream: str, verb: str, group: list[_Pending], err: FatalApiError) -> dict[int, WriteResult]:
        """A batch refused whole: halve it until the bad records stand alone (see the module docstring)."""
        missing = set(err.context.get("missing_properties") or ())
        lacking: list[_Pending] = []
        rest: list[_Pending] = []
        for pending in group:
            (lacking if missing.intersection(pending.fields) else rest).append(pending)
        if lacking and len(group) > 1:
            log.info("writeback.properties_missing", system=self._system, stream=stream, records=len(lacking),
                     properties=sorted(missing))  # fmt: skip
            code = f"{err.context.get('error_code') or 'VALIDATION_ERROR'}:PROPERTY_DOESNT_EXIST"
            failed = dict(_failed(p, code, err.message, retryable=False) for p in lacking)
            return {**failed, **(self._send(stream, verb, rest) if rest else {})}
        if len(group) == 1:
            details = err.context.get("details") or []
            code = (
                f"{err.context.get('error_code') or 'VALIDATION_ERROR'}:{details[0]}"
                if details
                else str(err.context.get("error_code") or "VALIDATION_ERROR")
            )
            log.info(
                "writeback.record_failed", system=self._system, stream=stream, record_id=group[0].key, error_code=code
            )
            return dict([_failed(group[0], code, err.message, retryable=False)])
        middle = len(group) // 2
        return {**self._send(stream, verb, group[:middle]), **self._send(stream, verb, group[middle:])}

    def _tie(self, group: list[_Pending], body: Mapping[str, Any]) -> dict[int, WriteResult]:
        """Tie each result and each error back to its op (HubSpot keeps no order)."""
        upsert = group[0].id_property if group else None
        written: dict[str, str] = {}
        for result in body.get("results") or []:
            if not isinstance(result, Mapping) or not result.get("id"):
                continue
            key = str(result["id"]) if upsert is None else str((result.get("properties") or {}).get(upsert) or "")
            written[key.strip().lower() if upsert == "email" else key] = str(result["id"])
        refused: dict[str, tuple[str, str, bool]] = {}
        for entry in body.get("errors") or []:
            failure = batch_error(entry)
            for key in (entry.get("context") or {}).get("ids") or []:
                refused[str(key).strip().lower() if upsert == "email" else str(key)] = failure
        out: dict[int, WriteResult] = {}
        for item in group:
            if item.norm in written:
                out[item.index] = WriteResult(written[item.norm], WriteOutcome.WRITTEN)
            elif item.norm in refused:
                code, message, retryable = refused[item.norm]
                out[item.index] = _failed(item, code, message, retryable=retryable)[1]
            else:
                out[item.index] = _failed(
                    item, "NO_RESULT", "HubSpot reported neither a result nor an error for this record", retryable=True
                )[1]
        return out
