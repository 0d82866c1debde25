"""Zendesk streams: one small declaration each, and how a raw record says it is deleted.

users           cursor-based incremental export; deleted when ``active`` is false
tickets         cursor-based incremental export (metric sets sideloaded); deleted
when ``status`` is ``deleted``
organizations   time-based incremental export (Zendesk has no cursor-based one for
organizations); deleted when ``deleted_at`` is set
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from connectors.base import StreamSpec
from connectors.helpdesk.zendesk.config import StreamName

__all__ = ["CURSOR_FIELD", "STREAMS", "Export", "ZendeskStream", "stream_for"]

CURSOR_FIELD = "updated_at"


class Export(StrEnum):
    """Which incremental export a stream is read through."""

    CURSOR = "cursor"
    TIME = "time"


@dataclass(frozen=True)
class ZendeskStream:
    """How one stream is pulled.

    Attributes:
        name: The stream's name, also the export's path and the records' key in a page.
        export: Cursor-based or time-based.
        is_deleted: Whether a raw record is a deletion.
        include: Sideloads asked for (``metric_sets`` for tickets).
    """

    name: StreamName
    export: Export
    is_deleted: Callable[[Mapping[str, Any]], bool]
    include: str | None = None

    def spec(self, *, page_size: int, writable: bool) -> StreamSpec:
        """Return the protocol-level description of this stream."""
        return StreamSpec(
            name=self.name.value,
            primary_key="id",
            cursor_field=CURSOR_FIELD,
            page_size=page_size,
            writable=writable,
            description=f"Zendesk {self.name.value} ({self.export.value}-based incremental export)",
        )


STREAMS: Mapping[StreamName, ZendeskStream] = {
    StreamName.USERS: ZendeskStream(StreamName.USERS, Export.CURSOR, lambda r: r.get("active") is False),
    StreamName.TICKETS: ZendeskStream(
        StreamName.TICKETS, Export.CURSOR, lambda r: r.get("status") == "deleted", include="metric_sets"
    ),
    StreamName.ORGANIZATIONS: ZendeskStream(StreamName.ORGANIZATIONS, Export.TIME, lambda r: bool(r.get("deleted_at"))),
}


def stream_for(name: StreamName) -> ZendeskStream:
    """Return the declaration of stream ``name``."""
    return STREAMS[name]
