"""Settings of the Mixpanel connector, as written under ``systems.<name>.settings``.

``auth.kind`` picks the credentials of the read APIs (raw export, engage query): a
service account (recommended by Mixpanel) or the legacy project secret; both are
sent as HTTP Basic. Profile write-back goes through the ingestion API, which takes
the project token instead. Secrets come from the environment::

    settings:
      project_id: 3125171
      region: eu
      auth:
        kind: service_account
        username: ${MIXPANEL_SA_USERNAME}
        secret: ${MIXPANEL_SA_SECRET}
      project_token: ${MIXPANEL_PROJECT_TOKEN}
"""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

__all__ = ["MixpanelAuth", "MixpanelConfig", "ProjectSecretAuth", "Region", "ServiceAccountAuth"]

ENGAGE_MAX_BATCH = 2000
"""Profile updates per /engage request: Mixpanel's documented maximum (User Profile API limits)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ServiceAccountAuth(_Strict):
    """A Mixpanel service account: username and secret, sent with ``project_id``."""

    kind: Literal["service_account"] = "service_account"
    username: str = Field(min_length=1, description="e.g. contactpoint.1a2b3c.mp-service-account")
    secret: SecretStr


class ProjectSecretAuth(_Strict):
    """The project's API secret (legacy; Mixpanel recommends service accounts)."""

    kind: Literal["project_secret"] = "project_secret"
    api_secret: SecretStr


MixpanelAuth = Annotated[ServiceAccountAuth | ProjectSecretAuth, Field(discriminator="kind")]


class Region(StrEnum):
    """Where the project's data lives (Mixpanel data residency)."""

    US = "us"
    EU = "eu"
    IN = "in"

    def urls(self) -> tuple[str, str, str]:
        """Return the (export, query, ingestion) base URLs of the region."""
        data, query, api = {"us": ("data", "mixpanel", "api"), "eu": ("data-eu", "eu.mixpanel", "api-eu"),
                            "in": ("data-in", "in.mixpanel", "api-in")}[self.value]  # fmt: skip
        return f"https://{data}.mixpanel.com/api/2.0", f"https://{query}.com/api/query", f"https://{api}.mixpanel.com"


_Url = Annotated[str, Field(pattern=r"^https?://\S+$")]


class MixpanelConfig(_Strict):
    """Everything the Mixpanel connector needs; validated when the job is built."""

    auth: MixpanelAuth
    project_id: int = Field(ge=1, description="Project settings > Overview > Project ID.")
    project_token: SecretStr | None = Field(default=None, description="Needed for write-back (the ingestion API).")
    region: Region = Region.US
    export_url: _Url | None = Field(default=None, description="Overrides the region's export base URL.")
    query_url: _Url | None = Field(default=None, description="Overrides the region's query API base URL.")
    ingestion_url: _Url | None = Field(default=None, description="Overrides the region's ingestion base URL.")
    gdpr_url: _Url | None = Field(default=None, description="Overrides the region's GDPR API base URL (…/api/app).")
    gdpr_token: SecretStr | None = Field(
        default=None, description="OAuth token for the GDPR API (erasure); the service account is used without it."
    )
    deletion_wait_seconds: float = Field(default=300.0, ge=0, description="How long erase follows a deletion task.")
    start_date: date | None = Field(
        default=None, description="First day of the first pull; initial_days ago when empty."
    )
    initial_days: int = Field(default=30, ge=1, le=3650)
    reread_days: int = Field(default=5, ge=0, le=60, description="Complete days read again for late events.")
    days_per_query: int = Field(
        default=7, ge=1, le=31, description="Days of one export query (a backfill of a year fits the hourly limit)."
    )
    include_today: bool = Field(default=True, description="Read today's events too (today is never complete).")
    lateness_margin_seconds: float = Field(default=120.0, ge=0, le=86_400)
    events: list[Annotated[str, Field(min_length=1)]] | None = Field(default=None, description="Event names to export.")
    profile_where: str | None = Field(default=None, description="Engage 'where' expression selecting profiles.")
    page_size: int = Field(default=1000, ge=100, le=100_000, description="Events per pulled batch.")
    batch_size: int = Field(default=ENGAGE_MAX_BATCH, ge=1, le=ENGAGE_MAX_BATCH)
    write_profiles: bool = True
    export_per_hour: int = Field(default=60, ge=1, description="Raw export queries an hour (Mixpanel: 60).")
    export_per_second: int = Field(default=3, ge=1, description="Raw export queries a second (Mixpanel: 3).")
    query_per_hour: int = Field(default=60, ge=1, description="Query API (engage) queries an hour (Mixpanel: 60).")
    max_throttle_wait_seconds: float = Field(default=120.0, ge=0)
    ca_file: Path | None = Field(default=None, description="CA bundle to verify TLS (a local sandbox's).")
    timeout_seconds: float = Field(default=300.0, gt=0)

    def gdpr_base(self) -> str:
        """Return the GDPR API's base URL (``https://mixpanel.com/api/app`` in the US), override first."""
        host = {"us": "mixpanel.com", "eu": "eu.mixpanel.com", "in": "in.mixpanel.com"}[self.region.value]
        return (self.gdpr_url or f"https://{host}/api/app").rstrip("/")

    def urls(self) -> tuple[str, str, str]:
        """Return the (export, query, ingestion) base URLs, overrides first, without trailing slashes."""
        export, query, ingestion = self.region.urls()
        return (
            (self.export_url or export).rstrip("/"),
            (self.query_url or query).rstrip("/"),
            (self.ingestion_url or ingestion).rstrip("/"),
        )
