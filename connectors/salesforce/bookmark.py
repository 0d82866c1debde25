"""The SystemModstamp bookmark: never skip, never repeat, even on shared timestamps.

Many records can share one ``SystemModstamp`` (a mass update stamps thousands
with the same millisecond), so the cursor is a ``connectors.cursor.Watermark``: the
timestamp *and* the IDs already read at it; the next query uses ``>=`` and drops
those IDs. Results are ordered by ``SystemModstamp, Id``, so everything strictly
older than the bookmark was read already. Salesforce adds one thing of its own: when
formula fields were last re-read in full (their values change without a modstamp).

Cursor JSON::

    {"modstamp": "2024-05-01T10:00:00.000Z", "ids_at_modstamp": ["003...", ...],
     "formula_refreshed_at": "2024-05-01T00:00:00Z"}
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connectors.base import Cursor
from connectors.cursor import Watermark

__all__ = ["Bookmark", "format_modstamp", "parse_modstamp"]


def parse_modstamp(value: Any) -> datetime:
    """Parse a Salesforce datetime (``2024-05-01T10:00:00.000+0000``) into an aware UTC datetime.

    Raises:
        ValueError: The value is not a datetime Salesforce would send.

    """
    if not isinstance(value, str) or not value:
        msg = f"not a Salesforce datetime: {value!r}"
        raise ValueError(msg)
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        msg = f"Salesforce datetime without a zone: {value!r}"
        raise ValueError(msg)
    return parsed.astimezone(UTC)


def format_modstamp(value: datetime) -> str:
    """Render a datetime as Salesforce writes it, in UTC with milliseconds."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{value.microsecond // 1000:03d}Z"


@dataclass
class Bookmark:
    """Progress through one stream: the shared ``Watermark`` over ``SystemModstamp``, and the formula refresh time."""

    mark: Watermark = field(default_factory=Watermark)
    formula_refreshed_at: datetime | None = None

    @property
    def modstamp(self) -> datetime | None:
        """The newest ``SystemModstamp`` read (None: from the beginning)."""
        return self.mark.at

    @property
    def ids_at_modstamp(self) -> set[str]:
        """The IDs read at exactly ``modstamp``."""
        return self.mark.ids

    @classmethod
    def from_cursor(cls, cursor: Cursor | None) -> Bookmark:
        """Read a saved cursor (None or empty: from the beginning).

        Raises:
            ValueError: The cursor was not written by this connector.

        """
        refreshed = (cursor or {}).get("formula_refreshed_at")
        return cls(
            mark=Watermark.load(cursor, at="modstamp", ids="ids_at_modstamp", parse=parse_modstamp),
            formula_refreshed_at=parse_modstamp(refreshed) if refreshed else None,
        )

    def to_cursor(self) -> dict[str, Any]:
        """Return the JSON cursor to save."""
        return {
            **self.mark.dump(at="modstamp", ids="ids_at_modstamp", render=format_modstamp),
            "formula_refreshed_at": format_modstamp(self.formula_refreshed_at) if self.formula_refreshed_at else None,
        }

    def seen(self, modstamp: datetime, record_id: str) -> bool:
        """Tell whether this record (at this modstamp) was already read."""
        return self.mark.seen(modstamp, record_id)

    def advance(self, modstamp: datetime, record_id: str) -> None:
        """Record that this record was read; results arrive oldest first."""
        self.mark.advance(modstamp, record_id)

    def restart(self) -> Bookmark:
        """Return a bookmark from the beginning that keeps the formula refresh time (full re-read)."""
        return Bookmark(formula_refreshed_at=self.formula_refreshed_at)
