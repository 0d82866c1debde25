"""The ingestion APIs: ``/track``, ``/import`` and ``/engage`` (profile updates).

Bodies may be gzip-compressed (``Content-Encoding: gzip``) on all three; a body that
is not gzip data is an unreadable body (``/import``: 400; ``/track``: ``0``).

``/track`` takes events with the project ``token`` in their properties and at most
five days old. Answers: ``1``/``0`` as text, or with ``verbose=1``
``{"status": 1, "error": null}`` (``status: 1`` when at least one event was valid).
``/track`` and ``/engage`` take at most 2,000 records and 10 MiB (uncompressed) a
request; past that the request is refused whole (limits.py says how, and from which pages).

``/import`` needs the service account (HTTP Basic, ``project_id`` in the query), the
project secret or the project token (Basic username, empty password). With ``strict=1``
every event needs ``time``, ``distinct_id`` and ``$insert_id`` and failures are listed
per event (400 ``failed_records`` with ``num_records_imported``; the valid events are
kept); the official library's form request (``data=``, no ``strict``) is answered the
legacy way, ``{"status": 1, "error": null}``. At most 2,000 events and 10 MiB
(uncompressed) a request: a larger body is 413 and nothing of it is kept.

Every event, on ``/track`` and ``/import``: smaller than 1 MiB of JSON, fewer than 255
properties, nested objects with fewer than 255 keys and lists with fewer than 255
elements (else it fails validation); a ``time`` in the future is taken as now.

``/engage`` takes up to 2,000 update objects (``$token``, ``$distinct_id`` and one
of ``$set``, ``$set_once``, ``$add``, ``$append``, ``$union``, ``$remove``,
``$unset``, ``$delete``), each at most 1 MB. With ``strict=1`` a request whose
updates all pass answers ``{"error": null, "status": 1}``; otherwise 400 with
``failed_records`` (``index``, ``$distinct_id``, ``field``, ``message``) and the
valid updates applied. ``$ignore_time`` keeps ``$last_seen`` as it was. ``update_profiles``
runs these steps for ``/engage`` and, with its own checks, for ``/groups`` (groups.py).

A request to ``/track`` or ``/engage`` none of whose records carries the project's
token, while some carry another token, is 401 ``{"error": "Invalid token", "status":
"error"}`` (the description's ``ErrorResponse``); records without a token fail
validation.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.mixpanel.control import MixpanelControl
from sandbox.mixpanel.limits import MAX_RECORDS, over_limits
from sandbox.mixpanel.project import Event, Project
from sandbox.mixpanel.wire import MAX_BODY_BYTES, coded_error, flag, ingest_error, read_payload, received

__all__ = ["MAX_BATCH", "MAX_EVENT_BYTES", "MAX_EVENT_PROPERTIES", "MAX_UPDATE_BYTES", "apply_operation", "engage",
           "import_events", "operation_problem", "track", "update_profiles"]  # fmt: skip

MAX_BATCH = MAX_RECORDS
"""Records per /track, /import and /engage request (Mixpanel's documented maxima; see limits.py)."""
MAX_UPDATE_BYTES = 1_000_000
MAX_EVENT_BYTES = 1024 * 1024
"""An event must be smaller than this, as JSON (docs: "smaller than 1MB of uncompressed JSON")."""
MAX_EVENT_PROPERTIES = 255
"""An event must have fewer properties than this; nested objects fewer keys, lists fewer elements."""
_TRACK_MAX_AGE_MS = 5 * 86_400_000
_OPERATIONS = ("$set", "$set_once", "$add", "$append", "$union", "$remove", "$unset", "$delete")
_INVALID_IDS = frozenset({"", "anon", "anonymous", "nil", "none", "null", "n/a", "undefined", "0", "-1"})
_INVALID_IDS |= {"00000000-0000-0000-0000-000000000000", "lmy47d", "[]", "{}"}


def _time_ms(value: Any) -> int | None:
    """Event ``time``: seconds (float allowed) or milliseconds since the epoch."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return int(value) if value > 100_000_000_000 else int(value * 1000)


def _too_wide(value: Any, where: str) -> str | None:
    """Why a property value breaks the per-event limits (an object or list of 255 or more), or None."""
    if isinstance(value, dict | list) and len(value) >= MAX_EVENT_PROPERTIES:
        what = "keys" if isinstance(value, dict) else "elements"
        return f"'{where}' has {len(value)} {what}; fewer than {MAX_EVENT_PROPERTIES} are allowed"
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    return next((why for key, child in children if (why := _too_wide(child, f"{where}.{key}"))), None)


def _size_problem(item: dict[str, Any], props: dict[str, Any]) -> str | None:
    """Why an event breaks Mixpanel's per-event size limits, or None."""
    size = len(json.dumps(item, separators=(",", ":")).encode("utf-8"))
    if size >= MAX_EVENT_BYTES:
        return f"event is {size} bytes of JSON; it must be smaller than 1MB ({MAX_EVENT_BYTES} bytes)"
    if len(props) >= MAX_EVENT_PROPERTIES:
        return f"event has {len(props)} properties; fewer than {MAX_EVENT_PROPERTIES} are allowed"
    return next((why for name, value in props.items() if (why := _too_wide(value, f"properties.{name}"))), None)


def _event(item: Any, now_ms: int) -> tuple[Event | None, str, str]:
    """Turn a received event into an ``Event``; or None with the failing field and why.

    A ``time`` in the future is taken as ``now_ms``, as Mixpanel does at ingestion.
    """
    if not isinstance(item, dict) or not isinstance(item.get("event"), str) or not item["event"]:
        return None, "event", "'event' must be a non-empty string"
    props = item.get("properties")
    if not isinstance(props, dict):
        return None, "properties", "'properties' must be an object"
    at = _time_ms(props.get("time", now_ms / 1000))
    if at is None:
        return None, "properties.time", "'properties.time' is invalid: must be specified as seconds since epoch"
    too_big = _size_problem(item, props)
    if too_big is not None:
        return None, "properties", too_big
    kept = {k: v for k, v in props.items() if k != "time"}
    return Event(item["event"], kept, min(at, now_ms), now_ms), "", ""


def _wrong_token(tokens: list[Any], project: Project) -> Response | None:
    """401 when no record carries the project's token and some carry another; None otherwise."""
    if project.token in tokens or not any(isinstance(t, str) and t for t in tokens):
        return None
    return Response.json(401, {"error": "Invalid token", "status": "error"})


def track(request: Request, project: Project) -> Response:
    """Answer ``/track``: keep the valid events of the current project."""
    payload = read_payload(request)
    refused = over_limits(request, payload, records="events", strict=False)
    if refused is not None:
        return refused
    if payload.problem:
        return received(payload, request, valid=0, error=payload.problem)
    props = [item.get("properties") for item in payload.items if isinstance(item, dict)]
    refused = _wrong_token([p.get("token") for p in props if isinstance(p, dict)], project)
    if refused is not None:
        return refused
    now_ms = project.clock.now_ms()
    valid, error = 0, "no events in the request"
    for item in payload.items:
        event, _field, why = _event(item, now_ms)
        if event is None:
            error = why
        elif event.properties.get("token") != project.token:
            error = "token, missing or empty" if not event.properties.get("token") else "Invalid token"
        elif event.time_ms < now_ms - _TRACK_MAX_AGE_MS:
            # The rule: https://docs.mixpanel.com/reference/track-event ("Last 5 days only"); the event is
            # dropped and counts as invalid (``Received``). The wording: not found in a public document.
            error = "event is more than 5 days old; send it to /import instead"
        else:
            project.add_event(event)
            valid += 1
    return received(payload, request, valid=valid, error=error)


def _strict_problem(item: Any, event: Event) -> tuple[str, str] | None:
    props = event.properties
    if not isinstance(props.get("distinct_id"), str):
        return "properties.distinct_id", "'properties.distinct_id' must be a string"
    insert_id = props.get("$insert_id")
    if not isinstance(insert_id, str) or not 0 < len(insert_id) <= 36:
        return "properties.$insert_id", "'properties.$insert_id' must be a string of 1 to 36 characters"
    if "time" not in (item.get("properties") or {}):
        return "properties.time", "'properties.time' is required"
    return None


def import_events(request: Request, project: Project) -> Response:
    """Answer ``/import`` (authentication is checked by the app before)."""
    payload = read_payload(request)
    strict = flag(request, payload, "strict")
    if payload.size > MAX_BODY_BYTES:
        return coded_error(413, f"request exceeds max limit of {MAX_BODY_BYTES} bytes")
    if payload.problem:
        return coded_error(400, payload.problem)
    if len(payload.items) > MAX_BATCH:
        return coded_error(400, f"request has {len(payload.items)} events; at most {MAX_BATCH} are allowed")
    now_ms = project.clock.now_ms()
    failed: list[dict[str, Any]] = []
    imported = 0
    for index, item in enumerate(payload.items):
        event, where, why = _event(item, now_ms)
        problem = (where, why) if event is None else _strict_problem(item, event) if strict else None
        if event is None or problem is not None:
            assert problem is not None
            insert_id = (item.get("properties") or {}).get("$insert_id") if isinstance(item, dict) else None
            failed.append({"index": index, "insert_id": insert_id, "field": problem[0], "message": problem[1]})
            continue
        project.add_event(event)
        imported += 1
    if payload.form and not strict:  # the official library's legacy form request
        return received(payload, request, valid=imported, error=failed[0]["message"] if failed else None)
    if failed and strict:
        message = "some data points in the request failed validation"
        return coded_error(400, message, num_records_imported=imported, failed_records=failed)
    return Response.json(200, {"code": 200, "num_records_imported": imported, "status": "OK"})


def operation_problem(item: dict[str, Any], project: Project, operations: tuple[str, ...]) -> tuple[str, str] | None:
    """Why an update object's token, operation or size fails validation: (field, message), or None.

    Shared by ``/engage`` and ``/groups`` (groups.py): the ``$token`` must be the project's, the update
    must carry exactly one of ``operations``, ``$unset`` a list of names, the others (``$delete`` apart)
    an object, ``$add`` numbers; the update at most ``MAX_UPDATE_BYTES`` of JSON.
    """
    if item.get("$token") != project.token:
        return "$token", "'$token' is missing or not this project's token"
    found = [op for op in operations if op in item]
    if len(found) != 1:
        return "", f"an update needs exactly one operation of {', '.join(operations)}; found {found or 'none'}"
    op, value = found[0], item[found[0]]
    if op == "$unset" and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        return op, "'$unset' must be a list of property names"
    if op not in {"$unset", "$delete"} and not isinstance(value, dict):
        return op, f"'{op}' must be an object of property names and values"
    if op == "$add" and not all(isinstance(v, int | float) and not isinstance(v, bool) for v in value.values()):
        return op, "'$add' values must be numbers"
    if len(json.dumps(item)) > MAX_UPDATE_BYTES:
        return "", f"the update is larger than {MAX_UPDATE_BYTES} bytes"
    return None


def _update_problem(item: Any, project: Project, control: MixpanelControl) -> tuple[str, str] | None:
    """Why one ``/engage`` update fails validation: (field, message), or None."""
    if not isinstance(item, dict):
        return "", "an update must be a JSON object"
    distinct_id = item.get("$distinct_id")
    if not isinstance(distinct_id, str) or distinct_id.strip().lower() in _INVALID_IDS:
        return "$distinct_id", f"'$distinct_id' is missing or a placeholder: {distinct_id!r}"
    problem = operation_problem(item, project, _OPERATIONS)
    if problem is None and distinct_id in control.failing_ids:
        return "$set", f"profile {distinct_id} refused the update (injected fault fail_records)"
    return problem


def _listify(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


_APPLY: dict[str, Callable[[dict[str, Any], Any], object]] = {
    "$set": lambda p, v: p.update(v),
    "$set_once": lambda p, v: [p.setdefault(k, x) for k, x in v.items()],
    "$add": lambda p, v: p.update({k: (p.get(k) or 0) + x for k, x in v.items()}),
    "$append": lambda p, v: p.update({k: [*_listify(p.get(k, [])), x] for k, x in v.items()}),
    "$union": lambda p, v: p.update(
        {k: list(dict.fromkeys([*_listify(p.get(k, [])), *_listify(x)])) for k, x in v.items()}
    ),
    "$remove": lambda p, v: p.update({k: [i for i in _listify(p.get(k, [])) if i != x] for k, x in v.items()}),
    "$unset": lambda p, v: [p.pop(k, None) for k in v],
}


def apply_operation(profile: dict[str, Any], op: str, value: Any) -> None:
    """Apply one checked operation (any but ``$delete``) to a profile's properties, in place."""
    _APPLY[op](profile, value)


def _apply(project: Project, item: dict[str, Any]) -> None:
    distinct_id = item["$distinct_id"]
    with project.lock:
        if "$delete" in item:
            project.profiles.pop(distinct_id, None)
            return
        profile = project.profiles.setdefault(distinct_id, {})
        op = next(op for op in _OPERATIONS if op in item)
        apply_operation(profile, op, item[op])
        if not item.get("$ignore_time"):
            profile["$last_seen"] = project.clock.now().strftime("%Y-%m-%dT%H:%M:%S")


def update_profiles(
    request: Request,
    project: Project,
    *,
    check: Callable[[Any], tuple[str, str] | None],
    apply: Callable[[dict[str, Any]], None],
    identify: Callable[[Any], dict[str, Any]],
) -> Response:
    """Answer a profile-update request (``/engage``, ``/groups``): limits, token, each update, the answer.

    Args:
        request: The request.
        project: The project whose token the updates must carry.
        check: Why one update fails validation, (field, message), or None.
        apply: Apply one valid update to the project.
        identify: The fields naming an update's profile in ``failed_records`` (``$distinct_id``...).

    Returns:
        The request refused whole past the limits (limits.py) or with another project's token (401);
        else ``1``/``0`` (or the verbose JSON), or with ``strict=1`` ``{"error": null, "status": 1}``
        or 400 with ``failed_records``, the valid updates applied either way.
    """
    payload = read_payload(request)
    strict = flag(request, payload, "strict")
    refused = over_limits(request, payload, records="updates", strict=strict)
    if refused is not None:
        return refused
    if payload.problem:
        return (
            ingest_error(400, payload.problem) if strict else received(payload, request, valid=0, error=payload.problem)
        )
    refused = _wrong_token([item.get("$token") for item in payload.items if isinstance(item, dict)], project)
    if refused is not None:
        return refused
    failed: list[dict[str, Any]] = []
    for index, item in enumerate(payload.items):
        problem = check(item)
        if problem is None:
            apply(item)
            continue
        failed.append({"index": index, **identify(item), "field": problem[0], "message": problem[1]})
    valid = len(payload.items) - len(failed)
    if not strict:
        return received(payload, request, valid=valid, error=failed[0]["message"] if failed else "no updates")
    if failed:
        body = {"error": "some data points in the request failed validation", "failed_records": failed, "status": 0}
        return Response.json(400, body)
    return Response.json(200, {"error": None, "status": 1})


def engage(request: Request, project: Project, control: MixpanelControl) -> Response:
    """Answer ``/engage``: validate, apply the valid updates, report per update in strict mode."""
    return update_profiles(
        request,
        project,
        check=lambda item: _update_problem(item, project, control),
        apply=lambda item: _apply(project, item),
        identify=lambda item: {"$distinct_id": item.get("$distinct_id") if isinstance(item, dict) else None},
    )
