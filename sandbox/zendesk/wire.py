"""Zendesk's wire formats: error bodies, rendered records, pagination and paths.

Errors have Zendesk's shapes: ``{"error": "RecordNotFound", "description": "Not found"}``,
validation errors ``{"error": "RecordInvalid", "description": ..., "details": {field: [...]}}``
and the 401 of refused credentials ``{"error": "Couldn't authenticate you"}``.

Lists page two ways, as Zendesk's do: offset (``page``, ``per_page``; ``next_page``,
``previous_page``, ``count``) and cursor (``page[size]``, ``page[after]`` or
``page[before]``; ``meta`` and ``links``). Either way a link to another page is the same
request continued: every other query parameter (``role``, ``include``...) is kept, and a
cursor is a position in the list that request selects. Page sizes above 100 are cut to 100
("Returns a maximum of 100 records per page"). Paths are accepted with or without the
``.json`` suffix. An unknown path is 404 ``InvalidEndpoint``, an unknown record at a known
path 404 ``RecordNotFound``, both with the description ``Not found``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from enum import StrEnum
from typing import Any
from urllib.parse import urlencode

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import Record, format_time

__all__ = [
    "object_body",
    "API_PREFIX",
    "ErrorCode",
    "as_json",
    "error",
    "forbidden",
    "invalid",
    "no_endpoint",
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


def object_body(request: Request, key: str) -> dict[str, Any] | Response:
    """The object a write sends under ``key`` (``{"group": {...}}``), or Zendesk's 400 when there is none."""
    try:
        data = request.json()
    except ValueError:
        return error(400, ErrorCode.INVALID_VALUE, "the body is not JSON")
    if not isinstance(data, dict) or not isinstance(data.get(key), dict):
        return error(400, ErrorCode.INVALID_VALUE, f"the body must be a JSON object with {key!r}")
    value: dict[str, Any] = data[key]
    return value


def not_found() -> Response:
    """The 404 of an unknown (or deleted) record at a path the API has."""
    return error(404, ErrorCode.RECORD_NOT_FOUND, "Not found")


def forbidden() -> Response:
    """Zendesk's 403 for a signed-in user the endpoint is not allowed for."""
    text = "You do not have access to this page. Please contact the account owner of this help desk for further help."
    return error(403, "Forbidden", text)


def no_endpoint() -> Response:
    """The 404 of a path the API does not have."""
    return error(404, ErrorCode.INVALID_ENDPOINT, "Not found")


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


def as_json(value: Any) -> Any:
    """A stored value as the API writes it: times as ``2024-01-02T09:00:00Z``, inside dicts and lists too."""
    if isinstance(value, datetime):
        return format_time(value)
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    return value


def render(record: Record, *, base_url: str, collection: str) -> dict[str, Any]:
    """A stored record as the API returns it, with its ``url``."""
    out: dict[str, Any] = as_json(record)
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
    """A page size: at most ``MAX_PAGE`` (a larger one is cut to it, as Zendesk does); None when not a positive number."""
    if text is None:
        return default
    return min(int(text), MAX_PAGE) if text.isdigit() and int(text) > 0 else None


Sideload = Callable[[list[dict[str, Any]]], dict[str, Any]]
"""What a list adds beside one page of its items (``users`` of ``include=users``, search's ``facets``)."""


def page_of(
    request: Request, items: Sequence[dict[str, Any]], *, key: str, url: str, extra: Sideload | None = None
) -> Response:
    """One page of ``items`` under ``key``, by cursor (``page[size]``) or offset (``page``/``per_page``).

    ``items`` is the whole list the request asks for, already filtered; the links to the
    next and previous pages repeat the request's other parameters, so they continue it.
    ``extra`` adds keys beside the page (sideloads) from the page's items.
    """
    cursor = any(request.param(k) is not None for k in _CURSOR_PARAMS)
    page = _cursor_page(request, items, url=url) if cursor else _offset_page(request, items, url=url)
    if isinstance(page, Response):
        return page
    chunk, body = page
    return Response.json(200, {key: chunk, **body, **(extra(chunk) if extra else {})})


_CURSOR_PARAMS = ("page[size]", "page[after]", "page[before]")
_Page = tuple[list[dict[str, Any]], dict[str, Any]]


def _link(url: str, request: Request, drop: Sequence[str], **page: Any) -> str:
    """``url`` with the request's query parameters but ``drop``, and ``page``'s (keys written ``page[size]``)."""
    kept = [(k, v) for k, values in request.query.items() if k not in drop for v in values]
    return f"{url}?{urlencode([*kept, *page.items()])}"


def _offset_page(request: Request, items: Sequence[dict[str, Any]], *, url: str) -> _Page | Response:
    size = _size(request.param("per_page"), MAX_PAGE)
    page_text = request.param("page") or "1"
    if size is None or not page_text.isdigit() or int(page_text) < 1:
        return error(400, ErrorCode.INVALID_PAGINATION, "page and per_page must be positive whole numbers")
    page = int(page_text)
    start = (page - 1) * size
    drop = ("page", "per_page")
    body: dict[str, Any] = {
        "next_page": _link(url, request, drop, page=page + 1, per_page=size) if start + size < len(items) else None,
        "previous_page": _link(url, request, drop, page=page - 1, per_page=size) if page > 1 else None,
        "count": len(items),
    }
    return list(items[start : start + size]), body


def _cursor_page(request: Request, items: Sequence[dict[str, Any]], *, url: str) -> _Page | Response:
    """A page after ``page[after]`` or before ``page[before]``; cursors are positions in ``items``."""
    size = _size(request.param("page[size]"), MAX_PAGE)
    after, before = request.param("page[after]"), request.param("page[before]")
    if size is None or (after is not None and before is not None):
        return error(
            400, ErrorCode.INVALID_PAGINATION, "page[size] must be a positive number, with page[after] or page[before]"
        )
    if before is not None:
        end = _uncursor(before)
        if end is None:
            return error(400, ErrorCode.INVALID_PAGINATION, "page[before] is not valid")
        end = min(end, len(items))
        start = max(0, end - size)
    else:
        start_at = _uncursor(after) if after else 0
        if start_at is None:
            return error(400, ErrorCode.INVALID_PAGINATION, "page[after] is not valid")
        start, end = start_at, min(start_at + size, len(items))
    chunk = list(items[start:end])
    meta = {"has_more": start > 0 if before is not None else end < len(items),
            "after_cursor": _cursor(end) if chunk else None, "before_cursor": _cursor(start) if chunk else None}  # fmt: skip
    links = {
        "next": _link(url, request, _CURSOR_PARAMS, **{"page[size]": size, "page[after]": _cursor(end)})
        if end < len(items)
        else None,
        "prev": _link(url, request, _CURSOR_PARAMS, **{"page[size]": size, "page[before]": _cursor(start)})
        if start > 0
        else None,
    }
    return chunk, {"meta": meta, "links": links}
