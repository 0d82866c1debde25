"""The HubSpot connector runs the connector conformance suite against the live sandbox."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from connectors.base import Connector, WritebackTarget
from connectors.marketing.hubspot import HubSpotConfig, HubSpotConnector
from sandbox.common.runner import RunningSandbox, running_sandbox
from tests.connectors.conformance import ConnectorConformance

pytestmark = pytest.mark.live


class HubSpotHarness:
    """A sandbox portal with 450 contacts read 100 a page; the sandbox's control sets each scene."""

    stream = "contacts"
    writable_stream = "contacts"

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.sleeps: list[float] = []

    def _config(self, **auth: Any) -> HubSpotConfig:
        settings = self.sandbox.connector_settings()
        settings["auth"] |= auth
        objects = [{"name": "contacts", "writable": True, "properties": ["email", "firstname", "lastname", "jobtitle"]}]
        return HubSpotConfig.model_validate(
            {**settings, "page_size": 100, "objects": objects, "events_settle_seconds": 0}
        )

    def connector(self) -> Connector:
        return HubSpotConnector(self._config(), name="hubspot", sleep=self._sleep)

    def _sleep(self, seconds: float) -> None:
        import time

        self.sleeps.append(seconds)
        time.sleep(seconds)  # the sandbox keeps HubSpot's rates in real time

    def refused(self) -> Connector | None:
        return HubSpotConnector(self._config(access_token="pat-na1-not-the-token"), name="hubspot", sleep=self._sleep)

    def corrupt_one(self) -> str | None:
        return self.sandbox.control.corrupt_record("contacts", property="lastmodifieddate", value="not a date")

    def throttle_next(self, retry_after: int) -> bool:
        self.sandbox.control.fail_next(1, status=429, retry_after=retry_after)
        return True

    def push_targets(self, count: int) -> list[str]:
        return [r.id for r in self.sandbox.control.portal.live("contacts")][:count]

    def fail_on_push(self, ids: Sequence[str]) -> bool:
        self.sandbox.control.fail_records(list(ids))
        return True

    def written_fields(self) -> dict[str, Any]:
        return {"jobtitle": "Head of Conformance"}

    def read_back(self, source_id: str, field: str) -> Any:
        record = self.sandbox.control.portal.get("contacts", source_id)
        return None if record is None else record.props.get(field)

    def writeback_targets(self) -> list[WritebackTarget]:
        return [
            WritebackTarget("contacts", "contactpoint_profile_id", "profile_id"),
            WritebackTarget("contacts", "contactpoint_segment", "enrichment.segment"),
        ]


class TestHubSpotConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self) -> Iterator[HubSpotHarness]:
        with running_sandbox("hubspot", records=450, seed=5) as sandbox:
            yield HubSpotHarness(sandbox)
