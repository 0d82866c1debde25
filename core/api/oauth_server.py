"""The OAuth 2.0 authorization server (Authlib's RFC 6749 code grant with PKCE), over ``store.oauth``.

A registered system (``contactpoint ledger clients add``) sends the person to
``/oauth/authorize`` asking for scopes (parts of the profile); the person approves on
the preference centre, which records a signed *grant* statement in their ledger; the
code the system exchanges gives an access token bound to that grant. A token works
only while the ledger still grants its scopes to its system: revoking the grant (in
the preference centre or by any statement) makes it fail at once, as does expiry.

PKCE is S256 only (``S256Only``); the request the person approves is the one they were
shown (``core.api.oauth`` signs it into the approval form). A code presented a second
time revokes the tokens it gave (RFC 6749 §4.1.2).

Authlib does the protocol (request checks, client authentication, PKCE, error
answers); this module only tells it where clients, codes and tokens live.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from authlib.oauth2.rfc6749 import AuthorizationServer, ClientMixin, OAuth2Request, TokenMixin, grants
from authlib.oauth2.rfc6749.errors import InvalidRequestError
from authlib.oauth2.rfc6749.requests import BasicOAuth2Payload
from authlib.oauth2.rfc6750 import BearerTokenGenerator, BearerTokenValidator
from authlib.oauth2.rfc7636 import CodeChallenge

from core.ledger.vocabulary import Part, Purpose
from core.store import Store
from core.store.ledger_access import secret_hash
from core.store.oauth import ClientInfo, CodeInfo, TokenInfo

__all__ = ["GRANT_PURPOSE", "FormRequest", "LedgerAuthorizationServer", "LedgerTokenValidator", "ReadToken", "S256Only"]

GRANT_PURPOSE = Purpose.PERSONALISATION
"""The purpose a grant made through OAuth approval names: the system reads to serve the person."""
TOKEN_SECONDS = 3600
CODE_SECONDS = 300
SCOPES = [p.value for p in Part if p is not Part.PROTECTIONS]


class FormRequest(OAuth2Request):  # type: ignore[misc]
    """An OAuth request built from a Starlette request's URL, headers (case-insensitive) and form."""

    def __init__(self, method: str, uri: str, headers: Mapping[str, str], data: dict[str, str]) -> None:
        super().__init__(method, uri, headers=headers)
        self.payload = BasicOAuth2Payload(data)
        self._data = data
        self.ledger_grant_id: str | None = None

    @property
    def args(self) -> dict[str, str]:
        """The query and form values."""
        return self._data

    @property
    def form(self) -> dict[str, str]:
        """The query and form values."""
        return self._data


@dataclass
class _Client(ClientMixin):  # type: ignore[misc]
    info: ClientInfo

    def get_client_id(self) -> str:
        """Authlib's ``get_client_id`` hook."""
        return self.info.client_id

    def get_default_redirect_uri(self) -> str:
        """Authlib's ``get_default_redirect_uri`` hook."""
        return self.info.redirect_uris[0]

    def get_allowed_scope(self, scope: str) -> str:
        """Authlib's ``get_allowed_scope`` hook."""
        return " ".join(s for s in (scope or "").split() if s in self.info.scopes)

    def check_redirect_uri(self, redirect_uri: str) -> bool:
        """Authlib's ``check_redirect_uri`` hook."""
        return redirect_uri in self.info.redirect_uris

    def check_client_secret(self, client_secret: str) -> bool:
        """Authlib's ``check_client_secret`` hook."""
        return hmac.compare_digest(secret_hash(client_secret), self.info.secret_hash)

    def check_endpoint_auth_method(self, method: str, endpoint: str) -> bool:
        """Authlib's ``check_endpoint_auth_method`` hook."""
        return method in ("client_secret_basic", "client_secret_post") if endpoint == "token" else True

    def check_response_type(self, response_type: str) -> bool:
        """Authlib's ``check_response_type`` hook."""
        return response_type == "code"

    def check_grant_type(self, grant_type: str) -> bool:
        """Authlib's ``check_grant_type`` hook."""
        return grant_type == "authorization_code"


@dataclass
class _Code:
    info: CodeInfo
    code_challenge: str | None
    code_challenge_method: str | None

    def get_redirect_uri(self) -> str:
        """Authlib's ``get_redirect_uri`` hook."""
        return self.info.redirect_uri

    def get_scope(self) -> str:
        """Authlib's ``get_scope`` hook."""
        return self.info.scope


