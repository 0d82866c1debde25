"""Mixpanel's wire formats: request payloads in, error bodies out.

Ingestion endpoints take their records three ways, all of which real clients use:
a JSON body (``application/json``, an array or one object), newline-delimited JSON
(``application/x-ndjson``), or a form field ``data`` holding JSON or base64 of JSON
(the official libraries' way, with ``verbose``/``ip``/``api_key`` beside it). Any of
them may come gzip-compressed (``Content-Encoding: gzip``); Mixpanel's size limits
count the body once inflated, so ``Payload.size`` is the uncompressed length.

Error bodies differ by API, as in Mixpanel:

    query APIs (export, engage query)   {"request": "/api/2.0/export?...", "error": "..."}
    ingestion (track, engage)           {"error": "...", "status": 0}
    /import, every 413 and every 429    {"code": 400, "error": "...", "status": "Bad Request"}
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from sandbox.common.http import Request, Response

__all__ = [
    "MAX_BODY_BYTES",
    "Payload",
    "coded_error",
    "flag",
    "ingest_error",
    "param",
    "query_error",
    "read_payload",
    "received",
]


@dataclass(frozen=True)
class Payload:
    """Records sent to an ingestion endpoint and how they came.

    Attributes:
        items: The records (update objects or events), in order.
        form: The form fields, when the body was form-encoded (``verbose``, ``api_key``...).
        problem: Why the body could not be read (then ``items`` is empty).
        size: The body's length in bytes, uncompressed.
    """

    items: list[Any]
    form: dict[str, str]
    problem: str | None = None
    size: int = 0


MAX_BODY_BYTES = 10 * 1024 * 1024
"""The largest request body Mixpanel ingests, uncompressed (docs: "10MB uncompressed per request")."""


def _inflate(body: bytes, *, limit: int) -> bytes:
    """Undo ``Content-Encoding: gzip``, stopping one byte past ``limit`` (what is over is refused anyway).

    Raises:
        ValueError: The body is not gzip data.
    """
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error as err:
        msg = f"the request body is not valid gzip data ({err}) but Content-Encoding says gzip"
        raise ValueError(msg) from None
    if len(data) <= limit and not inflater.eof:
        msg = "the request body is truncated gzip data"
        raise ValueError(msg)
    return data


def _form(body: bytes) -> dict[str, str]:
    text = body.decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}


def _decode_data(text: str) -> Any:
    """Read a ``data`` field: JSON, or base64 of JSON (older libraries)."""
    try:
        return json.loads(text)
    except ValueError:
        pass
    try:
        return json.loads(base64.b64decode(text, validate=True).decode("utf-8"))
    except (ValueError, binascii.Error) as err:
        msg = f"data is neither JSON nor base64-encoded JSON: {err}"
        raise ValueError(msg) from None


def read_payload(request: Request) -> Payload:
    """Read the records of an ingestion request (JSON, NDJSON, form ``data`` or query ``data``; gzip or not).

    A body over ``MAX_BODY_BYTES`` once inflated is not parsed: ``size`` says how long it is.
    """
    body = request.body
    if (request.header("Content-Encoding") or "").strip().lower() == "gzip":
        try:
            body = _inflate(body, limit=MAX_BODY_BYTES)
        except ValueError as err:
            return Payload([], {}, str(err))
    if len(body) > MAX_BODY_BYTES:
        return Payload([], {}, f"request exceeds max limit of {MAX_BODY_BYTES} bytes", size=len(body))
    kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    form: dict[str, str] = {}
    try:
        if kind == "application/x-www-form-urlencoded" or (not kind and request.param("data") is not None):
            form = _form(body) if body else {}
            raw = form.get("data", request.param("data"))
            if raw is None:
                return Payload([], form, "the form has no 'data' field", size=len(body))
            value = _decode_data(raw)
        elif kind == "application/x-ndjson":
            lines = body.decode("utf-8").splitlines()
            value = [json.loads(line) for line in lines if line.strip()]
        else:
            value = json.loads(body.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError) as err:
        return Payload([], form, f"the request body is not valid JSON: {err}", size=len(body))
    if value is None:
        return Payload([], form, "the request has no records", size=len(body))
    return Payload(value if isinstance(value, list) else [value], form, size=len(body))


def param(request: Request, payload: Payload | None, name: str) -> str | None:
    """A parameter from the query string, else from the form."""
    value = request.param(name)
    if value is None and payload is not None:
        value = payload.form.get(name)
    return value


def flag(request: Request, payload: Payload | None, name: str) -> bool:
    """Whether parameter ``name`` is ``1`` (``strict``, ``verbose``)."""
    return (param(request, payload, name) or "").strip() in {"1", "true"}


def received(payload: Payload, request: Request, *, valid: int, error: str | None) -> Response:
    """The non-strict answer of /track and /engage: ``1``/``0`` as text, or with ``verbose=1`` the JSON object.

    From Mixpanel's description (ingestion.openapi.yaml, response ``Received``) and its ``verbose``
    parameter: ``1`` when one or more records were valid, ``0`` when none was;
    ``{"status": 1|0, "error": ...}`` with ``verbose=1``.
    """
    status = 1 if valid else 0
    if flag(request, payload, "verbose"):
        return Response.json(200, {"error": None if valid else error, "status": status})
    return Response.text(200, str(status), content_type="text/plain")


def query_error(request: Request, status: int, message: str, *, headers: dict[str, str] | None = None) -> Response:
    """An error of the query APIs: ``{"request": target, "error": message}``."""
    return Response.json(status, {"request": request.target, "error": message}, headers=headers)


def ingest_error(status: int, message: str) -> Response:
    """An error of /track and /engage: ``{"error": message, "status": 0}``."""
    return Response.json(status, {"error": message, "status": 0})


_PHRASES = {413: "Request Entity Too Large"}
"""Mixpanel's wording where Python's ``HTTPStatus`` has moved on (RFC 9110 renamed 413 "Content Too Large")."""


def coded_error(status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """An error of /import (and any 429): ``{"code", "error", "status": reason phrase}``."""
    body = {"code": status, "error": message, "status": _PHRASES.get(status, HTTPStatus(status).phrase), **extra}
    return Response.json(status, body, headers=headers)
