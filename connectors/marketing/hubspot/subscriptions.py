"""Pulling subscription statuses: what each person said about each kind of email, and when.

Contacts changed since the cursor are walked with the search API (a change of
subscription moves a contact's ``lastmodifieddate``); for each page, the
communication preferences API v4 gives every status with its ``timestamp`` (one call
for the subscription types, one for "unsubscribed from all email"). Each status is one
record, ``<contact id>:<subscription id>`` (``:all`` for the portal-wide one), whose
time is when the person stated it. Cursor JSON: the contacts watermark,
``{"modified": ..., "ids_at_modified": [...]}``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any

import structlog

from connectors.base import Cursor, PullBatch, RejectedRecord, RejectionCode, SourceRecord
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.reader import CrmReader, load_mark
from connectors.marketing.hubspot.streams import format_time, parse_time

__all__ = ["SubscriptionReader"]

log = structlog.get_logger(__name__)
STREAM = "subscriptions"


class SubscriptionReader:
    """Reads subscription statuses of changed contacts; see the module docstring."""

    def __init__(self, client: HubSpotClient, crm: CrmReader, config: HubSpotConfig, *, system: str,
                 now: Callable[[], datetime]) -> None:  # fmt: skip
        self._client = client
        self._crm = crm
        self._config = config
        self._system = system
        self._now = now

    def pull(self, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of statuses of contacts changed since ``cursor``."""
        mark = load_mark(cursor, at="modified", ids="ids_at_modified", system=self._system, stream=STREAM)
        walk = self._crm.walk(
            "contacts", ["email", "lastmodifieddate", "hs_object_id"], self._config.subscriptions_batch_size
        )
        end = self._now()
        for page in walk.pages(mark, end):
            people: dict[str, str] = {}
            for raw in page:
                try:
                    stamp = walk.stamp(raw)
                except ValueError:
                    continue  # the contacts stream parks it; its statuses are read when it is readable
                contact_id = str(raw.get("id") or "")
                if not contact_id or mark.seen(stamp, contact_id):
                    continue
                mark.advance(stamp, contact_id)
                email = str((raw.get("properties") or {}).get("email") or "").strip().lower()
                if email:
                    people[email] = contact_id
            records, rejected = self._statuses(people)
            log.info(
                "stream.page_fetched", system=self._system, stream=STREAM, records=len(records), rejected=len(rejected)
            )
            yield PullBatch(
                STREAM, records, mark.dump(at="modified", ids="ids_at_modified", render=format_time), rejected
            )

    def _statuses(self, people: Mapping[str, str]) -> tuple[list[SourceRecord], list[RejectedRecord]]:
        if not people:
            return [], []
        records: list[SourceRecord] = []
        rejected: list[RejectedRecord] = []
        emails = list(people)
        for wide, key in ((False, "statuses"), (True, "wideStatuses")):
            for result in self._client.statuses(emails, wide=wide).get("results", []):
                email = str(result.get("subscriberIdString") or "").lower()
                contact_id = people.get(email)
                for status in result.get(key) or []:
                    made = self._record(contact_id, email, status, wide=wide)
                    if isinstance(made, SourceRecord):
                        records.append(made)
                    else:
                        rejected.append(made)
        return records, rejected

    def _record(
        self, contact_id: str | None, email: str, status: Mapping[str, Any], *, wide: bool
    ) -> SourceRecord | RejectedRecord:
        subscription = "all" if wide else str(status.get("subscriptionId") or "")
        record_id = f"{contact_id}:{subscription}"
        raw = {"id": record_id, "contactId": contact_id, "email": email, **status, "subscriptionId": subscription}
        if wide:
            raw["subscriptionName"] = "All email"
        try:
            stated = parse_time(status.get("timestamp"))
        except ValueError as err:
            return RejectedRecord(self._system, STREAM, f"unusable status: timestamp: {err}", raw, record_id,
                                  code=RejectionCode.UNREADABLE, field="timestamp")  # fmt: skip
        if contact_id is None or not subscription:
            reason = f"a status for {email!r}, which no contact of this page has, or without a subscription"
            return RejectedRecord(self._system, STREAM, reason, raw, None, code=RejectionCode.NO_ID,
                                  field="subscriberIdString")  # fmt: skip
        return SourceRecord(self._system, STREAM, record_id, raw, updated_at=stated)
