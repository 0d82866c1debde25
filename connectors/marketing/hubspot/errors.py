"""HubSpot failures, turned into Contactpoint's error tree in one place.

    map_error(source)                   requests.Response | RequestException
    ├── 401 INVALID_AUTHENTICATION      AuthError            (the token is wrong or revoked)
    ├── 401 EXPIRED_AUTHENTICATION      AuthError            (an OAuth token ended: the client renews once)
    ├── 403 MISSING_SCOPES              AuthError            (the app lacks a scope; the message names it)
    ├── 429 policyName DAILY            BudgetExhaustedError (the portal's daily limit is spent)
    ├── 429 other policies              RateLimited(retry_after)
    ├── 5xx, connection errors          RetryableError
    └── other 4xx (400, 404, 409)       FatalApiError        (``error_code`` is HubSpot's category)

``batch_error(entry)`` reads one entry of a batch response's ``errors``: its code
(category, with the sub-category when there is one), message, and whether trying
again later may succeed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.failures import failed_text, no_answer, untrusted_certificate
from connectors.http import parse_retry_after
from core.errors import AuthError, BudgetExhaustedError, ConnectorError, FatalApiError, RateLimited, RetryableError
from core.logs import redact_text

__all__ = ["EXPIRED", "RETRYABLE_CATEGORIES", "batch_error", "map_error"]

EXPIRED = "EXPIRED_AUTHENTICATION"
RETRYABLE_CATEGORIES = frozenset({"RATE_LIMITS", "RATE_LIMIT", "INTERNAL_ERROR", "SERVICE_UNAVAILABLE", "TIMEOUT"})


def _parts(source: requests.Response | requests.RequestException) -> tuple[int | None, Any, Mapping[str, str]]:
    response = source if isinstance(source, requests.Response) else source.response
    if response is None:
        return None, no_answer(source), {}
    try:
        body: Any = response.json()
    except ValueError:
        body = response.text
    return response.status_code, body, response.headers


def _code_and_message(body: Any) -> tuple[str | None, str, str | None]:
    """Read HubSpot's error body: (category or status, message, policyName)."""
    if isinstance(body, Mapping):
        code = body.get("category") or body.get("errorType") or body.get("status")
        return (str(code) if code else None), str(body.get("message", "")), body.get("policyName")
    return None, redact_text(str(body))[:300], None


def _details(body: Any) -> list[Mapping[str, Any]]:
    """The entries of an error's ``errors`` list (one per refused value), those that are objects."""
    details = body.get("errors") if isinstance(body, Mapping) else None
    return [d for d in details if isinstance(d, Mapping)] if isinstance(details, list) else []


def _detail_codes(body: Any) -> list[str] | None:
    """The ``code`` of each entry of an error's ``errors`` list (``INVALID_EMAIL``...), when it has one."""
    return [str(d["code"]) for d in _details(body) if d.get("code")] or None


def _missing_properties(body: Any) -> list[str] | None:
    """The properties a VALIDATION_ERROR says the portal does not have (``PROPERTY_DOESNT_EXIST``)."""
    names = [
        str(name)
        for d in _details(body)
        if d.get("code") == "PROPERTY_DOESNT_EXIST"
        for name in ((d.get("context") or {}).get("propertyName") or [])
    ]
    return names or None


def map_error(
    source: requests.Response | requests.RequestException,
    *,
    system: str,
    stream: str | None = None,
    operation: str | None = None,
) -> ConnectorError:
    """Turn a HubSpot failure into the Contactpoint error that says what to do.

    Args:
        source: The HTTP response, or the requests exception when none came.
        system: Configured system name (context for logs and reports).
        stream: The stream being read or written, when there is one.
        operation: What was being done (``search``, ``batch_update``, ``token``...).

    Returns:
        The error to raise; ``context['error_code']`` holds HubSpot's category.
    """
    status, body, headers = _parts(source)
    code, message, policy = _code_and_message(body)
    ctx: dict[str, Any] = {"system": system, "stream": stream, "status": status, "error_code": code,
                           "operation": operation, "policy": policy, "details": _detail_codes(body),
                           "missing_properties": _missing_properties(body)}  # fmt: skip
    text = failed_text("HubSpot", operation, status, code, message)
    if status is None:
        untrusted = untrusted_certificate(source, system=system) if isinstance(source, Exception) else None
        if untrusted is not None:
            return untrusted
        return RetryableError(text, hint="check the network path to HubSpot (base_url)", **ctx)
    if status == 401:
        hint = "check the access token (or the OAuth app's refresh token) in contactpoint.yaml"
        return AuthError(text, hint=hint, **ctx)
    if status == 403:
        return AuthError(text, hint="give the app the scopes the message names, then install it again", **ctx)
    if status == 429 and policy == "DAILY":
        return BudgetExhaustedError(text, hint="the portal's daily API limit is spent; run again after midnight", **ctx)
    if status == 429:
        wait = parse_retry_after(headers.get("Retry-After"))
        return RateLimited(text, retry_after=wait, hint=f"HubSpot's {policy or 'rate'} limit; run again later", **ctx)
    if status >= 500:
        return RetryableError(text, hint="HubSpot had a transient failure; run again", **ctx)
    return FatalApiError(text, hint="see HubSpot's category and message above; the request needs fixing", **ctx)


def batch_error(entry: Mapping[str, Any]) -> tuple[str, str, bool]:
    """Return (code, message, retryable) for one entry of a batch response's ``errors``."""
    category = str(entry.get("category") or "UNKNOWN_ERROR")
    sub = entry.get("subCategory")
    code = f"{category}:{sub}" if isinstance(sub, str) and sub else category
    message = str(entry.get("message") or "HubSpot reported a failure without details")
    return code, message, category in RETRYABLE_CATEGORIES
