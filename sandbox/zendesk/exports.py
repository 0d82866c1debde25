"""Incremental exports: cursor-based (users, tickets) and time-based (users, tickets, organizations).

Both read records in ``updated_at``, ``id`` order and leave out the last minute, as
Zendesk does. A cursor is a position in that order (``base64("<seconds>.0||<id>|")``,
the form Zendesk's cursors decode to); a page holds the records after it, and
``after_cursor`` is the position of its last record, so a stopped export resumes
exactly there. ``end_of_stream`` says no record past the page is ready yet.

Zendesk offers the cursor-based export for users and tickets only; organizations have
the time-based one: ``start_time`` inclusive, ``end_time`` the last record's second, and
``next_page`` starting at ``end_time`` again, so records of that second come twice
(a page never splits one second: it grows to hold every record of its last second, and a
page that holds all of its only second ends one second later, so the next one moves on).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import Account, Kind, Record, stamp_of
from sandbox.zendesk.tickets import metric_set
from sandbox.zendesk.wire import API_PREFIX, ErrorCode, error, render

__all__ = ["FRESHNESS_SECONDS", "MAX_EXPORT_PAGE", "cursor_export", "time_export"]

FRESHNESS_SECONDS = 60
"""Changes younger than this are left out of every export (Zendesk: "the minute prior to your request")."""
MAX_EXPORT_PAGE = 1000
_Position = tuple[int, int]


def encode_cursor(position: _Position) -> str:
    """The cursor of a position (seconds, id)."""
    return base64.urlsafe_b64encode(f"{position[0]}.0||{position[1]}|".encode()).decode().rstrip("=")


def decode_cursor(text: str) -> _Position | None:
    """The position a cursor names, or None when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        seconds, _, rest = raw.partition("||")
        return int(float(seconds)), int(rest.rstrip("|"))
    except (ValueError, UnicodeDecodeError):
        return None


def _per_page(request: Request) -> int | None:
    text = request.param("per_page")
    if text is None:
        return MAX_EXPORT_PAGE
    return min(int(text), MAX_EXPORT_PAGE) if text.isdigit() and int(text) > 0 else None


def _start_time(request: Request, now: datetime) -> int | Response:
    text = request.param("start_time")
    if text is None or not text.lstrip("-").isdigit():
        return error(400, ErrorCode.INVALID_VALUE, "start_time is required and must be a Unix time in seconds")
    start = int(text)
    if start > int(now.timestamp()) - FRESHNESS_SECONDS:
        return error(400, ErrorCode.INVALID_VALUE, "Too recent start_time. Use a start_time older than 1 minute.")
    return start


def _ready(account: Account, kind: Kind, now: datetime, *, keep: Callable[[Record], bool]) -> list[Record]:
    limit = int(now.timestamp()) - FRESHNESS_SECONDS
    return [r for r in account.ordered(kind) if stamp_of(r) <= limit and keep(r)]


def _keep(kind: Kind, request: Request) -> Callable[[Record], bool]:
    if kind is Kind.TICKETS and (request.param("exclude_deleted") or "").lower() == "true":
        return lambda r: r.get("status") != "deleted"
    return lambda r: True


def _render(kind: Kind, records: list[Record], base_url: str) -> list[dict[str, Any]]:
    out = []
    for record in records:
        item = render(record, base_url=base_url, collection=kind.value)
        if kind is Kind.TICKETS:
            item["generated_timestamp"] = stamp_of(record)
        out.append(item)
    return out


def _sideloads(kind: Kind, request: Request, records: list[Record], base_url: str) -> dict[str, Any]:
    wanted = {part.strip() for part in (request.param("include") or "").split(",")}
    if kind is Kind.TICKETS and "metric_sets" in wanted:
        return {"metric_sets": [render(metric_set(r), base_url=base_url, collection="ticket_metrics") for r in records]}
    return {}


def cursor_export(request: Request, account: Account, kind: Kind, *, base_url: str) -> Response:
    """``GET /api/v2/incremental/{users|tickets}/cursor.json`` with ``start_time`` or ``cursor``."""
    now = account.clock.now()
    per_page = _per_page(request)
    if per_page is None:
        return error(400, ErrorCode.INVALID_VALUE, "per_page must be a whole number from 1 to 1000")
    cursor, start = request.param("cursor"), request.param("start_time")
    if (cursor is None) == (start is None):
        return error(400, ErrorCode.INVALID_VALUE, "give either start_time (first request) or cursor (the ones after)")
    if cursor is not None:
        position = decode_cursor(cursor)
        if position is None:
            return error(400, ErrorCode.INVALID_PAGINATION, f"cursor {cursor!r} is not valid")
    else:
        start_time = _start_time(request, now)
        if isinstance(start_time, Response):
            return start_time
        position = (start_time, 0)
    with account.lock:
        ready = [
            r for r in _ready(account, kind, now, keep=_keep(kind, request)) if (stamp_of(r), int(r["id"])) > position
        ]
        page = ready[:per_page]
        body = _cursor_body(kind, request, page, position, base_url=base_url, more=len(ready) > len(page))
    return Response.json(200, body)


def _cursor_body(
    kind: Kind, request: Request, page: list[Record], position: _Position, *, base_url: str, more: bool
) -> dict[str, Any]:
    after = (stamp_of(page[-1]), int(page[-1]["id"])) if page else position
    url = f"{base_url}{API_PREFIX}incremental/{kind.value}/cursor.json"
    keep = {k: v[0] for k, v in request.query.items() if k in {"per_page", "include", "exclude_deleted"}}
    after_cursor = encode_cursor(after)
    before_cursor = encode_cursor(position) if page else None
    return {
        kind.value: _render(kind, page, base_url),
        **_sideloads(kind, request, page, base_url),
        "after_cursor": after_cursor,
        "after_url": f"{url}?{urlencode({**keep, 'cursor': after_cursor})}",
        "before_cursor": before_cursor,
        "before_url": f"{url}?{urlencode({**keep, 'cursor': before_cursor})}" if before_cursor else None,
        "end_of_stream": not more,
    }


def time_export(request: Request, account: Account, kind: Kind, *, base_url: str) -> Response:
    """``GET /api/v2/incremental/{kind}.json?start_time=`` (time-based; the only one organizations have)."""
    now = account.clock.now()
    per_page = _per_page(request)
    if per_page is None:
        return error(400, ErrorCode.INVALID_VALUE, "per_page must be a whole number from 1 to 1000")
    start_time = _start_time(request, now)
    if isinstance(start_time, Response):
        return start_time
    with account.lock:
        ready = [r for r in _ready(account, kind, now, keep=_keep(kind, request)) if stamp_of(r) >= start_time]
        page = ready[:per_page]
        while page and len(page) < len(ready) and stamp_of(ready[len(page)]) == stamp_of(page[-1]):
            page.append(ready[len(page)])  # never split one second across two pages
        end_time = stamp_of(page[-1]) if page else start_time
        if page and end_time == start_time and len(page) < len(ready):
            end_time += 1  # the page held all of its only second; the next must start after it
        keep = {k: v[0] for k, v in request.query.items() if k in {"per_page", "include", "exclude_deleted"}}
        body = {
            kind.value: _render(kind, page, base_url),
            **_sideloads(kind, request, page, base_url),
            "count": len(page),
            "end_time": end_time,
            "end_of_stream": len(page) == len(ready),
            "next_page": f"{base_url}{API_PREFIX}incremental/{kind.value}.json?"
            + urlencode({**keep, "start_time": end_time}),
        }
    return Response.json(200, body)
