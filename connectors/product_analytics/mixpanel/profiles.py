"""Pulling user profiles: the engage query, page by page, resumable inside a pass.

Mixpanel keeps no "modified at" on profiles, so each pass reads every profile (or
those ``profile_where`` selects). A pass is one engage query: the first page returns
a ``session_id`` that later pages send. The cursor after each page names the session
and the next page, so a pull stopped mid-pass resumes on the next page; when the
session has expired meanwhile (Mixpanel keeps them a while), the pass starts again
from page 0, and the store's upsert by distinct ID absorbs the repeats. A finished
pass leaves ``{"completed_at": ...}`` and the next pull starts a new one.

A profile deleted in Mixpanel is simply absent from later passes: the engage API
reports no deletions. So the last batch of a pass that began at page 0 in this pull,
over every profile (no ``profile_where``), carries the distinct IDs the pass listed
(``PullBatch.listed``): the ingest stores a stored profile missing from them as deleted.
A pass resumed mid-way lists only part, and says nothing of what is gone.

Cursor JSON::

    {"session_id": "1234567890-ABCDEF", "next_page": 3, "started_at": "2024-05-01T10:00:00+00:00"}
    {"session_id": null, "next_page": 0, "completed_at": "2024-05-01T10:02:11+00:00"}
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, SourceRecord
from connectors.product_analytics.mixpanel.client import MixpanelClient
from connectors.product_analytics.mixpanel.config import MixpanelConfig
from connectors.product_analytics.mixpanel.streams import ENGAGE_PAGE_SIZE
from core.errors import FatalApiError

__all__ = ["ProfileReader"]

log = structlog.get_logger(__name__)

_STREAM = "profiles"


class ProfileReader:
    """Reads every profile, page by page; see the module docstring."""

    def __init__(
        self, client: MixpanelClient, config: MixpanelConfig, *, system: str, now: Callable[[], datetime]
    ) -> None:
        self._client = client
        self._config = config
        self._system = system
        self._now = now

    def pull(self, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield one batch per page, each with the cursor to save after it.

        Raises:
            ConnectorError: The query was refused or the query API's rate limit is spent.
        """
        session_id, page, started = _resume(cursor)
        started = started or self._now().isoformat()
        # a pass that starts at the first page here, over every profile, lists every live one
        every = not self._config.profile_where
        listed: set[str] | None = set() if page == 0 and every else None
        while True:
            body = self._page(session_id, page)
            if body is None:  # the session expired: start the pass again
                log.info("mixpanel.engage_session_expired", system=self._system, stream=_STREAM, page=page)
                session_id, page, started = None, 0, self._now().isoformat()
                listed = set() if every else None
                continue
            session_id = str(body.get("session_id") or "") or None
            results = list(body["results"])
            size = int(body.get("page_size") or ENGAGE_PAGE_SIZE)
            last = len(results) < size or (page + 1) * size >= int(body.get("total", 0) or 0)
            if last:
                done = {"session_id": None, "next_page": 0, "completed_at": self._now().isoformat()}
                yield self._batch(results, page, done, listed, last=True)
                return
            cursor_next = {"session_id": session_id, "next_page": page + 1, "started_at": started}
            yield self._batch(results, page, cursor_next, listed)
            page += 1

    def _page(self, session_id: str | None, page: int) -> dict[str, Any] | None:
        try:
            return self._client.engage_page(session_id=session_id, page=page, where=self._config.profile_where)
        except FatalApiError as err:
            if session_id and err.context.get("status") == 400 and "session" in err.message.lower():
                return None
            raise

    def _batch(
        self, results: list[Any], page: int, cursor: Cursor, listed: set[str] | None, *, last: bool = False
    ) -> PullBatch:
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        for index, raw in enumerate(results, start=1):
            distinct_id = raw.get("$distinct_id") if isinstance(raw, Mapping) else None
            props = raw.get("$properties") if isinstance(raw, Mapping) else None
            where = f"engage page {page} result {index}"
            if distinct_id not in (None, "") and listed is not None:
                listed.add(str(distinct_id))  # a profile parked for its shape still exists
            if distinct_id in (None, "") or not isinstance(props, Mapping):
                reason = "unusable profile: no $distinct_id or no $properties object"
                rejected.append(RejectedRecord(self._system, _STREAM, reason, raw, None, where))
                continue
            records.append(SourceRecord(self._system, _STREAM, str(distinct_id), dict(raw)))
        log.info(
            "stream.page_fetched", system=self._system, stream=_STREAM, records=len(records), rejected=len(rejected)
        )
        complete = listed if last else None  # the pass's own set: it ends with this batch
        return PullBatch(stream=_STREAM, records=records, cursor=cursor, rejected=rejected, listed=complete)


def _resume(cursor: Cursor | None) -> tuple[str | None, int, str | None]:
    """Return (session_id, page, started_at) to continue from; a finished or empty cursor starts over."""
    if not cursor or not cursor.get("session_id"):
        return None, 0, None
    page = cursor.get("next_page")
    if not isinstance(page, int) or page < 0:
        return None, 0, None
    return str(cursor["session_id"]), page, cursor.get("started_at")
