"""Column types and value helpers shared by every table of the store.

* ``UtcDateTime`` stores timezone-aware datetimes as UTC on every backend and
  always hands back aware UTC datetimes (SQLite has no timezone type).
* ``JSON_TYPE`` is ``JSON`` everywhere and ``JSONB`` on PostgreSQL.
* ``canonical_json`` / ``content_hash`` give one byte-exact JSON text for a value
  (sorted keys, no spaces), so equal content always hashes equal; ``CanonicalText``
  marks a text already in that form, which a lean write stores as it is.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any
from uuid import UUID

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect

from core.errors import StoreError

__all__ = [
    "JSON_TYPE",
    "CanonicalText",
    "UtcDateTime",
    "canonical_json",
    "content_hash",
    "json_default",
    "json_dumps",
    "json_field",
    "text_hash",
    "ts_field",
    "utc_now",
]


def utc_now() -> datetime:
    """Return the current time as an aware UTC datetime (the store's default clock)."""
    return datetime.now(UTC)


def json_default(value: Any) -> Any:
    """Turn values ``json`` cannot write into JSON ones: datetimes as ISO text, and so on.

    Raises:
        TypeError: For values with no sensible JSON form.
    """
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal | UUID):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, set | frozenset | tuple):
        return sorted(value, key=repr) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "model_dump"):
        return value.model_dump(mode="json")
    msg = f"cannot store a {type(value).__name__} as JSON"
    raise TypeError(msg)


_ENCODER = json.JSONEncoder(default=json_default, sort_keys=True, separators=(",", ":"), allow_nan=False)
"""One encoder for every value (``json.dumps`` with these options builds a new one per call)."""


def json_dumps(value: Any) -> str:
    """Serialise for a JSON column: sorted keys, compact, no NaN (PostgreSQL refuses it)."""
    return _ENCODER.encode(value)


def canonical_json(value: Any) -> str:
    """Return the one canonical JSON text of ``value``.

    Raises:
        StoreError: When the value holds something JSON cannot represent (NaN, objects).
    """
    try:
        return json_dumps(value)
    except (TypeError, ValueError) as err:
        msg = f"value cannot be stored as JSON: {err}"
        raise StoreError(
            msg,
            hint="map NaN/infinite numbers and custom objects to strings or null before storing",
        ) from err


class CanonicalText(str):
    """A JSON text already in canonical form: ``canonical_json`` of the value it holds, made by its producer.

    A batch that builds a row's JSON text from parts encoded once (a one-record golden
    record) hands it on like this, and the write stores and hashes the text as it is
    instead of encoding the value again; a test of the producer holds the text equal to
    ``canonical_json`` of the value.
    """

    __slots__ = ()


def content_hash(value: Any) -> str:
    """Return the SHA-256 hex digest of ``canonical_json(value)``."""
    return text_hash(canonical_json(value))


def text_hash(text: str) -> str:
    """Return the SHA-256 hex digest of a (canonical JSON) text."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


JSON_TYPE: sa.types.TypeEngine[Any] = sa.JSON().with_variant(JSONB(), "postgresql")
"""JSON column type: ``JSONB`` on PostgreSQL (comparable, indexable), ``JSON`` elsewhere."""


class UtcDateTime(sa.types.TypeDecorator[datetime]):
    """A timezone-aware datetime column, stored as UTC, returned as aware UTC.

    PostgreSQL keeps it as ``timestamptz``; SQLite as ISO text in UTC. Binding a
    naive datetime raises ``ValueError``: a time without a zone is ambiguous.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Check the value is aware and convert it to UTC (naive UTC on SQLite)."""
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            msg = f"naive datetime {value.isoformat()} cannot be stored; give it a timezone (e.g. datetime.now(UTC))"
            raise ValueError(msg)
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return the stored value as an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def ts_field(*, nullable: bool = False) -> Any:
    """A table column of ``UtcDateTime`` (a SQLModel ``Field``)."""
    from sqlmodel import Field

    return Field(sa_column=sa.Column(UtcDateTime(), nullable=nullable))


def json_field(*, nullable: bool = False) -> Any:
    """A table column of ``JSON_TYPE`` (a SQLModel ``Field``)."""
    from sqlmodel import Field

    return Field(sa_column=sa.Column(JSON_TYPE, nullable=nullable))
