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
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

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


def _load_rsa(text: str) -> rsa.RSAPrivateKey | str:
    """Load an unencrypted PEM RSA private key, or say why ``text`` is not one (never quoting it)."""
    if "-----BEGIN" not in text:
        return "it has no '-----BEGIN ... PRIVATE KEY-----' line"
    if any(f"-----BEGIN {kind}" in text for kind in ("PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE")):
        return "it is a public key or a certificate; Salesforce needs the private key that goes with it"
    try:
        key = serialization.load_pem_private_key(text.encode(), password=None)
    except TypeError:
        return "it is encrypted; give the key without a passphrase (openssl pkey -in key.pem -out plain.pem)"
    except (ValueError, UnsupportedAlgorithm):
        return "its key data cannot be read (cut short, wrapped, or pasted with lines missing?)"
    if not isinstance(key, rsa.RSAPrivateKey):
        kind = "an EC" if isinstance(key, ec.EllipticCurvePrivateKey) else "a non-RSA"
        return f"it is {kind} key; Salesforce signs the JWT with RS256, which takes an RSA key"
    return key


def _private_key(auth: JwtBearerAuth) -> rsa.RSAPrivateKey:
    """Load the RSA private key the JWT is signed with, from ``private_key`` or ``private_key_file``.

    Raises:
        ConnectorConfigError: The file is unreadable, or the text is not an unencrypted PEM RSA
            private key (the message says why, never quoting the key).
    """
    if auth.private_key is not None:
        text, where = auth.private_key.get_secret_value(), "auth.private_key"
        hint = "paste the whole PEM (its BEGIN and END lines included) into auth.private_key in contactpoint.yaml"
    else:
        path = Path(auth.private_key_file or "")
        where, hint = (
            f"auth.private_key_file ({path})",
            "point auth.private_key_file at the connected app's PEM RSA key",
        )
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            reason = err.strerror if isinstance(err, OSError) else "it is not text"
            msg = f"cannot read the JWT private key file {path}: {reason}"
            raise ConnectorConfigError(msg, hint="fix auth.private_key_file in contactpoint.yaml") from None
    if "\\n" in text and "\n" not in text.strip():  # a key from an environment variable, its newlines escaped
        text = text.replace("\\n", "\n")
    key = _load_rsa(text.strip())
    if isinstance(key, str):
        msg = f"the private key in {where} is not a PEM RSA private key: {key}"
        raise ConnectorConfigError(msg, hint=hint)
    return key


def _jwt_assertion(auth: JwtBearerAuth, login_url: str, *, now: float) -> str:
    key = _private_key(auth)
    claims = {"iss": auth.client_id, "sub": auth.username, "aud": auth.audience or login_url, "exp": int(now) + 180}
    return jwt.encode(claims, key, algorithm="RS256")


def token_form(config: SalesforceConfig, *, now: float | None = None) -> dict[str, str]:
    """Return the form body of the OAuth token request for the configured mode.

    Raises:
        ConnectorConfigError: Session auth has no token request; a key file is unreadable; the
            JWT key is not an unencrypted PEM RSA private key.

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
