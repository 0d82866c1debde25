"""The Salesforce connector runs the connector conformance suite against the live sandbox."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from connectors.base import Connector, WritebackTarget
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from sandbox.common.runner import RunningSandbox, running_sandbox
from sandbox.salesforce.settings import connector_settings
from tests.connectors.conformance import ConnectorConformance

pytestmark = pytest.mark.live


class SalesforceHarness:
    """A sandbox org with 450 Contacts read 200 a page; the sandbox's control sets each scene."""

    stream = "Contact"
    writable_stream = "Contact"

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.sleeps: list[float] = []

    def _config(self, **auth: Any) -> SalesforceConfig:
        settings = connector_settings(self.sandbox, auth="client_credentials")
        settings["auth"] |= auth
        objects = [{"name": "Contact", "writable": True, "fields": ["FirstName", "LastName", "Email", "Title"]}]
        return SalesforceConfig.model_validate(
            {
                **settings,
                "page_size": 200,
                "objects": objects,
                "setup": {"integration_profile": "Contactpoint Integration"},
            }
        )

    def connector(self) -> Connector:
        return SalesforceConnector(self._config(), name="salesforce", sleep=self.sleeps.append)

    def refused(self) -> Connector | None:
        return SalesforceConnector(
            self._config(client_secret="not-the-secret"), name="salesforce", sleep=self.sleeps.append
        )

    def corrupt_one(self) -> str | None:
        return self.sandbox.control.corrupt_record(
            "Contact", field="SystemModstamp", value="2024-13-45T99:00:00.000+0000"
        )

    def throttle_next(self, retry_after: int) -> bool:
        self.sandbox.control.fail_next(1, status=429, retry_after=retry_after)
        return True

    def push_targets(self, count: int) -> list[str]:
        return [str(r["Id"]) for r in self.sandbox.control.org.live("Contact")][:count]

    def fail_on_push(self, ids: Sequence[str]) -> bool:
        self.sandbox.control.fail_records(list(ids))
        return True

    def written_fields(self) -> dict[str, Any]:
        return {"Title": "Head of Conformance"}

    def read_back(self, source_id: str, field: str) -> Any:
        record = self.sandbox.control.org.get("Contact", source_id)
        return None if record is None else record.get(field)

    def writeback_targets(self) -> list[WritebackTarget]:
        return [
            WritebackTarget("Contact", "Contactpoint_Profile_Id__c", "profile_id"),
            WritebackTarget("Contact", "Contactpoint_Segment__c", "enrichment.segment"),
        ]


class TestSalesforceConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self) -> Iterator[SalesforceHarness]:
        with running_sandbox("salesforce", records=450, seed=5) as sandbox:
            yield SalesforceHarness(sandbox)
