"""The HubSpot sandbox: routing, authentication, rate limits and faults around the APIs.

Order of checks for an API request: a queued 429/503 fault; the bearer token (401);
the rate limits (429, see ``control``); then the resource. Every answer to an
authenticated request other than a search carries ``X-HubSpot-RateLimit-*`` headers
(the daily ones for a private app's token only), as HubSpot's do.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from sandbox.common.http import Request, Response
from sandbox.common.registry import SandboxOptions
from sandbox.hubspot.association_batches import association_batch
from sandbox.hubspot.associations import associations_v4
from sandbox.hubspot.auth import Credentials, TokenStore, make_credentials, oauth_token, token_info, unauthorised
from sandbox.hubspot.control import HubSpotControl, RateLimits
from sandbox.hubspot.data import seed_portal
from sandbox.hubspot.events import events_api
from sandbox.hubspot.objects import ObjectsApi
from sandbox.hubspot.pipelines import pipelines_api
from sandbox.hubspot.portal import PORTAL_ID, Portal
from sandbox.hubspot.prefs import preferences_api
from sandbox.hubspot.properties import properties_api
from sandbox.hubspot.schema import object_type
from sandbox.hubspot.search import search
from sandbox.hubspot.settings import connector_settings
from sandbox.hubspot.wire import Category, error, iso, rate_limit_error

__all__ = ["HubSpotSandbox", "build"]

_POLICY_MESSAGES = {
    "TEN_SECONDLY_ROLLING": "You have reached your ten_secondly_rolling limit.",
    "SECONDLY": "You have reached your secondly limit.",
    "DAILY": "You have reached your daily limit.",
}


class HubSpotSandbox:
    """A HubSpot portal on loopback: CRM objects, pipelines, search, properties, subscriptions, email events, OAuth."""

    def __init__(self, *, base_url: str, state_dir: Path, options: SandboxOptions) -> None:
        self.base_url = base_url
        self.portal = Portal()
        seed_portal(self.portal, records=options.records, seed=options.seed, today=options.today)
        self.creds: Credentials = make_credentials()
        self.tokens = TokenStore(self.creds)
        self.control = HubSpotControl(self.portal, self.tokens, RateLimits(daily=options.api_limit))
        self.objects = ObjectsApi(self.portal, self.control.failing, base_url=base_url)

    def credentials(self) -> dict[str, str]:
        """What the sandbox accepts; see docs/sandbox.md for which client argument takes which."""
        return {
            "base_url": self.base_url,
            "private_app_token": self.creds.private_app_token,
            "client_id": self.creds.client_id,
            "client_secret": self.creds.client_secret,
            "refresh_token": self.creds.refresh_token,
            "authorization_code": self.creds.authorization_code,
            "redirect_uri": self.creds.redirect_uri,
            "token_url": f"{self.base_url}/oauth/v1/token",
            "portal_id": str(PORTAL_ID),
        }

    def connector_settings(self, running: Any) -> dict[str, Any]:
        """HubSpot connector settings for this sandbox: the private app token (see ``settings``)."""
        return connector_settings(running, auth="private_app")

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        self.control.requests.record(request.method, request.path)
        fault = self.control.transient.take()
        if fault is not None:
            status, retry_after = fault
            if status == 429:
                return rate_limit_error(
                    "TEN_SECONDLY_ROLLING", _POLICY_MESSAGES["TEN_SECONDLY_ROLLING"], retry_after=retry_after
                )
            return error(503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable; retry later",
                         headers={"Retry-After": str(retry_after)})  # fmt: skip
        parts = [p for p in request.path.split("/") if p]
        if parts[:2] == ["oauth", "v1"]:
            return self._oauth(request, parts[2:])
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        kind = self.tokens.check(token.strip()) if scheme.lower() == "bearer" else None
        if kind not in {"private_app", "oauth"}:
            return unauthorised(kind)
        is_search = len(parts) == 5 and parts[:3] == ["crm", "v3", "objects"] and parts[4] == "search"
        refused = self._throttle(is_search=is_search)
        if refused is not None:
            return refused
        response = self._route(request, parts)
        if not is_search:
            response.headers.update(self.control.limits.headers(daily=kind == "private_app"))
        return response

    def _throttle(self, *, is_search: bool) -> Response | None:
        if is_search and self.control.search_faults.take() is not None:
            return rate_limit_error("SECONDLY", _POLICY_MESSAGES["SECONDLY"], retry_after=1)
        refused = self.control.limits.take(search=is_search)
        if refused is None:
            return None
        policy, wait = refused
        return rate_limit_error(policy, _POLICY_MESSAGES[policy], retry_after=max(1, math.ceil(wait)))

    def _oauth(self, request: Request, rest: list[str]) -> Response:
        if rest == ["token"] and request.method == "POST":
            return oauth_token(request, self.tokens)
        if len(rest) == 2 and rest[0] == "access-tokens" and request.method == "GET":
            return token_info(rest[1], self.tokens)
        return error(404, Category.OBJECT_NOT_FOUND, "resource not found")

    def _route(self, request: Request, parts: list[str]) -> Response:
        if parts[:2] == ["crm", "v3"] and len(parts) >= 4 and parts[2] in {"objects", "properties", "pipelines"}:
            return self._crm_v3(request, parts)
        if parts[:3] == ["crm", "v4", "associations"] and len(parts) >= 7 and parts[5] == "batch":
            return association_batch(self.portal, request, (unquote(parts[3]), unquote(parts[4])), parts[6:])
        if parts[:3] == ["crm", "v4", "objects"] and len(parts) >= 4:
            obj = object_type(parts[3])
            if obj is None:
                return error(400, Category.VALIDATION_ERROR, f"Unable to infer object type from: {parts[3]}")
            return associations_v4(self.portal, request, obj, parts[4:])
        if parts[:1] == ["communication-preferences"]:
            return preferences_api(self.portal, request, parts[1:])
        if parts[:4] == ["email", "public", "v1", "events"]:
            return events_api(self.portal, request, parts[4:])
        if parts[:2] == ["account-info", "v3"] and request.method == "GET":
            return self._account(parts[2:])
        return error(404, Category.OBJECT_NOT_FOUND, "resource not found")

    def _crm_v3(self, request: Request, parts: list[str]) -> Response:
        obj = object_type(parts[3])
        if obj is None:
            return error(400, Category.VALIDATION_ERROR, f"Unable to infer object type from: {parts[3]}")
        if parts[2] == "properties":
            return properties_api(self.portal, request, obj, parts[4:])
        if parts[2] == "pipelines":
            return pipelines_api(request, obj, parts[4:])
        if parts[4:] == ["search"] and request.method == "POST":
            return search(self.portal, obj, request, ceiling=self.control.search_ceiling)
        return self.objects.handle(request, obj, parts[4:])

    def _account(self, rest: list[str]) -> Response:
        if rest == ["details"]:
            return Response.json(200, {"portalId": PORTAL_ID, "accountType": "STANDARD", "timeZone": "US/Eastern",
                                       "companyCurrency": "USD", "additionalCurrencies": [], "utcOffset": "-05:00",
                                       "utcOffsetMilliseconds": -18_000_000, "uiDomain": "app.hubspot.com",
                                       "dataHostingLocation": "na1"})  # fmt: skip
        if rest == ["api-usage", "daily", "private-apps"]:
            now = datetime.now(UTC)
            midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
            usage = {"name": "private-apps-api-calls-daily", "usageLimit": self.control.limits.daily_limit,
                     "currentUsage": self.control.limits.daily_used, "collectedAt": iso(now), "fetchStatus": "SUCCESS",
                     "resetsAt": iso(midnight)}  # fmt: skip
            return Response.json(200, {"results": [usage]})
        return error(404, Category.OBJECT_NOT_FOUND, "resource not found")


def build(*, base_url: str, state_dir: Path, options: SandboxOptions) -> HubSpotSandbox:
    """Build the HubSpot sandbox answering at ``base_url`` (the ``SandboxBuilder`` of ``hubspot``)."""
    return HubSpotSandbox(base_url=base_url, state_dir=state_dir, options=options)
