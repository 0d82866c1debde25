"""The Mixpanel connector runs the connector conformance suite against the live sandbox.

The stream is ``events``, read in one export query of four days 100 events a batch, so a
pull stopped after its first batch stops inside a query (the cursor's ``partial``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from connectors.base import Connector, WritebackTarget
from connectors.product_analytics.mixpanel import MixpanelConfig, MixpanelConnector
from sandbox.common.runner import RunningSandbox, running_sandbox
from tests.connectors.conformance import ConnectorConformance

pytestmark = pytest.mark.live


class MixpanelHarness:
    """A sandbox project of 60 people; its control sets each scene."""

    stream = "events"
    writable_stream = "profiles"

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.sleeps: list[float] = []
        sandbox.control.export_limits.per_second = sandbox.control.export_limits.per_hour = 10**6

    def _config(self, **overrides: Any) -> MixpanelConfig:
        start = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
        settings = self.sandbox.connector_settings() | {
            "start_date": start, "days_per_query": 31, "page_size": 100,
            "export_per_second": 10**6, "export_per_hour": 10**6, "query_per_hour": 10**6,
        }  # fmt: skip
        return MixpanelConfig.model_validate(settings | overrides)

    def connector(self) -> Connector:
        return MixpanelConnector(self._config(), sleep=self.sleeps.append)

    def refused(self) -> Connector | None:
        auth = {"kind": "service_account", "username": "someone", "secret": "not-the-secret"}
        return MixpanelConnector(self._config(auth=auth), sleep=self.sleeps.append)

    def corrupt_one(self) -> str | None:
        return self.sandbox.control.corrupt_event()

    def throttle_next(self, retry_after: int) -> bool:
        self.sandbox.control.transient.add(429, count=1, retry_after=retry_after)
        return True

    def push_targets(self, count: int) -> list[str]:
        return list(self.sandbox.control.project.profiles)[:count]

    def fail_on_push(self, ids: Sequence[str]) -> bool:
        self.sandbox.control.fail_records(list(ids))
        return True

    def written_fields(self) -> dict[str, Any]:
        return {"contactpoint_segment": "conformance", "contactpoint_intent_score": 0.75}

    def read_back(self, source_id: str, field: str) -> Any:
        return self.sandbox.control.project.profiles.get(source_id, {}).get(field)

    def writeback_targets(self) -> list[WritebackTarget]:
        return [WritebackTarget("profiles", "contactpoint_profile_id", "profile_id")]


class TestMixpanelConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self) -> Iterator[MixpanelHarness]:
        with running_sandbox("mixpanel", records=60, seed=5) as sandbox:
            yield MixpanelHarness(sandbox)
