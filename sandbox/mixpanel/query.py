"""The read APIs: raw event export and the engage profile query.

``GET /api/2.0/export``: ``from_date`` and ``to_date`` (``YYYY-MM-DD``, inclusive,
UTC) required; ``event`` (JSON array of names), ``limit`` (at most 100,000) and
``time_in_ms`` optional; ``where`` accepts the forms below. The answer is JSON lines
(``text/plain``), gzip-compressed when asked and longer than 1,400 bytes; events not
yet processed on the sandbox clock are not there yet.

``POST /api/query/engage`` (form or query parameters): ``distinct_id``,
``distinct_ids`` (JSON array), ``where``, ``output_properties`` (JSON array),
``session_id`` and ``page``. Pages hold ``engage_page_size`` profiles (1,000 as in
Mixpanel); the first answer gives a ``session_id`` that later pages must send, and a
page above 0 without it, or with an expired one, is a 400. With ``data_group_id`` (the
number of a group key, ``Project.group_keys``) the query reads that key's group profiles
(``/groups``) instead, each answered as ``{"$distinct_id": group ID, "$properties"}``, as
the page says "Query user (or group) profile data" and gives no other shape; an unknown
``data_group_id`` is a 400.

``where`` is a segmentation expression (expressions.py: ``and``, ``or``, ``not``,
comparisons, ``in``, ``defined``, arithmetic, casts); the engage query also reads
``user["NAME"]``. A malformed one is a 400.
"""

from __future__ import annotations

import gzip
import json
import secrets
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from sandbox.common.http import Request, Response
from sandbox.mixpanel.control import MixpanelControl
from sandbox.mixpanel.expressions import ExpressionError, Matcher, compile_where
from sandbox.mixpanel.project import Event, Project
from sandbox.mixpanel.wire import query_error

__all__ = ["EXPORT_LIMIT", "engage_query", "export"]

EXPORT_LIMIT = 100_000
_GZIP_FROM = 1400


def _date(request: Request, name: str) -> date | str:
    value = request.param(name)
    if not value:
        return f"'{name}' is a required parameter"
    try:
        return date.fromisoformat(value)
    except ValueError:
        return f"'{name}' must be a date as YYYY-MM-DD, got {value!r}"


def _where(text: str | None, *, user_properties: bool) -> Matcher | str:
    """Compile a ``where`` expression into a test of a properties dict (or say why not)."""
    try:
        return compile_where(text, user_properties=user_properties)
    except ExpressionError as err:
        return f"invalid where expression {text!r}: {err}"


def _names(text: str | None, what: str) -> list[str] | str | None:
    if text is None:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return f"'{what}' must be a JSON array of strings, got {text!r}"
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        return f"'{what}' must be a JSON array of strings, got {text!r}"
    return value


def _export_params(request: Request, project: Project) -> tuple[date, date, list[str] | None, int] | str:
    first, last = _date(request, "from_date"), _date(request, "to_date")
    for value in (first, last):
        if isinstance(value, str):
            return value
    assert isinstance(first, date) and isinstance(last, date)
    if last < first:
        return f"'to_date' {last} is before 'from_date' {first}"
    if last > project.clock.today():
        return f"'to_date' {last} is in the future (today is {project.clock.today()} UTC)"
    events = _names(request.param("event"), "event")
    if isinstance(events, str):
        return events
    limit_text = request.param("limit") or str(EXPORT_LIMIT)
    if not limit_text.isdigit() or not 0 < int(limit_text) <= EXPORT_LIMIT:
        return f"'limit' must be a whole number from 1 to {EXPORT_LIMIT}, got {limit_text!r}"
    return first, last, events, int(limit_text)


def export(request: Request, project: Project) -> Response:
    """Answer ``GET /api/2.0/export`` with the events of the date range as JSON lines."""
    checked = _export_params(request, project)
    matcher = _where(request.param("where"), user_properties=False)
    if isinstance(checked, str) or isinstance(matcher, str):
        return query_error(request, 400, checked if isinstance(checked, str) else str(matcher))
    first, last, events, limit = checked
    in_ms = (request.param("time_in_ms") or "").lower() == "true"
    lines: list[str] = []
    picked = (e for e in project.visible(first, last) if events is None or e.name in events)
    try:
        for event in sorted(picked, key=_export_order):
            exported = event.exported(time_in_ms=in_ms)
            if event.broken is None and not matcher(exported["properties"]):
                continue
            lines.append(event.broken or json.dumps(exported, separators=(",", ":")))
            if len(lines) >= limit:
                break
    except ExpressionError as err:
        return query_error(request, 400, f"invalid where expression {request.param('where')!r}: {err}")
    body = ("\n".join(lines) + "\n").encode() if lines else b""
    headers: dict[str, str] = {}
    if "gzip" in (request.header("Accept-Encoding") or "") and len(body) > _GZIP_FROM:
        body, headers["Content-Encoding"] = gzip.compress(body, compresslevel=5), "gzip"
    return Response(200, body, content_type="text/plain; charset=utf-8", headers=headers)


