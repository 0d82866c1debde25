"""Settings of the Salesforce connector, as written under ``systems.<name>.settings``.

``auth.kind`` picks one of four modes (a discriminated union, so each mode lists
only the fields it needs); secrets are ``SecretStr`` and come from environment
variables through ``${ENV}`` references in ``contactpoint.yaml``::

    settings:
      login_url: https://login.salesforce.com
      auth:
        kind: client_credentials
        client_id: ${SF_CLIENT_ID}
        client_secret: ${SF_CLIENT_SECRET}
      objects:
        - {name: Contact, writable: true}
        - {name: Lead, writable: true}
        - {name: Account}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = [
    "ClientCredentialsAuth",
    "JwtBearerAuth",
    "ObjectSettings",
    "PasswordAuth",
    "SalesforceAuth",
    "SalesforceConfig",
    "SessionAuth",
    "SetupSettings",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class JwtBearerAuth(_Strict):
    """OAuth 2.0 JWT bearer flow: a connected app signs a JWT for ``username``."""

    kind: Literal["jwt_bearer"] = "jwt_bearer"
    client_id: str = Field(min_length=1, description="Consumer key of the connected app.")
    username: str = Field(min_length=1, description="User the integration acts as.")
    private_key: SecretStr | None = Field(default=None, description="PEM private key (or use private_key_file).")
    private_key_file: Path | None = None
    audience: str | None = Field(default=None, description="JWT 'aud'; the login URL when empty.")

    @model_validator(mode="after")
    def _one_key(self) -> JwtBearerAuth:
        if (self.private_key is None) == (self.private_key_file is None):
            msg = "give exactly one of private_key or private_key_file"
            raise ValueError(msg)
        return self


class ClientCredentialsAuth(_Strict):
    """OAuth 2.0 client-credentials flow (server-to-server, a run-as user set on the app)."""

    kind: Literal["client_credentials"] = "client_credentials"
    client_id: str = Field(min_length=1)
    client_secret: SecretStr


class PasswordAuth(_Strict):
    """OAuth 2.0 username-password flow: password followed by the user's security token."""

    kind: Literal["password"] = "password"
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    username: str = Field(min_length=1)
    password: SecretStr
    security_token: SecretStr = SecretStr("")


class SessionAuth(_Strict):
    """An existing session ID on ``instance_url`` (sandboxes, tests, short scripts); cannot be renewed."""

    kind: Literal["session"] = "session"
    session_id: SecretStr


SalesforceAuth = Annotated[
    JwtBearerAuth | ClientCredentialsAuth | PasswordAuth | SessionAuth, Field(discriminator="kind")
]


_FieldPath = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)*$")]
_ObjectName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]


class ObjectSettings(_Strict):
    """One sObject to pull (and maybe write back to)."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$", description="API name: Contact, Lead, Account...")
    fields: list[Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]] | None = Field(
        default=None, description="Fields to read; every readable field (from describe) when empty."
    )
    writable: bool = False
    where: dict[_FieldPath, str | int | bool] = Field(
        default_factory=dict, description="Equality filters ANDed into every query; values are escaped."
    )


class SetupSettings(_Strict):
    """How ``contactpoint setup salesforce`` makes the write-back fields visible.

    The fields themselves (names and types) come from the mapping's ``writeback:``
    sections; these settings only say where they appear and who may see them.
    """

    layout_section: str = Field(
        default="Contactpoint", min_length=1, max_length=80, description="Page layout section holding the fields."
    )
    profiles: list[str] = Field(
        default_factory=list, description="Profiles whose users get read access; every profile when empty."
    )
    integration_profile: str | None = Field(
        default=None, description="Profile of the user Contactpoint signs in as; it gets edit access."
    )


def _default_objects() -> list[ObjectSettings]:
    return [
        ObjectSettings(name="Contact", writable=True),
        ObjectSettings(name="Lead", writable=True),
        ObjectSettings(name="Account"),
    ]


class SalesforceConfig(_Strict):
    """Everything the Salesforce connector needs; validated when the job is built."""

    auth: SalesforceAuth
    login_url: str = Field(default="https://login.salesforce.com", pattern=r"^https?://")
    instance_url: str | None = Field(default=None, pattern=r"^https?://", description="Required for session auth.")
    api_version: str = Field(default="60.0", pattern=r"^\d{2}\.0$")
    objects: list[ObjectSettings] = Field(default_factory=_default_objects, min_length=1)
    page_size: int = Field(default=2000, ge=200, le=2000, description="REST query batch size.")
    bulk_query_threshold: int = Field(default=10_000, ge=0, description="Pulls larger than this use Bulk API 2.0.")
    bulk_ingest_threshold: int = Field(default=2_000, ge=0, description="Pushes larger than this use Bulk ingest.")
    bulk_page_records: int = Field(default=50_000, ge=1, description="maxRecords per Bulk result page.")
    bulk_poll_seconds: float = Field(default=2.0, ge=0)
    bulk_timeout_seconds: float = Field(default=3600.0, gt=0)
    max_query_url_chars: int = Field(default=16_000, ge=1000, description="Longer queries go through Bulk.")
    formula_refresh_hours: float = Field(default=24.0, gt=0, description="Re-read formula fields this often.")
    api_budget_share: float = Field(default=0.8, gt=0, le=1, description="Stop before this share of the daily limit.")
    alert_objects: list[_ObjectName] = Field(
        default_factory=lambda: ["Task"],
        description="Objects write-back may create records in (alerts upserted on their key), without pulling them.",
    )
    setup: SetupSettings = Field(default_factory=SetupSettings)
    ca_file: Path | None = Field(default=None, description="CA bundle to verify TLS (a local sandbox's).")
    timeout_seconds: float = Field(default=120.0, gt=0)

    @model_validator(mode="after")
    def _session_needs_instance(self) -> SalesforceConfig:
        if isinstance(self.auth, SessionAuth) and self.instance_url is None:
            msg = "auth.kind 'session' needs instance_url"
            raise ValueError(msg)
        names = [o.name for o in self.objects]
        if len(set(names)) != len(names):
            msg = f"objects are listed twice: {sorted({n for n in names if names.count(n) > 1})}"
            raise ValueError(msg)
        return self

    def object(self, name: str) -> ObjectSettings | None:
        """Return the settings of object ``name``, or None when it is not configured."""
        return next((o for o in self.objects if o.name == name), None)