class _CodeGrant(grants.AuthorizationCodeGrant):  # type: ignore[misc]
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]  # noqa: RUF012

    def save_authorization_code(self, code: str, request: FormRequest) -> None:
        """Authlib's ``save_authorization_code`` hook."""
        store: Store = self.server.store
        payload = request.payload.data
        info = CodeInfo(
            client_id=request.client.get_client_id(), profile_id=str(request.user),
            redirect_uri=str(payload.get("redirect_uri") or request.client.get_default_redirect_uri()),
            scope=request.client.get_allowed_scope(payload.get("scope") or ""),
            grant_statement_id=str(request.ledger_grant_id), code_challenge=payload.get("code_challenge"),
            code_challenge_method=payload.get("code_challenge_method"),
            expires_at=store.database.now() + timedelta(seconds=CODE_SECONDS),
        )  # fmt: skip
        store.oauth.save_code(code, info)

    def query_authorization_code(self, code: str, client: _Client) -> _Code | None:
        """Authlib's ``query_authorization_code`` hook."""
        store: Store = self.server.store
        info = store.oauth.take_code(code, client.get_client_id())  # used up here: one exchange only
        if info is None:  # a used code shown again may be stolen: what it gave stops (RFC 6749 §4.1.2)
            store.oauth.revoke_tokens_of_used_code(code, client.get_client_id())
            return None
        self.request.ledger_code = info
        return _Code(info, info.code_challenge, info.code_challenge_method)

    def delete_authorization_code(self, authorization_code: _Code) -> None:
        """Nothing to do: the code was used up when it was read."""

    def authenticate_user(self, authorization_code: _Code) -> str:
        """Authlib's ``authenticate_user`` hook."""
        return authorization_code.info.profile_id


class S256Only(CodeChallenge):  # type: ignore[misc]
    """PKCE with S256 only: a challenge with ``plain`` or no method is refused (``invalid_request``)."""

    SUPPORTED_CODE_CHALLENGE_METHOD = ["S256"]  # noqa: RUF012
    DEFAULT_CODE_CHALLENGE_METHOD = "S256"

    def validate_code_challenge(self, grant: Any, redirect_uri: str) -> None:
        """Refuse a challenge whose method is not S256, then let Authlib check the rest."""
        data = grant.request.payload.data
        if data.get("code_challenge") and data.get("code_challenge_method") != "S256":
            description = "code_challenge_method must be S256 (plain, or none, is not accepted)"
            raise InvalidRequestError(description)
        super().validate_code_challenge(grant, redirect_uri)


class LedgerAuthorizationServer(AuthorizationServer):  # type: ignore[misc]
    """Authlib's authorization server over the store: clients, codes and tokens in ``store.oauth``."""

    def __init__(self, store: Store) -> None:
        super().__init__(scopes_supported=SCOPES)
        self.store = store
        self.register_grant(_CodeGrant, [S256Only(required=False)])
        self.register_token_generator(
            "default",
            BearerTokenGenerator(access_token_generator=lambda *a, **k: secrets.token_urlsafe(32),
                                 expires_generator=lambda *a, **k: TOKEN_SECONDS),
        )  # fmt: skip

    def query_client(self, client_id: str) -> _Client | None:
        """Authlib's ``query_client`` hook."""
        info = self.store.oauth.client(client_id)
        return None if info is None else _Client(info)

    def save_token(self, token: dict[str, Any], request: FormRequest) -> None:
        """Authlib's ``save_token`` hook."""
        code: CodeInfo = request.ledger_code
        now = self.store.database.now()
        info = TokenInfo(
            client_id=code.client_id, profile_id=code.profile_id, scope=str(token.get("scope") or code.scope),
            grant_statement_id=code.grant_statement_id, issued_at=now,
            expires_at=now + timedelta(seconds=int(token["expires_in"])), revoked_at=None,
        )  # fmt: skip
        self.store.oauth.save_token(str(token["access_token"]), info)

    def create_oauth2_request(self, request: Any) -> OAuth2Request:
        """Authlib's ``create_oauth2_request`` hook."""
        return request

    def handle_response(self, status: int, body: Any, headers: Any) -> tuple[int, Any, list[tuple[str, str]]]:
        """Authlib's ``handle_response`` hook."""
        return status, body, list(headers)

    def send_signal(self, name: str, *args: Any, **kwargs: Any) -> None:
        """No signals."""


@dataclass
class ReadToken(TokenMixin):  # type: ignore[misc]
    """An access token as the resource side sees it, with the ledger's word on whether it still stands."""

    info: TokenInfo
    system: str
    now: datetime
    still_granted: bool

    def check_client(self, client: Any) -> bool:
        """Authlib's ``check_client`` hook."""
        return bool(client.get_client_id() == self.info.client_id)

    def get_scope(self) -> str:
        """Authlib's ``get_scope`` hook."""
        return self.info.scope

    def get_expires_in(self) -> int:
        """Authlib's ``get_expires_in`` hook."""
        return int((self.info.expires_at - self.info.issued_at).total_seconds())

    def is_expired(self) -> bool:
        """Authlib's ``is_expired`` hook."""
        return self.info.expires_at <= self.now

    def is_revoked(self) -> bool:
        """Authlib's ``is_revoked`` hook."""
        return self.info.revoked_at is not None or not self.still_granted


class LedgerTokenValidator(BearerTokenValidator):  # type: ignore[misc]
    """Bearer tokens: known, unexpired, not revoked, and still granted by the person's ledger."""

    def __init__(self, store: Store) -> None:
        super().__init__(realm="contactpoint")
        self.store = store

    def authenticate_token(self, token_string: str) -> ReadToken | None:
        """Authlib's ``authenticate_token`` hook."""
        info = self.store.oauth.token(token_string)
        if info is None:
            return None
        client = self.store.oauth.client(info.client_id)
        system = client.system if client is not None else ""
        state = self.store.ledger.state_in_force(info.profile_id)
        granted = client is not None and all(
            state.permits(system, part, GRANT_PURPOSE).allowed for part in info.scope.split()
        )
        return ReadToken(info, system, self.store.database.now(), granted)
