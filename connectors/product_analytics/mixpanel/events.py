"""Pulling raw events: day ranges from the export, de-duplicated, in batches with a safe cursor.

pull(cursor)
├── days: from the window's start (last complete day - reread_days + 1), or
│   start_date on a first pull, to today (or yesterday without include_today)
├── one export query per ``days_per_query`` days, streamed line by line
├── a line that is not an event → RejectedRecord (parked with its reason)
├── an event read before (the day's DayMark) or earlier in this pass → dropped
└── batches of page_size: the cursor of the last finished query rides on every batch,
    and the batch that ends a query carries the cursor moved past it

Within one query, duplicates are recognised by a 64-bit digest of ``$insert_id``:
one query's worth of digests is held, then dropped. A crash in the middle of a
query reads that query again; the store's upsert by record ID absorbs the repeats.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, SourceRecord
from connectors.product_analytics.mixpanel.client import MixpanelClient
from connectors.product_analytics.mixpanel.config import MixpanelConfig
from connectors.product_analytics.mixpanel.window import DayMark, ExportWindow
from core.errors import ConnectorConfigError

__all__ = ["EventReader", "event_id", "parse_event"]

log = structlog.get_logger(__name__)

_STREAM = "events"
_RAW_LIMIT = 10_000
"""Characters of a rejected line kept for the admin."""


def event_id(event: Mapping[str, Any]) -> str:
    """Return the event's record ID: its ``$insert_id``, else a digest of name, time, distinct ID and properties.

    Mixpanel treats events with equal (event, time, distinct_id, $insert_id) as one;
    without an ``$insert_id`` the digest of the whole event stands in for it.
    """
    props = event.get("properties") or {}
    insert_id = props.get("$insert_id")
    if isinstance(insert_id, str) and insert_id:
        return insert_id
    text = json.dumps([event.get("event"), props], sort_keys=True, separators=(",", ":"), default=str)
    return "sha1:" + hashlib.sha1(text.encode("utf-8"), usedforsecurity=False).hexdigest()


def _event_time(value: Any) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        msg = f"properties.time is {value!r}, not seconds or milliseconds since the epoch"
        raise ValueError(msg)  # noqa: TRY004 - a bad value in the data, reported as the record's reason
    seconds = value / 1000 if value > 100_000_000_000 else value
    return datetime.fromtimestamp(seconds, tz=UTC)


def parse_event(line: bytes) -> tuple[dict[str, Any], datetime, int | None]:
    """Parse one export line into (event, time, processing time in ms or None).

    Raises:
        ValueError: The line is not an event Mixpanel would export; the message says why.
    """
    try:
        event = json.loads(line)
    except (ValueError, UnicodeDecodeError) as err:
        msg = f"not valid JSON ({err})"
        raise ValueError(msg) from None
    if not isinstance(event, dict):
        msg = f"a JSON {type(event).__name__}, not an event object"
        raise ValueError(msg)  # noqa: TRY004 - a bad value in the data
    props = event.get("properties")
    if not isinstance(event.get("event"), str) or not event["event"] or not isinstance(props, dict):
        msg = "the event has no name or no properties object"
        raise ValueError(msg)
    processed = props.get("mp_processing_time_ms")
    if isinstance(processed, bool) or not isinstance(processed, int | float):
        return event, _event_time(props.get("time")), None
    return event, _event_time(props.get("time")), int(processed)


class _Pass:
    """The events of one export query: de-duplication and the new day marks."""

    def __init__(self, window: ExportWindow, first: date, last: date, *, margin_ms: int) -> None:
        self.window = window
        self.margin_ms = margin_ms
        self.digests: set[bytes] = set()
        days = (first + timedelta(days=n) for n in range((last - first).days + 1))
        self.marks: dict[date, DayMark] = {day: window.mark(day).copy() for day in days}

    def is_new(self, record_id: str, moment: datetime, processed: int | None) -> bool:
        digest = hashlib.blake2b(record_id.encode("utf-8"), digest_size=8).digest()
        if digest in self.digests:
            return False
        self.digests.add(digest)
        if processed is None:  # no processing time: cannot tell, so emit (the store upserts by ID)
            return True
        day = moment.date()
        new = not self.window.mark(day).seen(processed, record_id, margin_ms=self.margin_ms)
        mark = self.marks.setdefault(day, self.window.mark(day).copy())
        mark.advance(processed, record_id, margin_ms=self.margin_ms)
        return new


class EventReader:
    """Reads the raw export incrementally; see the module docstring."""

    def __init__(
        self, client: MixpanelClient, config: MixpanelConfig, *, system: str, now: Callable[[], datetime]
    ) -> None:
        self._client = client
        self._config = config
        self._system = system
        self._now = now

    def pull(self, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of new events since ``cursor``, each with the cursor to save after it.

        Raises:
            ConnectorConfigError: The saved cursor is not this connector's.
            ConnectorError: The export was refused or the rate limit is spent.
        """
        try:
            window = ExportWindow.from_cursor(cursor)
        except (ValueError, TypeError, KeyError) as err:
            msg = f"the saved cursor of {self._system}.{_STREAM} is unreadable: {err}"
            raise ConnectorConfigError(msg, hint="reset the stream's cursor to pull it again", stream=_STREAM) from None
        today = self._now().astimezone(UTC).date()
        start = self._config.start_date or today - timedelta(days=self._config.initial_days)
        first = window.first_day(reread_days=self._config.reread_days, start=start)
        last = today if self._config.include_today else today - timedelta(days=1)
        while first <= last:
            through = min(last, first + timedelta(days=self._config.days_per_query - 1))
            yield from self._query(window, first, through, today=today)
            first = through + timedelta(days=1)

    def _query(self, window: ExportWindow, first: date, last: date, *, today: date) -> Iterator[PullBatch]:
        saved = window.to_cursor()
        state = _Pass(window, first, last, margin_ms=int(self._config.lateness_margin_seconds * 1000))
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        for number, line in enumerate(self._client.export_lines(first, last), start=1):
            if not line.strip():
                continue
            self._read(line, f"export {first}..{last} line {number}", state, records, rejected)
            if len(records) + len(rejected) >= self._config.page_size:
                yield self._batch(records, rejected, saved)
                records, rejected = [], []
        window.finish(state.marks, read_through=last, today=today, reread_days=self._config.reread_days)
        log.info("mixpanel.export_read", system=self._system, stream=_STREAM, first=str(first), last=str(last))
        yield self._batch(records, rejected, window.to_cursor())

    def _read(
        self, line: bytes, position: str, state: _Pass, records: list[SourceRecord], rejected: list[RejectedRecord]
    ) -> None:
        try:
            event, moment, processed = parse_event(line)
        except ValueError as err:
            text = line.decode("utf-8", "replace")[:_RAW_LIMIT]
            rejected.append(RejectedRecord(self._system, _STREAM, f"unusable event: {err}", text, None, position))
            return
        record_id = event_id(event)
        if state.is_new(record_id, moment, processed):
            records.append(SourceRecord(self._system, _STREAM, record_id, event, updated_at=moment))

    def _batch(self, records: list[SourceRecord], rejected: list[RejectedRecord], cursor: Cursor) -> PullBatch:
        log.info(
            "stream.page_fetched", system=self._system, stream=_STREAM, records=len(records), rejected=len(rejected)
        )
        return PullBatch(stream=_STREAM, records=records, cursor=cursor, rejected=rejected)
