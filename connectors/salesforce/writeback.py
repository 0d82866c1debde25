"""Writing back to Salesforce: sObject Collections, or Bulk API 2.0 ingest for large batches.

push(WriteBatch)
├── field names are Salesforce API names (the mapping's ``writeback:`` renders them)
├── ops without a valid Id fail at once; ops with no fields are UNCHANGED (no call)
├── ≤ bulk_ingest_threshold: PATCH /composite/sobjects, 200 a request, allOrNone=false,
│     the per-record ``errors`` become WriteResults
└── above: one Bulk 2.0 update job per set of columns; every result row is tied back
      to its op by ``Id``; a job that fails as a whole is retried through Collections
      (to get per-record errors); rows Salesforce never reported are failed, retryable
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import structlog

from connectors.base import WriteBatch, WriteOp, WriteOutcome, WriteResult
from connectors.salesforce.client import BulkIngestResult, SalesforceClient
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.csvrows import rows_to_csv
from connectors.salesforce.errors import RETRYABLE_RECORD_CODES, record_failure
from core.errors import ConnectorConfigError

__all__ = ["COLLECTION_SIZE", "WriteBack", "parse_bulk_error"]

log = structlog.get_logger(__name__)

COLLECTION_SIZE = 200
"""Records per sObject Collections request (Salesforce's maximum)."""

_ID = re.compile(r"^[A-Za-z0-9]{15}([A-Za-z0-9]{3})?$")


def parse_bulk_error(text: str) -> tuple[str, str]:
    """Split a Bulk ``sf__Error`` (``CODE:message:fields``) into (code, message)."""
    code, _, rest = text.partition(":")
    return (code or "UNKNOWN_ERROR"), rest.strip(":") or text


def _chunks(ops: Sequence[_Update], size: int) -> Iterator[Sequence[_Update]]:
    for start in range(0, len(ops), size):
        yield ops[start : start + size]


@dataclass(frozen=True, slots=True)
class _Update:
    """An op that passed the precheck: an existing record's ID and the fields to set."""

    source_id: str
    fields: Mapping[str, Any]


class WriteBack:
    """Applies write batches to one org; see the module docstring."""

    def __init__(self, client: SalesforceClient, config: SalesforceConfig, *, system: str) -> None:
        self._client = client
        self._config = config
        self._system = system

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Apply ``batch``; return one result per op, in the ops' order.

        Raises:
            ConnectorConfigError: The stream is not configured as writable.
            ConnectorError: A failure that stops the whole push (auth, budget, rate limit).
        """
        if batch.stream in self._config.alert_objects:
            return self._upserts(batch.stream, batch.ops)
        settings = self._config.object(batch.stream)
        if settings is None or not settings.writable:
            msg = f"{self._system}.{batch.stream} is not writable"
            hint = f"set writable: true for {batch.stream} under settings.objects"
            raise ConnectorConfigError(msg, hint=hint, system=self._system, stream=batch.stream)
        results: dict[int, WriteResult] = {}
        pending: list[tuple[int, _Update]] = []
        for index, op in enumerate(batch.ops):
            checked = self._precheck(op)
            if isinstance(checked, WriteResult):
                results[index] = checked
            else:
                pending.append((index, checked))
        ops = [op for _, op in pending]
        if len(ops) > self._config.bulk_ingest_threshold:
            written = self._bulk(batch.stream, ops)
        else:
            written = self._collections(batch.stream, ops)
        results.update({index: result for (index, _), result in zip(pending, written, strict=True)})
        return [results[i] for i in range(len(batch.ops))]

    def _upserts(self, sobject: str, ops: Sequence[WriteOp]) -> list[WriteResult]:
        """Create-or-update records of an alert object on their key field, 200 a request (sObject Collections)."""
        results: list[WriteResult | None] = [None] * len(ops)
        keyed: dict[str, list[tuple[int, dict[str, Any]]]] = {}
        for index, op in enumerate(ops):
            if op.match is None:
                results[index] = WriteResult(
                    op.source_id, WriteOutcome.FAILED, "NO_KEY", "an alert needs its key field"
                )
                continue
            keyed.setdefault(op.match[0], []).append((index, {**op.fields, op.match[0]: op.match[1]}))
        for key_field, items in keyed.items():
            for start in range(0, len(items), COLLECTION_SIZE):
                chunk = items[start : start + COLLECTION_SIZE]
                answers = self._client.upsert_collection(sobject, key_field, [fields for _, fields in chunk])
                for (index, _), answer in zip(chunk, answers, strict=True):
                    results[index] = _upsert_result(answer)
        log.info("writeback.upserted", system=self._system, stream=sobject, records=len(ops))
        return [r if r is not None else WriteResult(None, WriteOutcome.FAILED, "NO_RESULT", "") for r in results]

    def _precheck(self, op: WriteOp) -> WriteResult | _Update:
        if op.source_id is None:
            return WriteResult(None, WriteOutcome.FAILED, "CREATE_UNSUPPORTED", "write-back updates existing records")
        if not _ID.match(op.source_id):
            return WriteResult(op.source_id, WriteOutcome.FAILED, "INVALID_ID", "not a Salesforce record ID")
        if not op.fields:
            return WriteResult(op.source_id, WriteOutcome.UNCHANGED)
        return _Update(op.source_id, op.fields)

    def _collections(self, sobject: str, ops: Sequence[_Update]) -> list[WriteResult]:
        results: list[WriteResult] = []
        for chunk in _chunks(ops, COLLECTION_SIZE):
            answers = self._client.update_collection(sobject, [{"Id": op.source_id, **op.fields} for op in chunk])
            results.extend(_collection_result(op, answer) for op, answer in zip(chunk, answers, strict=True))
        failed = sum(r.outcome is WriteOutcome.FAILED for r in results)
        log.info("writeback.pushed", system=self._system, stream=sobject, records=len(results), rejected=failed)
        return results

    def _bulk(self, sobject: str, ops: Sequence[_Update]) -> list[WriteResult]:
        by_id: dict[str, WriteResult] = {}
        for columns, group in _by_columns(ops).items():
            rows = [{"Id": op.source_id, **op.fields} for op in group]
            outcome = self._client.bulk_update(sobject, rows_to_csv(rows, ["Id", *columns]))
            if outcome.state != "JobComplete":
                log.warning(
                    "writeback.bulk_job_failed", system=self._system, stream=sobject, error=outcome.error_message
                )
                by_id.update({op.source_id: r for op, r in zip(group, self._collections(sobject, group), strict=True)})
                continue
            by_id.update(_tie_back(group, outcome))
        return [by_id[op.source_id] for op in ops]


def _collection_result(op: _Update, answer: Mapping[str, Any]) -> WriteResult:
    if answer.get("success"):
        return WriteResult(op.source_id, WriteOutcome.WRITTEN)
    code, message, retryable = record_failure(answer.get("errors"))
    return WriteResult(op.source_id, WriteOutcome.FAILED, code, message, retryable)


def _upsert_result(answer: Mapping[str, Any]) -> WriteResult:
    if answer.get("success"):
        return WriteResult(answer.get("id"), WriteOutcome.WRITTEN)
    code, message, retryable = record_failure(answer.get("errors"))
    return WriteResult(answer.get("id"), WriteOutcome.FAILED, code, message, retryable)


def _by_columns(ops: Sequence[_Update]) -> dict[tuple[str, ...], list[_Update]]:
    """Group ops by the fields they set: a Bulk CSV column would otherwise clear the others' values."""
    groups: dict[tuple[str, ...], dict[str, _Update]] = {}
    for op in ops:
        key = tuple(sorted(op.fields))
        merged = groups.setdefault(key, {})
        previous = merged.get(op.source_id)
        merged[op.source_id] = _Update(op.source_id, {**(previous.fields if previous else {}), **op.fields})
    return {key: list(group.values()) for key, group in groups.items()}


def _tie_back(group: Sequence[_Update], outcome: BulkIngestResult) -> dict[str, WriteResult]:
    """Match every Bulk result row to its input op by Id (15-character form); ops with no row failed unseen."""
    results: dict[str, WriteResult] = {}
    for row in outcome.successful:
        rid = row.get("Id") or row.get("sf__Id") or ""
        results[rid[:15]] = WriteResult(rid, WriteOutcome.WRITTEN)
    for row in outcome.failed:
        rid = row.get("Id") or ""
        code, message = parse_bulk_error(row.get("sf__Error", ""))
        results[rid[:15]] = WriteResult(rid, WriteOutcome.FAILED, code, message, code in RETRYABLE_RECORD_CODES)
    for row in outcome.unprocessed:
        rid = row.get("Id") or ""
        results[rid[:15]] = WriteResult(
            rid, WriteOutcome.FAILED, "UNPROCESSED", "the Bulk job did not process it", retryable=True
        )
    missing = WriteResult(
        "", WriteOutcome.FAILED, "BULK_ROW_MISSING", f"job {outcome.job_id} reported no row", retryable=True
    )
    return {op.source_id: replace(results.get(op.source_id[:15], missing), source_id=op.source_id) for op in group}
