"""Authentication: sessions, the OAuth 2.0 token endpoint and the SOAP ``login`` call.

Token endpoint (``POST /services/oauth2/token``, form-encoded) grants:

- ``password``: ``client_id``, ``client_secret``, ``username``, ``password`` (with or
  without the security token appended);
- ``client_credentials``: client ID and secret in the form or in HTTP Basic auth;
- ``urn:ietf:params:oauth:grant-type:jwt-bearer``: an RS256 ``assertion`` signed with
  the sandbox's private key, ``iss`` = consumer key, ``sub`` = username, ``aud`` = the
  login URL, ``exp`` in the future;
- ``refresh_token``: the refresh token the sandbox prints.

Errors are Salesforce's: HTTP 400 with ``{"error": ..., "error_description": ...}``.
simple-salesforce builds login URLs as ``https://{domain}.salesforce.com/...``; with
``domain="127.0.0.1:PORT/login"`` that becomes ``https://127.0.0.1:PORT/login.salesforce.com/...``,
so the sandbox answers the login endpoints under any ``/<name>.salesforce.com`` prefix too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from xml.etree import ElementTree

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from sandbox.common.http import Request, Response
from sandbox.salesforce.org import INTEGRATION_USER_ID, INTEGRATION_USERNAME
from sandbox.salesforce.wire import API_VERSION

__all__ = ["Credentials", "SessionStore", "make_credentials", "oauth_token", "soap_login"]

_SOAP_NS = {"soap": "http://schemas.xmlsoap.org/soap/envelope/", "urn": "urn:partner.soap.sforce.com"}
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@dataclass(frozen=True)
class Credentials:
    """What the sandbox accepts; made fresh at every start."""

    username: str
    password: str
    security_token: str
    consumer_key: str
    consumer_secret: str
    refresh_token: str
    private_key_file: Path
    certificate_file: Path
    org_id: str


def make_credentials(state_dir: Path, org_id: str) -> Credentials:
    """Make random credentials and an RSA key pair (PEM files in ``state_dir``) for JWT bearer logins."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file = state_dir / "salesforce-jwt-key.pem"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_file.chmod(0o600)
    cert_file = state_dir / "salesforce-jwt-public.pem"
    cert_file.write_bytes(
        key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    return Credentials(
        username=INTEGRATION_USERNAME,
        password=secrets.token_urlsafe(12),
        security_token=secrets.token_urlsafe(18).replace("-", "x").replace("_", "y"),
        consumer_key="3MVG9" + secrets.token_urlsafe(60).replace("-", "A").replace("_", "b")[:80],
        consumer_secret=secrets.token_hex(32).upper(),
        refresh_token="5Aep" + secrets.token_urlsafe(64),
        private_key_file=key_file,
        certificate_file=cert_file,
        org_id=org_id,
    )


@dataclass
class SessionStore:
    """Issued access tokens; ``expire_all`` makes every one answer 401 INVALID_SESSION_ID."""

    org_id: str
    _live: set[str] = field(default_factory=set)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> str:
        """A new access token in Salesforce's shape (``00D...!AQ...``)."""
        token = f"{self.org_id[:15]}!AQ" + secrets.token_urlsafe(72)
        with self._lock:
            self._live.add(token)
        return token

    def valid(self, token: str) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        with self._lock:
            return token in self._live

    def user_of(self, token: str) -> str | None:
        """The ID of the user ``token`` acts as (every session is the integration user's), or None when invalid."""
        return INTEGRATION_USER_ID if self.valid(token) else None

    def revoke(self, token: str) -> bool:
        """End one session; False when ``token`` was not a live one."""
        with self._lock:
            if token not in self._live:
                return False
            self._live.discard(token)
            return True

    def expire_all(self) -> int:
        """Expire every issued token; returns how many were live."""
        with self._lock:
            count = len(self._live)
            self._live.clear()
            return count


def _oauth_error(error: str, description: str) -> Response:
    return Response.json(400, {"error": error, "error_description": description})


def _client(form: dict[str, str], request: Request) -> tuple[str, str]:
    auth = request.header("Authorization") or ""
    if auth.lower().startswith("basic "):
        try:
            key, _, secret = base64.b64decode(auth[6:]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return "", ""
        return key, secret
    return form.get("client_id", ""), form.get("client_secret", "")


def _token_body(creds: Credentials, sessions: SessionStore, base_url: str) -> dict[str, Any]:
    token = sessions.issue()
    issued_at = str(int(time.time() * 1000))
    signature = hmac.new(creds.consumer_secret.encode(), f"{base_url}{issued_at}".encode(), hashlib.sha256)
    return {
        "access_token": token,
        "instance_url": base_url,
        "id": f"{base_url}/id/{creds.org_id}/{INTEGRATION_USER_ID}",
        "token_type": "Bearer",
        "issued_at": issued_at,
        "signature": base64.b64encode(signature.digest()).decode(),
    }


def _check_jwt(creds: Credentials, assertion: str, base_url: str) -> str | None:
    """None when the assertion is good, else the error description Salesforce would give."""
    public_key = creds.certificate_file.read_bytes()
    audiences = ["https://login.salesforce.com", "https://test.salesforce.com", base_url]
    try:
        claims = jwt.decode(assertion, public_key, algorithms=["RS256"], options={"verify_aud": False})
    except jwt.ExpiredSignatureError:
        return "expired authorization code"
    except jwt.InvalidTokenError:
        return "invalid assertion"
    aud = str(claims.get("aud", ""))
    if claims.get("iss") != creds.consumer_key:
        return "invalid client credentials"
    if not (aud in audiences or (aud.endswith(".salesforce.com") and aud.startswith(base_url))):
        return "audience is invalid"
    if claims.get("sub") != creds.username:
        return "user hasn't approved this consumer"
    if "exp" not in claims:
        return "invalid assertion"
    return None


def oauth_token(request: Request, creds: Credentials, sessions: SessionStore, base_url: str) -> Response:
    """Answer ``POST /services/oauth2/token``."""
    form = {k: v[0] for k, v in parse_qs(request.body.decode("utf-8", "replace")).items()}
    form |= {k: v[0] for k, v in request.query.items() if k not in form}
    grant = form.get("grant_type", "")
    if grant == _JWT_GRANT:
        problem = _check_jwt(creds, form.get("assertion", ""), base_url)
        if problem:
            return _oauth_error("invalid_grant", problem)
        body = _token_body(creds, sessions, base_url)
        del body["signature"]
        return Response.json(200, body | {"scope": "api"})
    if grant not in {"password", "client_credentials", "refresh_token"}:
        return _oauth_error("unsupported_grant_type", "grant type not supported")
    client_id, client_secret = _client(form, request)
    if client_id != creds.consumer_key:
        return _oauth_error("invalid_client_id", "client identifier invalid")
    if grant == "refresh_token":
        if form.get("refresh_token") != creds.refresh_token:
            return _oauth_error("invalid_grant", "expired access/refresh token")
        return Response.json(200, _token_body(creds, sessions, base_url))
    if not hmac.compare_digest(client_secret.encode(), creds.consumer_secret.encode()):
        return _oauth_error("invalid_client", "invalid client credentials")
    if grant == "password":
        password = form.get("password", "")
        good = {creds.password, creds.password + creds.security_token}
        if form.get("username") != creds.username or password not in good:
            return _oauth_error("invalid_grant", "authentication failure")
        return Response.json(200, _token_body(creds, sessions, base_url))  # this flow issues no refresh token
    return Response.json(200, _token_body(creds, sessions, base_url))


def soap_login(request: Request, creds: Credentials, sessions: SessionStore, base_url: str) -> Response:
    """Answer the partner SOAP ``login`` call (``POST /services/Soap/u/XX.X``) as simple-salesforce sends it."""
    try:
        root = ElementTree.fromstring(request.body)
    except ElementTree.ParseError:
        return _soap_fault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
    username = root.findtext(".//urn:login/urn:username", default="", namespaces=_SOAP_NS)
    password = root.findtext(".//urn:login/urn:password", default="", namespaces=_SOAP_NS)
    if username != creds.username or password not in {creds.password + creds.security_token, creds.password}:
        return _soap_fault("INVALID_LOGIN", "Invalid username, password, security token; or user locked out.")
    token = sessions.issue()
    org = creds.org_id[:15]
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
        'envelope/" xmlns="urn:partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        "<soapenv:Body><loginResponse><result>"
        f"<metadataServerUrl>{base_url}/services/Soap/m/{API_VERSION}/{org}</metadataServerUrl>"
        "<passwordExpired>false</passwordExpired><sandbox>true</sandbox>"
        f"<serverUrl>{base_url}/services/Soap/u/{API_VERSION}/{org}</serverUrl>"
        f"<sessionId>{token}</sessionId><userId>{INTEGRATION_USER_ID}</userId>"
        f"<userInfo><organizationId>{creds.org_id}</organizationId><userName>{creds.username}</userName>"
        "</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    return Response.text(200, body, content_type="text/xml;charset=UTF-8")


def _soap_fault(code: str, message: str) -> Response:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?><soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/'
        'envelope/" xmlns:sf="urn:fault.partner.soap.sforce.com" xmlns:xsi="http://www.w3.org/2001/XMLSchema-'
        f'instance"><soapenv:Body><soapenv:Fault><faultcode>sf:{code}</faultcode><faultstring>{code}: {message}'
        f'</faultstring><detail><sf:LoginFault xsi:type="sf:LoginFault"><sf:exceptionCode>{code}'
        f"</sf:exceptionCode><sf:exceptionMessage>{message}</sf:exceptionMessage></sf:LoginFault></detail>"
        "</soapenv:Fault></soapenv:Body></soapenv:Envelope>"
    )
    return Response.text(500, body, content_type="text/xml;charset=UTF-8")
