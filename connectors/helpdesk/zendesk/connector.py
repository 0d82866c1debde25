"""``ZendeskConnector``: the Connector protocol over one Zendesk Support account.

Registered as the ``zendesk`` entry point of ``contactpoint.connectors``. It owns one
metered HTTP session (so ``api_usage`` counts every call) and delegates:
``reader.StreamReader`` pulls, ``writeback.WriteBack`` pushes, ``provision`` prepares
the user fields, ``client.ZendeskClient`` is the only part that talks to Zendesk.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, ClassVar

from pydantic import BaseModel

from connectors.base import (
    CheckResult,
    Cursor,
    EraseOutcome,
    EraseResult,
    PullBatch,
    SetupPlan,
    StreamSpec,
    WritebackTarget,
    WriteBatch,
    WriteResult,
)
from connectors.helpdesk.zendesk import provision
from connectors.helpdesk.zendesk.auth import who
from connectors.helpdesk.zendesk.client import ZendeskClient
from connectors.helpdesk.zendesk.config import StreamName, ZendeskConfig
from connectors.helpdesk.zendesk.reader import StreamReader
from connectors.helpdesk.zendesk.streams import Export, stream_for
from connectors.helpdesk.zendesk.writeback import BATCH_SIZE, WriteBack
from connectors.http import MeteredSession, VendorConnector, build_session
from core.errors import AuthError, FatalApiError

__all__ = ["ZendeskConnector"]


class ZendeskConnector(VendorConnector):
    """Pull users, organizations and tickets from Zendesk Support and write user fields back.

    Args:
        config: Validated settings.
        name: The system's configured name (``zendesk`` unless configured otherwise).
        session: HTTP session to use; built with ``connectors.http.build_session`` when None.
        sleep: How to wait (retries, pacing, job polling); tests inject a recorder.
        clock: Monotonic seconds for the pacers; tests inject one their ``sleep`` moves on.
    """

    system: str = "zendesk"
    config_model: ClassVar[type[BaseModel]] = ZendeskConfig
    stream_names: ClassVar[tuple[str, ...]] = tuple(name.value for name in StreamName)
    open_streams: ClassVar[bool] = False

    def __init__(
        self,
        config: ZendeskConfig,
        *,
        name: str = "zendesk",
        session: MeteredSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.system = name
        self.config = config
        verify: str | bool = str(config.ca_file) if config.ca_file else True
        self.session = session or build_session(
            system=name, verify=verify, timeout=(10.0, config.timeout_seconds), sleep=sleep
        )
        self.client = ZendeskClient(config, system=name, session=self.session, clock=clock)
        self._reader = StreamReader(self.client, config, system=name)
        self._writer = WriteBack(self.client, config, system=name, sleep=sleep)

    def check(self) -> CheckResult:
        """Authenticate, read the rate limits, and read one record of each configured stream.

        Each stream costs one incremental export request (of the exports' 10 a minute).

        Raises:
            AuthError: The credentials were refused, or they are not an admin's.
            ConnectorError: The API failed (RateLimited, RetryableError...).
        """
        me = self.client.me()
        if me.get("id") is None or me.get("role") != "admin":
            role = (
                "no one (anonymous)" if me.get("id") is None else f"{me.get('email')}, whose role is {me.get('role')!r}"
            )
            msg = f"the {who(self.config)} signs in as {role}; incremental exports and bulk user writes need an admin"
            raise AuthError(msg, hint="use an admin's API token or an OAuth token with read and write scope",
                            system=self.system)  # fmt: skip
        readable = {s.name.value: self._probe(s.name.value) for s in self.config.streams}
        rate = self.client.rate
        used = rate.limit - rate.remaining if rate.limit is not None and rate.remaining is not None else None
        detail = (
            f"authenticated to {self.config.api_url} as {me.get('email')} ({me.get('role')}, {self.config.auth.kind})"
        )
        if used is not None:
            detail += f"; API {used}/{rate.limit} requests used this minute"
        facts: dict[str, Any] = {
            "base_url": self.config.api_url,
            "auth": self.config.auth.kind,
            "user": me.get("email"),
            "api_limit_window": "minute",
            "exports_limit_per_minute": rate.exports_total,
            "exports_remaining": rate.exports_remaining,
            "streams_readable": readable,
            "api_calls_this_check": self.api_usage.calls,
        }
        return CheckResult(ok=True, system=self.system, detail=detail, api_used=used, api_limit=rate.limit, facts=facts)

    def _probe(self, stream: str) -> str:
        """Read the first record of ``stream`` from ``start_time``: proves the export answers for these credentials."""
        start = int(self.config.start_time.timestamp())
        declaration = stream_for(self._reader.declaration(stream).name)
        if declaration.export is Export.CURSOR:
            page = self.client.cursor_export(stream, start_time=start, per_page=1)
        else:
            page = self.client.time_export(stream, start_time=start, per_page=1)
        return "readable" if page.get(stream) else "readable, no records yet"

    def streams(self) -> list[StreamSpec]:
        """List the configured streams."""
        return [
            stream_for(s.name).spec(page_size=self.config.page_size, writable=s.writable) for s in self.config.streams
        ]

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of records changed since ``cursor``; see ``reader.StreamReader``."""
        return self._reader.pull(stream, cursor)

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Write ``batch``; one final result per op, in order; see ``writeback.WriteBack``."""
        return self._writer.push(batch)

    def write_batch(self, stream: str) -> int:
        """Users per push that fill whole jobs and waves: 100 a job, ``max_open_jobs`` jobs read together."""
        return BATCH_SIZE * self.config.max_open_jobs

    def erase(self, stream: str, source_ids: Sequence[str]) -> list[EraseResult]:
        """Delete users, then delete them permanently (``DELETE users/{id}``, ``DELETE deleted_users/{id}``).

        Raises:
            ConnectorError: Zendesk could not be reached or refused the credentials.
        """
        if stream != "users":
            why = f"Zendesk erases people as users; {stream} records go with the user they belong to"
            return [EraseResult(i, EraseOutcome.FAILED, why) for i in source_ids]
        return [self._erase_user(source_id) for source_id in source_ids]

    def _erase_user(self, source_id: str) -> EraseResult:
        for path, step in (
            (f"users/{source_id}.json", "delete_user"),
            (f"deleted_users/{source_id}.json", "purge_user"),
        ):
            try:
                self.client.call("DELETE", path, operation=step, stream="users")
            except FatalApiError as err:
                if err.context.get("status") != 404:
                    raise
                if step == "delete_user":
                    continue  # deleted already: its permanent deletion may still be due
                return EraseResult(source_id, EraseOutcome.NOT_FOUND, "no such user (deleted for good already)")
        return EraseResult(source_id, EraseOutcome.DELETED, "deleted, then deleted permanently")

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Plan (and with ``apply``, make) the custom user fields write-back fills; see ``provision``.

        Targets on other streams than users, and plain user attributes, need nothing.

        Raises:
            ConnectorError: Zendesk refused a change or could not be reached.
        """
        users = self.config.stream("users")
        if users is None or not users.writable:
            return provision.as_plan(self.system, [])
        changes = provision.plan(self.client, targets)
        if apply and any(c.action.pending for c in changes):
            changes = provision.apply(self.client, changes)
        return provision.as_plan(self.system, changes)
