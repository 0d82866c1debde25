"""The cursor saved after each batch of a Zendesk stream, and Zendesk's time format.

Users and tickets are read through Zendesk's cursor-based incremental exports: the
cursor is Zendesk's own ``after_cursor``, which names the exact place after the last
record of a page, so a stream resumes there with nothing skipped and nothing repeated
(before the first page there is no cursor yet, and ``start_time`` is sent instead)::

    {"after_cursor": "MTcwNDE4NzIwMC4wfHwzNjEwMDAwMDAwMTJ8"}

Organizations have only the time-based export, whose pages overlap by the second they
meet at; their cursor is the shared ``connectors.cursor.Watermark`` (the newest
``updated_at`` read and the IDs read at it) and the next page starts at that second::

    {"updated_at": "2024-01-02T09:00:00Z", "ids_at_updated_at": ["362000000004"]}
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from connectors.base import Cursor
from connectors.cursor import Watermark

__all__ = ["format_time", "load_after_cursor", "load_watermark", "parse_time"]


def parse_time(value: Any) -> datetime:
    """Parse a Zendesk time (``2024-01-02T09:00:00Z``) into an aware UTC datetime.

    Raises:
        ValueError: The value is not a time with a zone.
    """
    if not isinstance(value, str) or not value:
        msg = f"not a Zendesk time: {value!r}"
        raise ValueError(msg)
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as err:
        msg = f"not a Zendesk time: {value!r} ({err})"
        raise ValueError(msg) from None
    if parsed.tzinfo is None:
        msg = f"Zendesk time without a zone: {value!r}"
        raise ValueError(msg)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Render a datetime as Zendesk writes it: UTC, whole seconds, ``Z``."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def load_after_cursor(cursor: Cursor | None) -> str | None:
    """Return the saved ``after_cursor`` of a cursor-export stream (None: start from ``start_time``).

    Raises:
        ValueError: The cursor was not written for a cursor-based export.
    """
    if not cursor:
        return None
    value = cursor.get("after_cursor")
    if not isinstance(value, str) or not value:
        msg = f"expected {{'after_cursor': '...'}}, got keys {sorted(cursor)}"
        raise ValueError(msg)
    return value


def load_watermark(cursor: Cursor | None) -> Watermark:
    """Return the saved watermark of a time-export stream (empty: from ``start_time``).

    Raises:
        ValueError: The cursor was not written for a time-based export.
    """
    if cursor and "updated_at" not in cursor:
        msg = f"expected {{'updated_at': ..., 'ids_at_updated_at': [...]}}, got keys {sorted(cursor)}"
        raise ValueError(msg)
    return Watermark.load(cursor, at="updated_at", ids="ids_at_updated_at", parse=parse_time)
