"""Pulling marketing email events: sent, delivered, opened, clicked, bounced, status changes.

The email events API lists events newest first, bounded by ``startTimestamp`` and
``endTimestamp`` (milliseconds, both inclusive) and paged by an opaque ``offset``.
Each pull reads one window, from the watermark (the newest ``created`` read, with the
IDs read at it) to now less ``events_settle_seconds`` (events arrive late). Since the
window is read newest first, the watermark moves only when the window has been read to
its end; each batch on the way saves the window and the next ``offset``, so a pull cut
short resumes where it stopped (an offset HubSpot no longer accepts restarts the
window; the store's upserts absorb the repeats). Cursor JSON::

    {"created": "2026-03-02T09:00:00.000Z", "ids_at_created": ["9b1d..."],
     "window": {"start": 1772442000000, "end": 1772528400000, "offset": "...",
                "created": "...", "ids_at_created": [...]}}        # only while a window is open
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timedelta
from typing import Any

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, RejectionCode, SourceRecord
from connectors.cursor import Watermark
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.reader import load_mark
from connectors.marketing.hubspot.streams import format_time, from_ms, to_ms
from core.errors import FatalApiError

__all__ = ["EventReader"]

log = structlog.get_logger(__name__)
STREAM = "email_events"


class EventReader:
    """Reads email events incrementally; see the module docstring."""

    def __init__(
        self, client: HubSpotClient, config: HubSpotConfig, *, system: str, now: Callable[[], datetime]
    ) -> None:
        self._client = client
        self._config = config
        self._system = system
        self._now = now

    def pull(self, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of events newer than the cursor, each with the cursor to save after it."""
        mark = load_mark(cursor, at="created", ids="ids_at_created", system=self._system, stream=STREAM)
        window = (cursor or {}).get("window")
        if isinstance(window, Mapping):
            newest = load_mark(window, at="created", ids="ids_at_created", system=self._system, stream=STREAM)
            start, end, offset = window.get("start"), int(window["end"]), window.get("offset")
        else:
            newest = mark.copy()
            start = to_ms(mark.at) if mark.at is not None else None
            end, offset = to_ms(self._now() - timedelta(seconds=self._config.events_settle_seconds)), None
        while True:
            page, offset = self._page(start, end, offset)
            records, rejected = self._records(page.get("events") or [], mark, newest)
            next_offset = page.get("offset")
            more = bool(page.get("hasMore")) and bool(next_offset)
            state = {"start": start, "end": end, "offset": next_offset,
                     **newest.dump(at="created", ids="ids_at_created", render=format_time)}  # fmt: skip
            out = newest if not more else mark
            saved = {
                **out.dump(at="created", ids="ids_at_created", render=format_time),
                "window": state if more else None,
            }
            log.info(
                "stream.page_fetched", system=self._system, stream=STREAM, records=len(records), rejected=len(rejected)
            )
            yield PullBatch(STREAM, records, saved, rejected)
            if not more:
                return
            offset = next_offset

    def _page(self, start: int | None, end: int, offset: str | None) -> tuple[dict[str, Any], str | None]:
        params: dict[str, Any] = {"endTimestamp": end, "limit": self._config.events_page_size}
        if start is not None:
            params["startTimestamp"] = start
        if offset:
            try:
                return self._client.email_events({**params, "offset": offset}), offset
            except FatalApiError as err:
                if err.context.get("status") != 400:
                    raise
                log.warning("hubspot.events_offset_refused", system=self._system, stream=STREAM)
        return self._client.email_events(params), None

    def _records(
        self, events: list[Any], mark: Watermark, newest: Watermark
    ) -> tuple[list[SourceRecord], list[RejectedRecord]]:
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        for position, event in enumerate(events, start=1):
            event_id = event.get("id") if isinstance(event, Mapping) else None
            created = event.get("created") if isinstance(event, Mapping) else None
            if not event_id:
                rejected.append(RejectedRecord(self._system, STREAM, "unusable email event: no id", event, None,
                                               f"event {position}", RejectionCode.NO_ID, "id"))  # fmt: skip
                continue
            if not isinstance(created, int) or isinstance(created, bool):
                reason = f"unusable email event: created is {created!r}, not milliseconds since the epoch"
                rejected.append(RejectedRecord(self._system, STREAM, reason, event, str(event_id), f"event {position}",
                                               RejectionCode.UNREADABLE, "created"))  # fmt: skip
                continue
            moment = from_ms(created)
            if mark.seen(moment, str(event_id)):
                continue
            newest.advance(moment, str(event_id))
            records.append(SourceRecord(self._system, STREAM, str(event_id), event, updated_at=moment))
        return records, rejected
