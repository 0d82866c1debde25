"""The Mixpanel sandbox: routing, authentication, limits and faults around the APIs.

One HTTPS host stands for Mixpanel's three (``data.mixpanel.com`` for the export,
``mixpanel.com`` for the query API, ``api.mixpanel.com`` for ingestion), by path::

    GET  /api/2.0/export         raw event export       service account or project secret
    POST /api/query/engage       profile query          service account or project secret
    POST /track                  events                 project token in each event
    POST /import                 events, any age        service account, project secret or project token
    POST /engage                 profile updates        project token in each update
    POST /groups                 group profile updates  project token in each update (groups.py)
    POST /api/app/data-deletions/v3.0[/{task_id}]   GDPR deletions (gdpr.py): GDPR token (Bearer) or
                                 service account, and the project token in the query

Order of checks: a queued 429/503 fault; the route; credentials (401; a service
account needs ``project_id`` in the query, 400 without it, 403 for another project);
the read APIs' limits (429: the export past 60 queries an hour or 3 a second, the
engage query past 60 an hour or 5 running at once); then the API.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sandbox.common.http import Request, Response
from sandbox.common.registry import SandboxOptions
from sandbox.mixpanel.control import Captured, MixpanelControl
from sandbox.mixpanel.gdpr import DeletionTasks, bearer_ok
from sandbox.mixpanel.groups import groups
from sandbox.mixpanel.ingest import engage, import_events, track
from sandbox.mixpanel.project import Project, SandboxClock
from sandbox.mixpanel.query import engage_query, export
from sandbox.mixpanel.seed import HISTORY_DAYS, seed_project
from sandbox.mixpanel.wire import coded_error, ingest_error, query_error

__all__ = ["Credentials", "MixpanelSandbox", "build"]

_QUERY_PATHS = {"/api/2.0/export": "GET", "/api/query/engage": "POST"}
_INGEST_PATHS = {"/track", "/import", "/engage", "/groups"}
_DELETIONS = "/api/app/data-deletions/v3.0"


@dataclass(frozen=True)
class Credentials:
    """What the sandbox accepts; made fresh at every start."""

    username: str
    secret: str
    api_secret: str
    token: str
    gdpr_token: str


def _credentials() -> Credentials:
    return Credentials(
        username=f"contactpoint-sandbox.{secrets.token_hex(3)}.mp-service-account",
        secret=secrets.token_urlsafe(24),
        api_secret=secrets.token_hex(16),
        token=secrets.token_hex(16),
        gdpr_token=secrets.token_urlsafe(24),
    )


class MixpanelSandbox:
    """A Mixpanel project on loopback: raw export, engage query, track, import, engage and groups."""

    def __init__(self, *, base_url: str, options: SandboxOptions) -> None:
        self.base_url = base_url
        self.creds = _credentials()
        self.project = Project(project_id=3_100_000 + options.seed, token=self.creds.token,
                               clock=SandboxClock(options.today))  # fmt: skip
        seed_project(self.project, records=options.records, seed=options.seed)
        self.control = MixpanelControl(self.project)
        self.deletions = DeletionTasks(self.project)

    def credentials(self) -> dict[str, str]:
        """What the sandbox accepts; see docs/sandbox.md for which client argument takes which."""
        host = self.base_url.removeprefix("https://")
        return {
            "project_id": str(self.project.project_id),
            "service_account_username": self.creds.username,
            "service_account_secret": self.creds.secret,
            "api_secret": self.creds.api_secret,
            "project_token": self.creds.token,
            "gdpr_token": self.creds.gdpr_token,
            "api_host": host,
            "export_url": f"{self.base_url}/api/2.0/export",
            "engage_query_url": f"{self.base_url}/api/query/engage",
        }

    def connector_settings(self, running: Any) -> dict[str, Any]:
        """Mixpanel connector settings for this sandbox: the service account, the token, its URLs."""
        first = self.project.clock.today() - timedelta(days=HISTORY_DAYS + 3)
        return {
            "project_id": self.project.project_id,
            "auth": {"kind": "service_account", "username": self.creds.username, "secret": self.creds.secret},
            "project_token": self.creds.token,
            "export_url": f"{running.base_url}/api/2.0",
            "query_url": f"{running.base_url}/api/query",
            "ingestion_url": running.base_url,
            "gdpr_url": f"{running.base_url}/api/app",
            "gdpr_token": self.creds.gdpr_token,
            "start_date": first.isoformat(),
            "ca_file": str(running.ca_file),
        }

    def handle(self, request: Request) -> Response:
        """Answer one request (and keep it when the control captures traffic)."""
        self.control.requests.record(request.method, request.path)
        response = self._dispatch(request)
        if self.control.capturing:
            body = response.body
            if response.headers.get("Content-Encoding") == "gzip":
                body = gzip.decompress(body)  # kept as the client reads it
            headers = {"Content-Type": response.content_type, **response.headers}
            captured = Captured(request.method, f"{self.base_url}{request.target}", dict(request.headers),
                                request.body, response.status, headers, body)  # fmt: skip
            self.control.record(captured)
        return response

    def _dispatch(self, request: Request) -> Response:
        fault = self.control.transient.take()
        if fault is not None:
            status, retry_after = fault
            message = "Project exceeded rate limits. Please retry the request with exponential backoff."
            if status != 429:
                message = "Service temporarily unavailable; retry later"
            return coded_error(status, message, headers={"Retry-After": str(retry_after)})
        path = request.path.rstrip("/") or "/"
        if path in _QUERY_PATHS:
            return self._query(request, path)
        if path in _INGEST_PATHS:
            return self._ingest(request, path)
        if path == _DELETIONS or path.startswith(_DELETIONS + "/"):
            return self._deletions(request, path[len(_DELETIONS) :].strip("/"))
        return Response.json(404, {"error": f"no such endpoint: {request.method} {path}", "status": 0})

    def _query(self, request: Request, path: str) -> Response:
        allowed = {_QUERY_PATHS[path], "GET"} if path.endswith("engage") else {"GET"}
        if request.method not in allowed:
            return query_error(request, 405, f"{request.method} is not allowed on {path}")
        refused = self._refused(request, query=True)
        if refused is not None:
            return refused
        if path == "/api/2.0/export":
            wait = self.control.export_limits.take()
            if wait is not None:
                message = "rate limit exceeded: at most 60 export queries an hour and 3 a second"
                return query_error(request, 429, message, headers={"Retry-After": str(max(1, round(wait)))})
            return export(request, self.project)
        limits = self.control.query_limits
        wait = limits.take()
        if wait is not None:
            message = (f"rate limit exceeded: the Query API allows {limits.per_hour} queries an hour"
                       f" and {limits.concurrent} concurrent queries")  # fmt: skip
            return query_error(request, 429, message, headers={"Retry-After": str(max(1, round(wait)))})
        try:
            return engage_query(request, self.project, self.control)
        finally:
            limits.release()

    def _ingest(self, request: Request, path: str) -> Response:
        if request.method not in {"POST", "GET"}:
            return ingest_error(405, f"{request.method} is not allowed on {path}")
        if path == "/track":
            return track(request, self.project)
        if path == "/engage":
            return engage(request, self.project, self.control)
        if path == "/groups":
            return groups(request, self.project)
        refused = self._refused(request, query=False)
        return refused if refused is not None else import_events(request, self.project)

    def _deletions(self, request: Request, rest: str) -> Response:
        if not bearer_ok(request, self.creds.gdpr_token):
            user, password = _basic(request.header("Authorization"))
            if not (_same(user, self.creds.username) and _same(password, self.creds.secret)):
                return Response.json(401, {"status": "error", "error": "Invalid OAuth token for the GDPR API"})
        token_ok = _same(request.param("token") or "", self.creds.token)
        return self.deletions.handle(request, rest, token_ok=token_ok)

    def _refused(self, request: Request, *, query: bool) -> Response | None:
        """None when the Basic credentials are the service account's (with this project) or the secret.

        ``/import`` (``query`` false) also takes the project token as the username, with an empty password.
        """
        user, password = _basic(request.header("Authorization"))
        as_account = _same(user, self.creds.username) and _same(password, self.creds.secret)
        as_secret = _same(user, self.creds.api_secret) and not password
        as_token = not query and _same(user, self.creds.token) and not password
        if not (as_account or as_secret or as_token):
            return (
                query_error(request, 401, "Invalid credentials") if query else coded_error(401, "Invalid credentials")
            )
        project = request.param("project_id")
        if as_account and not project:
            message = "project_id is required when authenticating with a service account"
            return query_error(request, 400, message) if query else coded_error(400, message)
        if project and project != str(self.project.project_id):
            message = f"this service account has no access to project {project}"
            return query_error(request, 403, message) if query else coded_error(403, message)
        return None


def _same(given: str, expected: str) -> bool:
    """Compare in constant time; as bytes, since ``hmac.compare_digest`` refuses non-ASCII text."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _basic(header: str | None) -> tuple[str, str]:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        user, _, password = base64.b64decode(value.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return user, password


def build(*, base_url: str, state_dir: Path, options: SandboxOptions) -> MixpanelSandbox:
    """Build the Mixpanel sandbox answering at ``base_url`` (the ``SandboxBuilder`` of ``mixpanel``)."""
    del state_dir  # nothing to write: the credentials are printed by ``sandbox up``
    return MixpanelSandbox(base_url=base_url, options=options)
