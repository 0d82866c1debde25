"""Pulling one Salesforce stream: REST pages or a Bulk 2.0 job, batches with a safe cursor.

pull(stream, cursor)
├── describe → fields to read (compound fields left out), which are formulas, their types
├── formula refresh due? → read everything again (formulas change without SystemModstamp)
├── SOQL: SystemModstamp >= bookmark, ORDER BY SystemModstamp, Id, via queryAll
├── REST, or Bulk 2.0 when the first page's totalSize passes the threshold,
│   or when the query URL is too long (hundreds of fields; also on HTTP 414)
└── rows → SourceRecord (deleted, merged_into) | RejectedRecord, RejectionCode, de-duplicated by the bookmark
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain, islice
from typing import Any
from urllib.parse import quote

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, RejectionCode, SourceRecord
from connectors.salesforce.bookmark import Bookmark, parse_modstamp
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.csvrows import coerce_row
from connectors.salesforce.streams import CURSOR_FIELD, build_soql, select_fields, stream_for
from core.errors import ConnectorConfigError, FatalApiError

__all__ = ["StreamReader"]

log = structlog.get_logger(__name__)

_Row = tuple[str, Mapping[str, Any]]
"""(position for the admin, raw record)."""


@dataclass(frozen=True)
class _Shape:
    fields: list[str]
    formulas: set[str]
    types: dict[str, str]
    where: Mapping[str, str | int | bool]


class StreamReader:
    """Reads the configured sObjects incrementally; see the module docstring."""

    def __init__(
        self, client: SalesforceClient, config: SalesforceConfig, *, system: str, now: Callable[[], datetime]
    ) -> None:
        self._client = client
        self._config = config
        self._system = system
        self._now = now
        self._shapes: dict[str, _Shape] = {}

    def shape(self, stream: str) -> _Shape:
        """Return the fields to read for ``stream`` (describe once per connector).

        Raises:
            ConnectorConfigError: The stream is not configured, or names unknown fields.
        """
        if stream not in self._shapes:
            settings = self._config.object(stream)
            if settings is None:
                known = ", ".join(o.name for o in self._config.objects)
                msg = f"stream {stream!r} is not configured for {self._system}; configured: {known}"
                raise ConnectorConfigError(msg, hint="add it under settings.objects", system=self._system)
            described = self._client.describe(stream).get("fields", [])
            fields, formulas = select_fields(stream_for(stream), settings, described, system=self._system)
            types = {str(f["name"]): str(f.get("type")) for f in described}
            self._shapes[stream] = _Shape(fields, formulas, types, settings.where)
        return self._shapes[stream]

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of records changed since ``cursor``, each with the cursor to save after it."""
        shape = self.shape(stream)
        try:
            bookmark = Bookmark.from_cursor(cursor)
        except (ValueError, TypeError) as err:
            msg = f"the saved cursor of {self._system}.{stream} is unreadable: {err}"
            raise ConnectorConfigError(msg, hint="reset the stream's cursor to pull it again", stream=stream) from None
        started = self._now()
        full = bookmark.modstamp is None
        if self._refresh_due(bookmark, shape):
            log.info("salesforce.formula_refresh_started", system=self._system, stream=stream)
            bookmark, full = bookmark.restart(), True
        soql = build_soql(stream, shape.fields, since=bookmark.modstamp, where=shape.where)
        if full:  # this pass reads every record, formulas included, as of now
            bookmark.formula_refreshed_at = started
        rows = self._rows(soql, stream, shape)
        chunk = list(islice(rows, self._config.page_size))
        if not chunk and full:
            yield PullBatch(stream=stream, records=[], cursor=bookmark.to_cursor())
        while chunk:
            yield self._batch(stream, chunk, bookmark)
            chunk = list(islice(rows, self._config.page_size))

    def _refresh_due(self, bookmark: Bookmark, shape: _Shape) -> bool:
        if not shape.formulas or bookmark.modstamp is None:
            return False
        last = bookmark.formula_refreshed_at
        return last is None or self._now() - last >= timedelta(hours=self._config.formula_refresh_hours)

    def _rows(self, soql: str, stream: str, shape: _Shape) -> Iterator[_Row]:
        url_chars = len(self._client_query_path()) + len(quote(soql, safe=""))
        if url_chars > self._config.max_query_url_chars:
            log.info("salesforce.query_moved_to_bulk", system=self._system, stream=stream, reason="url_length")
            yield from self._bulk_rows(soql, stream, shape)
            return
        pages = self._client.query_pages(soql, stream=stream)
        try:
            first = next(pages)
        except FatalApiError as err:
            if err.context.get("status") != 414:
                raise
            log.info("salesforce.query_moved_to_bulk", system=self._system, stream=stream, reason="http_414")
            yield from self._bulk_rows(soql, stream, shape)
            return
        if int(first.get("totalSize", 0)) > self._config.bulk_query_threshold:
            log.info("salesforce.query_moved_to_bulk", system=self._system, stream=stream, reason="size")
            yield from self._bulk_rows(soql, stream, shape)
            return
        yield from _rest_rows(chain([first], pages))

    def _client_query_path(self) -> str:
        return f"https://instance/services/data/v{self._config.api_version}/queryAll/?q="

    def _bulk_rows(self, soql: str, stream: str, shape: _Shape) -> Iterator[_Row]:
        for index, row in enumerate(self._client.bulk_query(soql, stream=stream)):
            yield f"bulk row {index + 1}", coerce_row(row, shape.types)

    def _batch(self, stream: str, chunk: list[_Row], bookmark: Bookmark) -> PullBatch:
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        for position, raw in chunk:
            record_id, stamp = _check_row(raw)
            if record_id is None or isinstance(stamp, str):
                code, field = (
                    (RejectionCode.NO_ID, "Id") if record_id is None else (RejectionCode.UNREADABLE, CURSOR_FIELD)
                )
                reason = f"unusable record: {stamp}"
                rejected.append(
                    RejectedRecord(self._system, stream, reason, dict(raw), record_id, position, code, field)
                )
                continue
            if bookmark.seen(stamp, record_id):
                continue
            bookmark.advance(stamp, record_id)
            records.append(self._record(stream, record_id, stamp, raw))
        log.info(
            "stream.page_fetched", system=self._system, stream=stream, records=len(records), rejected=len(rejected)
        )
        return PullBatch(stream=stream, records=records, cursor=bookmark.to_cursor(), rejected=rejected)

    def _record(self, stream: str, record_id: str, stamp: datetime, raw: Mapping[str, Any]) -> SourceRecord:
        deleted = bool(raw.get("IsDeleted"))
        master = raw.get("MasterRecordId")
        merged_into = str(master) if deleted and master else None
        if merged_into:
            log.debug("salesforce.record_merged", system=self._system, stream=stream, record_id=record_id)
        return SourceRecord(
            system=self._system,
            stream=stream,
            source_id=record_id,
            raw=raw,
            updated_at=stamp,
            deleted=deleted,
            merged_into=merged_into,
        )


def _check_row(raw: Mapping[str, Any]) -> tuple[str | None, datetime | str]:
    """Return (Id, SystemModstamp) of a raw row; no Id, or a problem in place of the stamp, rejects it."""
    record_id = raw.get("Id")
    if not isinstance(record_id, str) or not record_id:
        return None, "the record has no Id"
    try:
        return record_id, parse_modstamp(raw.get(CURSOR_FIELD))
    except ValueError as err:
        return record_id, f"{CURSOR_FIELD}: {err}"


def _rest_rows(pages: Iterable[dict[str, Any]]) -> Iterator[_Row]:
    """Each page's rows, without their ``attributes``, taken out of the page as they are read.

    A row is the page's own dict (no copy), and the page lets go of it once read: a page of
    2,000 records is held once, by the batch being made of it, not twice, nor kept for the
    whole stream (the first page stays referenced while the pages after it are read).
    """
    for page_no, page in enumerate(pages, start=1):
        records = page.pop("records", None) or []
        for index in range(len(records)):
            record, records[index] = records[index], None
            where = f"page {page_no} row {index + 1}"
            if not isinstance(record, dict):
                yield where, {"value": record}
                continue
            record.pop("attributes", None)
            yield where, record
