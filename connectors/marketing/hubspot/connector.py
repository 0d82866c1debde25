"""``HubSpotConnector``: the Connector protocol over one HubSpot portal.

Registered as the ``hubspot`` entry point of ``contactpoint.connectors``. It owns one
metered HTTP session (so ``api_usage`` counts every call, token requests included)
and delegates: ``reader.CrmReader`` pulls contacts and companies,
``email_events.EventReader`` and ``subscriptions.SubscriptionReader`` the marketing
streams, ``writeback.WriteBack`` pushes, ``provision`` prepares write-back properties;
``client.HubSpotClient`` is the only part that talks to HubSpot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import ClassVar

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
from connectors.marketing.hubspot import provision
from connectors.marketing.hubspot.client import HubSpotClient
from connectors.marketing.hubspot.config import HubSpotConfig
from connectors.marketing.hubspot.email_events import EventReader
from connectors.marketing.hubspot.reader import CrmReader
from connectors.marketing.hubspot.streams import CRM_STREAMS, EVENT_STREAM, SUBSCRIPTION_STREAM
from connectors.marketing.hubspot.subscriptions import SubscriptionReader
from connectors.marketing.hubspot.writeback import WriteBack
from core.errors import ConnectorConfigError

__all__ = ["HubSpotConnector"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class HubSpotConnector(VendorConnector):
    """Pull contacts, companies, email events and subscriptions from HubSpot and write enrichment back.

    Args:
        config: Validated settings.
        name: The system's configured name (``hubspot`` unless configured otherwise).
        session: HTTP session to use; built with ``connectors.http.build_session`` when None.
        sleep: How to wait (retries, pacing); tests inject a recorder.
        now: The wall clock (the end of each pull's window); tests inject a fixed one.
        clock: Monotonic seconds for pacing and token expiry; tests inject one their sleep moves.
    """

    system: str = "hubspot"
    config_model: ClassVar[type[BaseModel]] = HubSpotConfig
    stream_names: ClassVar[tuple[str, ...]] = (*CRM_STREAMS, EVENT_STREAM.name, SUBSCRIPTION_STREAM.name)
    open_streams: ClassVar[bool] = False

    def __init__(
        self,
        config: HubSpotConfig,
        *,
        name: str = "hubspot",
        session: MeteredSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = _utcnow,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.system = name
        self.config = config
        verify: str | bool = str(config.ca_file) if config.ca_file else True
        self.session = session or build_session(system=name, verify=verify, timeout=(10.0, config.timeout_seconds),
                                                sleep=sleep)  # fmt: skip
        self.client = HubSpotClient(config, system=name, session=self.session, clock=clock)
        self._crm = CrmReader(self.client, config, system=name, now=now)
        self._events = EventReader(self.client, config, system=name, now=now)
        self._subscriptions = SubscriptionReader(self.client, self._crm, config, system=name, now=now)
        self._writer = WriteBack(self.client, config, system=name)

    def check(self) -> CheckResult:
        """Authenticate, read the daily API usage, check the configured properties exist and each stream reads.

        Raises:
            ConnectorError: Authentication or the API failed (AuthError, RetryableError...).
            ConnectorConfigError: A configured property does not exist in the portal.
        """
        account = self.client.account()
        usage = self.client.daily_usage()
        read = {}
        for settings in self.config.objects:
            known = {p["name"] for p in self.client.properties(settings.name)}
            missing = [p for p in self.config.properties(settings.name) if p not in known]
            if missing:
                msg = f"{self.system}.{settings.name}: the portal has no properties {', '.join(missing)}"
                raise ConnectorConfigError(
                    msg, hint=f"fix settings.objects[{settings.name}].properties", stream=settings.name
                )
            self.client.search(settings.name, {"limit": 1, "properties": ["hs_object_id"]}, stream=settings.name)
            read[settings.name] = len(self.config.properties(settings.name))
        if self.config.email_events:
            self.client.email_events({"limit": 1})
        used, limit = (usage.get("currentUsage"), usage.get("usageLimit")) if usage else (None, None)
        if self.client.daily is not None:
            used, limit = self.client.daily
        detail = f"authenticated to portal {account.get('portalId')} ({self.config.auth.kind})"
        if isinstance(used, int) and isinstance(limit, int):
            detail += f"; API {used}/{limit} calls used today (budget {self.config.api_budget_share:.0%})"
        facts = {"portal_id": account.get("portalId"), "auth": self.config.auth.kind, "time_zone": account.get("timeZone"),
                 "data_hosting": account.get("dataHostingLocation"), "properties_read": read,
                 "streams": [s.name for s in self.streams()], "api_budget_share": self.config.api_budget_share,
                 "api_calls_this_check": self.api_usage.calls}  # fmt: skip
        return CheckResult(ok=True, system=self.system, detail=detail, api_used=used if isinstance(used, int) else None,
                           api_limit=limit if isinstance(limit, int) else None, facts=facts)  # fmt: skip

    def streams(self) -> list[StreamSpec]:
        """List the configured objects and the marketing streams."""
        out = [
            CRM_STREAMS[o.name].spec(page_size=self.config.page_size, writable=o.writable) for o in self.config.objects
        ]
        if self.config.email_events:
            out.append(EVENT_STREAM)
        if self.config.subscriptions:
            out.append(SUBSCRIPTION_STREAM)
        return out

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of records changed since ``cursor``; see the readers.

        Raises:
            ConnectorConfigError: The stream is not one this connector is configured to pull.
        """
        names = [s.name for s in self.streams()]
        if stream not in names:
            msg = f"stream {stream!r} is not configured for {self.system}; configured: {', '.join(names)}"
            raise ConnectorConfigError(msg, hint="add it under settings.objects, or turn on email_events / subscriptions",
                                       system=self.system, stream=stream)  # fmt: skip
        if stream == EVENT_STREAM.name:
            return self._events.pull(cursor)
        if stream == SUBSCRIPTION_STREAM.name:
            return self._subscriptions.pull(cursor)
        return self._crm.pull(stream, cursor)

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Write ``batch``; one final result per op, in order; see ``writeback.WriteBack``."""
        return self._writer.push(batch)

    def erase(self, stream: str, source_ids: Sequence[str]) -> list[EraseResult]:
        """Permanently delete contacts with HubSpot's GDPR delete (their email events and subscriptions go too).

        Raises:
            ConnectorError: HubSpot could not be reached or refused the token.
        """
        if stream != "contacts":
            why = f"HubSpot erases people as contacts; {stream} records go with the contact they belong to"
            return [EraseResult(i, EraseOutcome.FAILED, why) for i in source_ids]
        results = []
        for source_id in source_ids:
            found = self.client.gdpr_delete(source_id)
            outcome = EraseOutcome.DELETED if found else EraseOutcome.NOT_FOUND
            results.append(EraseResult(source_id, outcome, "GDPR delete" if found else "no such contact"))
        return results

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Plan (and with ``apply``, make) the property group and properties write-back needs.

        Targets on objects not configured as writable are ignored.

        Raises:
            ConnectorError: HubSpot refused a change or could not be reached.
            ConnectorConfigError: A target's property name is not one HubSpot accepts.
        """
        changes = provision.plan(self.client, targets, self.config)
        if apply and any(c.action.pending for c in changes):
            changes = provision.apply(self.client, changes)
        return provision.as_plan(self.system, changes)
