"""Writing back to Mixpanel profiles: ``$set`` through /engage, in strict mode.

push(WriteBatch)
├── the stream is ``profiles``; a WriteOp's ``source_id`` is the profile's distinct ID
│     (or ``match=("$distinct_id", id)``: ``$set`` creates a missing profile)
├── ops with no fields are UNCHANGED (no call); an update over 1 MB fails at once
├── one update object per op: {"$token", "$distinct_id", "$set", "$ignore_time": true, "$ip": 0}
│     (``$ignore_time`` keeps the profile's ``$last_seen``: write-back is not user activity)
├── requests of at most batch_size (Mixpanel's maximum, 2,000) updates, strict=1
│     {"status": 1}                  every update WRITTEN
│     400 with failed_records       those FAILED (code INVALID_UPDATE), the others WRITTEN
│     400 without them              every update of the request FAILED
│     413                           the request is split in two and each half sent
│     429 / 5xx / no answer         every update of the request FAILED, retryable; the
│                                   requests not yet sent are not sent (NOT_SENT, retryable)
└── refused credentials (401/403) raise AuthError: nothing can be written
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import structlog

from connectors.base import WriteBatch, WriteOp, WriteOutcome, WriteResult
from connectors.product_analytics.mixpanel.auth import project_token
from connectors.product_analytics.mixpanel.client import MixpanelClient
from connectors.product_analytics.mixpanel.config import MixpanelConfig
from connectors.product_analytics.mixpanel.errors import TOO_LARGE
from connectors.product_analytics.mixpanel.streams import StreamName
from core.errors import AuthError, ConnectorConfigError, ConnectorError, FatalApiError, RetryableError

__all__ = ["MAX_UPDATE_BYTES", "WriteBack"]

log = structlog.get_logger(__name__)

MAX_UPDATE_BYTES = 1_000_000
"""Mixpanel's documented maximum size of one profile update."""
_MATCH_FIELDS = frozenset({"$distinct_id", "distinct_id"})


@dataclass(frozen=True, slots=True)
class _Update:
    distinct_id: str
    body: dict[str, Any]


class WriteBack:
    """Applies write batches to one project's profiles; see the module docstring."""

    def __init__(self, client: MixpanelClient, config: MixpanelConfig, *, system: str) -> None:
        self._client = client
        self._config = config
        self._system = system

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Apply ``batch``; return one final result per op, in the ops' order.

        Raises:
            ConnectorConfigError: The stream is not writable, or no project token is configured.
            AuthError: Mixpanel refused the project token.
        """
        if batch.stream != StreamName.PROFILES or not self._config.write_profiles:
            msg = f"{self._system}.{batch.stream} is not writable"
            hint = "write back to the 'profiles' stream, with write_profiles: true"
            raise ConnectorConfigError(msg, hint=hint, system=self._system, stream=batch.stream)
        token = project_token(self._config, system=self._system)
        results: dict[int, WriteResult] = {}
        pending: list[tuple[int, _Update]] = []
        for index, op in enumerate(batch.ops):
            checked = _precheck(op, token)
            if isinstance(checked, WriteResult):
                results[index] = checked
            else:
                pending.append((index, checked))
        stopped: ConnectorError | None = None
        size = self._config.batch_size
        for start in range(0, len(pending), size):
            chunk = pending[start : start + size]
            if stopped is None:
                outcomes, stopped = self._send([u for _, u in chunk])
            else:
                outcomes = [
                    _failed(u.distinct_id, "NOT_SENT", f"not sent after: {stopped.message}", retryable=True)
                    for _, u in chunk
                ]
            results.update({index: outcome for (index, _), outcome in zip(chunk, outcomes, strict=True)})
        failed = sum(r.outcome is WriteOutcome.FAILED for r in results.values())
        log.info("writeback.pushed", system=self._system, stream=batch.stream, records=len(results), rejected=failed)
        return [results[i] for i in range(len(batch.ops))]

    def _send(self, updates: Sequence[_Update]) -> tuple[list[WriteResult], ConnectorError | None]:
        """Send one request; return a result per update and the error that stops further requests, if any."""
        try:
            answer = self._client.engage_update([u.body for u in updates])
        except AuthError:
            raise
        except FatalApiError as err:
            if err.context.get("error_code") == TOO_LARGE and len(updates) > 1:
                half = len(updates) // 2
                first, stop = self._send(updates[:half])
                if stop is not None:
                    rest = [
                        _failed(u.distinct_id, "NOT_SENT", f"not sent after: {stop.message}", retryable=True)
                        for u in updates[half:]
                    ]
                    return first + rest, stop
                second, stop = self._send(updates[half:])
                return first + second, stop
            return [_failed(u.distinct_id, "REQUEST_REFUSED", err.message, retryable=False) for u in updates], None
        except RetryableError as err:
            code = "RATE_LIMITED" if err.context.get("status") == 429 or "rate limit" in err.message else "UNAVAILABLE"
            return [_failed(u.distinct_id, code, err.message, retryable=True) for u in updates], err
        if answer.ok:
            return [WriteResult(u.distinct_id, WriteOutcome.WRITTEN) for u in updates], None
        if answer.error is not None and not answer.failed:
            return [_failed(u.distinct_id, "REQUEST_REFUSED", answer.error, retryable=False) for u in updates], None
        out = []
        for index, update in enumerate(updates):
            problem = answer.failed.get(index)
            if problem is None:
                out.append(WriteResult(update.distinct_id, WriteOutcome.WRITTEN))
            else:
                field, message = problem
                out.append(
                    _failed(
                        update.distinct_id,
                        "INVALID_UPDATE",
                        f"{field}: {message}" if field else message,
                        retryable=False,
                    )
                )
        return out, None


def _failed(distinct_id: str | None, code: str, message: str, *, retryable: bool) -> WriteResult:
    return WriteResult(distinct_id, WriteOutcome.FAILED, code, message, retryable)


def _precheck(op: WriteOp, token: str) -> WriteResult | _Update:
    distinct_id = op.source_id
    if distinct_id is None and op.match is not None and op.match[0] in _MATCH_FIELDS:
        distinct_id = op.match[1]
    if distinct_id is None:
        field = op.match[0] if op.match else "none"
        message = f"Mixpanel profiles are found by distinct ID only, not by {field!r}"
        return _failed(None, "CREATE_UNSUPPORTED", message, retryable=False)
    if not distinct_id.strip():
        return _failed(distinct_id, "INVALID_ID", "an empty distinct ID names no profile", retryable=False)
    if not op.fields:
        return WriteResult(distinct_id, WriteOutcome.UNCHANGED)
    body = {"$token": token, "$distinct_id": distinct_id, "$set": dict(op.fields), "$ignore_time": True, "$ip": 0}
    try:
        size = len(json.dumps(body, separators=(",", ":")).encode("utf-8"))
    except (TypeError, ValueError) as err:
        return _failed(distinct_id, "INVALID_VALUE", f"a field value cannot be sent as JSON: {err}", retryable=False)
    if size > MAX_UPDATE_BYTES:
        return _failed(
            distinct_id, "TOO_LARGE", f"the update is {size} bytes; Mixpanel allows {MAX_UPDATE_BYTES}", retryable=False
        )
    return _Update(distinct_id, body)