def _export_order(event: Event) -> tuple[int, int]:
    return event.day.toordinal(), event.time_ms


def _group_key(request: Request, project: Project) -> tuple[str | None, str | None]:
    """The group key ``data_group_id`` names (None without it), or why it names none."""
    text = request.param("data_group_id")
    if text is None:
        return None, None
    with project.lock:
        found = next((key for key, number in project.group_keys.items() if str(number) == text.strip()), None)
        known = ", ".join(f"{number} ({key})" for key, number in project.group_keys.items()) or "none yet"
    if found is None:
        return None, f"no group key has data_group_id {text!r}; known: {known}"
    return found, None


def _profiles(project: Project, group_key: str | None) -> dict[str, dict[str, Any]]:
    """The profiles an engage query reads, by ID: users', or one group key's (call with the lock held)."""
    if group_key is None:
        return project.profiles
    return {group_id: props for (key, group_id), props in project.groups.items() if key == group_key}


def _engage_ids(request: Request, project: Project, group_key: str | None) -> list[str] | str:
    """The distinct IDs (group IDs) the engage query selects, in the project's order (or why not)."""
    one = request.param("distinct_id")
    many = _names(request.param("distinct_ids"), "distinct_ids")
    matcher = _where(request.param("where"), user_properties=True)
    if isinstance(many, str) or isinstance(matcher, str):
        return many if isinstance(many, str) else str(matcher)
    if request.param("filter_by_cohort") or request.param("behaviors"):
        return "the sandbox holds no cohorts or behaviors; filter with distinct_ids or where"
    wanted = {one} if one else set(many) if many is not None else None
    try:
        with project.lock:
            return [
                distinct_id
                for distinct_id, props in _profiles(project, group_key).items()
                if (wanted is None or distinct_id in wanted) and matcher(props)
            ]
    except ExpressionError as err:
        return f"invalid where expression {request.param('where')!r}: {err}"


def engage_query(request: Request, project: Project, control: MixpanelControl) -> Response:
    """Answer ``POST /api/query/engage``: one page of profiles and the session to page on."""
    request = _with_form(request)
    page_text = request.param("page") or "0"
    if not page_text.isdigit():
        return query_error(request, 400, f"'page' must be a whole number, got {page_text!r}")
    page = int(page_text)
    session_id = request.param("session_id")
    if page > 0 and not session_id:
        return query_error(request, 400, f"page {page} needs the session_id of the query's first page")
    if session_id:
        session = control.sessions.get(session_id)
        if session is None:
            message = f"session_id {session_id!r} is unknown or expired; query again from page 0 without it"
            return query_error(request, 400, message)
        group_key, ids = session
    else:
        group_key, problem = _group_key(request, project)
        found = problem or _engage_ids(request, project, group_key)
        if isinstance(found, str):
            return query_error(request, 400, found)
        ids, session_id = found, f"{secrets.randbits(40)}-{secrets.token_hex(3).upper()}"
        control.sessions[session_id] = (group_key, ids)
    wanted = _names(request.param("output_properties"), "output_properties")
    if isinstance(wanted, str):
        return query_error(request, 400, wanted)
    size = control.engage_page_size
    results = []
    with project.lock:
        profiles = _profiles(project, group_key)
        for distinct_id in ids[page * size : (page + 1) * size]:
            props = profiles.get(distinct_id)
            if props is not None:
                shown = {k: v for k, v in props.items() if wanted is None or k in wanted}
                results.append({"$distinct_id": distinct_id, "$properties": shown})
    body = {"page": page, "page_size": size, "session_id": session_id, "status": "ok", "total": len(ids)}
    return Response.json(200, body | {"results": results})


def _with_form(request: Request) -> Request:
    """Fold form-encoded body parameters into the query, as Mixpanel reads either."""
    kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded" or not request.body:
        return request
    merged = {**parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True), **request.query}
    return Request(request.method, request.target, request.path, merged, request.headers, request.body)
