"""Pulling raw events: day ranges from the export, de-duplicated, in batches with a safe cursor.

pull(cursor)
├── days: from the window's start (last complete day - reread_days + 1), or
│   start_date on a first pull, to today (or yesterday without include_today)
├── one export query per ``days_per_query`` days, streamed line by line
├── a line that is not an event → RejectedRecord (parked with its reason)
├── an event read before (the day's DayMark) or earlier in this pass → dropped
└── batches of page_size: a batch inside a query carries the cursor of the last finished
    query plus where in this one it stopped (``partial``: days, lines read, their digest);
    the batch that ends a query carries the cursor moved past it

Within one query, duplicates are recognised by a 64-bit digest of ``$insert_id``:
one query's worth of digests is held, then dropped. A pull stopped inside a query
asks for the same days again and skips the lines it had read (``_Resume``), so none
is emitted twice; if those lines came back different, it reads the query again whole
and the store's upsert by record ID absorbs the repeats.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
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
        event = json.loads(line.decode("utf-8"))
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


@dataclass(frozen=True)
class _Resume:
    """Where a pull stopped inside an export query: its days, the lines read and a digest of them.

    The export cannot be read from the middle, so a resumed pull asks for the same days
    again and reads its first ``lines`` without emitting them; when their digest differs
    (the export changed meanwhile), the query is read again from the start and emitted
    whole, and the store's upsert by ID absorbs what was stored before.
    """

    first: date
    last: date
    lines: int
    digest: str

    @classmethod
    def from_cursor(cls, cursor: Cursor | None) -> _Resume | None:
        value = (cursor or {}).get("partial")
        if not value:
            return None
        first, last = date.fromisoformat(value["from"]), date.fromisoformat(value["to"])
        return cls(first, last, int(value["lines"]), str(value["digest"]))

    def dump(self) -> dict[str, Any]:
        return {"from": self.first.isoformat(), "to": self.last.isoformat(), "lines": self.lines, "digest": self.digest}


def _insert_id_of(line: bytes) -> str | None:
    """The ``$insert_id`` of a line that is JSON but not a usable event, so the parked record names it."""
    try:
        value = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        return None
    props = value.get("properties") if isinstance(value, dict) else None
    insert_id = props.get("$insert_id") if isinstance(props, dict) else None
    return insert_id if isinstance(insert_id, str) and insert_id else None


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
        before = self.window.days.get(day)
        new = before is None or not before.seen(processed, record_id, margin_ms=self.margin_ms)
        mark = self.marks.get(day)
        if mark is None:
            mark = self.marks[day] = before.copy() if before is not None else DayMark()
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
            partial = _Resume.from_cursor(cursor)
        except (ValueError, TypeError, KeyError) as err:
            msg = f"the saved cursor of {self._system}.{_STREAM} is unreadable: {err}"
            raise ConnectorConfigError(msg, hint="reset the stream's cursor to pull it again", stream=_STREAM) from None
        today = self._now().astimezone(UTC).date()
        start = self._config.start_date or today - timedelta(days=self._config.initial_days)
        first = window.first_day(reread_days=self._config.reread_days, start=start)
        last = today if self._config.include_today else today - timedelta(days=1)
        while first <= last:
            through = min(last, first + timedelta(days=self._config.days_per_query - 1))
            resume = partial if partial is not None and (partial.first, partial.last) == (first, through) else None
            partial = None
            saved = window.to_cursor()
            if (yield from self._query(window, first, through, today=today, saved=saved, resume=resume)):
                log.info("mixpanel.export_changed", system=self._system, stream=_STREAM, first=str(first))
                yield from self._query(window, first, through, today=today, saved=saved, resume=None)
            first = through + timedelta(days=1)

    def _query(
        self, window: ExportWindow, first: date, last: date, *, today: date, saved: Cursor, resume: _Resume | None
    ) -> Generator[PullBatch, None, bool]:
        """Read one export query; return True when the lines read before a stop came back different."""
        state = _Pass(window, first, last, margin_ms=int(self._config.lateness_margin_seconds * 1000))
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        hasher = hashlib.blake2b(digest_size=16)
        count = 0
        lines = self._client.export_lines(first, last)
        try:
            for line in lines:
                if not line.strip():
                    continue
                count += 1
                hasher.update(line + b"\n")
                self._read(line, f"export {first}..{last} line {count}", state, records, rejected)
                if resume is not None and count <= resume.lines:  # read before the stop: not emitted again
                    records.clear()
                    rejected.clear()
                    if count == resume.lines and hasher.hexdigest() != resume.digest:
                        return True
                elif len(records) + len(rejected) >= self._config.page_size:
                    partial = _Resume(first, last, count, hasher.hexdigest())
                    yield self._batch(records, rejected, {**saved, "partial": partial.dump()})
                    records, rejected = [], []
        finally:
            lines.close()
        if resume is not None and count < resume.lines:
            return True
        window.finish(state.marks, read_through=last, today=today, reread_days=self._config.reread_days)
        log.info("mixpanel.export_read", system=self._system, stream=_STREAM, first=str(first), last=str(last))
        yield self._batch(records, rejected, window.to_cursor())
        return False

    def _read(
        self, line: bytes, position: str, state: _Pass, records: list[SourceRecord], rejected: list[RejectedRecord]
    ) -> None:
        try:
            event, moment, processed = parse_event(line)
        except ValueError as err:
            text = line.decode("utf-8", "replace")[:_RAW_LIMIT]
            reason = f"unusable event: {err}"
            rejected.append(RejectedRecord(self._system, _STREAM, reason, text, _insert_id_of(line), position))
            return
        record_id = event_id(event)
        if state.is_new(record_id, moment, processed):
            records.append(SourceRecord(self._system, _STREAM, record_id, event, updated_at=moment))

    def _batch(self, records: list[SourceRecord], rejected: list[RejectedRecord], cursor: Cursor) -> PullBatch:
        log.info(
            "stream.page_fetched", system=self._system, stream=_STREAM, records=len(records), rejected=len(rejected)
        )
        return PullBatch(stream=_STREAM, records=records, cursor=cursor, rejected=rejected)
