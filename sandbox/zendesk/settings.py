"""Settings for the Zendesk connector that point at a running sandbox."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["connector_settings"]


def connector_settings(sandbox: Any, *, auth: Literal["api_token", "oauth"]) -> dict[str, Any]:
    """Return ``ZendeskConfig`` settings for ``sandbox`` (a ``RunningSandbox``), signing in by ``auth``.

    The result is plain data (base URL, CA file, credentials), ready for
    ``ZendeskConfig.model_validate`` after any overrides are merged in.
    """
    creds = sandbox.credentials
    login: dict[str, Any]
    if auth == "api_token":
        login = {"kind": "api_token", "email": creds["email"], "api_token": creds["api_token"]}
    else:
        login = {"kind": "oauth", "access_token": creds["oauth_token"]}
    return {"base_url": sandbox.base_url, "ca_file": str(sandbox.ca_file), "auth": login}
