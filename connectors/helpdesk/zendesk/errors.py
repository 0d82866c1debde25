"""Zendesk failures, turned into Contactpoint's error tree in one place.

    map_error(source)            requests.Response | RequestException
    ├── 401                      AuthError            (token refused, or token access switched off)
    ├── 403                      AuthError            (not an admin: exports and bulk writes need one)
    ├── 429                      RateLimited(retry_after)   (account limit, exports' limit, TooManyJobs)
    ├── 5xx, 409, no response    RetryableError
    ├── 404                      FatalApiError        (wrong subdomain or base_url, or a missing record)
    └── other 4xx (400, 422)     FatalApiError        (``error_code`` names Zendesk's ``error``)

Zendesk's error bodies are ``{"error": "RecordInvalid", "description": ..., "details":
{field: [{"description": ...}]}}`` or, for refused credentials, ``{"error": "Couldn't
authenticate you"}``; the message keeps the description and the first details.

``record_failure(result)`` reads one failed entry of a job's ``results``: its code,
message, and whether trying again later may succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.failures import no_answer, untrusted_certificate
from connectors.http import parse_retry_after
from core.errors import AuthError, ConnectorError, FatalApiError, RateLimited, RetryableError
from core.logs import redact_text

__all__ = ["RETRYABLE_RECORD_ERRORS", "map_error", "record_failure"]

RETRYABLE_RECORD_ERRORS = frozenset({"TooManyRequests", "Conflict", "TemporaryFailure", "InternalError", "Timeout"})

_SOURCE = requests.Response | requests.RequestException


def _parts(source: _SOURCE) -> tuple[int | None, Any, Mapping[str, str]]:
    """Return (status, decoded body, headers) of whatever failed."""
    if isinstance(source, requests.Response):
        try:
            body: Any = source.json()
        except ValueError:
            body = source.text
        return source.status_code, body, source.headers
    response = source.response
    if response is not None:
        return _parts(response)
    return None, no_answer(source), {}


def _details(details: Any) -> str:
    if not isinstance(details, Mapping):
        return ""
    lines = []
    for field, problems in details.items():
        first = problems[0] if isinstance(problems, list) and problems else problems
        text = first.get("description") if isinstance(first, Mapping) else first
        lines.append(f"{field}: {text}")
    return "; ".join(lines[:3])


def _code_and_message(body: Any) -> tuple[str | None, str]:
    """Read Zendesk's error body: ``error`` (a code or, for 401, a sentence), ``description``, ``details``."""
    if isinstance(body, Mapping):
        code = body.get("error")
        if isinstance(code, Mapping):  # some endpoints nest {"error": {"title", "message"}}
            return str(code.get("title") or ""), str(code.get("message") or "")
        description = str(body.get("description") or "")
        details = _details(body.get("details"))
        return (str(code) if code else None), "; ".join(p for p in (description, details) if p)
    return None, redact_text(str(body))[:300]


def map_error(
    source: _SOURCE,
    *,
    system: str,
    stream: str | None = None,
    operation: str | None = None,
) -> ConnectorError:
    """Turn a Zendesk failure into the Contactpoint error that says what to do.

    Args:
        source: An HTTP response that failed, or a requests exception.
        system: Configured system name (context for logs and reports).
        stream: The stream being read or written, when there is one.
        operation: What was being done (``users export``, ``update_many``...).

    Returns:
        The error to raise; ``context['error_code']`` holds Zendesk's ``error``.
    """
    status, body, headers = _parts(source)
    code, message = _code_and_message(body)
    ctx: dict[str, Any] = {"system": system, "stream": stream, "status": status, "error_code": code}
    ctx["operation"] = operation
    said = ": ".join(p for p in (code, message) if p)
    text = f"Zendesk {operation or 'call'} failed ({status or 'no response'}){': ' + said if said else ''}"
    if status is None:
        untrusted = untrusted_certificate(source, system=system) if isinstance(source, Exception) else None
        if untrusted is not None:
            return untrusted
        return RetryableError(text, hint="check the network path to the Zendesk account", **ctx)
    return _by_status(status, text, headers=headers, ctx=ctx)


def _by_status(status: int, text: str, *, headers: Mapping[str, str], ctx: dict[str, Any]) -> ConnectorError:
    if status == 401:
        hint = ("check auth in contactpoint.yaml: the email and API token (and that token access is on under "
                "Admin Center > Apps and integrations > Zendesk API), or the OAuth token")  # fmt: skip
        return AuthError(text, hint=hint, **ctx)
    if status == 403:
        return AuthError(text, hint="sign in as an admin: incremental exports and bulk user writes need one", **ctx)
    if status == 429:
        wait = parse_retry_after(headers.get("Retry-After"))
        return RateLimited(text, retry_after=wait, hint="Zendesk asked to slow down; run again after the wait", **ctx)
    if status >= 500 or status == 409:
        return RetryableError(text, hint="Zendesk had a transient failure; run again", **ctx)
    if status == 404:
        hint = "check subdomain or base_url in contactpoint.yaml: it must be the account's own address"
        return FatalApiError(text, hint=hint, **ctx)
    return FatalApiError(text, hint="see Zendesk's error above; the request needs fixing", **ctx)


def record_failure(result: Mapping[str, Any]) -> tuple[str, str, bool]:
    """Return (code, message, retryable) of one failed job result."""
    code = str(result.get("error") or "UNKNOWN_ERROR")
    message = str(result.get("details") or result.get("message") or "Zendesk reported a failure without details")
    return code, message, code in RETRYABLE_RECORD_ERRORS
