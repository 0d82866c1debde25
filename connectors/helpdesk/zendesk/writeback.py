"""Writing back to Zendesk users: bulk jobs, followed to the end, one result per op.

push(WriteBatch)
├── field names: a user attribute (``notes``, ``tags``, ``external_id``...) or a custom
│     field as ``user_fields.<key>`` (the mapping's ``writeback:`` renders them)
├── ops are checked first: no fields is UNCHANGED (no call); an unknown attribute, a
│     custom field Zendesk does not have (``contactpoint setup zendesk`` makes them), a
│     non-numeric ID or a create without ``match`` on email/external_id fails at once
├── ops with an ID: ``PUT users/update_many`` with ``{"users": [{"id", ...}]}``, 100 a
│     request (an ID twice starts a new request, so the later write wins)
├── ops with ``match``: ``POST users/create_or_update_many``, 100 a request
└── up to ``max_open_jobs`` jobs are queued, then followed with ``job_statuses/show_many``
      (100 jobs a read) every ``job_poll_seconds`` until each ends:
      completed → each result tied back to its op (by user ID; by ``index`` for
      create-or-update) and turned into a WriteResult; failed, never finished within
      ``job_timeout_seconds``, or a result missing → every op of it FAILED, retryable
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

from connectors.base import WriteBatch, WriteOp, WriteOutcome, WriteResult
from connectors.helpdesk.zendesk.client import ZendeskClient
from connectors.helpdesk.zendesk.config import ZendeskConfig
from connectors.helpdesk.zendesk.errors import record_failure
from core.errors import ConnectorConfigError, RetryableError

__all__ = ["BATCH_SIZE", "FIELD_PREFIX", "USER_ATTRIBUTES", "WriteBack"]

log = structlog.get_logger(__name__)

BATCH_SIZE = 100
"""Users per ``update_many`` or ``create_or_update_many`` request (Zendesk's maximum)."""
FIELD_PREFIX = "user_fields."
USER_ATTRIBUTES = frozenset({"name", "email", "phone", "external_id", "notes", "details", "tags", "organization_id",
                             "alias", "time_zone", "locale", "verified", "suspended"})  # fmt: skip
_MATCH_KEYS = frozenset({"email", "external_id"})
_ENDED = frozenset({"completed", "failed", "killed"})


@dataclass
class _Job:
    """One bulk request: its ops (by their place in the batch) and what it sent for each."""

    upsert: bool
    items: list[tuple[int, dict[str, Any]]] = field(default_factory=list)
    job_id: str | None = None


def _chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class WriteBack:
    """Applies write batches to users; see the module docstring."""

    def __init__(
        self, client: ZendeskClient, config: ZendeskConfig, *, system: str, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self._client = client
        self._config = config
        self._system = system
        self._sleep = sleep

    def _known_fields(self) -> set[str]:
        """The keys of the account's active user fields (read once per connector, with those setup made)."""
        return {str(f["key"]) for f in self._client.user_fields() if f.get("active", True)}

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Apply ``batch``; return one final result per op, in the ops' order.

        Raises:
            ConnectorConfigError: The stream is not configured as writable.
            ConnectorError: A failure that stops the whole push (auth, a refused request).
        """
        settings = self._config.stream(batch.stream)
        if settings is None or not settings.writable:
            msg = f"{self._system}.{batch.stream} is not writable"
            hint = "write-back goes to users: set writable: true for users under settings.streams"
            raise ConnectorConfigError(msg, hint=hint, system=self._system, stream=batch.stream)
        results: dict[int, WriteResult] = {}
        updates: list[tuple[int, dict[str, Any]]] = []
        upserts: list[tuple[int, dict[str, Any]]] = []
        wants_fields = any(name.startswith(FIELD_PREFIX) for op in batch.ops for name in op.fields)
        known = self._known_fields() if wants_fields else set()
        for index, op in enumerate(batch.ops):
            checked = self._precheck(op, known)
            if isinstance(checked, WriteResult):
                results[index] = checked
            else:
                (upserts if op.source_id is None else updates).append((index, checked))
        jobs = [
            *_update_jobs(updates),
            *(_Job(upsert=True, items=list(chunk)) for chunk in _chunks(upserts, BATCH_SIZE)),
        ]
        for wave in _chunks(jobs, self._config.max_open_jobs):
            results.update(self._run(wave, batch.ops))
        failed = sum(r.outcome is WriteOutcome.FAILED for r in results.values())
        log.info("writeback.pushed", system=self._system, stream=batch.stream, records=len(results), rejected=failed)
        return [results[i] for i in range(len(batch.ops))]

    def _precheck(self, op: WriteOp, known: set[str]) -> WriteResult | dict[str, Any]:
        if not op.fields:
            return WriteResult(op.source_id, WriteOutcome.UNCHANGED)
        attributes: dict[str, Any] = {}
        custom: dict[str, Any] = {}
        for name, value in op.fields.items():
            if name.startswith(FIELD_PREFIX):
                custom[name.removeprefix(FIELD_PREFIX)] = value
            elif name in USER_ATTRIBUTES:
                attributes[name] = value
            else:
                message = f"{name!r} is not a Zendesk user attribute; write custom fields as user_fields.<key>"
                return WriteResult(op.source_id, WriteOutcome.FAILED, "UNKNOWN_FIELD", message)
        missing = sorted(set(custom) - known)
        if missing:
            message = f"no user field {', '.join(missing)} in Zendesk; create it with: contactpoint setup zendesk"
            return WriteResult(op.source_id, WriteOutcome.FAILED, "USER_FIELD_MISSING", message)
        body = {**attributes, **({"user_fields": custom} if custom else {})}
        if op.source_id is not None:
            if not op.source_id.isdigit():
                return WriteResult(op.source_id, WriteOutcome.FAILED, "INVALID_ID", "not a Zendesk user ID")
            return {"id": int(op.source_id), **body}
        if op.match is None or op.match[0] not in _MATCH_KEYS:
            code = "CREATE_UNSUPPORTED" if op.match is None else "MATCH_UNSUPPORTED"
            message = "a create needs match on email or external_id (Zendesk's create_or_update keys)"
            return WriteResult(None, WriteOutcome.FAILED, code, message)
        return {**body, op.match[0]: op.match[1]}

    def _run(self, jobs: Sequence[_Job], ops: Sequence[WriteOp]) -> dict[int, WriteResult]:
        results: dict[int, WriteResult] = {}
        for job in jobs:
            bodies = [body for _, body in job.items]
            try:
                status = self._client.create_or_update_many(bodies) if job.upsert else self._client.update_many(bodies)
            except RetryableError as err:
                code = str(err.context.get("error_code") or "SUBMIT_FAILED")
                results.update(_fail_all(job, ops, code, f"the bulk request was refused: {err.message}"))
                continue
            job.job_id = str(status.get("id") or "")
            if not job.job_id:
                results.update(_fail_all(job, ops, "JOB_STATUS_MISSING", "Zendesk answered without a job status"))
        ended = self._follow([j.job_id for j in jobs if j.job_id])
        for job in (j for j in jobs if j.job_id):
            results.update(self._tie(job, ops, ended.get(str(job.job_id))))
        return results

    def _follow(self, job_ids: list[str]) -> dict[str, dict[str, Any]]:
        """Read the jobs until each has ended or the wait runs out; return the ended ones by ID."""
        ended: dict[str, dict[str, Any]] = {}
        pending = list(job_ids)
        waited = 0.0
        while pending:
            for chunk in _chunks(pending, 100):
                for status in self._client.job_statuses(list(chunk)):
                    if status.get("status") in _ENDED:
                        ended[str(status.get("id"))] = status
            pending = [j for j in pending if j not in ended]
            if not pending or waited >= self._config.job_timeout_seconds:
                break
            self._sleep(self._config.job_poll_seconds)
            waited += max(self._config.job_poll_seconds, 0.001)
        return ended

    def _tie(self, job: _Job, ops: Sequence[WriteOp], status: Mapping[str, Any] | None) -> dict[int, WriteResult]:
        if status is None:
            message = f"job {job.job_id} did not end within {self._config.job_timeout_seconds:.0f}s"
            log.warning("writeback.job_unfinished", system=self._system, job=job.job_id)
            return _fail_all(job, ops, "JOB_TIMEOUT", message)
        if status.get("status") != "completed":
            message = f"job {job.job_id} ended {status.get('status')}: {status.get('message') or 'no message'}"
            log.warning("writeback.job_failed", system=self._system, job=job.job_id, error=status.get("message"))
            return _fail_all(job, ops, "JOB_FAILED", message)
        found = _by_key(job, status.get("results"))
        out: dict[int, WriteResult] = {}
        for position, (index, body) in enumerate(job.items):
            result = found.get(position)
            source_id = ops[index].source_id
            if result is None:
                message = f"job {job.job_id} completed without a result for {_describe(body)}"
                out[index] = WriteResult(source_id, WriteOutcome.FAILED, "JOB_RESULT_MISSING", message, retryable=True)
            elif _succeeded(result):
                out[index] = WriteResult(str(result.get("id") or source_id), WriteOutcome.WRITTEN)
            else:
                code, message, retryable = record_failure(result)
                out[index] = WriteResult(source_id, WriteOutcome.FAILED, code, message, retryable)
        return out


def _update_jobs(updates: list[tuple[int, dict[str, Any]]]) -> list[_Job]:
    """Group updates 100 a job, starting a new job when a user ID comes again."""
    jobs: list[_Job] = []
    current = _Job(upsert=False)
    seen: set[int] = set()
    for index, body in updates:
        if len(current.items) == BATCH_SIZE or body["id"] in seen:
            jobs.append(current)
            current, seen = _Job(upsert=False), set()
        current.items.append((index, body))
        seen.add(body["id"])
    if current.items:
        jobs.append(current)
    return jobs


def _by_key(job: _Job, results: Any) -> dict[int, Mapping[str, Any]]:
    """Tie each result to the position of its user in the job: by ``index``, by ID, or by email/external ID."""
    keys: dict[tuple[str, str], int] = {}
    for place, (_, body) in enumerate(job.items):
        for name in ("id", "email", "external_id"):
            if body.get(name) is not None:
                keys.setdefault((name, str(body[name]).lower()), place)
    found: dict[int, Mapping[str, Any]] = {}
    for result in results if isinstance(results, list) else []:
        if not isinstance(result, Mapping):
            continue
        index = result.get("index")
        position: int | None = index if job.upsert and isinstance(index, int) else None
        for name in ("id", "email", "external_id"):
            if position is None and result.get(name) is not None:
                position = keys.get((name, str(result[name]).lower()))
        if position is not None and 0 <= position < len(job.items):
            found.setdefault(position, result)
    return found


def _succeeded(result: Mapping[str, Any]) -> bool:
    if result.get("error") or result.get("status") == "Failed":
        return False
    return bool(result.get("success", result.get("status") in {"Created", "Updated"}))


def _describe(body: Mapping[str, Any]) -> str:
    for name in ("id", "email", "external_id"):
        if body.get(name) is not None:
            return f"user {name} {body[name]}"
    return "a user"


def _fail_all(job: _Job, ops: Sequence[WriteOp], code: str, message: str) -> dict[int, WriteResult]:
    return {index: WriteResult(ops[index].source_id, WriteOutcome.FAILED, code, message, retryable=True)
            for index, _ in job.items}  # fmt: skip
