"""End to end against the Mixpanel sandbox running live (no cassette): check, pull both streams, push.

Every request and response of the run is also checked against the contract the
cassettes are checked against, as the sandbox saw them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from structlog.testing import capture_logs

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.product_analytics.mixpanel import MixpanelConfig, MixpanelConnector
from core.mapping import load_mapping
from sandbox.common.runner import running_sandbox
from sandbox.mixpanel import story_ids
from tests.contracts.validator import Exchange, validate_all

from .conftest import ROOT

pytestmark = pytest.mark.live


def test_pull_map_and_push_end_to_end_against_the_live_sandbox():
    mapping = load_mapping(ROOT / "mappings" / "mixpanel.yaml")
    with running_sandbox("mixpanel", records=80, seed=11) as sb:
        sb.control.capturing = True
        sb.control.export_limits.per_second = 100
        settings = sb.connector_settings() | {"days_per_query": 7, "export_per_second": 100}
        connector = MixpanelConnector(MixpanelConfig.model_validate(settings), sleep=lambda _s: None)
        with capture_logs() as logs:
            assert connector.check().ok
            events = [r for b in connector.pull("events", None) for r in b.records]
            profiles = [r for b in connector.pull("profiles", None) for r in b.records]
        assert len(events) > 500 and len(profiles) > 40
        mapped = [mapping.map(r) for r in events + profiles]
        assert all(hasattr(m, "models") for m in mapped), [m for m in mapped if not hasattr(m, "models")][:3]
        maya, _ = story_ids("maya")
        views = [r for r in events if r.raw["properties"].get("distinct_id") == maya
                 and r.raw["properties"].get("current_url_path") == "/enterprise/security"]  # fmt: skip
        assert len(views) == 12
        assert all((datetime.now(UTC) - r.updated_at).days < 14 for r in views if r.updated_at)
        last_seen = sb.control.project.profiles[profiles[0].source_id]["$last_seen"]
        ops = [WriteOp(r.source_id, {"contactpoint_profile_id": f"cp_{n}"}) for n, r in enumerate(profiles)]
        with capture_logs() as push_logs:
            results = connector.push(WriteBatch("mixpanel", "profiles", ops))
            sb.control.transient.add(429, count=5, retry_after=0)
            connector.push(WriteBatch("mixpanel", "profiles", ops[:3]))  # retried, then failed: logged
        secrets = [sb.credentials[k] for k in ("service_account_secret", "project_token", "api_secret")]
        logged = repr(logs + push_logs)
        assert "writeback.pushed" in logged and "http.request_retried" in logged
        assert not [s for s in secrets if s in logged], "a secret reached the logs"
        assert all(r.outcome is WriteOutcome.WRITTEN for r in results)
        assert sb.control.project.profiles[profiles[0].source_id]["contactpoint_profile_id"] == "cp_0"
        # write-back is not activity: $ignore_time keeps $last_seen
        assert sb.control.project.profiles[profiles[0].source_id]["$last_seen"] == last_seen
        seen = [Exchange(*vars(c).values()) for c in sb.control.captured]
        problems = validate_all("mixpanel", seen)
        assert not problems, "\n".join(problems[:10])
        assert {e.url.split("?")[0].rsplit("/", 2)[-1] for e in seen} >= {"export", "engage"}
