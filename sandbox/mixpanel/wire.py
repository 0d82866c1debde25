"""Mixpanel's wire formats: request payloads in, error bodies out.

Ingestion endpoints take their records three ways, all of which real clients use:
a JSON body (``application/json``, an array or one object), newline-delimited JSON
(``application/x-ndjson``), or a form field ``data`` holding JSON or base64 of JSON
(the official libraries' way, with ``verbose``/``ip``/``api_key`` beside it).

Error bodies differ by API, as in Mixpanel:

    query APIs (export, engage query)   {"request": "/api/2.0/export?...", "error": "..."}
    ingestion (track, engage)           {"error": "...", "status": 0}
    /import and every 429               {"code": 400, "error": "...", "status": "Bad Request"}
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs

from sandbox.common.http import Request, Response

__all__ = [
    "Payload",
    "coded_error",
    "flag",
    "ingest_error",
    "param",
    "query_error",
    "read_payload",
]


@dataclass(frozen=True)
class Payload:
    """Records sent to an ingestion endpoint and how they came.

    Attributes:
        items: The records (update objects or events), in order.
        form: The form fields, when the body was form-encoded (``verbose``, ``api_key``...).
        problem: Why the body could not be read (then ``items`` is empty).
    """

    items: list[Any]
    form: dict[str, str]
    problem: str | None = None


def _form(request: Request) -> dict[str, str]:
    text = request.body.decode("utf-8", "replace")
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
    """Read the records of an ingestion request (JSON, NDJSON, form ``data`` or query ``data``)."""
    kind = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    form: dict[str, str] = {}
    try:
        if kind == "application/x-www-form-urlencoded" or (not kind and request.param("data") is not None):
            form = _form(request) if request.body else {}
            raw = form.get("data", request.param("data"))
            if raw is None:
                return Payload([], form, "the form has no 'data' field")
            value = _decode_data(raw)
        elif kind == "application/x-ndjson":
            lines = request.body.decode("utf-8").splitlines()
            value = [json.loads(line) for line in lines if line.strip()]
        else:
            value = json.loads(request.body.decode("utf-8") or "null")
    except (ValueError, UnicodeDecodeError) as err:
        return Payload([], form, f"the request body is not valid JSON: {err}")
    if value is None:
        return Payload([], form, "the request has no records")
    return Payload(value if isinstance(value, list) else [value], form)


def param(request: Request, payload: Payload | None, name: str) -> str | None:
    """A parameter from the query string, else from the form."""
    value = request.param(name)
    if value is None and payload is not None:
        value = payload.form.get(name)
    return value


def flag(request: Request, payload: Payload | None, name: str) -> bool:
    """Whether parameter ``name`` is ``1`` (``strict``, ``verbose``)."""
    return (param(request, payload, name) or "").strip() in {"1", "true"}


def query_error(request: Request, status: int, message: str, *, headers: dict[str, str] | None = None) -> Response:
    """An error of the query APIs: ``{"request": target, "error": message}``."""
    return Response.json(status, {"request": request.target, "error": message}, headers=headers)


def ingest_error(status: int, message: str) -> Response:
    """An error of /track and /engage: ``{"error": message, "status": 0}``."""
    return Response.json(status, {"error": message, "status": 0})


def coded_error(status: int, message: str, *, headers: dict[str, str] | None = None, **extra: Any) -> Response:
    """An error of /import (and any 429): ``{"code", "error", "status": reason phrase}``."""
    body = {"code": status, "error": message, "status": HTTPStatus(status).phrase, **extra}
    return Response.json(status, body, headers=headers)
