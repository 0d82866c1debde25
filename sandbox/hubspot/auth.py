"""Authentication: a private app's access token, and OAuth 2.0 with refresh tokens.

``Authorization: Bearer <token>`` with the private app token (``pat-na1-...``, never
expires) or an OAuth access token from ``POST /oauth/v1/token`` (form-encoded;
``grant_type=refresh_token`` with ``client_id``, ``client_secret``, ``refresh_token``,
or ``authorization_code`` with the printed ``code`` and ``redirect_uri``). OAuth
tokens live 30 minutes; the ``expire_tokens`` fault ends them early. Errors are
HubSpot's: 401 ``INVALID_AUTHENTICATION`` / ``EXPIRED_AUTHENTICATION``; the token
endpoint answers 400 ``{"status": "BAD_REFRESH_TOKEN", "message": ...}``.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import parse_qs

from sandbox.common.http import Request, Response
from sandbox.hubspot.portal import PORTAL_ID
from sandbox.hubspot.wire import Category, error

__all__ = ["OAUTH_SCOPES", "Credentials", "TokenStore", "oauth_token", "token_info"]

OAUTH_SCOPES = ["crm.objects.contacts.read", "crm.objects.contacts.write", "crm.objects.companies.read",
                "crm.objects.companies.write", "crm.schemas.contacts.write", "communication_preferences.read",
                "content", "oauth"]  # fmt: skip
TOKEN_SECONDS = 1800


@dataclass(frozen=True)
class Credentials:
    """What the sandbox accepts; new at every start."""

    private_app_token: str
    client_id: str
    client_secret: str
    refresh_token: str
    authorization_code: str
    redirect_uri: str = "https://127.0.0.1/oauth-callback"


def make_credentials() -> Credentials:
    """Fresh random credentials in HubSpot's shapes."""
    return Credentials(
        private_app_token=f"pat-na1-{uuid.uuid4()}",
        client_id=str(uuid.uuid4()),
        client_secret=str(uuid.uuid4()),
        refresh_token=f"na1-{secrets.token_hex(2)}-{uuid.uuid4()}",
        authorization_code=str(uuid.uuid4()),
    )


@dataclass
class TokenStore:
    """The private app token and the OAuth access tokens issued, with their expiry (monotonic seconds)."""

    credentials: Credentials
    _oauth: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        """A new OAuth access token valid for 30 minutes."""
        token = f"CK{secrets.token_urlsafe(40)}"
        with self._lock:
            self._oauth[token] = time.monotonic() + TOKEN_SECONDS
        return token

    def check(self, token: str) -> str | None:
        """Return ``private_app`` or ``oauth`` for a good token, ``expired`` or None otherwise."""
        if hmac.compare_digest(token.encode(), self.credentials.private_app_token.encode()):
            return "private_app"
        with self._lock:
            expiry = self._oauth.get(token)
        if expiry is None:
            return None
        return "oauth" if expiry > time.monotonic() else "expired"

    def expire_all(self) -> int:
        """End every OAuth token issued so far; returns how many were live."""
        with self._lock:
            now = time.monotonic()
            live = sum(1 for expiry in self._oauth.values() if expiry > now)
            self._oauth = {token: now - 1 for token in self._oauth}
            return live

    def remaining(self, token: str) -> int:
        """Seconds an OAuth token has left (0 when unknown or expired)."""
        with self._lock:
            return max(0, int(self._oauth.get(token, 0) - time.monotonic()))


def unauthorised(kind: str | None) -> Response:
    """The 401 HubSpot gives for a missing, unknown or expired token."""
    if kind == "expired":
        return error(
            401, Category.EXPIRED_AUTHENTICATION, "The OAuth token used to make this call expired 1 minute(s) ago."
        )
    message = ("Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find "
               "more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview")  # fmt: skip
    return error(401, Category.INVALID_AUTHENTICATION, message)


def _oauth_error(status: str, message: str) -> Response:
    return Response.json(400, {"status": status, "message": message, "correlationId": str(uuid.uuid4())})


def oauth_token(request: Request, tokens: TokenStore) -> Response:
    """Answer ``POST /oauth/v1/token``."""
    form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
    creds = tokens.credentials
    grant = form.get("grant_type", "")
    if grant not in {"refresh_token", "authorization_code"}:
        return _oauth_error("BAD_GRANT_TYPE", f"grant_type must be refresh_token or authorization_code, got {grant!r}")
    if form.get("client_id") != creds.client_id:
        return _oauth_error("BAD_CLIENT_ID", "missing or unknown client id")
    if not hmac.compare_digest(form.get("client_secret", "").encode(), creds.client_secret.encode()):
        return _oauth_error("BAD_CLIENT_SECRET", "missing or invalid client secret")
    if grant == "refresh_token" and form.get("refresh_token") != creds.refresh_token:
        return _oauth_error("BAD_REFRESH_TOKEN", "missing or unknown refresh token")
    if grant == "authorization_code" and (
        form.get("code") != creds.authorization_code or form.get("redirect_uri") != creds.redirect_uri
    ):
        return _oauth_error("BAD_AUTH_CODE", "missing or unknown auth code")
    body = {"token_type": "bearer", "refresh_token": creds.refresh_token, "access_token": tokens.issue(),
            "expires_in": TOKEN_SECONDS}  # fmt: skip
    return Response.json(200, body)


def token_info(token: str, tokens: TokenStore) -> Response:
    """Answer ``GET /oauth/v1/access-tokens/{token}``."""
    if tokens.check(token) != "oauth":
        return error(404, Category.OBJECT_NOT_FOUND, "The access token does not exist or has expired")
    body = {"token": token, "user": "integration@contactpoint.sandbox", "hub_domain": "contactpoint-sandbox.example",
            "scopes": OAUTH_SCOPES, "hub_id": PORTAL_ID, "app_id": 2_418_001, "expires_in": tokens.remaining(token),
            "user_id": 51_000_001, "token_type": "access"}  # fmt: skip
    return Response.json(200, body)
