"""The email events API v1: ``GET /email/public/v1/events`` and ``/events/{created}/{id}``.

Events are listed newest first. ``startTimestamp`` and ``endTimestamp`` (milliseconds,
both inclusive) bound them; ``eventType``, ``recipient`` and ``campaignId`` filter;
``limit`` is at most 1,000 (default 100). A page says ``hasMore`` and gives an opaque
``offset`` for the next one, which keeps its place even when new events arrive.
"""

from __future__ import annotations

import base64
import json
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import Portal
from sandbox.hubspot.wire import Category, error

__all__ = ["events_api"]

MAX_LIMIT = 1000


def _offset(created: int, event_id: str) -> str:
    return base64.urlsafe_b64encode(json.dumps([created, event_id]).encode()).decode().rstrip("=")


def _read_offset(text: str) -> tuple[int, str]:
    padded = text + "=" * (-len(text) % 4)
    created, event_id = json.loads(base64.urlsafe_b64decode(padded.encode()))
    return int(created), str(event_id)


def _int(request: Request, name: str) -> int | None:
    value = request.param(name)
    return int(value) if value not in (None, "") else None


def _listing(portal: Portal, request: Request) -> Response:
    try:
        start, end = _int(request, "startTimestamp"), _int(request, "endTimestamp")
        limit = _int(request, "limit") or 100
        campaign = _int(request, "campaignId")
        after = _read_offset(request.param("offset") or "") if request.param("offset") else None
    except (ValueError, TypeError):
        return error(
            400,
            Category.VALIDATION_ERROR,
            "startTimestamp, endTimestamp, limit and campaignId are whole numbers; offset must come from a previous page",
        )
    if not 1 <= limit <= MAX_LIMIT:
        return error(400, Category.VALIDATION_ERROR, f"limit must be between 1 and {MAX_LIMIT}")
    kind, recipient = request.param("eventType"), (request.param("recipient") or "").lower()
    rows = [
        e for e in portal.events_newest_first()
        if (start is None or e.created >= start) and (end is None or e.created <= end)
        and (not kind or e.type == kind) and (not recipient or e.recipient == recipient)
        and (campaign is None or e.extra.get("emailCampaignId") == campaign)
        and (after is None or (e.created, e.id) < after)
    ]  # fmt: skip
    page = rows[:limit]
    body: dict[str, Any] = {"hasMore": len(rows) > limit, "events": [e.as_json() for e in page]}
    if page:
        body["offset"] = _offset(page[-1].created, page[-1].id)
    return Response.json(200, body)


def events_api(portal: Portal, request: Request, rest: list[str]) -> Response:
    """Answer one ``/email/public/v1/events...`` request (``rest`` after ``events``)."""
    if request.method != "GET":
        return error(404, Category.OBJECT_NOT_FOUND, "resource not found")
    if not rest:
        return _listing(portal, request)
    if len(rest) == 2:
        found = next((e for e in portal.events_newest_first() if str(e.created) == rest[0] and e.id == rest[1]), None)
        if found is not None:
            return Response.json(200, found.as_json())
    return error(404, Category.OBJECT_NOT_FOUND, "resource not found")
