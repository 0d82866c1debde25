"""The only code that talks to HubSpot: JSON over the metered session.

    HubSpotClient
    ├── call(method, path)          bearer token (an OAuth token renewed once on 401), budget check,
    │                               errors mapped; 207 multi-status answers are returned, not raised
    ├── search(object, body)        POST /crm/v3/objects/{object}/search, paced to the search rate
    ├── list_archived(object, ...)  GET  /crm/v3/objects/{object}?archived=true
    ├── batch(object, verb, inputs) POST /crm/v3/objects/{object}/batch/{update|upsert}
    ├── statuses(emails, wide=)     POST /communication-preferences/v4/statuses/batch[/unsubscribe-all]/read
    ├── email_events(params)        GET  /email/public/v1/events
    └── properties, groups, create_* /crm/v3/properties/{object}[/groups]

Rate limits are kept on our side by the session's pacers: the search API's own rate
(5 a second), the ten-second window and the secondly limit HubSpot states in
``X-HubSpot-RateLimit-*`` headers (a window said spent holds its pacer). The daily
headers say how much of the portal's limit is used: a call that would pass the
configured share raises ``BudgetExhaustedError`` instead of being sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import requests
import structlog

from connectors.http import MeteredSession, RequestPacer, WindowLimit
from connectors.marketing.hubspot.auth import AccessToken, TokenKeeper, read_token, refresh_form
from connectors.marketing.hubspot.config import HubSpotConfig, OAuthAuth
from connectors.marketing.hubspot.errors import map_error
from core.errors import AuthError, BudgetExhaustedError, ConnectorError, FatalApiError

__all__ = ["HubSpotClient"]

log = structlog.get_logger(__name__)

_H = "X-HubSpot-RateLimit-"
_ARRIVAL_MARGIN = 0.15
"""Seconds added to each paced window, for the spread of network delays between requests."""


def _is_search(method: str, url: str) -> bool:
    return method == "POST" and url.split("?")[0].endswith("/search")


def _is_token(method: str, url: str) -> bool:
    return "/oauth/v1/" in url


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class HubSpotClient:
    """HubSpot's CRM, properties, subscriptions and email events APIs with auth, pacing, budget and errors."""

    def __init__(
        self,
        config: HubSpotConfig,
        *,
        system: str,
        session: MeteredSession,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self.system = system
        self.session = session
        self.base = config.base_url.rstrip("/")
        self.daily: tuple[int, int] | None = None
        """(used, limit) of the portal's daily requests, from the last response that said."""
        self.tokens = TokenKeeper(config, fetch=self._fetch_token, clock=clock)
        self._clock = clock
        general = lambda m, u: not _is_search(m, u) and not _is_token(m, u)  # noqa: E731 - a one-line predicate
        # a little over a second: requests reach HubSpot with uneven delays, and its window counts arrivals
        search = WindowLimit(config.search_requests_per_second, 1.0 + _ARRIVAL_MARGIN)
        self.search_pacer = RequestPacer(name="search", limits=[search], applies=_is_search, clock=clock)
        self.window_pacer = RequestPacer(
            name="ten_secondly", limits=[WindowLimit(100, 10.0)], applies=general, clock=clock
        )
        self.secondly_pacer: RequestPacer | None = None
        self._general = general
        session.pacers.extend([self.search_pacer, self.window_pacer])
        session.observers.append(self._observe)

    # -- limits ---------------------------------------------------------------------------------

    def _observe(self, response: requests.Response) -> None:
        """Read the rate-limit headers of every response: pace the windows, track the daily use."""
        headers = response.headers
        limit, left = _int(headers.get(_H + "Daily")), _int(headers.get(_H + "Daily-Remaining"))
        if limit and left is not None:
            self.daily = (limit - left, limit)
        elif self.daily is not None:  # searches carry no rate-limit headers, yet they count
            self.daily = (self.daily[0] + 1, self.daily[1])
        most, remaining = _int(headers.get(_H + "Max")), _int(headers.get(_H + "Remaining"))
        interval = (_int(headers.get(_H + "Interval-Milliseconds")) or 10_000) / 1000
        if most:
            self.window_pacer.set_limits([WindowLimit(most, interval + _ARRIVAL_MARGIN)])
        if remaining == 0:
            self.window_pacer.hold(interval)
        secondly, secondly_left = _int(headers.get(_H + "Secondly")), _int(headers.get(_H + "Secondly-Remaining"))
        if secondly and self.secondly_pacer is None:
            per_second = WindowLimit(secondly, 1.0 + _ARRIVAL_MARGIN)
            self.secondly_pacer = RequestPacer(
                name="secondly", limits=[per_second], applies=self._general, clock=self._clock
            )
            self.secondly_pacer.record()  # the request that told us counts
            self.session.pacers.append(self.secondly_pacer)
        if secondly_left == 0 and self.secondly_pacer is not None:
            self.secondly_pacer.hold(1.0)

    def _guard(self, operation: str) -> None:
        if self.daily is None:
            return
        used, limit = self.daily
        share = self.config.api_budget_share
        if used + 1 > limit * share:
            msg = f"{used} of {limit} daily API calls used; the budget for this system is {share:.0%} ({operation} not sent)"
            hint = "raise api_budget_share in the system's settings, or run again after the portal's midnight"
            raise BudgetExhaustedError(msg, hint=hint, system=self.system, operation=operation)

    # -- requests -------------------------------------------------------------------------------

    def _fetch_token(self, auth: OAuthAuth) -> AccessToken:
        try:
            url = f"{self.base}/oauth/v1/token"
            response = self.session.request("POST", url, data=refresh_form(auth), repeatable=True)
        except requests.RequestException as err:
            raise map_error(err, system=self.system, operation="token") from None
        if response.status_code in {400, 401, 403}:
            failure = map_error(response, system=self.system, operation="token")
            hint = "check auth.client_id, client_secret and refresh_token; a refresh token dies when the app is uninstalled"
            raise AuthError(failure.message, hint=hint, **failure.context)
        if response.status_code >= 300:
            raise map_error(response, system=self.system, operation="token")
        log.info("hubspot.token_renewed", system=self.system)
        return read_token(response.json(), system=self.system, now=self._clock())

    def call(
        self,
        method: str,
        path: str,
        *,
        operation: str,
        stream: str | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> requests.Response:
        """Send one API request; return a 2xx response (207 included).

        Raises:
            ConnectorError: The mapped failure (AuthError, RateLimited, BudgetExhaustedError, FatalApiError...).
        """
        self._guard(operation)
        for attempt in (1, 2):
            headers = {"Authorization": f"Bearer {self.tokens.current()}"}
            try:
                response = self.session.request(method, self.base + path, params=params, json=json, headers=headers)
            except requests.RequestException as err:
                raise map_error(err, system=self.system, stream=stream, operation=operation) from None
            if response.status_code < 300:
                return response
            failure: ConnectorError = map_error(response, system=self.system, stream=stream, operation=operation)
            if attempt == 1 and response.status_code == 401 and self.tokens.renewable:
                log.info(
                    "hubspot.token_refused",
                    system=self.system,
                    stream=stream,
                    error_code=failure.context.get("error_code"),
                )
                self.tokens.renew()
                continue
            raise failure
        raise AssertionError  # pragma: no cover - the loop returns or raises

    def _json(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        response = self.call(method, path, **kwargs)
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            msg = f"HubSpot answered {path} with something that is not a JSON object"
            raise FatalApiError(msg, hint="check base_url points at HubSpot's API", system=self.system)
        return body

    # -- CRM ------------------------------------------------------------------------------------

    def search(self, obj: str, body: Mapping[str, Any], *, stream: str) -> dict[str, Any]:
        """Run one CRM search request; return the page (``total``, ``results``, ``paging``)."""
        return self._json("POST", f"/crm/v3/objects/{obj}/search", operation="search", stream=stream, json=dict(body))

    def list_archived(self, obj: str, *, after: str | None, properties: Sequence[str], stream: str) -> dict[str, Any]:
        """Return one page (100 records) of archived records, in ID order."""
        params: dict[str, Any] = {"archived": "true", "limit": 100, "properties": ",".join(properties)}
        if after:
            params["after"] = after
        return self._json("GET", f"/crm/v3/objects/{obj}", operation="list_archived", stream=stream, params=params)

    def batch(self, obj: str, verb: str, inputs: list[dict[str, Any]]) -> tuple[int, dict[str, Any]]:
        """Send one batch write (``update`` or ``upsert``, at most 100 inputs); return (status, body).

        Raises:
            ConnectorError: The whole batch was refused (a 400 names the bad values in its message).
        """
        response = self.call("POST", f"/crm/v3/objects/{obj}/batch/{verb}", operation=f"batch_{verb}", stream=obj,
                             json={"inputs": inputs})  # fmt: skip
        body = response.json() if response.content else {}
        return response.status_code, body if isinstance(body, dict) else {}

    def gdpr_delete(self, object_id: str) -> bool:
        """Permanently delete a contact (``POST /crm/v3/objects/contacts/gdpr-delete``); False when HubSpot has none.

        HubSpot deletes the contact with its activity and blocklists its email address.

        Raises:
            ConnectorError: Any other failure.
        """
        try:
            self.call("POST", "/crm/v3/objects/contacts/gdpr-delete", operation="gdpr_delete", stream="contacts",
                      json={"objectId": object_id})  # fmt: skip
        except FatalApiError as err:
            if err.context.get("status") == 404:
                return False
            raise
        return True

    # -- communication preferences and email events --------------------------------------------

    def statuses(self, emails: Sequence[str], *, wide: bool) -> dict[str, Any]:
        """Read subscription statuses (or "unsubscribed from all" statuses) of up to 100 email addresses."""
        kind = "batch/unsubscribe-all/read" if wide else "batch/read"
        return self._json("POST", f"/communication-preferences/v4/statuses/{kind}", operation="statuses",
                          stream="subscriptions", params={"channel": "EMAIL"}, json={"inputs": list(emails)})  # fmt: skip

    def email_events(self, params: Mapping[str, Any]) -> dict[str, Any]:
        """Return one page of email events (``events``, ``hasMore``, ``offset``)."""
        return self._json("GET", "/email/public/v1/events", operation="email_events", stream="email_events",
                          params=dict(params))  # fmt: skip

    # -- properties and account -----------------------------------------------------------------

    def properties(self, obj: str) -> list[dict[str, Any]]:
        """Return the property definitions of an object."""
        return list(self._json("GET", f"/crm/v3/properties/{obj}", operation="properties", stream=obj)["results"])

    def groups(self, obj: str) -> list[dict[str, Any]]:
        """Return the property groups of an object."""
        return list(self._json("GET", f"/crm/v3/properties/{obj}/groups", operation="groups", stream=obj)["results"])

    def create(self, path: str, body: Mapping[str, Any], *, operation: str, stream: str) -> bool:
        """Create a property or group; return False when HubSpot says it exists already (409)."""
        try:
            self.call("POST", path, operation=operation, stream=stream, json=dict(body))
        except FatalApiError as err:
            if err.context.get("status") == 409:
                return False
            raise
        return True

    def account(self) -> dict[str, Any]:
        """Return the portal's details (``portalId``, ``timeZone``, ``dataHostingLocation``...)."""
        return self._json("GET", "/account-info/v3/details", operation="account")

    def daily_usage(self) -> dict[str, Any] | None:
        """Return a private app's daily API usage (``usageLimit``, ``currentUsage``), None for OAuth apps."""
        if isinstance(self.config.auth, OAuthAuth):
            return None
        results = self._json("GET", "/account-info/v3/api-usage/daily/private-apps", operation="api_usage")["results"]
        return dict(results[0]) if results else None
