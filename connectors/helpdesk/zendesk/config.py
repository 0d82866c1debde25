"""Settings of the Zendesk connector, as written under ``systems.<name>.settings``.

``auth.kind`` picks one of two modes (a discriminated union, so each lists only the
fields it needs); secrets are ``SecretStr`` and come from environment variables
through ``${ENV}`` references in ``contactpoint.yaml``. The account is named by its
``subdomain`` (``acme`` for https://acme.zendesk.com) or by a full ``base_url`` (a host
mapped domain, a local sandbox)::

    settings:
      subdomain: acme
      auth:
        kind: api_token
        email: integrations@acme.com
        api_token: ${ZENDESK_API_TOKEN}
      streams:
        - {name: users, writable: true}
        - {name: organizations}
        - {name: tickets}
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

__all__ = [
    "ApiTokenAuth",
    "OAuthAuth",
    "StreamName",
    "StreamSettings",
    "ZendeskAuth",
    "ZendeskConfig",
]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ApiTokenAuth(_Strict):
    """An API token: HTTP Basic as ``{email}/token`` with the token as the password."""

    kind: Literal["api_token"] = "api_token"
    email: str = Field(pattern=r"^[^@\s]+@[^@\s]+$", description="The admin the token acts as.")
    api_token: SecretStr


class OAuthAuth(_Strict):
    """An OAuth access token (``Authorization: Bearer``), from an OAuth client of the account."""

    kind: Literal["oauth"] = "oauth"
    access_token: SecretStr


ZendeskAuth = Annotated[ApiTokenAuth | OAuthAuth, Field(discriminator="kind")]


class StreamName(StrEnum):
    """The streams the connector reads."""

    USERS = "users"
    ORGANIZATIONS = "organizations"
    TICKETS = "tickets"


class StreamSettings(_Strict):
    """One stream to pull (and, for users, maybe write back to)."""

    name: StreamName
    writable: bool = False

    @model_validator(mode="after")
    def _only_users_write(self) -> StreamSettings:
        if self.writable and self.name is not StreamName.USERS:
            msg = f"stream {self.name.value!r} cannot be writable; write-back goes to users"
            raise ValueError(msg)
        return self


def _default_streams() -> list[StreamSettings]:
    return [
        StreamSettings(name=StreamName.USERS, writable=True),
        StreamSettings(name=StreamName.ORGANIZATIONS),
        StreamSettings(name=StreamName.TICKETS),
    ]


class ZendeskConfig(_Strict):
    """Everything the Zendesk connector needs; validated when the job is built."""

    auth: ZendeskAuth
    subdomain: str | None = Field(
        default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,62}$", description="acme for https://acme.zendesk.com."
    )
    base_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+/?$",
        description="The account's URL, when not {subdomain}.zendesk.com.",
    )
    streams: list[StreamSettings] = Field(default_factory=_default_streams, min_length=1)
    start_time: datetime = Field(
        default=datetime(1970, 1, 1, tzinfo=UTC),
        description="Where a stream's first pull starts: a date (UTC) or a time with its zone.",
    )
    page_size: int = Field(default=1000, ge=1, le=1000, description="per_page of the incremental exports.")
    exports_per_minute: int = Field(
        default=10, ge=1, le=1000, description="Incremental export requests a minute (10; 30 with High Volume API)."
    )
    requests_per_minute: int | None = Field(
        default=None, ge=1, description="Pace every request to this many a minute (a share of the plan's limit)."
    )
    include_metric_sets: bool = Field(default=True, description="Sideload ticket metric sets (solved_at...).")
    job_poll_seconds: float = Field(default=1.0, ge=0)
    job_timeout_seconds: float = Field(default=600.0, gt=0)
    max_open_jobs: int = Field(default=30, ge=1, le=30, description="Bulk jobs queued before polling (Zendesk: 30).")
    ca_file: Path | None = Field(default=None, description="CA bundle to verify TLS (a local sandbox's).")
    timeout_seconds: float = Field(default=120.0, gt=0)

    @field_validator("start_time", mode="before")
    @classmethod
    def _date_is_midnight_utc(cls, value: Any) -> Any:
        """A plain date (``2024-01-01``) means its first second in UTC."""
        if isinstance(value, date) and not isinstance(value, datetime):
            return datetime(value.year, value.month, value.day, tzinfo=UTC)
        if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
            return datetime.fromisoformat(value.strip()).replace(tzinfo=UTC)
        return value

    @model_validator(mode="after")
    def _one_address(self) -> ZendeskConfig:
        if (self.subdomain is None) == (self.base_url is None):
            msg = "give exactly one of subdomain (acme) or base_url (https://acme.zendesk.com)"
            raise ValueError(msg)
        if self.start_time.tzinfo is None:
            msg = f"start_time {self.start_time.isoformat()} needs a timezone, e.g. 2024-01-01T00:00:00Z"
            raise ValueError(msg)
        names = [s.name for s in self.streams]
        if len(set(names)) != len(names):
            msg = f"streams are listed twice: {sorted({n.value for n in names if names.count(n) > 1})}"
            raise ValueError(msg)
        return self

    @property
    def api_url(self) -> str:
        """The account's URL without a trailing slash (``https://acme.zendesk.com``)."""
        return (self.base_url or f"https://{self.subdomain}.zendesk.com").rstrip("/")

    def stream(self, name: str) -> StreamSettings | None:
        """Return the settings of stream ``name``, or None when it is not configured."""
        return next((s for s in self.streams if s.name.value == name), None)
