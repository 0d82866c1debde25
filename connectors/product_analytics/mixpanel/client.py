"""The only code that talks to Mixpanel: plain HTTP over the metered session.

Mixpanel publishes no Python client for its read APIs (its library only sends
events and profile updates), so the client speaks HTTP itself::

    MixpanelClient
    ├── export_lines(first, last)   GET {export}/export     JSON lines, streamed (never read whole)
    ├── engage_page(session, page)  POST {query}/engage     one page of profiles and its session_id
    └── engage_update(updates)      POST {ingestion}/engage strict=1: per-update failures or {"status": 1}

The raw export allows 60 queries an hour and 3 a second, the query API 60 an hour:
``connectors.http.RequestPacer`` keeps every call within them before it is sent (each
retry counts), and raises ``RateLimited`` instead of waiting longer than
``max_throttle_wait_seconds``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import requests
import structlog

from connectors.http import MeteredSession, RequestPacer, WindowLimit, url_prefix
from connectors.product_analytics.mixpanel.auth import basic_auth, project_params, project_token
from connectors.product_analytics.mixpanel.config import MixpanelConfig
from connectors.product_analytics.mixpanel.errors import map_error, message_of
from core.errors import FatalApiError

__all__ = ["EngageAnswer", "MixpanelClient"]

log = structlog.get_logger(__name__)

_CHUNK = 64 * 1024


@dataclass(frozen=True)
class EngageAnswer:
    """What /engage said about one request in strict mode.

    Attributes:
        ok: Every update was accepted (``{"status": 1}``).
        failed: Per-update failures by index in the request: (field, message).
        error: Mixpanel's message when the request failed as a whole (a 400 without ``failed_records``).
    """

    ok: bool
    failed: dict[int, tuple[str, str]]
    error: str | None = None


class MixpanelClient:
    """Raw export, engage query and engage updates, throttled, with errors mapped."""

    def __init__(
        self,
        config: MixpanelConfig,
        *,
        system: str,
        session: MeteredSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.system = system
        self.session = session
        self.export_base, self.query_base, self.ingestion_base = config.urls()
        wait = config.max_throttle_wait_seconds
        self.export_throttle = RequestPacer(
            name="mixpanel export",
            limits=[WindowLimit(config.export_per_hour, 3600.0), WindowLimit(config.export_per_second, 1.0)],
            applies=url_prefix(f"{self.export_base}/export"),
            clock=clock,
            max_wait=wait,
        )
        self.query_throttle = RequestPacer(
            name="mixpanel query",
            limits=[WindowLimit(config.query_per_hour, 3600.0)],
            applies=url_prefix(f"{self.query_base}/engage"),
            clock=clock,
            max_wait=wait,
        )
        session.pacers.extend([self.export_throttle, self.query_throttle])

    def _send(self, method: str, url: str, *, operation: str, stream_name: str, **kwargs: Any) -> requests.Response:
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.RequestException as err:
            raise map_error(err, system=self.system, stream=stream_name, operation=operation) from None
        return response

    def export_lines(self, first: date, last: date) -> Generator[bytes, None, None]:
        """Yield the raw export of days ``first``..``last`` (UTC, inclusive) line by line, as it streams in.

        Raises:
            ConnectorError: The export was refused (AuthError, RateLimited, FatalApiError...) or broke off.
        """
        params: dict[str, str] = {"from_date": first.isoformat(), "to_date": last.isoformat(), "time_in_ms": "true"}
        if self.config.events:
            params["event"] = json.dumps(self.config.events)
        response = self._send(
            "GET",
            f"{self.export_base}/export",
            operation="export",
            stream_name="events",
            params=project_params(self.config) | params,
            auth=basic_auth(self.config),
            headers={"Accept": "text/plain", "Accept-Encoding": "gzip"},
            stream=True,
        )
        try:
            if response.status_code != 200:
                raise map_error(response, system=self.system, stream="events", operation="export")
            yield from response.iter_lines(chunk_size=_CHUNK)
        except requests.RequestException as err:  # the stream broke off mid-way
            raise map_error(err, system=self.system, stream="events", operation="export") from None
        finally:
            response.close()

    def engage_page(self, *, session_id: str | None, page: int, where: str | None = None) -> dict[str, Any]:
        """Return one page of the engage profile query (``results``, ``session_id``, ``page_size``, ``total``).

        Raises:
            ConnectorError: The query was refused; an expired session is a ``FatalApiError`` with status 400.
        """
        form: dict[str, str] = {"page": str(page)}
        if session_id:
            form["session_id"] = session_id
        if where:
            form["where"] = where
        response = self._send(
            "POST",
            f"{self.query_base}/engage",
            operation="engage_query",
            stream_name="profiles",
            params=project_params(self.config),
            data=form,
            auth=basic_auth(self.config),
        )
        if response.status_code != 200:
            raise map_error(response, system=self.system, stream="profiles", operation="engage_query")
        body = response.json()
        if not isinstance(body, dict) or not isinstance(body.get("results"), list):
            msg = f"the engage query answered {_shape(body)}, not a page of results (a 'results' list)"
            raise FatalApiError(msg, hint="check query_url points at Mixpanel's query API", system=self.system)
        return body

    def _gdpr(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        """One GDPR API request: the GDPR token (Bearer) when configured, else the service account."""
        token = self.config.gdpr_token
        auth: dict[str, Any] = (
            {"headers": {"Authorization": f"Bearer {token.get_secret_value()}"}}
            if token is not None else {"auth": basic_auth(self.config)}
        )  # fmt: skip
        params = {"token": project_token(self.config, system=self.system)}
        url = f"{self.config.gdpr_base()}/data-deletions/v3.0{path}"
        response = self._send(method, url, operation="gdpr_deletion", stream_name="profiles", params=params,
                              **auth, **kwargs)  # fmt: skip
        if response.status_code != 200:
            raise map_error(response, system=self.system, stream="profiles", operation="gdpr_deletion")
        body = response.json()
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, dict):
            msg = f"the GDPR API answered {_shape(body)}, not a task (a 'results' object)"
            raise FatalApiError(
                msg, hint="check gdpr_url points at Mixpanel's GDPR API (…/api/app)", system=self.system
            )
        return results

    def create_deletion(self, distinct_ids: Sequence[str]) -> str:
        """Ask Mixpanel to delete every event and the profile of these distinct IDs (GDPR); return the task ID."""
        body = {"distinct_ids": list(distinct_ids), "compliance_type": "GDPR"}
        return str(self._gdpr("POST", "", json=body)["task_id"])

    def deletion_status(self, task_id: str) -> str:
        """Return a deletion task's status: PENDING, STAGING, STARTED, SUCCESS or FAILURE."""
        return str(self._gdpr("GET", f"/{task_id}").get("status", "")).upper()

    def engage_update(self, updates: Sequence[dict[str, Any]]) -> EngageAnswer:
        """Send profile updates to /engage in strict mode; return what Mixpanel said of each.

        Raises:
            ConnectorError: The request failed as a whole for a reason other than
                validation (AuthError, RateLimited, RetryableError, FatalApiError 413...).
        """
        response = self._send(
            "POST",
            f"{self.ingestion_base}/engage",
            operation="engage",
            stream_name="profiles",
            params={"strict": "1", "verbose": "1", "ip": "0"},
            data=json.dumps(list(updates), separators=(",", ":")).encode("utf-8"),
            headers={"Content-Type": "application/json", "Accept": "application/json"},
        )
        if response.status_code == 200:
            return _read_success(response)
        if response.status_code == 400:
            return _read_failures(response)
        raise map_error(response, system=self.system, stream="profiles", operation="engage")


