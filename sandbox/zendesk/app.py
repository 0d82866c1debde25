"""The Zendesk sandbox: routing, authentication, rate limits and faults around the APIs.

Order of checks for a request under ``/api/v2/``: a queued 429/503 fault; the
credentials (HTTP Basic ``{email}/token:{api_token}`` or ``Authorization: Bearer
{oauth_token}``; refused ones are 401 ``{"error": "Couldn't authenticate you"}``, and no
credentials at all read ``users/me`` as the anonymous user); the account's requests a
minute; the incremental exports' (and ``search/export``'s) own requests a minute; what
the signed-in user may do; then the resource.

As in Zendesk, the API token is not tied to one user: it signs in with the email of the
admin or of any other verified, active user ("You can use the token with the email address
of any admin, agent, or other valid user", developer.zendesk.com, "Using the API when SSO or
two-factor authentication is enabled"). An end user signed in so may read ``users/me`` and
rate a ticket they requested (``POST tickets/{id}/satisfaction_rating``, "Allowed for: End
user who requested the ticket"); anything else is 403 ``Forbidden``. Agents and the admin
may use every endpoint; the OAuth token is the admin's.

Every API answer carries Zendesk's rate-limit headers (``X-Rate-Limit``,
``X-Rate-Limit-Remaining``, ``ratelimit-limit``, ``ratelimit-remaining``,
``ratelimit-reset``); an incremental export also carries
``Zendesk-RateLimit-incremental-exports: total=10; remaining=9; resets=52``.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from pathlib import Path
from typing import Any, Literal

from sandbox.common.http import Request, Response
from sandbox.common.registry import SandboxOptions
from sandbox.zendesk.account import ADMIN_USER_ID, Account, Kind, Record
from sandbox.zendesk.control import DEFAULT_ACCOUNT_LIMIT, Window, ZendeskControl
from sandbox.zendesk.exports import cursor_export, time_export
from sandbox.zendesk.groups import GroupsApi, serves
from sandbox.zendesk.jobs import Jobs
from sandbox.zendesk.resources import Resources
from sandbox.zendesk.searchexport import search_count, search_export
from sandbox.zendesk.seed import ADMIN_EMAIL, seed_account
from sandbox.zendesk.users import UsersApi
from sandbox.zendesk.wire import ErrorCode, error, forbidden, no_endpoint, segments

__all__ = ["EXPORT_HEADER", "ZendeskSandbox", "build"]

EXPORT_HEADER = "Zendesk-RateLimit-incremental-exports"
_ANONYMOUS: dict[str, Any] = {"id": None, "url": None, "name": "Anonymous user", "email": "invalid@example.com", "role": "end-user",
              "active": True, "verified": False, "locale": "en-US", "time_zone": "London", "user_fields": {}}  # fmt: skip


class ZendeskSandbox:
    """A Zendesk Support account on loopback: users, organizations, tickets, exports, bulk jobs."""

    def __init__(self, *, base_url: str, state_dir: Path, options: SandboxOptions) -> None:
        self.base_url = base_url
        self.account = Account()
        seed_account(self.account, records=options.records, seed=options.seed)
        self.jobs = Jobs()
        self.control = ZendeskControl(self.account, self.jobs)
        self.control.set_limits(account=max(1, min(options.api_limit, DEFAULT_ACCOUNT_LIMIT)))
        self.users = UsersApi(self.account, self.jobs, base_url=base_url, failing=self.control.failing_ids)
        self.resources = Resources(self.account, self.jobs, base_url=base_url)
        self.groups = GroupsApi(self.account, base_url=base_url)
        self.email = ADMIN_EMAIL
        self.api_token = secrets.token_urlsafe(30)
        self.oauth_token = secrets.token_hex(32)

    def credentials(self) -> dict[str, str]:
        """What the sandbox accepts; see docs/sandbox.md for which client argument takes which."""
        host = self.base_url.removeprefix("https://")
        subdomain, _, domain = host.partition(".")
        return {
            "base_url": self.base_url,
            "email": self.email,
            "api_token": self.api_token,
            "oauth_token": self.oauth_token,
            "zenpy_subdomain": subdomain,
            "zenpy_domain": domain,
        }

    def connector_settings(self, running: Any) -> dict[str, Any]:
        """Zendesk connector settings for this sandbox: API token auth (see ``sandbox.zendesk.settings``)."""
        from sandbox.zendesk.settings import connector_settings

        return connector_settings(running, auth="api_token")

    def handle(self, request: Request) -> Response:
        """Answer one request."""
        self.control.requests.record(request.method, request.path)
        parts = segments(request.path)
        if parts is None:
            return no_endpoint()
        fault = self.control.transient.take()
        if fault is not None:
            status, retry_after = fault
            code = ErrorCode.RATE_LIMITED if status == 429 else ErrorCode.UNAVAILABLE
            text = "Number of allowed API requests per minute exceeded" if status == 429 else "Service unavailable"
            return error(status, code, text, headers={"Retry-After": str(retry_after)})
        who = self._who(request)
        if who is False:
            return Response.json(401, {"error": "Couldn't authenticate you"})
        if who is None:
            if parts == ["users", "me"]:
                return Response.json(200, {"user": _ANONYMOUS})
            return Response.json(401, {"error": "Couldn't authenticate you"})
        return self._limited(request, parts, who)

    def _who(self, request: Request) -> Record | Literal[False] | None:
        """The user good credentials sign in as, False for refused ones, None for none at all."""
        scheme, _, value = (request.header("Authorization") or "").partition(" ")
        if not scheme:
            return None
        if self.control.revoked:
            return False
        admin = self.account.users.get(ADMIN_USER_ID) or {"id": ADMIN_USER_ID, "role": "admin"}
        if scheme.lower() == "bearer":
            return admin if hmac.compare_digest(value.strip().encode(), self.oauth_token.encode()) else False
        if scheme.lower() != "basic":
            return False
        try:
            user, _, secret = base64.b64decode(value.strip()).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            return False
        email, _, kind = user.rpartition("/")
        if kind.lower() != "token" or not hmac.compare_digest(secret.encode(), self.api_token.encode()):
            return False
        if email.strip().lower() == self.email.lower():
            return admin
        signed_in = self.account.user_by("email", email)
        if signed_in is None or not signed_in.get("verified") or signed_in.get("suspended"):
            return False
        return signed_in

    def _limited(self, request: Request, parts: list[str], caller: Record) -> Response:
        allowed, remaining, resets = self.control.limits.account.take()
        limit = self.control.limits.account.limit
        headers = {"X-Rate-Limit": str(limit), "X-Rate-Limit-Remaining": str(remaining),
                   "ratelimit-limit": str(limit), "ratelimit-remaining": str(remaining), "ratelimit-reset": str(resets)}  # fmt: skip
        if not allowed:
            response = error(429, ErrorCode.RATE_LIMITED, "Number of allowed API requests per minute exceeded",
                             headers={"Retry-After": str(resets)})  # fmt: skip
        elif caller.get("role") == "end-user" and not _end_user_may(request.method, parts):
            response = forbidden()
        elif parts[:1] == ["incremental"]:
            response = self._export(request, parts[1:], self.control.limits.exports)
        elif parts == ["search", "export"] and request.method == "GET":
            response = self._search_export(request)
        elif serves(parts):
            response = self.groups.handle(request, parts)
        else:
            response = self._route(request, parts, caller)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    def _export(self, request: Request, rest: list[str], window: Window) -> Response:
        allowed, remaining, resets = window.take()
        header = {EXPORT_HEADER: f"total={window.limit}; remaining={remaining}; resets={resets}"}
        if not allowed:
            text = "Number of allowed incremental export API requests per minute exceeded"
            return error(429, ErrorCode.RATE_LIMITED, text, headers={"Retry-After": str(resets), **header})
        response = self._export_route(request, rest)
        response.headers.update(header)
        return response

    def _search_export(self, request: Request) -> Response:
        """``search/export`` behind its own limit (Zendesk: 100 requests a minute, counted in the account's too)."""
        allowed, _, resets = self.control.limits.search_export.take()
        if not allowed:  # the text is the sandbox's: Zendesk documents the limit, not its answer
            text = "Number of allowed search export API requests per minute exceeded"
            return error(429, ErrorCode.RATE_LIMITED, text, headers={"Retry-After": str(resets)})
        return search_export(request, self.account, base_url=self.base_url)

    def _export_route(self, request: Request, rest: list[str]) -> Response:
        if request.method != "GET" or not rest or rest[0] not in {k.value for k in Kind}:
            return no_endpoint()
        kind = Kind(rest[0])
        if rest[1:] == ["cursor"] and kind is not Kind.ORGANIZATIONS:
            return cursor_export(request, self.account, kind, base_url=self.base_url)
        if not rest[1:]:
            return time_export(request, self.account, kind, base_url=self.base_url)
        return no_endpoint()

    def _route(self, request: Request, parts: list[str], caller: Record) -> Response:
        head, rest = parts[0] if parts else "", parts[1:]
        answer = self._signed_in(request, parts, caller)
        if answer is not None:
            return answer
        if head == "users":
            return self.users.handle(request, rest)
        if head == "deleted_users" and request.method == "GET":
            return self.users.deleted(request, rest)
        if head == "deleted_users" and request.method == "DELETE" and len(rest) == 1:
            return self.users.purge(rest[0])
        if head in {"organizations", "tickets"}:
            return self.resources.records(request, Kind(head), rest)
        if head == "user_fields":
            return self.resources.user_fields(request, rest)
        if head == "job_statuses" and request.method == "GET":
            return self.resources.job_statuses(request, rest)
        if head == "search" and rest in ([], ["count"]) and request.method == "GET":
            return search_count(request, self.account) if rest else self.resources.search(request)
        if head == "deleted_tickets" and not rest and request.method == "GET":
            return self.resources.deleted_tickets(request)
        return no_endpoint()

    def _signed_in(self, request: Request, parts: list[str], caller: Record) -> Response | None:
        """``users/me``, a ticket's rating by its requester, and the ratings (None: another path)."""
        if parts == ["users", "me"]:
            return self.users.one(caller) if request.method == "GET" else no_endpoint()
        if parts[:1] == ["tickets"] and parts[2:] == ["satisfaction_rating"] and parts[1].isdigit():
            return self.resources.rate(request, int(parts[1]), caller) if request.method == "POST" else no_endpoint()
        if parts[:1] == ["satisfaction_ratings"] and request.method == "GET" and len(parts) <= 2:
            return self.resources.satisfaction_ratings(request, parts[1] if len(parts) == 2 else None)
        return None


def _end_user_may(method: str, parts: list[str]) -> bool:
    """Whether an end user may make this request (the sandbox's endpoints "Allowed for" end users)."""
    if method == "GET" and parts == ["users", "me"]:
        return True
    return method == "POST" and len(parts) == 3 and parts[0] == "tickets" and parts[2] == "satisfaction_rating"


def build(*, base_url: str, state_dir: Path, options: SandboxOptions) -> ZendeskSandbox:
    """Build the Zendesk sandbox answering at ``base_url`` (the ``SandboxBuilder`` of ``zendesk``)."""
    return ZendeskSandbox(base_url=base_url, state_dir=state_dir, options=options)
