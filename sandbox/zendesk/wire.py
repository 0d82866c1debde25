"""Zendesk's wire formats: error bodies, rendered records, pagination and paths.

Errors have Zendesk's shapes: ``{"error": "RecordNotFound", "description": "Not found"}``,
validation errors ``{"error": "RecordInvalid", "description": ..., "details": {field: [...]}}``
and the 401 of refused credentials ``{"error": "Couldn't authenticate you"}``.

Lists page two ways, as Zendesk's do: offset (``page``, ``per_page``; ``next_page``,
``previous_page``, ``count``) and cursor (``page[size]``, ``page[after]``; ``meta`` and
``links``). Paths are accepted with or without the ``.json`` suffix.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import Record, format_time

__all__ = [
    "API_PREFIX",
    "ErrorCode",
    "error",
    "invalid",
    "not_found",
    "page_of",
    "parse_ids",
    "render",
    "segments",
]

API_PREFIX = "/api/v2/"
MAX_PAGE = 100


class ErrorCode(StrEnum):
    """The ``error`` values the sandbox answers with."""

    RECORD_NOT_FOUND = "RecordNotFound"
    RECORD_INVALID = "RecordInvalid"
    INVALID_VALUE = "InvalidValue"
    INVALID_PAGINATION = "InvalidPaginationParameter"
    TOO_MANY_VALUES = "TooManyValues"
    TOO_MANY_JOBS = "TooManyJobs"
    RATE_LIMITED = "APIRateLimitExceeded"
    FORBIDDEN = "Forbidden"
    UNAVAILABLE = "ServiceUnavailable"
    INVALID_ENDPOINT = "InvalidEndpoint"


def error(status: int, code: ErrorCode | str, description: str, *, headers: dict[str, str] | None = None) -> Response:
    """Zendesk's error body: ``{"error": ..., "description": ...}``."""
    return Response.json(status, {"error": str(code), "description": description}, headers=headers)


def not_found() -> Response:
    """The 404 of an unknown record or path."""
    return error(404, ErrorCode.RECORD_NOT_FOUND, "Not found")


def invalid(field: str, message: str, *, code: str = "InvalidValue") -> Response:
    """A 422 ``RecordInvalid`` naming one field."""
    body = {
        "error": str(ErrorCode.RECORD_INVALID),
        "description": "Record validation errors",
        "details": {field: [{"description": message, "error": code}]},
    }
    return Response.json(422, body)


def segments(path: str) -> list[str] | None:
    """The path's parts after ``/api/v2/``, the ``.json`` suffix dropped; None outside the API."""
    if not path.startswith(API_PREFIX):
        return None
    parts = [p for p in path[len(API_PREFIX) :].split("/") if p]
    if parts:
        parts[-1] = parts[-1].removesuffix(".json")
    return parts


def parse_ids(text: str | None) -> list[int] | None:
    """Read ``1,2,3`` (None when absent or not all numbers)."""
    if not text:
        return None
    try:
        return [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        return None


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, dict):
        return {k: _value(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_value(v) for v in value]
    return value


def render(record: Record, *, base_url: str, collection: str) -> dict[str, Any]:
    """A stored record as the API returns it, with its ``url``."""
    out: dict[str, Any] = _value(record)
    out["url"] = f"{base_url}{API_PREFIX}{collection}/{record['id']}.json"
    return out


def _cursor(index: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{index}".encode()).decode().rstrip("=")


def _uncursor(text: str) -> int | None:
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    kind, _, number = raw.partition(":")
    return int(number) if kind == "offset" and number.isdigit() else None


def _size(text: str | None, default: int) -> int | None:
    if text is None:
        return default
    return min(int(text), MAX_PAGE) if text.isdigit() and int(text) > 0 else None


def page_of(request: Request, items: Sequence[dict[str, Any]], *, key: str, url: str) -> Response:
    """One page of ``items`` under ``key``, by cursor (``page[size]``) or offset (``page``/``per_page``)."""
    if request.param("page[size]") is not None or request.param("page[after]") is not None:
        return _cursor_page(request, items, key=key, url=url)
    size = _size(request.param("per_page"), MAX_PAGE)
    page_text = request.param("page") or "1"
    if size is None or not page_text.isdigit() or int(page_text) < 1:
        return error(400, ErrorCode.INVALID_PAGINATION, "page and per_page must be positive whole numbers")
    page = int(page_text)
    start = (page - 1) * size
    body: dict[str, Any] = {key: list(items[start : start + size]), "count": len(items)}
    extra = {k: v[0] for k, v in request.query.items() if k not in {"page", "per_page"}}
    more = start + size < len(items)
    body["next_page"] = f"{url}?{urlencode({**extra, 'page': page + 1, 'per_page': size})}" if more else None
    body["previous_page"] = f"{url}?{urlencode({**extra, 'page': page - 1, 'per_page': size})}" if page > 1 else None
    return Response.json(200, body)


def _cursor_page(request: Request, items: Sequence[dict[str, Any]], *, key: str, url: str) -> Response:
    size = _size(request.param("page[size]"), MAX_PAGE)
    after = request.param("page[after]")
    start = _uncursor(after) if after else 0
    if size is None or start is None:
        return error(400, ErrorCode.INVALID_PAGINATION, "page[size] or page[after] is not valid")
    chunk = list(items[start : start + size])
    more = start + size < len(items)
    end = start + len(chunk)
    meta = {"has_more": more, "after_cursor": _cursor(end) if chunk else None,
            "before_cursor": _cursor(start) if chunk else None}  # fmt: skip
    next_link = f"{url}?{urlencode({'page[size]': size, 'page[after]': _cursor(end)})}" if more else None
    body = {key: chunk, "meta": meta, "links": {"next": next_link, "prev": None}}
    return Response.json(200, body)
