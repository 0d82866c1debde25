"""``SalesforceConnector``: the Connector protocol over one Salesforce org.

Registered as the ``salesforce`` entry point of ``contactpoint.connectors``. It
owns one metered HTTP session (so ``api_usage`` counts every call, token requests
included) and delegates: ``reader.StreamReader`` pulls, ``writeback.WriteBack``
pushes, ``provision`` prepares write-back fields, ``client.SalesforceClient`` is the only part that talks to Salesforce.
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
    EraseResult,
    PullBatch,
    SetupPlan,
    StreamSpec,
    WritebackTarget,
    WriteBatch,
    WriteResult,
)
from connectors.http import MeteredSession, VendorConnector, build_session
from connectors.salesforce import provision
from connectors.salesforce.client import SalesforceClient
from connectors.salesforce.config import SalesforceConfig
from connectors.salesforce.erase import erase_records
from connectors.salesforce.reader import StreamReader
from connectors.salesforce.streams import STANDARD_OBJECTS, stream_for
from connectors.salesforce.writeback import WriteBack

__all__ = ["SalesforceConnector"]


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SalesforceConnector(VendorConnector):
    """Pull Contacts, Leads and Accounts from Salesforce and write enrichment back.

    Args:
        config: Validated settings.
        name: The system's configured name (``salesforce`` unless configured otherwise).
        session: HTTP session to use; built with ``connectors.http.build_session`` when None.
        sleep: How to wait (retries, Bulk job polling); tests inject a no-op.
        now: The clock (formula refresh schedule); tests inject a fixed one.
    """

    system: str = "salesforce"
    config_model: ClassVar[type[BaseModel]] = SalesforceConfig
    stream_names: ClassVar[tuple[str, ...]] = STANDARD_OBJECTS
    open_streams: ClassVar[bool] = True  # any sObject listed under objects:, custom ones included

    def __init__(
        self,
        config: SalesforceConfig,
        *,
        name: str = "salesforce",
        session: MeteredSession | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = _utcnow,
    ) -> None:
        self.system = name
        self.config = config
        verify: str | bool = str(config.ca_file) if config.ca_file else True
        self.session = session or build_session(
            system=name, verify=verify, timeout=(10.0, config.timeout_seconds), sleep=sleep
        )
        self.client = SalesforceClient(config, system=name, session=self.session, sleep=sleep)
        self._reader = StreamReader(self.client, config, system=name, now=now)
        self._writer = WriteBack(self.client, config, system=name)

    def check(self) -> CheckResult:
        """Authenticate, read the daily API usage and describe each configured object.

        Raises:
            ConnectorError: Authentication or the API failed (AuthError, RetryableError...).
            ConnectorConfigError: A configured object or field does not exist.
        """
        self.client.connect()
        limits = self.client.limits().get("DailyApiRequests", {})
        limit = limits.get("Max")
        used = limit - limits.get("Remaining", 0) if isinstance(limit, int) else None
        fields = {o.name: len(self._reader.shape(o.name).fields) for o in self.config.objects}
        instance = self.client.api.base_url.split("/services/")[0]
        detail = f"authenticated to {instance} ({self.config.auth.kind})"
        if used is not None:
            detail += f"; API {used}/{limit} calls used today (budget {self.config.api_budget_share:.0%})"
        facts = {
            "instance_url": instance,
            "api_version": self.config.api_version,
            "auth": self.config.auth.kind,
            "fields_read": fields,
            "api_budget_share": self.config.api_budget_share,
            "api_calls_this_check": self.api_usage.calls,
        }
        return CheckResult(ok=True, system=self.system, detail=detail, api_used=used, api_limit=limit, facts=facts)

    def streams(self) -> list[StreamSpec]:
        """List the configured objects as streams."""
        return [
            stream_for(o.name).spec(page_size=self.config.page_size, writable=o.writable) for o in self.config.objects
        ]

    def pull(self, stream: str, cursor: Cursor | None) -> Iterator[PullBatch]:
        """Yield batches of records changed since ``cursor``; see ``reader.StreamReader``."""
        return self._reader.pull(stream, cursor)

    def push(self, batch: WriteBatch) -> list[WriteResult]:
        """Write ``batch``; one final result per op, in order; see ``writeback.WriteBack``."""
        return self._writer.push(batch)

    def erase(self, stream: str, source_ids: Sequence[str]) -> list[EraseResult]:
        """Delete these records (anonymise those Salesforce refuses to delete); see ``erase.erase_records``."""
        return erase_records(self.client, stream, list(source_ids))

    def find_keyed(self, stream: str, key_field: str, keys: Sequence[str]) -> dict[str, str]:
        """Return ``{key: Id}`` of the ``stream`` records whose external ID ``key_field`` holds one of ``keys``.

        Raises:
            ConnectorConfigError: ``stream`` or ``key_field`` is not an API name.
            ConnectorError: The query failed.
        """
        return self.client.find_keyed(stream, key_field, keys)

    def provision(self, targets: Sequence[WritebackTarget], *, apply: bool) -> SetupPlan:
        """Plan (and with ``apply``, make) the custom fields, layout placements and access write-back needs.

        See ``provision``; targets on objects not configured as writable are ignored.

        Raises:
            ConnectorError: Salesforce refused a change or could not be reached.
        """
        settings = self.config.setup
        changes = provision.plan(self.client, provision.field_specs(targets, self.config), settings)
        if apply and changes.pending():
            changes = provision.apply(self.client, changes, settings)
        return changes.generic(self.system)
