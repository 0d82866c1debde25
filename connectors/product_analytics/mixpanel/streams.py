"""Mixpanel streams: one small declaration each.

events     the raw export by UTC day; key ``$insert_id`` (or a digest of the event
when it has none), cursor: the last complete day plus re-read day marks
profiles   the engage profile query, read whole each pass (Mixpanel keeps no
change time on profiles), page by page; key ``$distinct_id``; writable
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from connectors.base import StreamSpec
from core.errors import ConnectorConfigError

__all__ = ["ENGAGE_PAGE_SIZE", "MixpanelStream", "StreamName", "stream_named"]

ENGAGE_PAGE_SIZE = 1000
"""Profiles per engage query page (Mixpanel's fixed page size)."""


class StreamName(StrEnum):
    """The streams of the Mixpanel connector."""

    EVENTS = "events"
    PROFILES = "profiles"


@dataclass(frozen=True)
class MixpanelStream:
    """How one stream is read."""

    name: StreamName
    primary_key: str
    cursor_field: str | None
    description: str

    def spec(self, *, page_size: int, writable: bool) -> StreamSpec:
        """Return the protocol-level description of this stream."""
        return StreamSpec(self.name.value, self.primary_key, self.cursor_field, page_size, writable, self.description)


EVENTS = MixpanelStream(
    StreamName.EVENTS, "$insert_id", "time", "Mixpanel raw events (export API by UTC day, late events re-read)"
)
PROFILES = MixpanelStream(
    StreamName.PROFILES, "$distinct_id", None, "Mixpanel user profiles (engage query, read whole each pass)"
)


def stream_named(name: str, *, system: str) -> MixpanelStream:
    """Return the declaration of stream ``name``.

    Raises:
        ConnectorConfigError: No such stream; the hint lists them.
    """
    try:
        return {StreamName.EVENTS: EVENTS, StreamName.PROFILES: PROFILES}[StreamName(name)]
    except ValueError:
        msg = f"{system} has no stream {name!r}"
        raise ConnectorConfigError(msg, hint="Mixpanel streams: events, profiles", system=system) from None
