"""The Salesforce sandbox: routing, authentication, limits and faults around the APIs.

Every answer carries ``Sforce-Limit-Info: api-usage=USED/LIMIT``. Order of checks
for a request under ``/services/``: URL longer than 16,384 characters (414
URI_TOO_LONG); a queued 429/503 fault; login endpoints; the API version (52.0 or
later); the bearer session (401 INVALID_SESSION_ID); the daily limit or a queued
REQUEST_LIMIT_EXCEEDED fault (403); then the resource.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.common.registry import SandboxOptions
from sandbox.salesforce.access import install_access
from sandbox.salesforce.activities import install_activities
from sandbox.salesforce.auth import Credentials, SessionStore, make_credentials, oauth_token, soap_login
from sandbox.salesforce.bulk import BulkApi
from sandbox.salesforce.bulk1 import BulkV1Api, failure
from sandbox.salesforce.composite import collections
from sandbox.salesforce.control import ApiUsage, SalesforceControl
from sandbox.salesforce.data import seed_org
from sandbox.salesforce.identity import identity, install_organization, revoke, userinfo
from sandbox.salesforce.layouts import install_layouts, layout_resource
from sandbox.salesforce.opportunities import install_opportunities
from sandbox.salesforce.org import Org
from sandbox.salesforce.rest import RestApi
from sandbox.salesforce.search import search
from sandbox.salesforce.settings import connector_settings
from sandbox.salesforce.subrequests import batch, composite
from sandbox.salesforce.tooling import create_custom_field, make_tooling_org
from sandbox.salesforce.wire import API_VERSION, ErrorCode, error, parse_version, versions

__all__ = ["MAX_URI_LENGTH", "SalesforceSandbox", "build"]

MAX_URI_LENGTH = 16_384
_LOGIN_RE = re.compile(r"^(?:/[^/]+\.salesforce\.com)?/services/(oauth2/token|Soap/u/\d{2,3}\.\d)/?$")


class SalesforceSandbox:
    """A Salesforce org on loopback: REST, Bulk 2.0, Tooling, OAuth and SOAP login."""

    def __init__(self, *, base_url: str, state_dir: Path, options: SandboxOptions) -> None:
        self.base_url = base_url
        self.org = Org()
        self.stories = seed_org(self.org, records=options.records, seed=options.seed)
        install_access(self.org)
        install_organization(self.org)
        install_activities(self.org)
        install_opportunities(self.org, seed=options.seed)
        self.tooling_org = make_tooling_org(self.org)
        install_layouts(self.tooling_org)
        self.creds: Credentials = make_credentials(state_dir, self.org.org_id)
        self.sessions = SessionStore(org_id=self.org.org_id)
        self.usage = ApiUsage(options.api_limit)
        self.control = SalesforceControl(self.org, self.sessions, self.usage)
        self.rest = RestApi(self.org, self.control)
        self.bulk = BulkApi(self.org, self.control)
        self.bulk_v1 = BulkV1Api(self.org, self.control)
        self.session_id = self.sessions.issue()

    def credentials(self) -> dict[str, str]:
        """What the sandbox accepts; see docs/sandbox.md for which client argument takes which."""
        host = self.base_url.removeprefix("https://")
        return {
            "instance_url": self.base_url,
            "session_id": self.session_id,
            "api_version": API_VERSION,
            "username": self.creds.username,
            "password": self.creds.password,
            "security_token": self.creds.security_token,
            "domain": f"{host}/login",
            "consumer_key": self.creds.consumer_key,
            "consumer_secret": self.creds.consumer_secret,
            "refresh_token": self.creds.refresh_token,
            "private_key_file": str(self.creds.private_key_file),
            "public_key_file": str(self.creds.certificate_file),
            "token_url": f"{self.base_url}/services/oauth2/token",
            "audience": self.base_url,
            "organization_id": self.org.org_id,
        }

    def connector_settings(self, running: Any) -> dict[str, Any]:
        """Salesforce connector settings for this sandbox: username-password login (see ``settings``)."""
        return connector_settings(running, auth="password")

    def handle(self, request: Request) -> Response:
        """Answer one request and stamp it with ``Sforce-Limit-Info``."""
        self.control.requests.record(request.method, request.path)
        response = self._dispatch(request)
        response.headers.setdefault("Sforce-Limit-Info", self.usage.header())
        return response

    def _dispatch(self, request: Request) -> Response:
        if len(request.target) > MAX_URI_LENGTH:
            return error(414, ErrorCode.URI_TOO_LONG, f"The request URI is longer than {MAX_URI_LENGTH} characters")
        fault = self.control.transient.take()
        if fault is not None:
            status, retry_after = fault
            code = ErrorCode.REQUEST_LIMIT_EXCEEDED if status == 429 else ErrorCode.SERVER_UNAVAILABLE
            message = f"{'Too many requests' if status == 429 else 'Service unavailable'}; retry after {retry_after}s"
            return error(status, code, message, headers={"Retry-After": str(retry_after)})
        login = _LOGIN_RE.match(request.path)
        if login and request.method == "POST":
            handler = oauth_token if login.group(1) == "oauth2/token" else soap_login
            return handler(request, self.creds, self.sessions, self.base_url)
        if request.path.rstrip("/") == "/services/data":
            return Response.json(200, versions())
        if request.path.startswith("/id/") and request.method == "GET":
            return identity(request, self.org, self.sessions, self.base_url, request.path[4:].strip("/").split("/"))
        if request.path.rstrip("/") == "/services/oauth2/userinfo" and request.method in {"GET", "POST"}:
            return userinfo(request, self.org, self.sessions, self.base_url)
        if request.path.rstrip("/") == "/services/oauth2/revoke" and request.method in {"GET", "POST"}:
            return revoke(request, self.sessions)
        if request.path.startswith("/services/data/"):
            return self._api(request)
        if request.path.startswith("/services/async/"):
            return self._async(request)
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")

    def _authorised(self, request: Request) -> bool:
        scheme, _, token = (request.header("Authorization") or "").partition(" ")
        return scheme.lower() in {"bearer", "oauth"} and self.sessions.valid(token.strip())

    def _api(self, request: Request) -> Response:
        parts = [p for p in request.path.split("/")[3:] if p]
        version = parse_version(parts[0]) if parts else None
        if version is None:
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        if not self._authorised(request):
            return error(401, ErrorCode.INVALID_SESSION_ID, "Session expired or invalid")
        if self.control.limit_exceeded.take() is not None or not self.usage.take():
            return error(403, ErrorCode.REQUEST_LIMIT_EXCEEDED, "TotalRequests Limit exceeded.")
        return self._route(request, version, parts[1:])

    def _async(self, request: Request) -> Response:
        """Bulk API 1.0: the session in ``X-SFDC-Session``, errors in its own form (``sandbox.salesforce.bulk1``)."""
        parts = [p for p in request.path.split("/")[3:] if p]
        version = parse_version(f"v{parts[0]}") if parts else None
        if version is None:
            return failure("InvalidVersion", f"Invalid version: {parts[0] if parts else ''}", 404)
        if not self.sessions.valid((request.header("X-SFDC-Session") or "").strip()):
            return failure("InvalidSessionId", "Invalid session id")
        if self.control.limit_exceeded.take() is not None or not self.usage.take():
            return failure("ExceededQuota", "TotalRequests Limit exceeded.", 403)
        return self.bulk_v1.handle(request, version, parts[1:])

    def _route(self, request: Request, version: str, rest: list[str]) -> Response:
        head = rest[0] if rest else ""
        if head in {"query", "queryAll"}:
            return self.rest.query(request, version, rest[1:], endpoint=head, org=self.org)
        if head == "sobjects":
            return self.rest.sobjects(request, version, rest[1:]) if rest[1:] else self.rest.describe_global(version)
        if head == "composite" and rest[1:2] == ["sobjects"]:
            return collections(request, version, rest[2:], self.rest)
        if head == "composite" and len(rest) == 1:
            return composite(request, self.org, self._subrequest)
        if rest == ["composite", "batch"]:
            return batch(request, self._subrequest)
        if head == "jobs" and len(rest) > 1:
            return self.bulk.handle(request, version, rest[1:])
        if head == "tooling":
            return self._tooling(request, version, rest[1:])
        if rest in (["limits"], ["search"]) and request.method == "GET":
            return self.rest.limits() if head == "limits" else search(request, self.org, version)
        if not head:
            return RestApi.resources(version)
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")

    def _subrequest(self, request: Request) -> Response:
        """One subrequest of ``composite`` or ``composite/batch``, routed as a request of its own version."""
        parts = [p for p in request.path.split("/")[3:] if p]
        version = parse_version(parts[0]) if request.path.startswith("/services/data/") and parts else None
        if version is None:
            return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")
        return self._route(request, version, parts[1:])

    def _tooling(self, request: Request, version: str, rest: list[str]) -> Response:
        if rest[:1] == ["query"]:
            return self.rest.query(request, version, rest[1:], endpoint="tooling/query", org=self.tooling_org)
        if rest == ["sobjects", "CustomField"] and request.method == "POST":
            return create_custom_field(request, self.org, self.tooling_org)
        if len(rest) == 3 and rest[:2] == ["sobjects", "Layout"]:
            return layout_resource(request, version, rest[2], self.org, self.tooling_org)
        return error(404, ErrorCode.NOT_FOUND, "The requested resource does not exist")


def build(*, base_url: str, state_dir: Path, options: SandboxOptions) -> SalesforceSandbox:
    """Build the Salesforce sandbox answering at ``base_url`` (the ``SandboxBuilder`` of ``salesforce``)."""
    return SalesforceSandbox(base_url=base_url, state_dir=state_dir, options=options)
