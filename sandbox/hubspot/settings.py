"""Settings for the HubSpot connector that point at a running sandbox."""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["connector_settings"]


def connector_settings(sandbox: Any, *, auth: Literal["private_app", "oauth"]) -> dict[str, Any]:
    """Return ``HubSpotConfig`` settings for ``sandbox`` (a ``RunningSandbox``), signing in by ``auth``.

    The result is plain data (base URL, CA file, credentials), ready for
    ``HubSpotConfig.model_validate`` after any overrides are merged in.
    """
    creds = sandbox.credentials
    login: dict[str, Any]
    if auth == "private_app":
        login = {"kind": "private_app", "access_token": creds["private_app_token"]}
    else:
        login = {"kind": "oauth", "client_id": creds["client_id"], "client_secret": creds["client_secret"],
                 "refresh_token": creds["refresh_token"]}  # fmt: skip
    return {"base_url": sandbox.base_url, "ca_file": str(sandbox.ca_file), "auth": login}
