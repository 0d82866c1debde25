"""Mixpanel credentials as requests sends them: HTTP Basic for the read APIs, the token for ingestion.

A service account is ``(username, secret)`` and must name the project in every
request (``project_id`` in the query); the legacy project secret is
``(api_secret, "")``. This module does no I/O.
"""

from __future__ import annotations

from connectors.product_analytics.mixpanel.config import MixpanelConfig, ServiceAccountAuth
from core.errors import ConnectorConfigError

__all__ = ["basic_auth", "project_params", "project_token"]


def basic_auth(config: MixpanelConfig) -> tuple[str, str]:
    """Return the (user, password) pair of HTTP Basic for the export and query APIs."""
    if isinstance(config.auth, ServiceAccountAuth):
        return config.auth.username, config.auth.secret.get_secret_value()
    return config.auth.api_secret.get_secret_value(), ""


def project_params(config: MixpanelConfig) -> dict[str, str]:
    """Return the query parameters naming the project (needed with a service account, harmless otherwise)."""
    return {"project_id": str(config.project_id)}


def project_token(config: MixpanelConfig, *, system: str) -> str:
    """Return the project token profile updates carry.

    Raises:
        ConnectorConfigError: No ``project_token`` is configured.
    """
    if config.project_token is None or not config.project_token.get_secret_value():
        msg = f"{system}: write-back to Mixpanel profiles needs the project token, and none is configured"
        hint = "set project_token (Project settings > Overview > Project token) in contactpoint.yaml"
        raise ConnectorConfigError(msg, hint=hint, system=system)
    return config.project_token.get_secret_value()
