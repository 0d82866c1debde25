"""Mixpanel failures, turned into Contactpoint's error tree in one place.

    map_error(source)               requests.Response | RequestException
    ├── 401                         AuthError            (credentials refused)
    ├── 403                         AuthError            (no access to the project)
    ├── 429                         RateLimited(retry_after)
    ├── 5xx, connection errors      RetryableError
    ├── 413                         FatalApiError        (``error_code`` TOO_LARGE: send less at once)
    └── other 4xx (400, 404)        FatalApiError        (a wrong parameter; the message says which)

Mixpanel words its errors three ways (``{"request", "error"}`` from the query APIs,
``{"error", "status": 0}`` from ingestion, ``{"code", "error", "status"}`` from
/import); ``message_of`` reads all of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import requests

from connectors.failures import no_answer, untrusted_certificate
from connectors.http import parse_retry_after
from core.errors import AuthError, ConnectorError, FatalApiError, RateLimited, RetryableError
from core.logs import redact_text

__all__ = ["TOO_LARGE", "map_error", "message_of"]

TOO_LARGE = "TOO_LARGE"


def message_of(response: requests.Response) -> str:
    """Return Mixpanel's error message from a response body (JSON ``error``, else the text)."""
    try:
        body: Any = response.json()
    except ValueError:
        return redact_text(response.text)[:300]
    if isinstance(body, Mapping) and body.get("error"):
        return str(body["error"])[:500]
    return redact_text(str(body))[:300]


def map_error(
    source: requests.Response | requests.RequestException,
    *,
    system: str,
    stream: str | None = None,
    operation: str | None = None,
) -> ConnectorError:
    """Turn a Mixpanel failure into the Contactpoint error that says what to do.

    Args:
        source: An HTTP response that failed, or a requests exception.
        system: Configured system name (context for logs and reports).
        stream: The stream being read or written, when there is one.
        operation: What was being done (``export``, ``engage_query``, ``engage``).

    Returns:
        The error to raise; ``context['status']`` holds the HTTP status.
    """
    response = source if isinstance(source, requests.Response) else source.response
    ctx: dict[str, Any] = {"system": system, "stream": stream, "operation": operation}
    if response is None:
        untrusted = untrusted_certificate(source, system=system) if isinstance(source, Exception) else None
        if untrusted is not None:
            return untrusted
        text = f"Mixpanel {operation or 'call'} failed before an answer: {no_answer(source)}"
        return RetryableError(text, hint="check the network path to Mixpanel, then run again", **ctx)
    status = response.status_code
    text = f"Mixpanel {operation or 'call'} failed ({status}): {message_of(response)}"
    ctx["status"] = status
    if status == 401:
        hint = "check the service account username and secret (or the project secret) in contactpoint.yaml"
        return AuthError(text, hint=hint, **ctx)
    if status == 403:
        hint = "give the service account a role in the project, and check project_id"
        return AuthError(text, hint=hint, **ctx)
    if status == 429:
        wait = parse_retry_after(response.headers.get("Retry-After"))
        hint = "Mixpanel's rate limit is reached; the next run resumes from the saved cursor"
        return RateLimited(text, retry_after=wait, hint=hint, **ctx)
    if status >= 500:
        return RetryableError(text, hint="Mixpanel had a transient failure; run again", **ctx)
    if status == 413:
        return FatalApiError(text, hint="send fewer records per request", error_code=TOO_LARGE, **ctx)
    return FatalApiError(text, hint="the request needs fixing; Mixpanel's message above names the parameter", **ctx)
