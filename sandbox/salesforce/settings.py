"""Settings for the Salesforce connector that point at a running sandbox."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["connector_settings"]


def connector_settings(sandbox: Any, *, auth: Literal["client_credentials", "password"]) -> dict[str, Any]:
    """Return ``SalesforceConfig`` settings for ``sandbox`` (a ``RunningSandbox``), logging in by ``auth``.

    The result is plain data (login URL, CA file, API version, credentials), ready for
    ``SalesforceConfig.model_validate`` after any overrides are merged in.
    """
    creds = sandbox.credentials
    login: dict[str, Any] = {
        "kind": auth,
        "client_id": creds["consumer_key"],
        "client_secret": creds["consumer_secret"],
    }
    if auth == "password":
        login |= {
            "username": creds["username"],
            "password": creds["password"],
            "security_token": creds["security_token"],
        }
    return {
        "login_url": sandbox.base_url,
        "ca_file": str(sandbox.ca_file),
        "api_version": creds["api_version"],
        "auth": login,
    }
