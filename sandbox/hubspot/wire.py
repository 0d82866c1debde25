"""HubSpot's wire formats: error bodies, timestamps and property values.

Every HubSpot error is ``{"status": "error", "message": ..., "correlationId": ...,
"category": ...}``, sometimes with ``errors`` (details) and ``context``; a 429 adds
``errorType: RATE_LIMIT`` and ``policyName``. Datetimes travel as ISO 8601 strings in
UTC with milliseconds (``2024-05-01T09:30:00.123Z``); search filters accept them or
milliseconds since the epoch.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from sandbox.common.http import Response

__all__ = [
    "Category",
    "batch_body",
    "error",
    "format_ms",
    "iso",
    "parse_instant",
    "rate_limit_error",
    "standard_error",
    "to_ms",
]


class Category(StrEnum):
    """The ``category`` values the sandbox answers with."""

    VALIDATION_ERROR = "VALIDATION_ERROR"
    OBJECT_NOT_FOUND = "OBJECT_NOT_FOUND"
    CONFLICT = "CONFLICT"
    OBJECT_ALREADY_EXISTS = "OBJECT_ALREADY_EXISTS"
    INVALID_AUTHENTICATION = "INVALID_AUTHENTICATION"
    EXPIRED_AUTHENTICATION = "EXPIRED_AUTHENTICATION"
    RATE_LIMITS = "RATE_LIMITS"
    MISSING_SCOPES = "MISSING_SCOPES"


def _correlation() -> str:
    return str(uuid.uuid4())


def error(
    status: int,
    category: Category | str,
    message: str,
    *,
    errors: list[dict[str, Any]] | None = None,
    context: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """A HubSpot error response."""
    body: dict[str, Any] = {"status": "error", "message": message, "correlationId": _correlation()}
    if context is not None:
        body["context"] = context
    body["category"] = str(category)
    if errors is not None:
        body["errors"] = errors
    return Response.json(status, body, headers=headers)


def rate_limit_error(policy: str, message: str, *, retry_after: int | None) -> Response:
    """HubSpot's 429: ``errorType: RATE_LIMIT`` and the policy that was hit."""
    body = {
        "status": "error",
        "message": message,
        "errorType": "RATE_LIMIT",
        "correlationId": _correlation(),
        "policyName": policy,
    }
    headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
    return Response.json(429, body, headers=headers)


def batch_body(results: list[dict[str, Any]], errors: list[dict[str, Any]], started: datetime) -> dict[str, Any]:
    """A batch response: ``status``, ``results``, the times, and ``numErrors`` with ``errors`` when some failed."""
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "requestedAt": iso(started),
                            "startedAt": iso(started), "completedAt": iso(datetime.now(UTC)), "links": {}}  # fmt: skip
    if errors:
        body |= {"numErrors": len(errors), "errors": errors}
    return body


def standard_error(category: str, message: str, *, ids: list[str], sub_category: str | None = None) -> dict[str, Any]:
    """One entry of a batch response's ``errors`` (the ``StandardError`` shape)."""
    entry: dict[str, Any] = {
        "status": "error",
        "category": category,
        "message": message,
        "context": {"ids": ids},
        "errors": [],
        "links": {},
    }
    if sub_category:
        entry["subCategory"] = sub_category
    return entry


def iso(moment: datetime) -> str:
    """Render a datetime as HubSpot does: UTC, milliseconds, ``Z``."""
    value = moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


def to_ms(moment: datetime) -> int:
    """Milliseconds since the epoch."""
    return int(moment.timestamp() * 1000)


def format_ms(ms: int) -> str:
    """Render milliseconds since the epoch as HubSpot's ISO form."""
    return iso(datetime.fromtimestamp(ms / 1000, tz=UTC))


def parse_instant(value: Any) -> datetime | None:
    """Read a datetime a client sent: milliseconds since the epoch (number or digits) or ISO 8601; None if neither."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=UTC)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return datetime.fromtimestamp(int(text) / 1000, tz=UTC)
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
