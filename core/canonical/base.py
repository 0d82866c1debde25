"""Shared pieces of every canonical model: record references and wire enums."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from core.logs import MASK, names_a_secret

__all__ = [
    "CanonicalModel",
    "Channel",
    "JsonValue",
    "RecordRef",
    "SystemName",
    "aware",
    "describe_error_item",
    "describe_validation_error",
]

JsonValue = Any
"""A value that survives ``json.dumps``: str, int, float, bool, None, list, dict."""


def _require_timezone(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        msg = (
            f"datetime {value.isoformat()} has no timezone; give an offset such as "
            "'2024-05-01T09:30:00Z' or add 'parse_datetime: {default_tz: UTC}' to the mapping"
        )
        raise ValueError(msg)
    return value


aware = AfterValidator(_require_timezone)
"""Validator for datetimes that must carry a timezone (naive times are ambiguous)."""

SystemName = Annotated[
    str,
    Field(
        pattern=r"^[a-z][a-z0-9_]{0,39}$",
        description="A configured system's name: lowercase letters, digits and '_'.",
    ),
]


class CanonicalModel(BaseModel):
    """Base for canonical models: strict about unknown fields, trims strings.

    ``identifying`` names the fields that tell who or what the record is (a person's
    email and phones): a mapping rejects a record whose value there is bad, while a bad
    value in any other optional field is only left out.
    """

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        validate_assignment=True,
        use_enum_values=False,
    )

    identifying: ClassVar[frozenset[str]] = frozenset()


class RecordRef(CanonicalModel):
    """Where a canonical record came from: one record of one stream of one system."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: SystemName
    stream: str = Field(min_length=1)
    source_id: str = Field(min_length=1)

    def __str__(self) -> str:
        """Render as ``system/stream/source_id``, the form the CLI accepts."""
        return f"{self.system}/{self.stream}/{self.source_id}"

    @classmethod
    def parse(cls, text: str) -> RecordRef:
        """Parse ``system/stream/source_id``.

        Raises:
            ValueError: When the text does not have three non-empty parts.
        """
        parts = text.split("/", 2)
        if len(parts) != 3 or not all(parts):
            msg = f"record reference {text!r} is not 'system/stream/source_id', e.g. 'salesforce/Contact/003xx'"
            raise ValueError(msg)
        return cls(system=parts[0], stream=parts[1], source_id=parts[2])


class Channel(StrEnum):
    """Ways of reaching a person."""

    EMAIL = "email"
    SMS = "sms"
    PHONE = "phone"
    PUSH = "push"
    MAIL = "mail"
    IN_APP = "in_app"
    CHAT = "chat"
    WEB = "web"
    OTHER = "other"


def describe_validation_error(err: Any) -> list[str]:
    """Turn a pydantic ``ValidationError`` into lines a person can act on.

    Each line reads ``field.path: message (got 'value')``, without pydantic's
    URLs or type codes.
    """
    return [describe_error_item(item) for item in err.errors(include_url=False, include_context=False)]


def describe_error_item(item: Mapping[str, Any]) -> str:
    """Describe one entry of ``ValidationError.errors()`` as ``field.path: message (got 'value')``."""
    path = ".".join(str(part) for part in item["loc"]) or "(record)"
    message = str(item["msg"]).removeprefix("Value error, ")
    if item["type"] == "extra_forbidden":
        message = "is not a field of the canonical model"
    elif item["type"] == "missing":
        message = "is required but missing"
    value = item.get("input")
    if names_a_secret(item["loc"]):
        value = MASK  # a secret of the wrong type is named, never shown
    shown = "" if item["type"] in {"missing"} or isinstance(value, dict) else f" (got {value!r})"
    return f"{path}: {message}{shown}"
