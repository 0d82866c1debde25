"""Getting a HubSpot access token: a private app's fixed token, or OAuth renewed by refresh token.

OAuth access tokens live 30 minutes. ``TokenKeeper`` asks for a new one a minute
before the old one ends, and when HubSpot answers 401 EXPIRED_AUTHENTICATION (the
client then repeats the call once). This module builds the token request and reads
the answer; the client sends it through the metered session.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from connectors.marketing.hubspot.config import HubSpotConfig, OAuthAuth
from core.errors import AuthError

__all__ = ["AccessToken", "TokenKeeper", "read_token", "refresh_form"]

_EARLY = 60.0


@dataclass(frozen=True, repr=False)
class AccessToken:
    """A bearer token and when it stops working (monotonic seconds; None: never)."""

    value: str
    expires_at: float | None = None

    def __repr__(self) -> str:
        """Never show the token."""
        return f"AccessToken(value='***', expires_at={self.expires_at!r})"


def refresh_form(auth: OAuthAuth) -> dict[str, str]:
    """The form of ``POST /oauth/v1/token`` that renews an access token."""
    return {
        "grant_type": "refresh_token",
        "client_id": auth.client_id,
        "client_secret": auth.client_secret.get_secret_value(),
        "refresh_token": auth.refresh_token.get_secret_value(),
    }


def read_token(body: object, *, system: str, now: float) -> AccessToken:
    """Read a successful token response.

    Raises:
        AuthError: The response holds no ``access_token``.
    """
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        msg = "HubSpot's token response has no access_token"
        raise AuthError(msg, hint="check base_url points at HubSpot's API (https://api.hubapi.com)", system=system)
    seconds = body.get("expires_in") if isinstance(body, dict) else None
    expires = now + float(seconds) if isinstance(seconds, int | float) else None
    return AccessToken(str(token), expires)


class TokenKeeper:
    """Holds the current access token; ``fetch`` is how a new OAuth token is obtained."""

    def __init__(self, config: HubSpotConfig, *, fetch: Callable[[OAuthAuth], AccessToken],
                 clock: Callable[[], float] = time.monotonic) -> None:  # fmt: skip
        self._config = config
        self._fetch = fetch
        self._clock = clock
        self._token: AccessToken | None = None

    @property
    def renewable(self) -> bool:
        """Whether a refused token can be replaced (OAuth) or not (a private app's)."""
        return isinstance(self._config.auth, OAuthAuth)

    def current(self) -> str:
        """Return a token to send now, renewing an OAuth token that has ended or is about to."""
        auth = self._config.auth
        if not isinstance(auth, OAuthAuth):
            return auth.access_token.get_secret_value()
        token = self._token
        if token is None or (token.expires_at is not None and token.expires_at - _EARLY <= self._clock()):
            token = self._token = self._fetch(auth)
        return token.value

    def renew(self) -> None:
        """Forget the current OAuth token so the next call fetches a new one."""
        self._token = None
