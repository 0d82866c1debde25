"""``composite`` and ``composite/batch``: several REST calls in one, run by the sandbox's own handlers.

Composite (resources_composite_composite.htm): ``{"allOrNone", "compositeRequest": [{"method",
"url", "referenceId", "body"?, "httpHeaders"?}]}``, at most 25 subrequests, each ``url``
starting ``/services/data/vXX.X/``. A later subrequest names an earlier result with
``@{referenceId.field}`` (``@{newAccount.id}``, ``@{found.records[0].Id}``) in its URL or
body. The answer is 200 ``{"compositeResponse": [{"body", "httpHeaders", "httpStatusCode",
"referenceId"}]}`` (a 201 create carries ``Location``). A reference to a failed or unknown
subrequest is 400 PROCESSING_HALTED for that subrequest. With ``allOrNone`` the first
failure rolls back every write of the request; the failing subrequest keeps its error and
every other one answers 400 PROCESSING_HALTED.

Batch (resources_composite_batch.htm): ``{"haltOnError", "batchRequests": [{"method", "url",
"richInput"?}]}``, at most 25, ``url`` relative to ``/services/data/`` (``v59.0/limits``) or
absolute. Subrequests are independent and commit one by one. The answer is 200
``{"hasErrors", "results": [{"statusCode", "result"}]}``; with ``haltOnError`` the ones after
a failure answer 412 BATCH_PROCESSING_HALTED.

More than 25 subrequests is 400 LIMIT_EXCEEDED; a body without the list is 400 JSON_PARSER_ERROR.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from sandbox.common.http import Request, Response
from sandbox.salesforce.org import Org
from sandbox.salesforce.wire import ErrorCode, error

__all__ = ["MAX_SUBREQUESTS", "Dispatch", "batch", "composite"]

MAX_SUBREQUESTS = 25
Dispatch = Callable[[Request], Response]
"""Runs one subrequest through the API's router (the caller's session is already checked)."""

_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[^}]*)?)\}")
_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
_ROLLED_BACK = "The transaction was rolled back since another operation in the same transaction failed."


class _Unresolved(Exception):
    """A ``@{...}`` reference without a value."""


def _sub_request(outer: Request, method: str, url: str, body: Any, headers: dict[str, Any] | None) -> Request:
    parts = urlsplit(url)
    merged = {k: v for k, v in outer.headers.items() if k in {"authorization", "sforce-query-options"}}
    merged |= {str(k).lower(): str(v) for k, v in (headers or {}).items()}
    merged.setdefault("content-type", "application/json")
    raw = b"" if body is None else json.dumps(body).encode("utf-8")
    return Request(method=method.upper(), target=url, path=parts.path,
                   query=parse_qs(parts.query, keep_blank_values=True), headers=merged, body=raw)  # fmt: skip


def _decoded(response: Response) -> Any:
    if not response.body:
        return None
    try:
        return json.loads(response.body)
    except ValueError:
        return response.body.decode("utf-8", "replace")


def _limit_exceeded() -> Response:
    msg = f"Limit Exceeded : the request has more than {MAX_SUBREQUESTS} subrequests"
    return error(400, ErrorCode.LIMIT_EXCEEDED, msg)


# ----- composite -----


def _lookup(results: dict[str, tuple[int, Any]], ref: str, path: str) -> Any:
    if ref not in results or results[ref][0] >= 400:
        raise _Unresolved(ref)
    value = results[ref][1]
    for name, index in _STEP.findall(path):
        try:
            value = value[int(index)] if index else value[name]
        except (KeyError, IndexError, TypeError):
            raise _Unresolved(ref) from None
    if value is None:
        raise _Unresolved(ref)
    return value


def _substitute(value: Any, results: dict[str, tuple[int, Any]]) -> Any:
    if isinstance(value, dict):
        return {k: _substitute(v, results) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, results) for v in value]
    if not isinstance(value, str):
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole:  # the reference alone keeps the value's type
        return _lookup(results, whole.group(1), whole.group(2))
    return _REFERENCE.sub(lambda m: str(_lookup(results, m.group(1), m.group(2))), value)


def _halted(reference_id: str, message: str) -> dict[str, Any]:
    body = [{"errorCode": ErrorCode.PROCESSING_HALTED.value, "message": message}]
    return {"body": body, "httpHeaders": {}, "httpStatusCode": 400, "referenceId": reference_id}


def _run_one(
    request: Request, item: dict[str, Any], results: dict[str, tuple[int, Any]], dispatch: Dispatch
) -> dict[str, Any]:
    reference_id = str(item["referenceId"])
    try:
        url = _substitute(str(item["url"]), results)
        body = _substitute(item.get("body"), results)
    except _Unresolved as missing:
        ref = str(missing)
        message = (f"Invalid reference specified. No value for {ref} found. Provided referenceId ('{ref}') "
                   "points to a subrequest that failed or does not exist.")  # fmt: skip
        return _halted(reference_id, message)
    response = dispatch(_sub_request(request, str(item["method"]), url, body, item.get("httpHeaders")))
    decoded = _decoded(response)
    headers = {}
    if response.status == 201 and isinstance(decoded, dict) and decoded.get("id"):
        headers["Location"] = f"{urlsplit(url).path.rstrip('/')}/{decoded['id']}"
    return {"body": decoded, "httpHeaders": headers, "httpStatusCode": response.status, "referenceId": reference_id}


def _valid_composite(body: Any) -> list[dict[str, Any]] | Response:
    items = body.get("compositeRequest") if isinstance(body, dict) else None
    required = ("method", "url", "referenceId")
    if not isinstance(items, list) or not all(isinstance(i, dict) and all(k in i for k in required) for i in items):
        return error(400, ErrorCode.JSON_PARSER_ERROR, "compositeRequest: a list of {method, url, referenceId}")
    if len(items) > MAX_SUBREQUESTS:
        return _limit_exceeded()
    bad = next((i for i in items if not re.fullmatch(r"/services/data/v\d+\.\d/.*", str(i["url"]))), None)
    if bad is not None:
        return error(400, ErrorCode.JSON_PARSER_ERROR, f"The url must start with /services/data/vXX.X/: {bad['url']}")
    return items


def composite(request: Request, org: Org, dispatch: Dispatch) -> Response:
    """Answer ``POST composite``."""
    if request.method != "POST":
        return error(405, ErrorCode.METHOD_NOT_ALLOWED, f"HTTP Method '{request.method}' not allowed. Allowed are POST")
    try:
        body = request.json()
    except ValueError:
        return error(400, ErrorCode.JSON_PARSER_ERROR, "The request body is not JSON")
    items = _valid_composite(body)
    if isinstance(items, Response):
        return items
    all_or_none = bool(body.get("allOrNone", False))
    out: list[dict[str, Any]] = []
    with org.lock:
        saved = org.snapshot() if all_or_none else None
        results: dict[str, tuple[int, Any]] = {}
        for item in items:
            answer = _run_one(request, item, results, dispatch)
            results[answer["referenceId"]] = (answer["httpStatusCode"], answer["body"])
            out.append(answer)
            if saved is not None and answer["httpStatusCode"] >= 400:
                org.restore(saved)
                failed = len(out) - 1
                out = [a if n == failed else _halted(a["referenceId"], _ROLLED_BACK) for n, a in enumerate(out)]
                out += [_halted(str(i["referenceId"]), _ROLLED_BACK) for i in items[len(out) :]]
                break
    return Response.json(200, {"compositeResponse": out})


# ----- batch -----


def batch(request: Request, dispatch: Dispatch) -> Response:
    """Answer ``POST composite/batch``."""
    if request.method != "POST":
        return error(405, ErrorCode.METHOD_NOT_ALLOWED, f"HTTP Method '{request.method}' not allowed. Allowed are POST")
    try:
        body = request.json()
    except ValueError:
        body = None
    items = body.get("batchRequests") if isinstance(body, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) and "method" in i and "url" in i for i in items):
        return error(400, ErrorCode.JSON_PARSER_ERROR, "batchRequests: a list of {method, url, richInput?}")
    if len(items) > MAX_SUBREQUESTS:
        return _limit_exceeded()
    halt = bool(body.get("haltOnError", False))
    results: list[dict[str, Any]] = []
    failed = False
    for item in items:
        if failed and halt:
            halted = [
                {"errorCode": ErrorCode.BATCH_PROCESSING_HALTED.value, "message": "Batch processing halted per request"}
            ]
            results.append({"statusCode": 412, "result": halted})
            continue
        url = str(item["url"])
        url = url if url.startswith("/") else f"/services/data/{url}"
        response = dispatch(_sub_request(request, str(item["method"]), url, item.get("richInput"), None))
        results.append({"statusCode": response.status, "result": _decoded(response)})
        failed = failed or response.status >= 400
    return Response.json(200, {"hasErrors": failed, "results": results})
