"""HubSpot streams: one small declaration each, and the time formats their cursors use.

contacts       CRM search on lastmodifieddate; archived contacts listed on their own
companies      CRM search on hs_lastmodifieddate; archived companies listed on their own
email_events   email events API, by the event's ``created`` time
subscriptions  each contact's subscription statuses (v4), for contacts changed since the cursor
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import StreamSpec

__all__ = [
    "CRM_STREAMS",
    "EVENT_STREAM",
    "SUBSCRIPTION_STREAM",
    "CrmStream",
    "format_time",
    "from_ms",
    "parse_time",
    "to_ms",
]


@dataclass(frozen=True)
class CrmStream:
    """A CRM object pulled by modified time.

    Attributes:
        name: The object (``contacts``), also the stream name.
        cursor: The modified-time property searches filter and sort on.
    """

    name: str
    cursor: str

    def spec(self, *, page_size: int, writable: bool) -> StreamSpec:
        """Return the protocol-level description of this stream."""
        return StreamSpec(name=self.name, primary_key="id", cursor_field=self.cursor, page_size=page_size,
                          writable=writable,
                          description=f"HubSpot {self.name} (CRM search on {self.cursor}; archived and merged as deleted)")  # fmt: skip


CRM_STREAMS: Mapping[str, CrmStream] = {
    "contacts": CrmStream("contacts", "lastmodifieddate"),
    "companies": CrmStream("companies", "hs_lastmodifieddate"),
}
EVENT_STREAM = StreamSpec(name="email_events", primary_key="id", cursor_field="created", page_size=1000,
                          description="HubSpot marketing email events: sent, delivered, opened, clicked, bounced, status changes")  # fmt: skip
SUBSCRIPTION_STREAM = StreamSpec(name="subscriptions", primary_key="id", cursor_field="lastmodifieddate", page_size=100,
                                 description="Email subscription statuses per contact and type, with the time each was stated")  # fmt: skip


def parse_time(value: Any) -> datetime:
    """Parse a HubSpot datetime (``2024-05-01T09:30:00.123Z``, or milliseconds) into an aware UTC datetime.

    Raises:
        ValueError: The value is not a time HubSpot would send.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return from_ms(value)
    if not isinstance(value, str) or not value:
        msg = f"not a HubSpot datetime: {value!r}"
        raise ValueError(msg)
    if value.isdigit():
        return from_ms(int(value))
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as err:
        msg = f"not a HubSpot datetime: {value!r} ({err})"
        raise ValueError(msg) from None
    if parsed.tzinfo is None:
        msg = f"HubSpot datetime without a zone: {value!r}"
        raise ValueError(msg)
    return parsed.astimezone(UTC)


def format_time(value: datetime) -> str:
    """Render a datetime as HubSpot writes it: UTC, milliseconds, ``Z``."""
    moment = value.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def to_ms(value: datetime) -> int:
    """Milliseconds since the epoch (how search filters and the events API take times)."""
    return round(value.timestamp() * 1000)


def from_ms(value: int) -> datetime:
    """An aware UTC datetime from milliseconds since the epoch."""
    return datetime.fromtimestamp(value / 1000, tz=UTC)
