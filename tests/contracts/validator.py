"""Check HTTP exchanges (cassette entries, live sandbox traffic) against a system's contract.

The contract of each system is one or more OpenAPI documents under
``tests/contracts/<system>/`` (``*.openapi.yaml``), written from the vendor's own API
description. Validation is openapi-core's: the request (path, method, query, headers,
body) and the response (status, headers, body) must match the operation, or the
problems are returned as readable lines. With several documents (a vendor with one
description per API host), the first whose servers and paths match the request is used.

Some vendors tell several operations on one path apart by a fragment in the path key
(Mixpanel's ``/engage#profile-set``, ``/engage#profile-unset``); real requests go to the
path without it. Such an operation names the body key that selects it,
``x-select: {body_has: "$set"}``, and the validator checks the request against the
operation whose key the first record of the body carries (a JSON array or object, or
the JSON in a form's ``data`` field).
"""

from __future__ import annotations

import base64
import binascii
import io
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound, ServerNotFound

CONTRACTS = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Exchange:
    """One request and its response, as recorded."""

    method: str
    url: str
    request_headers: Mapping[str, str]
    request_body: bytes | None
    status: int
    response_headers: Mapping[str, str]
    response_body: bytes | None

    def where(self) -> str:
        return f"{self.method} {self.url.split('?')[0]} -> {self.status}"


@dataclass(frozen=True)
class Document:
    """One contract document: its operations on plain paths, and each fragment-keyed operation apart.

    Attributes:
        file: The document.
        api: The document without its fragment-keyed paths.
        variants: (path, body key that selects it, a document holding only that operation at the path).
    """

    file: Path
    api: OpenAPI
    variants: tuple[tuple[str, str, OpenAPI], ...]


def _document(file: Path) -> Document:
    spec = yaml.safe_load(file.read_text(encoding="utf-8"))
    paths = spec.get("paths") or {}
    plain = {**spec, "paths": {k: v for k, v in paths.items() if "#" not in k}}
    variants = []
    for key, item in paths.items():
        if "#" not in key:
            continue
        base = key.split("#", 1)[0]
        selects = [op.get("x-select", {}).get("body_has") for op in item.values() if isinstance(op, dict)]
        if not selects or not selects[0]:
            raise ValueError(f"{file.name}: {key} needs x-select: {{body_has: KEY}} to be told apart from {base}")
        variants.append((base, str(selects[0]), OpenAPI.from_dict({**spec, "paths": {base: item}})))
    return Document(file, OpenAPI.from_dict(plain), tuple(variants))


@cache
def documents(system: str) -> tuple[Document, ...]:
    """Load every contract document of ``system`` (its folder's ``*.openapi.yaml``, in name order)."""
    files = sorted((CONTRACTS / system).glob("*.openapi.yaml"))
    if not files:
        raise FileNotFoundError(f"no contract document in {CONTRACTS / system}")
    return tuple(_document(file) for file in files)


def contract(system: str) -> OpenAPI:
    """Return the contract of a system described by one document (its plain paths)."""
    docs = documents(system)
    if len(docs) != 1:
        raise FileNotFoundError(f"expected one contract document in {CONTRACTS / system}, found {len(docs)}")
    return docs[0].api


def _first_record_keys(exchange: Exchange) -> set[str]:
    """The keys of the first record a request body carries (JSON array/object, or a form's ``data``)."""
    body = exchange.request_body or b""
    text = body.decode("utf-8", "replace")
    kind = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), "")
    if "x-www-form-urlencoded" in kind:
        text = (parse_qs(text).get("data") or [""])[0]
        try:
            value: Any = json.loads(text)
        except ValueError:
            try:
                value = json.loads(base64.b64decode(text, validate=True))
            except (ValueError, binascii.Error):
                return set()
    else:
        try:
            value = json.loads(text or "null")
        except ValueError:
            return set()
    first = value[0] if isinstance(value, list) and value else value
    return set(first) if isinstance(first, dict) else set()


def _candidates(system: str, exchange: Exchange) -> list[OpenAPI]:
    """The documents to check ``exchange`` against: a fragment operation its body selects, else every document."""
    path = urlsplit(exchange.url).path.rstrip("/")
    out: list[OpenAPI] = []
    for doc in documents(system):
        matching = [(key, api) for base, key, api in doc.variants if base and path.endswith(base)]
        if matching:
            keys = _first_record_keys(exchange)
            out.extend(api for key, api in matching if key in keys)
        else:
            out.append(doc.api)
    return out


def _bytes(value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _single(headers: Mapping[str, Any]) -> dict[str, str]:
    return {k: (v[0] if isinstance(v, list) and v else str(v)) for k, v in headers.items()}


def validate(system: str, exchange: Exchange) -> list[str]:
    """Return the problems of one exchange against ``system``'s contract (empty when it conforms)."""
    for api in _candidates(system, exchange):
        try:
            return _validate(api, exchange)
        except (PathNotFound, ServerNotFound, OperationNotFound):
            continue  # another document of the system describes it
    return [f"{exchange.where()}: no operation of the {system} contract matches the request"]


def _validate(api: OpenAPI, exchange: Exchange) -> list[str]:
    """Validate against one document; raise openapi-core's not-found errors when it does not describe the call."""
    prepared = requests.Request(
        exchange.method, exchange.url, headers=dict(exchange.request_headers), data=exchange.request_body
    ).prepare()
    request = RequestsOpenAPIRequest(prepared)
    response = requests.Response()
    response.status_code = exchange.status
    response.headers.update(exchange.response_headers)
    response._content = exchange.response_body or b""
    problems: list[str] = []
    for kind, check in (
        ("request", lambda: api.validate_request(request)),
        ("response", lambda: api.validate_response(request, RequestsOpenAPIResponse(response))),
    ):
        try:
            check()
        except (PathNotFound, ServerNotFound, OperationNotFound):
            raise
        except Exception as err:  # noqa: BLE001 - openapi-core raises many types; each is a contract problem
            detail = "; ".join(str(e) for e in getattr(err, "schema_errors", []) or [err.__cause__ or err])
            problems.append(f"{exchange.where()}: {kind} {type(err).__name__}: {detail}"[:800])
    return problems


def cassette_exchanges(path: Path) -> list[Exchange]:
    """Read a vcrpy cassette (YAML) into exchanges."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: list[Exchange] = []
    for item in data.get("interactions", []):
        req, resp = item["request"], item["response"]
        out.append(
            Exchange(
                method=req["method"],
                url=req["uri"],
                request_headers=_single(req.get("headers") or {}),
                request_body=_bytes(req.get("body")),
                status=int(resp["status"]["code"]),
                response_headers=_single(resp.get("headers") or {}),
                response_body=_bytes((resp.get("body") or {}).get("string")),
            )
        )
    return out


def exchange_of(response: requests.Response) -> Exchange:
    """Turn a live ``requests`` response (and its request) into an exchange; a streamed body is read and kept."""
    request = response.request
    body = request.body if isinstance(request.body, bytes | None) else str(request.body).encode()
    if response._content is False:  # streamed: read it now and put it back for the caller
        data = response.raw.read(decode_content=True)
        response.raw = io.BytesIO(data)
    else:
        data = response.content
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        request_headers=dict(request.headers),
        request_body=body,
        status=response.status_code,
        response_headers=dict(response.headers),
        response_body=data,
    )


def validate_all(system: str, exchanges: Iterable[Exchange]) -> list[str]:
    """Validate many exchanges; return every problem found."""
    return [problem for exchange in exchanges for problem in validate(system, exchange)]
