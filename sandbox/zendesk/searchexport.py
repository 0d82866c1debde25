"""Search's other two endpoints: the count of a query's matches, and the export of all of them.

Routes (``.json`` suffixes optional)::

GET  search/count?query=                       ``{"count": N}``: every match, no 1,000 cap
GET  search/export?query=&filter[type]=        cursor pages of one result type, every match

Both read the query as ``GET search`` does (``sandbox.zendesk.search``). The export, as
Zendesk's "Export Search Results" describes it: ``filter[type]`` (``ticket``, ``user``,
``organization`` or ``group``; search does not read groups, so ``group`` finds nothing) is
required; results are ordered by ``created_at`` newest first, ties by ID (the order
Zendesk's own cursors spell out); ``page[size]`` defaults to 100 and is cut to 1,000;
pages go forward only (``links.prev`` and ``meta.before_cursor`` are always null,
``page[before]`` is refused). A cursor is the position of a page's last result and the
request it belongs to, so ``links.next`` (the request's parameters, ``page[after]``
added) resumes exactly there, and a cursor given to another query is refused.
"""

from __future__ import annotations

import base64
import json
import zlib
from datetime import datetime
from urllib.parse import urlencode

from sandbox.common.http import Request, Response
from sandbox.zendesk.account import Account, Record
from sandbox.zendesk.search import parse_query, search_all
from sandbox.zendesk.wire import API_PREFIX, ErrorCode, error, render

__all__ = ["DEFAULT_EXPORT_PAGE", "EXPORT_TYPES", "MAX_SEARCH_EXPORT_PAGE", "search_count", "search_export"]

EXPORT_TYPES = ("ticket", "organization", "user", "group")
"""The values ``filter[type]`` takes (Zendesk: "ticket, organization, user, or group")."""
DEFAULT_EXPORT_PAGE = 100
MAX_SEARCH_EXPORT_PAGE = 1000
"""Zendesk: "Returns a maximum of 1000 records per page"; a larger ``page[size]`` is cut to it."""

_COLLECTIONS = {"user": "users", "organization": "organizations", "ticket": "tickets"}
_Position = tuple[int, int]
"""Where a result sorts: (minus its ``created_at`` in milliseconds, its ID); the export reads upwards."""


def _invalid(description: str) -> Response:
    """Search's documented error body (``{"error": "invalid", "description": ...}``, "Errors JSON Format").

    Zendesk documents no body for a missing or unknown ``filter[type]`` or a ``type:`` in an
    export's query; the sandbox answers them 400 in this shape (not a recorded answer).
    """
    return error(400, "invalid", description)


def _query(request: Request) -> str | Response:
    query = request.param("query")
    return query if query else error(400, ErrorCode.INVALID_VALUE, "query is required")


def search_count(request: Request, account: Account) -> Response:
    """``GET search/count?query=``: how many results ``GET search`` finds, all of them (``type:`` included)."""
    query = _query(request)
    if isinstance(query, Response):
        return query
    with account.lock:
        return Response.json(200, {"count": len(search_all(account, query))})


def _position(record: Record) -> _Position:
    created = record.get("created_at")
    millis = int(created.timestamp() * 1000) if isinstance(created, datetime) else 0  # a corrupted value sorts last
    return -millis, int(record["id"])


def _request_hash(kind: str, query: str) -> int:
    """What ties a cursor to its request: the result type and the query."""
    return zlib.crc32(f"{kind}\n{query}".encode())


def _encode(position: _Position, *, request_hash: int, exported: int) -> str:
    """A cursor, in the form Zendesk's decode to (base64 JSON naming the sort and where it stopped)."""
    body = {"field": "created_at", "desc": True, "tieBreakField": "id", "tieBreakDesc": False,
            "sortValues": [-position[0], position[1]], "exportedThusFar": exported,
            "saltedRequestHash": request_hash}  # fmt: skip
    return base64.b64encode(json.dumps(body, separators=(",", ":")).encode()).decode()


def _decode(text: str, *, request_hash: int) -> tuple[_Position, int] | None:
    """The position and count a cursor of this request names, or None when it is not one (or another query's)."""
    try:
        body = json.loads(base64.b64decode(text + "=" * (-len(text) % 4)))
        millis, record_id = body["sortValues"]
        if body["saltedRequestHash"] != request_hash:
            return None
        return (-int(millis), int(record_id)), int(body["exportedThusFar"])
    except (ValueError, TypeError, KeyError, UnicodeDecodeError):
        return None


def _size(request: Request) -> int | None:
    text = request.param("page[size]")
    if text is None:
        return DEFAULT_EXPORT_PAGE
    return min(int(text), MAX_SEARCH_EXPORT_PAGE) if text.isdigit() and int(text) > 0 else None


def search_export(request: Request, account: Account, *, base_url: str) -> Response:
    """``GET search/export?query=&filter[type]=``: one forward page of every match of one type."""
    query = _query(request)
    if isinstance(query, Response):
        return query
    kind = (request.param("filter[type]") or "").lower()
    if kind not in EXPORT_TYPES:
        given = request.param("filter[type]")
        what = "filter[type] is required" if given is None else f"filter[type] {given!r} is not a type search exports"
        return _invalid(f"{what}; give one of {', '.join(EXPORT_TYPES)}")
    in_query = parse_query(query)[1].get("type", "").lower()
    if in_query and in_query != kind:
        # Zendesk: "Searches with type in the query string will result in an error." zenpy's
        # search_export(type=...) sends the same type in both places, so only a conflict is refused.
        return _invalid(
            f"the query's type:{in_query} disagrees with filter[type]={kind}; give the type in filter[type] only"
        )
    size = _size(request)
    if size is None or request.param("page[before]") is not None:
        text = "page[size] must be a whole number from 1 to 1000, and export pages go forward only (page[after])"
        return error(400, ErrorCode.INVALID_PAGINATION, text)
    request_hash = _request_hash(kind, query)
    after: _Position | None = None
    exported = 0
    cursor = request.param("page[after]")
    if cursor is not None:
        decoded = _decode(cursor, request_hash=request_hash)
        if decoded is None:
            return error(
                400, ErrorCode.INVALID_PAGINATION, "page[after] is not a cursor of this query and filter[type]"
            )
        after, exported = decoded
    with account.lock:
        found = sorted(((_position(r), r) for t, r in search_all(account, query) if t == kind), key=lambda pr: pr[0])
        rest = [(p, r) for p, r in found if after is None or p > after]
        page = rest[:size]
        results = [
            {**render(r, base_url=base_url, collection=_COLLECTIONS[kind]), "result_type": kind} for _, r in page
        ]
    more = len(rest) > len(page)
    after_cursor = _encode(page[-1][0], request_hash=request_hash, exported=exported + len(page)) if page else None
    next_link = None
    if more and after_cursor:
        kept = [(k, v) for k, values in request.query.items() if not k.startswith("page[") for v in values]
        next_link = f"{base_url}{API_PREFIX}search/export.json?" + urlencode(
            [*kept, ("page[size]", size), ("page[after]", after_cursor)]
        )
    return Response.json(200, {
        "results": results,
        "facets": None,
        "meta": {"has_more": more, "after_cursor": after_cursor, "before_cursor": None},
        "links": {"prev": None, "next": next_link},
    })  # fmt: skip