def _read_success(response: requests.Response) -> EngageAnswer:
    try:
        body = response.json()
    except ValueError:
        body = response.text.strip()
    status = body.get("status") if isinstance(body, dict) else body
    if str(status) == "1":
        return EngageAnswer(ok=True, failed={})
    error = body.get("error") if isinstance(body, dict) else None
    return EngageAnswer(ok=False, failed={}, error=str(error or f"Mixpanel answered status {status!r}"))


def _read_failures(response: requests.Response) -> EngageAnswer:
    try:
        body = response.json()
    except ValueError:
        body = None
    records = body.get("failed_records") if isinstance(body, dict) else None
    if not isinstance(records, list):
        return EngageAnswer(ok=False, failed={}, error=message_of(response))
    failed: dict[int, tuple[str, str]] = {}
    for record in records:
        if isinstance(record, dict) and isinstance(record.get("index"), int | float):
            failed[int(record["index"])] = (str(record.get("field") or ""), str(record.get("message") or "invalid"))
    return EngageAnswer(ok=False, failed=failed)


def _shape(body: Any) -> str:
    """What a JSON answer is, by its shape only: its values may be people's (a profile's email, name, phone)."""
    if isinstance(body, dict):
        keys = ", ".join(repr(key) for key in list(body)[:10])
        return f"a JSON object with keys {keys}" if body else "an empty JSON object"
    if isinstance(body, list):
        return f"a JSON list of {len(body)} items"
    return f"a JSON {type(body).__name__}"
