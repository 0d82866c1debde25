"""Getting a Salesforce session: the four auth modes, one token request each.

simple-salesforce's own login helpers build the token URL from a ``domain``
(``https://{domain}.salesforce.com``), which cannot reach a My Domain on another
host or a local sandbox; so the client posts the form built here to the
configured ``login_url`` through the metered session, then hands simple-salesforce
the session and instance URL. This module does no I/O but reading a key file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import jwt

from connectors.salesforce.config import (
    ClientCredentialsAuth,
    JwtBearerAuth,
    PasswordAuth,
    SalesforceConfig,
    SessionAuth,
)
from core.errors import AuthError, ConnectorConfigError

__all__ = ["JWT_GRANT", "SessionToken", "read_token", "static_token", "token_form"]

JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True, repr=False)
class SessionToken:
    """An access token and the instance it is valid on (never printed)."""

    access_token: str
    instance_url: str
    renewable: bool

    def __repr__(self) -> str:
        """Show the instance, never the token."""
        return f"SessionToken(instance_url={self.instance_url!r}, access_token='***')"


def _jwt_assertion(auth: JwtBearerAuth, login_url: str, *, now: float) -> str:
    if auth.private_key is not None:
        key = auth.private_key.get_secret_value()
    else:
        path = Path(auth.private_key_file or "")
        try:
            key = path.read_text(encoding="utf-8")
        except OSError as err:
            msg = f"cannot read the JWT private key file {path}: {err.strerror}"
            raise ConnectorConfigError(msg, hint="fix auth.private_key_file in contactpoint.yaml") from None
    claims = {"iss": auth.client_id, "sub": auth.username, "aud": auth.audience or login_url, "exp": int(now) + 180}
    return jwt.encode(claims, key, algorithm="RS256")


def token_form(config: SalesforceConfig, *, now: float | None = None) -> dict[str, str]:
    """Return the form body of the OAuth token request for the configured mode.

    Raises:
        ConnectorConfigError: Session auth has no token request; a key file is unreadable.

    """
    auth = config.auth
    if isinstance(auth, ClientCredentialsAuth):
        return {
            "grant_type": "client_credentials",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret.get_secret_value(),
        }
    if isinstance(auth, PasswordAuth):
        return {
            "grant_type": "password",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret.get_secret_value(),
            "username": auth.username,
            "password": auth.password.get_secret_value() + auth.security_token.get_secret_value(),
        }
    if isinstance(auth, JwtBearerAuth):
        stamp = time.time() if now is None else now
        return {"grant_type": JWT_GRANT, "assertion": _jwt_assertion(auth, config.login_url, now=stamp)}
    msg = "session auth has no token request"
    raise ConnectorConfigError(msg, hint="use jwt_bearer, client_credentials or password to renew sessions")


def read_token(body: object, config: SalesforceConfig, *, system: str) -> SessionToken:
    """Read the JSON of a successful token response.

    Raises:
        AuthError: The response lacks ``access_token`` or ``instance_url``.

    """
    token = body.get("access_token") if isinstance(body, dict) else None
    instance = body.get("instance_url") if isinstance(body, dict) else None
    if not token or not instance:
        msg = "the Salesforce token response has no access_token or instance_url"
        raise AuthError(msg, hint="check login_url points at a Salesforce login endpoint", system=system)
    return SessionToken(str(token), config.instance_url or str(instance), renewable=True)


def static_token(config: SalesforceConfig) -> SessionToken | None:
    """Return the configured session for session auth (which has no token request), else None."""
    if isinstance(config.auth, SessionAuth):
        return SessionToken(config.auth.session_id.get_secret_value(), str(config.instance_url), renewable=False)
    return None
