"""Signing Zendesk requests: an API token over HTTP Basic, or an OAuth bearer token.

An API token authenticates as ``{email}/token`` with the token as the password
(Zendesk's "API token" access, switched on under Admin Center > Apps and integrations >
Zendesk API). An OAuth access token goes in ``Authorization: Bearer``. This module
does no I/O; the tokens never appear in a ``repr``.
"""

from __future__ import annotations

import requests
from requests.auth import AuthBase, HTTPBasicAuth

from connectors.helpdesk.zendesk.config import ApiTokenAuth, ZendeskConfig

__all__ = ["BearerAuth", "request_auth", "who"]


class BearerAuth(AuthBase):
    """``Authorization: Bearer <token>`` on every request."""

    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        """Sign ``request``."""
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request

    def __repr__(self) -> str:
        """Never show the token."""
        return "BearerAuth(token='***')"


def request_auth(config: ZendeskConfig) -> AuthBase:
    """Return the ``requests`` auth that signs every call for the configured mode."""
    auth = config.auth
    if isinstance(auth, ApiTokenAuth):
        return HTTPBasicAuth(f"{auth.email}/token", auth.api_token.get_secret_value())
    return BearerAuth(auth.access_token.get_secret_value())


def who(config: ZendeskConfig) -> str:
    """Describe the credentials without their secret: ``api token of x@acme.com`` or ``OAuth token``."""
    auth = config.auth
    return f"API token of {auth.email}" if isinstance(auth, ApiTokenAuth) else "OAuth token"
