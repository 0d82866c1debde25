"""``MixpanelConnector``: the Connector protocol over one Mixpanel project.

Registered as the ``mixpanel`` entry point of ``contactpoint.connectors``. It owns
one metered HTTP session (so ``api_usage`` counts every call) and delegates:
``events.EventReader`` and ``profiles.ProfileReader`` pull, ``writeback.WriteBack``
pushes, ``provision`` prepares nothing (Mixpanel needs nothing), and
``client.MixpanelClient`` is the only part that talks to Mixpanel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
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
from connectors.http import MeteredSession, VendorConnector, build_session
from connectors.product_analytics.mixpanel import provision
from connectors.product_analytics.mixpanel.client import MixpanelClient
from connectors.product_analytics.mixpanel.config import MixpanelConfig
from connectors.product_analytics.mixpanel.erase import erase_profiles
from connectors.product_analytics.mixpanel.events import EventReader
from connectors.product_analytics.mixpanel.profiles import ProfileReader
from connectors.product_analytics.mixpanel.streams import ENGAGE_PAGE_SIZE, EVENTS, PROFILES, StreamName, stream_named
from connectors.product_analytics.mixpanel.writeback import WriteBack

__all__ = ["MixpanelConnector"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class MixpanelConnector(VendorConnector):
    """Pull raw events and user profiles from Mixpanel and set profile properties back.

    Args:
        config: Validated settings.
        name: The system's configured name (``mixpanel`` unless configured otherwise).
        session: HTTP session to use; built with ``connectors.http.build_session`` when None.
        sleep: How to wait (retries, throttling); tests inject a no-op.
        now: The clock that says which day it is (the system clock when None); tests inject a fixed one.
    """

    system: str = "mixpanel"
    config_model: ClassVar[type[BaseModel]] = MixpanelConfig
    stream_names: ClassVar[tuple[str, ...]] = (str(EVENTS.name), str(PROFILES.name))
    open_streams: ClassVar[bool] = False

    def __init__(
        self,
        config: MixpanelConfig,
        *,
        name: str = "mixpanel",
        session: MeteredSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        self.system = name
        self.config = config
        verify: str | bool = str(config.ca_file) if config.ca_file else True
        self.session = session or build_session(
            system=name, verify=verify, timeout=(10.0, config.timeout_seconds), sleep=sleep
        )
        self.client = MixpanelClient(config, system=name, session=self.session)
        self._now: Callable[[], datetime] = now or (lambda: _utcnow())
        self._events = EventReader(self.client, config, system=name, now=self._now)
        self._profiles = ProfileReader(self.client, config, system=name, now=self._now)
        self._writer = WriteBack(self.client, config, system=name)
        self._sleep = sleep

    def check(self) -> CheckResult:
        """Authenticate on both read APIs: one engage query page, one export of yesterday (at most one event).

        Raises:
            ConnectorError: Credentials refused, no access to the project, or Mixpanel unreachable.
        """
        page = self.client.engage_page(session_id=None, page=0, where=self.config.profile_where)
        yesterday = self._now().astimezone(UTC).date() - timedelta(days=1)
        lines = self.client.export_lines(yesterday, yesterday)
        try:
            sample = next(lines, None)
        finally:
            lines.close()
        used = self.client.export_throttle.used(3600)
        export_base, query_base, ingestion_base = (
            self.client.export_base,
            self.client.query_base,
            self.client.ingestion_base,
        )
        detail = (
            f"authenticated to project {self.config.project_id} ({self.config.auth.kind}); "
            f"{page.get('total', len(page['results']))} profile(s); "
            f"export queries this hour {used}/{self.config.export_per_hour}"
        )
        facts: dict[str, Any] = {
            "project_id": self.config.project_id,
            "auth": self.config.auth.kind,
            "urls": {"export": export_base, "query": query_base, "ingestion": ingestion_base},
            "profiles": page.get("total"),
            "events_yesterday": "some" if sample else "none",
            "export_limit": f"{self.config.export_per_hour}/hour, {self.config.export_per_second}/second",
            "query_queries_this_hour": self.client.query_throttle.used(3600),
            "project_token": "configured" if self.config.project_token else "missing (write-back needs it)",
            "api_calls_this_check": self.api_usage.calls,
        }
        return CheckResult(
            ok=True,
            system=self.system,
            detail=detail,
            api_used=used,
            api_limit=self.config.export_per_hour,
            facts=facts,
        )

    def streams(self) -> list[StreamSpec]:
        """List the streams: events, and profiles (writable unless write_profiles is off)."""
        return [
            EVENTS.spec(page_size=self.config.page_size, writable=False),
            PROFILES.spec(page_size=ENGAGE_PAGE_SIZE, writable=self.config.write_profiles),
        ]

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of records since ``cursor``; see ``events`` and ``profiles``.

        Raises:
            ConnectorConfigError: Unknown stream.
        """
        declared = stream_named(stream, system=self.system)
        if declared.name is StreamName.EVENTS:
            return self._events.pull(cursor)
        return self._profiles.pull(cursor)

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Set profile properties; one final result per op, in order; see ``writeback.WriteBack``."""
        return self._writer.push(batch)

    def write_batch(self, stream: str) -> int:
        """Profile updates per push that fill whole /engage requests (``batch_size``, Mixpanel's 2,000)."""
        return self.config.batch_size

    def erase(self, stream: str, source_ids: Sequence[str]) -> list[EraseResult]:
        """Delete the profiles and events of these distinct IDs (Mixpanel's GDPR deletion), followed to the end.

        Raises:
            ConnectorError: Mixpanel could not be reached or refused the credentials.
        """
        if stream != "profiles":
            why = f"Mixpanel erases people by distinct ID (profiles); {stream} records go with their profile"
            return [EraseResult(i, EraseOutcome.FAILED, why) for i in source_ids]
        return erase_profiles(self.client, source_ids, wait=self.config.deletion_wait_seconds, sleep=self._sleep)

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Return an empty plan: Mixpanel creates profile properties on first write (see ``provision``)."""
        del apply  # there is never anything to make
        return provision.plan(targets, system=self.system)
