"""Walking a CRM object's changes through the search API, oldest first, without losing or repeating any.

The search API pages with ``after``, an offset into a result set that changes while
it is read (a record modified meanwhile leaves its place, and every later record
shifts by one), and it stops at 10,000 results. So every request re-opens the time
window at the watermark instead: ``cursor >= newest time read``, sorted by that time,
and the records already read at exactly that time are dropped (``Watermark``). The
offset of every request is 0, so the 10,000-result ceiling is never reached however
many records changed, and a record changed during the pull is read again at its new
time rather than skipped. The window is closed above at the pull's start, so a pull
always ends.

One case needs more: a full page whose records all share one time (a list import
stamps thousands alike) makes no progress in time. Such a run is then read by ID:
``cursor = T AND hs_object_id > last ID``, sorted by ID, until it is exhausted, and
the window re-opens just after ``T``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

from connectors.cursor import Watermark
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.streams import parse_time, to_ms
from core.errors import FatalApiError

__all__ = ["SearchWalk"]


class SearchWalk:
    """One object's changed records, page by page, from a watermark up to a fixed end.

    Args:
        client: The HubSpot client.
        obj: ``contacts`` or ``companies``.
        cursor: The modified-time property (``lastmodifieddate``...).
        properties: Properties each record is read with.
        limit: Records per request (at most 200).
        stream: The stream name, for errors and logs.
    """

    def __init__(self, client: HubSpotClient, obj: str, *, cursor: str, properties: Sequence[str], limit: int,
                 stream: str) -> None:  # fmt: skip
        self._client = client
        self._obj = obj
        self._cursor = cursor
        self._properties = list(properties)
        self._limit = limit
        self._stream = stream

    def stamp(self, raw: Mapping[str, Any]) -> datetime:
        """The record's modified time.

        Raises:
            ValueError: The value is missing or not a HubSpot datetime.
        """
        props = raw.get("properties")
        return parse_time(props.get(self._cursor) if isinstance(props, Mapping) else None)

    def pages(self, mark: Watermark, end: datetime) -> Iterator[list[dict[str, Any]]]:
        """Yield pages of raw records changed at or after ``mark.at`` and at or before ``end``.

        The caller advances ``mark`` over each page before asking for the next one; pages
        may repeat records already read at the watermark's time (the caller drops them).

        Raises:
            FatalApiError: A full page held no readable modified time, so the walk cannot advance.
        """
        low, inclusive, tie_after = mark.at, True, None
        while True:
            body = self._window(low, inclusive, end) if tie_after is None else self._tie(low, tie_after)
            results = [r for r in self._client.search(self._obj, body, stream=self._stream).get("results", [])
                       if isinstance(r, dict)]  # fmt: skip
            yield results
            full = len(results) >= self._limit
            if tie_after is not None:
                tie_after = str(results[-1].get("id")) if full else None
                inclusive = inclusive and full
                continue
            if not full:
                return
            last = self._last_stamp(results)
            if low is None or last > low:
                low, inclusive = last, True
            else:  # a full page at one time: read that run by ID
                tie_after = "0"

    def _last_stamp(self, results: list[dict[str, Any]]) -> datetime:
        for raw in reversed(results):
            try:
                return self.stamp(raw)
            except ValueError:
                continue
        msg = f"a full page of HubSpot {self._obj} had no readable {self._cursor}; the pull cannot advance"
        raise FatalApiError(msg, hint="look at these records in HubSpot; park them by hand", stream=self._stream)

    def _body(self, filters: list[dict[str, Any]], sort: str) -> dict[str, Any]:
        return {
            "filterGroups": [{"filters": filters}],
            "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
            "properties": self._properties,
            "limit": self._limit,
            "after": "0",
        }

    def _window(self, low: datetime | None, inclusive: bool, end: datetime) -> dict[str, Any]:  # noqa: FBT001
        filters = [{"propertyName": self._cursor, "operator": "LTE", "value": str(to_ms(end))}]
        if low is not None:
            filters.insert(0, {"propertyName": self._cursor, "operator": "GTE" if inclusive else "GT",
                               "value": str(to_ms(low))})  # fmt: skip
        return self._body(filters, self._cursor)

    def _tie(self, at: datetime | None, after_id: str) -> dict[str, Any]:
        filters = [
            {"propertyName": self._cursor, "operator": "EQ", "value": str(to_ms(at))} if at is not None else
            {"propertyName": self._cursor, "operator": "NOT_HAS_PROPERTY"},
            {"propertyName": "hs_object_id", "operator": "GT", "value": after_id},
        ]  # fmt: skip
        return self._body(filters, "hs_object_id")
