"""Salesforce failures, turned into Contactpoint's error tree in one place.

    map_error(source)            SalesforceError | requests.Response | RequestException
    ├── 400 invalid_grant / 401  AuthError            (INVALID_SESSION_ID: the client renews once)
    ├── 403 REQUEST_LIMIT_EXCEEDED (TotalRequests)    BudgetExhaustedError
    ├── 403 REQUEST_LIMIT_EXCEEDED (concurrency)      RateLimited
    ├── 403 other                AuthError            (permissions, API disabled)
    ├── 429                      RateLimited(retry_after)
    ├── 5xx, connection errors   RetryableError
    └── other 4xx (400, 404, 414) FatalApiError       (``error_code`` names Salesforce's code)

``record_failure(errors)`` reads the per-record ``errors`` list of sObject
Collections and Bulk results: the first error's code and message, and whether
trying again later may succeed (a locked row, a timeout).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import requests
from simple_salesforce.exceptions import SalesforceError

from connectors.failures import failed_text, no_answer, untrusted_certificate
from connectors.http import parse_retry_after
from core.errors import (
    AuthError,
    BudgetExhaustedError,
    ConnectorError,
    FatalApiError,
    RateLimited,
    RetryableError,
)
from core.logs import redact_text

__all__ = ["RETRYABLE_RECORD_CODES", "SESSION_EXPIRED", "map_error", "record_failure"]

SESSION_EXPIRED = "INVALID_SESSION_ID"
RETRYABLE_RECORD_CODES = frozenset({"UNABLE_TO_LOCK_ROW", "REQUEST_RUNNING_TOO_LONG", "SERVER_UNAVAILABLE"})

_SOURCE = SalesforceError | requests.Response | requests.RequestException


def _parts(source: _SOURCE) -> tuple[int | None, Any, Mapping[str, str]]:
    """Return (status, decoded body, headers) of whatever failed."""
    if isinstance(source, requests.Response):
        try:
            body: Any = source.json()
        except ValueError:
            body = source.text
        return source.status_code, body, source.headers
    if isinstance(source, SalesforceError):
        return int(source.status), source.content, {}
    response = source.response
    if response is not None:
        return _parts(response)
    return None, no_answer(source), {}


def _code_and_message(body: Any) -> tuple[str | None, str]:
    """Read Salesforce's error shapes: ``[{errorCode, message}]`` or OAuth's ``{error, error_description}``."""
    if isinstance(body, list) and body and isinstance(body[0], Mapping):
        first = body[0]
        return first.get("errorCode"), str(first.get("message", ""))
    if isinstance(body, Mapping):
        if "error" in body:
            return str(body["error"]), str(body.get("error_description", ""))
        if "errorCode" in body:
            return str(body["errorCode"]), str(body.get("message", ""))
    return None, redact_text(str(body))[:300]


def map_error(
    source: _SOURCE,
    *,
    system: str,
    stream: str | None = None,
    operation: str | None = None,
) -> ConnectorError:
    """Turn a Salesforce failure into the Contactpoint error that says what to do.

    Args:
        source: A simple-salesforce exception, an HTTP response, or a requests exception.
        system: Configured system name (context for logs and reports).
        stream: The sObject being read or written, when there is one.
        operation: What was being done (``query``, ``collections``, ``token``...).

    Returns:
        The error to raise; ``context['error_code']`` holds Salesforce's code.

    """
    status, body, headers = _parts(source)
    code, message = _code_and_message(body)
    ctx: dict[str, Any] = {"system": system, "stream": stream, "status": status, "error_code": code}
    ctx["operation"] = operation
    text = failed_text("Salesforce", operation, status, code, message)
    if status is None:
        untrusted = untrusted_certificate(source, system=system) if isinstance(source, Exception) else None
        if untrusted is not None:
            return untrusted
        return RetryableError(text, hint="check the network path to the Salesforce instance", **ctx)
    return _by_status(status, code, message, text, headers=headers, ctx=ctx)


def _by_status(
    status: int,
    code: str | None,
    message: str,
    text: str,
    *,
    headers: Mapping[str, str],
    ctx: dict[str, Any],
) -> ConnectorError:
    if status == 401 or (status == 400 and code in {"invalid_grant", "invalid_client", "invalid_client_id"}):
        return AuthError(text, hint="check the credentials in contactpoint.yaml and the connected app", **ctx)
    if status == 403 and code == "REQUEST_LIMIT_EXCEEDED":
        if "TotalRequests" in message:
            return BudgetExhaustedError(text, hint="the org's daily API limit is spent; run again tomorrow", **ctx)
        return RateLimited(text, retry_after=60.0, hint="too many concurrent requests", **ctx)
    if status == 403:
        return AuthError(text, hint="give the integration user API access and the needed permissions", **ctx)
    if status == 429:
        wait = parse_retry_after(headers.get("Retry-After"))
        return RateLimited(text, retry_after=wait, hint="Salesforce asked to slow down; run again later", **ctx)
    if status >= 500:
        return RetryableError(text, hint="Salesforce had a transient failure; run again", **ctx)
    return FatalApiError(text, hint="see the Salesforce error code above; the request needs fixing", **ctx)


def record_failure(errors: Sequence[Mapping[str, Any]] | None) -> tuple[str, str, bool]:
    """Return (code, message, retryable) for one record's error list (Collections or Bulk)."""
    if not errors:
        return "UNKNOWN_ERROR", "Salesforce reported a failure without details", False
    first = errors[0]
    code = str(first.get("statusCode") or first.get("errorCode") or "UNKNOWN_ERROR")
    message = str(first.get("message", ""))
    fields = first.get("fields")
    if fields:
        message = f"{message} (fields: {', '.join(map(str, fields))})"
    return code, message, code in RETRYABLE_RECORD_CODES
