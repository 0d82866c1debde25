"""Settings of the HubSpot connector, as written under ``systems.<name>.settings``.

``auth.kind`` picks a private app's access token or an OAuth app's refresh token (a
discriminated union); secrets are ``SecretStr`` and come from environment variables
through ``${ENV}`` references in ``contactpoint.yaml``::

    settings:
      auth:
        kind: private_app
        access_token: ${HUBSPOT_ACCESS_TOKEN}
      objects:
        - {name: contacts, writable: true}
        - {name: companies}
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

__all__ = [
    "DEFAULT_PROPERTIES",
    "HubSpotAuth",
    "HubSpotConfig",
    "OAuthAuth",
    "ObjectName",
    "ObjectSettings",
    "PrivateAppAuth",
    "SetupSettings",
]

ObjectName = Literal["contacts", "companies"]

DEFAULT_PROPERTIES: dict[str, tuple[str, ...]] = {
    "contacts": (
        "email", "firstname", "lastname", "phone", "mobilephone", "company", "jobtitle", "address", "city", "state",
        "zip", "country", "date_of_birth", "lifecyclestage", "hs_email_optout", "hs_merged_object_ids",
        "associatedcompanyid", "createdate", "lastmodifieddate", "hs_object_id",
    ),
    "companies": (
        "name", "domain", "industry", "numberofemployees", "annualrevenue", "phone", "address", "city", "zip",
        "country", "hs_merged_object_ids", "createdate", "hs_lastmodifieddate", "hs_object_id",
    ),
}  # fmt: skip
"""Properties read from each object when the settings name none."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class PrivateAppAuth(_Strict):
    """A private app's access token (Settings > Integrations > Private apps); it does not expire."""

    kind: Literal["private_app"] = "private_app"
    access_token: SecretStr


class OAuthAuth(_Strict):
    """An OAuth app installed in the portal: access tokens are renewed with the refresh token."""

    kind: Literal["oauth"] = "oauth"
    client_id: str = Field(min_length=1)
    client_secret: SecretStr
    refresh_token: SecretStr


HubSpotAuth = Annotated[PrivateAppAuth | OAuthAuth, Field(discriminator="kind")]

_PropertyName = Annotated[str, Field(pattern=r"^[a-z0-9_]+$", max_length=100)]


class ObjectSettings(_Strict):
    """One CRM object to pull (and maybe write back to)."""

    name: ObjectName
    properties: list[_PropertyName] | None = Field(
        default=None, description="Properties to read; DEFAULT_PROPERTIES of the object when empty."
    )
    writable: bool = False


class SetupSettings(_Strict):
    """The property group ``contactpoint setup hubspot`` creates the write-back properties in."""

    group_name: str = Field(default="contactpoint", pattern=r"^[a-z][a-z0-9_]*$", max_length=100)
    group_label: str = Field(default="Contactpoint", min_length=1, max_length=100)


def _default_objects() -> list[ObjectSettings]:
    return [ObjectSettings(name="contacts", writable=True), ObjectSettings(name="companies")]


class HubSpotConfig(_Strict):
    """Everything the HubSpot connector needs; validated when the job is built."""

    auth: HubSpotAuth
    base_url: str = Field(default="https://api.hubapi.com", pattern=r"^https?://")
    objects: list[ObjectSettings] = Field(default_factory=_default_objects, min_length=1)
    email_events: bool = Field(default=True, description="Pull marketing email events (stream email_events).")
    subscriptions: bool = Field(default=True, description="Pull subscription statuses (stream subscriptions).")
    page_size: int = Field(
        default=200, ge=1, le=200, description="Records per search request (HubSpot's maximum: 200)."
    )
    events_page_size: int = Field(default=1000, ge=1, le=1000, description="Email events per request.")
    events_settle_seconds: float = Field(
        default=300.0, ge=0, description="Email events younger than this are left for the next pull (they arrive late)."
    )
    subscriptions_batch_size: int = Field(default=100, ge=1, le=100, description="People per statuses request.")
    search_requests_per_second: int = Field(
        default=5, ge=1, le=10, description="The search API's own rate (5 a second per account)."
    )
    api_budget_share: float = Field(default=0.8, gt=0, le=1, description="Stop before this share of the daily limit.")
    setup: SetupSettings = Field(default_factory=SetupSettings)
    ca_file: Path | None = Field(default=None, description="CA bundle to verify TLS (a local sandbox's).")
    timeout_seconds: float = Field(default=60.0, gt=0)

    @model_validator(mode="after")
    def _objects_once(self) -> HubSpotConfig:
        names = [o.name for o in self.objects]
        if len(set(names)) != len(names):
            msg = f"objects are listed twice: {sorted({n for n in names if names.count(n) > 1})}"
            raise ValueError(msg)
        return self

    def object(self, name: str) -> ObjectSettings | None:
        """Return the settings of object ``name``, or None when it is not configured."""
        return next((o for o in self.objects if o.name == name), None)

    def properties(self, name: str) -> list[str]:
        """Return the properties to read from object ``name``, the cursor and merge properties always included."""
        settings = self.object(name)
        chosen = (
            list(settings.properties) if settings and settings.properties else list(DEFAULT_PROPERTIES.get(name, ()))
        )
        always = ("hs_object_id", "createdate", "hs_merged_object_ids", _CURSOR[name])
        return list(dict.fromkeys([*chosen, *always]))


_CURSOR = {"contacts": "lastmodifieddate", "companies": "hs_lastmodifieddate"}
