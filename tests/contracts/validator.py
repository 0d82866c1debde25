"""Check HTTP exchanges (cassette entries, live sandbox traffic) against a system's contract.

The contract of each system is an OpenAPI document under ``tests/contracts/<system>/``,
written from the vendor's own API description. Validation is openapi-core's: the
request (path, method, query, headers, body) and the response (status, headers, body)
must match the operation, or the problems are returned as readable lines.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import requests
import yaml
from openapi_core import OpenAPI
from openapi_core.contrib.requests import RequestsOpenAPIRequest, RequestsOpenAPIResponse

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


@cache
def contract(system: str) -> OpenAPI:
    """Load the OpenAPI contract of ``system`` (every *.openapi.yaml of its folder, merged)."""
    files = sorted((CONTRACTS / system).glob("*.openapi.yaml"))
    if len(files) != 1:
        raise FileNotFoundError(f"expected one contract document in {CONTRACTS / system}, found {len(files)}")
    return OpenAPI.from_file_path(str(files[0]))


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
    api = contract(system)
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
