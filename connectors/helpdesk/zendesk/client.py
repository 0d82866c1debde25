"""The only code that talks to Zendesk: the Support API over the metered session.

    ZendeskClient
    ├── me()                                  who the credentials are (role: the exports need an admin)
    ├── cursor_export(stream, start|cursor)   /api/v2/incremental/{users|tickets}/cursor.json, one page
    ├── time_export(stream, start_time)       /api/v2/incremental/organizations.json, one page
    ├── update_many(users)                    PUT /api/v2/users/update_many.json       -> job_status
    ├── create_or_update_many(users)          POST /api/v2/users/create_or_update_many.json -> job_status
    ├── job_statuses(ids)                     GET /api/v2/job_statuses/show_many.json (up to 100)
    └── user_fields(), create_user_field()    /api/v2/user_fields.json

Pacing: the incremental exports get their own ``connectors.http.RequestPacer``
(``exports_per_minute``, 10 by default as Zendesk allows); every request may be paced to
``requests_per_minute``.
The rate-limit headers of each answer are read: ``X-Rate-Limit``/``-Remaining`` (the
account's minute) and ``Zendesk-RateLimit-incremental-exports`` (``total=10;
remaining=0; resets=52``); a spent budget holds the matching requests back until it
resets, so the next call is not a wasted 429.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import structlog

from connectors.helpdesk.zendesk.auth import request_auth
from connectors.helpdesk.zendesk.config import ZendeskConfig
from connectors.helpdesk.zendesk.errors import map_error
from connectors.http import MeteredSession, RequestPacer, WindowLimit
from core.errors import FatalApiError

__all__ = ["EXPORTS_HEADER", "RateLimitState", "ZendeskClient", "parse_budget_header"]

log = structlog.get_logger(__name__)

EXPORTS_HEADER = "Zendesk-RateLimit-incremental-exports"
_BUDGET = re.compile(r"(total|remaining|resets)\s*=\s*(\d+)")
_UNLIMITED = 1_000_000


def parse_budget_header(value: str | None) -> dict[str, int]:
    """Read ``total=10; remaining=9; resets=52`` (an endpoint budget header) into a dict."""
    return {key: int(number) for key, number in _BUDGET.findall(value or "")}


def _is_export(method: str, url: str) -> bool:
    return "/api/v2/incremental/" in url


@dataclass
class RateLimitState:
    """The last rate-limit figures Zendesk sent: the account's minute and the exports' minute."""

    limit: int | None = None
    remaining: int | None = None
    exports_total: int | None = None
    exports_remaining: int | None = None


class ZendeskClient:
    """Zendesk Support calls with pacing, rate-limit headers and error mapping."""

    def __init__(
        self,
        config: ZendeskConfig,
        *,
        system: str,
        session: MeteredSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.system = system
        self.session = session
        self.base = f"{config.api_url}/api/v2/"
        self.rate = RateLimitState()
        self._user_fields: list[dict[str, Any]] | None = None
        session.auth = request_auth(config)
        exports = [WindowLimit(config.exports_per_minute, 60.0)]
        self._exports = RequestPacer(
            name="zendesk incremental exports", limits=exports, applies=_is_export, clock=clock
        )
        every = [WindowLimit(config.requests_per_minute or _UNLIMITED, 60.0)]  # unlimited: only the headers hold it
        self._account = RequestPacer(name="zendesk requests", limits=every, clock=clock)
        session.pacers.extend([self._exports, self._account])
        session.observers.append(self._observe)

    def _observe(self, response: requests.Response) -> None:
        headers = response.headers
        if "X-Rate-Limit" in headers:
            self.rate.limit = int(headers["X-Rate-Limit"])
            self.rate.remaining = int(headers.get("X-Rate-Limit-Remaining", 0))
            if self.rate.remaining == 0:
                self._account.hold(float(headers.get("ratelimit-reset", 60)))
        budget = parse_budget_header(headers.get(EXPORTS_HEADER))
        if budget:
            self.rate.exports_total = budget.get("total")
            self.rate.exports_remaining = budget.get("remaining")
            if budget.get("remaining") == 0:
                self._exports.hold(float(budget.get("resets", 60)))

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        stream: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        """Send one request under ``/api/v2/`` (or to an absolute URL); return its JSON body.

        Raises:
            ConnectorError: The mapped failure (AuthError, RateLimited, FatalApiError...).
        """
        url = path if path.startswith("https://") or path.startswith("http://") else self.base + path
        try:
            response = self.session.request(method, url, params=params, json=json)
        except requests.RequestException as err:
            raise map_error(err, system=self.system, stream=stream, operation=operation) from None
        if response.status_code >= 300:
            raise map_error(response, system=self.system, stream=stream, operation=operation)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            msg = f"Zendesk {operation} answered {response.status_code} with a body that is not a JSON object"
            raise FatalApiError(msg, hint="check base_url points at a Zendesk account", system=self.system)
        return body

    # -- reads ---------------------------------------------------------------------------------

    def me(self) -> dict[str, Any]:
        """Return the user the credentials belong to (``GET users/me``)."""
        return dict(self.call("GET", "users/me.json", operation="users/me").get("user") or {})

    def cursor_export(
        self,
        stream: str,
        *,
        start_time: int | None = None,
        cursor: str | None = None,
        include: str | None = None,
        per_page: int | None = None,
    ) -> dict[str, Any]:
        """Return one page of a cursor-based incremental export (give ``start_time`` first, ``cursor`` after)."""
        params: dict[str, Any] = {"per_page": per_page or self.config.page_size}
        params |= {"cursor": cursor} if cursor is not None else {"start_time": start_time}
        if include:
            params["include"] = include
        path = f"incremental/{stream}/cursor.json"
        return self.call("GET", path, operation=f"{stream} export", stream=stream, params=params)

    def time_export(self, stream: str, *, start_time: int, per_page: int | None = None) -> dict[str, Any]:
        """Return one page of a time-based incremental export from ``start_time`` (inclusive)."""
        params = {"start_time": start_time, "per_page": per_page or self.config.page_size}
        path = f"incremental/{stream}.json"
        return self.call("GET", path, operation=f"{stream} export", stream=stream, params=params)

    def user_fields(self, *, refresh: bool = False) -> list[dict[str, Any]]:
        """Return every custom user field definition (cursor pagination, 100 a page), read once per client.

        Fields this client creates are added to what it read; ``refresh`` reads them again.
        """
        if self._user_fields is None or refresh:
            self._user_fields = list(self._pages("user_fields.json", key="user_fields", operation="user_fields"))
        return list(self._user_fields)

    def _pages(self, path: str, *, key: str, operation: str) -> Iterator[dict[str, Any]]:
        page: dict[str, Any] = self.call("GET", path, operation=operation, params={"page[size]": 100})
        yield from page.get(key) or []
        while (page.get("meta") or {}).get("has_more") and (page.get("links") or {}).get("next"):
            page = self.call("GET", str(page["links"]["next"]), operation=operation)
            yield from page.get(key) or []

    # -- writes --------------------------------------------------------------------------------

    def create_user_field(self, field: Mapping[str, Any]) -> dict[str, Any]:
        """Create a custom user field; return Zendesk's definition of it."""
        body = self.call("POST", "user_fields.json", operation="create user_field", json={"user_field": dict(field)})
        created = dict(body.get("user_field") or {})
        if self._user_fields is not None:
            self._user_fields.append(created)
        return created

    def update_many(self, users: list[dict[str, Any]]) -> dict[str, Any]:
        """Queue a bulk update of up to 100 users (each with its ``id``); return the ``job_status``."""
        body = self.call(
            "PUT", "users/update_many.json", operation="update_many", stream="users", json={"users": users}
        )
        return dict(body.get("job_status") or {})

    def create_or_update_many(self, users: list[dict[str, Any]]) -> dict[str, Any]:
        """Queue a create-or-update of up to 100 users (found by email or external_id); return the ``job_status``."""
        body = self.call(
            "POST", "users/create_or_update_many.json", operation="create_or_update_many", stream="users",
            json={"users": users},
        )  # fmt: skip
        return dict(body.get("job_status") or {})

    def job_statuses(self, ids: list[str]) -> list[dict[str, Any]]:
        """Return the statuses of up to 100 jobs (one request)."""
        body = self.call("GET", "job_statuses/show_many.json", operation="job_statuses", params={"ids": ",".join(ids)})
        return [dict(j) for j in body.get("job_statuses") or []]
