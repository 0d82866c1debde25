"""Pulling a CRM stream (contacts, companies): archived records, then changes by modified time.

pull(stream, cursor)
├── archived pass   GET /crm/v3/objects/{object}?archived=true, every page; records archived
│                   since the last pass come out ``deleted`` (archiving keeps the modified time,
│                   so a search never sees it)
└── search pass     ``search.SearchWalk`` from the watermark to the pull's start; each record
                    once; a winner of a merge (``hs_merged_object_ids``) also gives each loser
                    ``deleted`` with ``merged_into`` the winner: a merged record leaves nothing in
                    the recycle bin (its ID reads the winner), so the winner is where it is told

The archived list is in ID order, not time order, so its watermark (``archived_at``)
moves only when a pass ends; a pass cut short is read again (the store's upserts
absorb the repeats). Cursor JSON::

    {"modified": "2026-03-02T09:00:00.000Z", "ids_at_modified": ["1001"],
     "archived_at": "2026-03-01T10:00:00.000Z", "ids_at_archived": ["1033"]}
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator, Mapping
from datetime import datetime
from typing import Any

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, RejectionCode, SourceRecord
from connectors.cursor import Watermark
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.search import SearchWalk
from connectors.marketing.hubspot.streams import CRM_STREAMS, format_time, parse_time
from core.errors import ConnectorConfigError

__all__ = ["CrmReader", "load_mark"]

log = structlog.get_logger(__name__)


def load_mark(cursor: Cursor | None, *, at: str, ids: str, system: str, stream: str) -> Watermark:
    """Read one watermark of a saved cursor.

    Raises:
        ConnectorConfigError: The cursor was not written by this connector.
    """
    try:
        return Watermark.load(cursor, at=at, ids=ids, parse=parse_time)
    except (ValueError, TypeError) as err:
        msg = f"the saved cursor of {system}.{stream} is unreadable: {err}"
        raise ConnectorConfigError(msg, hint="reset the stream's cursor to pull it again", stream=stream) from None


class CrmReader:
    """Reads contacts and companies incrementally; see the module docstring."""

    def __init__(
        self, client: HubSpotClient, config: HubSpotConfig, *, system: str, now: Callable[[], datetime]
    ) -> None:
        self._client = client
        self._config = config
        self._system = system
        self._now = now
        self._written: dict[str, list[str]] = {}

    def walk(self, stream: str, properties: list[str], limit: int) -> SearchWalk:
        """A search walk over ``stream``'s object with these properties."""
        spec = CRM_STREAMS[stream]
        return SearchWalk(self._client, stream, cursor=spec.cursor, properties=properties, limit=limit, stream=stream)

    def _properties(self, stream: str) -> list[str]:
        """The configured properties, and the write-back ones of the setup group (so written values read back)."""
        if stream not in self._written:  # one look-up per connector: the group changes only with setup
            group = self._config.setup.group_name
            self._written[stream] = [
                str(p["name"]) for p in self._client.properties(stream) if p.get("groupName") == group
            ]
        return list(dict.fromkeys([*self._config.properties(stream), *self._written[stream]]))

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of archived and changed records, each with the cursor to save after it."""
        mark = load_mark(cursor, at="modified", ids="ids_at_modified", system=self._system, stream=stream)
        archived = load_mark(cursor, at="archived_at", ids="ids_at_archived", system=self._system, stream=stream)
        end = self._now()
        archived = yield from self._archived(stream, mark, archived)
        walk = self.walk(stream, self._properties(stream), self._config.page_size)
        for page in walk.pages(mark, end):
            yield self._page(stream, walk, page, mark, archived)

    def _cursor(self, mark: Watermark, archived: Watermark) -> dict[str, Any]:
        return {
            **mark.dump(at="modified", ids="ids_at_modified", render=format_time),
            **archived.dump(at="archived_at", ids="ids_at_archived", render=format_time),
        }

    def _archived(self, stream: str, mark: Watermark, before: Watermark) -> Generator[PullBatch, None, Watermark]:
        """List every archived record; emit those archived since ``before``; return the pass's watermark."""
        after: str | None = None
        seen = before.copy()
        properties = self._config.properties(stream)
        while True:
            page = self._client.list_archived(stream, after=after, properties=properties, stream=stream)
            records, rejected = [], []
            for position, raw in enumerate(page.get("results", []), start=1):
                record_id, stamp = _check(raw, "archivedAt")
                if record_id is None or isinstance(stamp, str):
                    reason = f"unusable archived record: {stamp}"
                    rejected.append(
                        RejectedRecord(self._system, stream, reason, raw, record_id, f"archived row {position}")
                    )
                    continue
                if before.seen(stamp, record_id):
                    continue
                seen.advance(stamp, record_id)
                records.append(SourceRecord(self._system, stream, record_id, raw, updated_at=stamp, deleted=True))
            after = ((page.get("paging") or {}).get("next") or {}).get("after")
            done = not after
            yield PullBatch(stream, records, self._cursor(mark, seen if done else before), rejected)
            if done:
                return seen

    def _page(self, stream: str, walk: SearchWalk, page: list[dict[str, Any]], mark: Watermark,
              archived: Watermark) -> PullBatch:  # fmt: skip
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        cursor = CRM_STREAMS[stream].cursor
        for position, raw in enumerate(page, start=1):
            record_id = raw.get("id")
            if not record_id:
                rejected.append(RejectedRecord(self._system, stream, "unusable record: the record has no id", raw,
                                               None, f"search row {position}", RejectionCode.NO_ID, "id"))  # fmt: skip
                continue
            try:
                stamp = walk.stamp(raw)
            except ValueError as err:
                rejected.append(RejectedRecord(self._system, stream, f"unusable record: {cursor}: {err}", raw,
                                               str(record_id), f"search row {position}", RejectionCode.UNREADABLE,
                                               f"properties.{cursor}"))  # fmt: skip
                continue
            if mark.seen(stamp, str(record_id)):
                continue
            mark.advance(stamp, str(record_id))
            records.append(SourceRecord(self._system, stream, str(record_id), raw, updated_at=stamp))
            records.extend(self._merged(stream, str(record_id), raw, stamp))
        log.info(
            "stream.page_fetched", system=self._system, stream=stream, records=len(records), rejected=len(rejected)
        )
        return PullBatch(stream, records, self._cursor(mark, archived), rejected)

    def _merged(self, stream: str, winner: str, raw: Mapping[str, Any], stamp: datetime) -> list[SourceRecord]:
        """The losers a merge winner lists, each deleted with ``merged_into`` the winner."""
        listed = str((raw.get("properties") or {}).get("hs_merged_object_ids") or "")
        out = []
        for loser in (i.strip() for i in listed.split(";")):
            if loser and loser != winner:
                tombstone = {"id": loser, "properties": {"hs_object_id": loser}, "archived": True, "mergedInto": winner}
                out.append(SourceRecord(self._system, stream, loser, tombstone, updated_at=stamp, deleted=True,
                                        merged_into=winner))  # fmt: skip
        return out


def _check(raw: Any, field: str) -> tuple[str | None, datetime | str]:
    """Return (id, time in ``field``) of a raw record; a problem in place of the time rejects it."""
    if not isinstance(raw, Mapping) or not raw.get("id"):
        return None, "the record has no id"
    try:
        return str(raw["id"]), parse_time(raw.get(field))
    except ValueError as err:
        return str(raw["id"]), f"{field}: {err}"
