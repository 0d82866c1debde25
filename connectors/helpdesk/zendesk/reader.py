"""Pulling one Zendesk stream: one export page per batch, with the cursor to save after it.

pull(stream, cursor)
├── users, tickets      cursor-based export: ``start_time`` on the first request (the
│                       configured ``start_time``), Zendesk's ``after_cursor`` after that;
│                       each page is a batch saved with its ``after_cursor``; pages until
│                       ``end_of_stream``. Tickets come with their metric set
│                       (``include=metric_sets``) as ``raw["metric_set"]``.
├── organizations       time-based export from the watermark's second (inclusive); the
│                       records of that second already read are dropped; the next page
│                       starts at ``end_time``
└── raw → SourceRecord (``deleted`` per stream) | RejectedRecord (no ID, no readable
    ``updated_at``), the rest of the page going on
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, RejectionCode, SourceRecord
from connectors.cursor import Watermark
from connectors.helpdesk.zendesk.bookmark import format_time, load_after_cursor, load_watermark, parse_time
from connectors.helpdesk.zendesk.client import ZendeskClient
from connectors.helpdesk.zendesk.config import StreamName, ZendeskConfig
from connectors.helpdesk.zendesk.streams import Export, ZendeskStream, stream_for
from core.errors import ConnectorConfigError, FatalApiError

__all__ = ["StreamReader"]

log = structlog.get_logger(__name__)


class StreamReader:
    """Reads the configured streams incrementally; see the module docstring."""

    def __init__(self, client: ZendeskClient, config: ZendeskConfig, *, system: str) -> None:
        self._client = client
        self._config = config
        self._system = system

    def declaration(self, stream: str) -> ZendeskStream:
        """Return the declaration of a configured stream.

        Raises:
            ConnectorConfigError: The stream is not configured.
        """
        settings = self._config.stream(stream)
        if settings is None:
            known = ", ".join(s.name.value for s in self._config.streams)
            msg = f"stream {stream!r} is not configured for {self._system}; configured: {known}"
            raise ConnectorConfigError(msg, hint="add it under settings.streams", system=self._system, stream=stream)
        return stream_for(settings.name)

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield one batch per export page, each with the cursor to save after it."""
        declaration = self.declaration(stream)
        try:
            if declaration.export is Export.CURSOR:
                after, mark = load_after_cursor(cursor), None
            else:
                after, mark = None, load_watermark(cursor)
        except (ValueError, TypeError) as err:
            msg = f"the saved cursor of {self._system}.{stream} is unreadable: {err}"
            raise ConnectorConfigError(msg, hint="reset the stream's cursor to pull it again", stream=stream) from None
        if mark is None:
            return self._cursor_pages(declaration, after)
        return self._time_pages(declaration, mark)

    def _start_time(self) -> int:
        return int(self._config.start_time.timestamp())

    def _cursor_pages(self, declaration: ZendeskStream, after: str | None) -> Iterator[PullBatch]:
        name = declaration.name.value
        include = (
            declaration.include
            if declaration.name is not StreamName.TICKETS or self._config.include_metric_sets
            else None
        )
        start: int | None = None if after else self._start_time()
        page_no = 0
        while True:
            page = self._client.cursor_export(name, start_time=start, cursor=after, include=include)
            page_no += 1
            records, rejected = self._records(declaration, page, page_no)
            next_after = page.get("after_cursor") or after
            cursor = {"after_cursor": next_after} if next_after else {}
            yield self._batch(name, records, rejected, cursor)
            if page.get("end_of_stream", True) is not False:
                return
            if next_after == after:
                msg = f"the {name} export did not move past cursor {after!r} although end_of_stream is false"
                raise FatalApiError(msg, hint="run again later; if it persists, reset the stream's cursor", stream=name)
            after, start = next_after, None

    def _time_pages(self, declaration: ZendeskStream, mark: Watermark) -> Iterator[PullBatch]:
        name = declaration.name.value
        start = int(mark.at.timestamp()) if mark.at is not None else self._start_time()
        page_no = 0
        while True:
            page = self._client.time_export(name, start_time=start)
            page_no += 1
            records, rejected = self._records(declaration, page, page_no)
            fresh = [r for r in records if r.updated_at is None or not mark.seen(r.updated_at, r.source_id)]
            for record in fresh:
                if record.updated_at is not None:
                    mark.advance(record.updated_at, record.source_id)
            cursor = mark.dump(at="updated_at", ids="ids_at_updated_at", render=format_time)
            yield self._batch(name, fresh, rejected, cursor)
            if page.get("end_of_stream", True) is not False:
                return
            end_time = page.get("end_time")
            if not isinstance(end_time, int) or end_time <= start:
                msg = f"the {name} export did not move past {start} (end_time {end_time!r}) although end_of_stream is false"
                hint = "run again; if it repeats, more records share one second than a page holds: raise page_size"
                raise FatalApiError(msg, hint=hint, stream=name)
            start = end_time

    def _batch(
        self, stream: str, records: list[SourceRecord], rejected: list[RejectedRecord], cursor: dict[str, Any]
    ) -> PullBatch:
        log.info(
            "stream.page_fetched", system=self._system, stream=stream, records=len(records), rejected=len(rejected)
        )
        return PullBatch(stream=stream, records=records, cursor=cursor, rejected=rejected)

    def _records(
        self, declaration: ZendeskStream, page: Mapping[str, Any], page_no: int
    ) -> tuple[list[SourceRecord], list[RejectedRecord]]:
        name = declaration.name.value
        metrics = {m.get("ticket_id"): m for m in page.get("metric_sets") or [] if isinstance(m, Mapping)}
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        for index, raw in enumerate(page.get(name) or [], start=1):
            position = f"page {page_no} record {index}"
            if not isinstance(raw, Mapping):
                rejected.append(
                    RejectedRecord(self._system, name, "the record is not a JSON object", raw, None, position)
                )
                continue
            record_id, stamp = _check(raw)
            if record_id is None or isinstance(stamp, str):
                code, field = (
                    (RejectionCode.NO_ID, "id") if record_id is None else (RejectionCode.UNREADABLE, "updated_at")
                )
                reason = f"unusable record: {stamp}"
                rejected.append(RejectedRecord(self._system, name, reason, dict(raw), record_id, position, code, field))
                continue
            full = {**raw, "metric_set": metrics[raw["id"]]} if raw.get("id") in metrics else dict(raw)
            deleted = declaration.is_deleted(full)
            records.append(SourceRecord(self._system, name, record_id, full, updated_at=stamp, deleted=deleted))
        return records, rejected


def _check(raw: Mapping[str, Any]) -> tuple[str | None, datetime | str]:
    """Return (id, updated_at) of a raw record; no id, or a problem in place of the time, rejects it."""
    value = raw.get("id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        return None, f"the record has no numeric id (id={value!r})"
    try:
        return str(value).strip(), parse_time(raw.get("updated_at"))
    except ValueError as err:
        return str(value).strip(), f"updated_at: {err}"
