"""The Zendesk connector runs the connector conformance suite against the live sandbox."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import pytest

from connectors.base import Connector, WritebackTarget
from connectors.helpdesk.zendesk import ZendeskConfig, ZendeskConnector
from sandbox.common.runner import RunningSandbox, running_sandbox
from sandbox.zendesk.settings import connector_settings
from tests.connectors.conformance import ConnectorConformance

pytestmark = pytest.mark.live


class ZendeskHarness:
    """A sandbox account with about 260 users read 50 a page; the sandbox's control sets each scene."""

    stream = "users"
    writable_stream = "users"

    def __init__(self, sandbox: RunningSandbox) -> None:
        self.sandbox = sandbox
        self.sleeps: list[float] = []
        sandbox.control.set_limits(exports=10_000)  # the suite exports more than Zendesk's 10 a minute

    def _config(self, **auth: Any) -> ZendeskConfig:
        settings = connector_settings(self.sandbox, auth="api_token")
        settings["auth"] |= auth
        return ZendeskConfig.model_validate(
            {**settings, "page_size": 50, "exports_per_minute": 1000, "job_poll_seconds": 0}
        )

    def connector(self) -> Connector:
        return ZendeskConnector(self._config(), name="zendesk", sleep=self.sleeps.append)

    def refused(self) -> Connector | None:
        return ZendeskConnector(self._config(api_token="not-the-token"), name="zendesk", sleep=self.sleeps.append)

    def corrupt_one(self) -> str | None:
        return str(self.sandbox.control.corrupt_record("users", field="updated_at", value="2024-13-45T99:00:00Z"))

    def throttle_next(self, retry_after: int) -> bool:
        self.sandbox.control.fail_next(1, status=429, retry_after=retry_after)
        return True

    def push_targets(self, count: int) -> list[str]:
        users = self.sandbox.control.account.live_users()
        return [str(u["id"]) for u in users if u["role"] == "end-user"][:count]

    def fail_on_push(self, ids: Sequence[str]) -> bool:
        self.sandbox.control.fail_records([int(i) for i in ids])
        return True

    def written_fields(self) -> dict[str, Any]:
        return {"notes": "Head of Conformance", "tags": ["conformance"]}

    def read_back(self, source_id: str, field: str) -> Any:
        user = self.sandbox.control.account.users.get(int(source_id))
        return None if user is None else user.get(field)

    def writeback_targets(self) -> list[WritebackTarget]:
        return [
            WritebackTarget("users", "user_fields.contactpoint_profile_id", "profile_id"),
            WritebackTarget("users", "user_fields.contactpoint_segment", "enrichment.segment"),
        ]


class TestZendeskConformance(ConnectorConformance):
    @pytest.fixture
    def harness(self) -> Iterator[ZendeskHarness]:
        with running_sandbox("zendesk", records=250, seed=5) as sandbox:
            yield ZendeskHarness(sandbox)
