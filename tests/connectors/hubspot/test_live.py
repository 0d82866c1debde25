"""End to end against the HubSpot sandbox running live (no cassette): check, pull, set up, push.

Every request and response of the run is checked against the same contract the
cassettes are checked against.
"""

from __future__ import annotations

import pytest

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.marketing.hubspot import HubSpotConfig, HubSpotConnector
from core.mapping import load_mapping
from sandbox.common.runner import running_sandbox
from tests.contracts.validator import validate_all

from .conftest import ROOT
from .traffic import captured

pytestmark = pytest.mark.live


def test_check_pull_setup_and_push_end_to_end_against_the_live_sandbox():
    with running_sandbox("hubspot", records=250, seed=11) as sb, captured(sb) as seen:
        config = HubSpotConfig.model_validate({**sb.connector_settings(), "events_settle_seconds": 0})
        connector = HubSpotConnector(config, name="hubspot")
        assert connector.check().ok
        batches = {s.name: list(connector.pull(s.name, None)) for s in connector.streams()}
        pulled = {name: [r for b in found for r in b.records] for name, found in batches.items()}
        assert {k: bool(v) for k, v in pulled.items()} == dict.fromkeys(
            ("contacts", "companies", "email_events", "subscriptions"), True
        )
        targets = load_mapping(ROOT / "mappings" / "hubspot.yaml").writeback_targets()
        plan = connector.provision(targets, apply=True)
        assert (
            plan.done() == 1 + len([t for t in targets if t.stream == "contacts"])
            and connector.provision(targets, apply=False).pending() == 0
        )
        live = [r.source_id for r in pulled["contacts"] if not r.deleted][:150]
        ops = [
            WriteOp(rid, {"contactpoint_profile_id": f"cp_{n}", "contactpoint_suppressed": n % 2 == 0})
            for n, rid in enumerate(live)
        ]
        ops.append(WriteOp(None, {"contactpoint_profile_id": "cp_new"}, match=("email", "new.buyer@example.com")))
        results = connector.push(WriteBatch("hubspot", "contacts", ops))
        assert all(r.outcome is WriteOutcome.WRITTEN for r in results), [
            r for r in results if r.outcome is not WriteOutcome.WRITTEN
        ][:3]
        portal = sb.control.portal
        assert [portal.get("contacts", rid).props["contactpoint_profile_id"] for rid in live] == [
            f"cp_{n}" for n in range(len(live))
        ]
        assert portal.get("contacts", live[0]).props["contactpoint_suppressed"] == "true"
        assert portal.find("contacts", "email", "new.buyer@example.com").id == results[-1].source_id
        again = [r.source_id for b in connector.pull("contacts", batches["contacts"][-1].cursor) for r in b.records]
        assert set(live) <= set(again)  # written records come back as changed
    problems = validate_all("hubspot", seen)
    assert not problems, "\n".join(problems[:10])


@pytest.mark.slow
def test_more_than_ten_thousand_changed_contacts_are_all_read_within_the_search_rate():
    with running_sandbox("hubspot", records=10_600, seed=2) as sb:
        config = HubSpotConfig.model_validate(
            {**sb.connector_settings(), "objects": [{"name": "contacts", "properties": ["email"]}]}
        )
        connector = HubSpotConnector(config, name="hubspot")
        ids = [r.source_id for b in connector.pull("contacts", None) for r in b.records if not r.deleted]
        assert len(ids) == len(set(ids)) == sum(1 for _ in sb.control.portal.live("contacts")) > 10_000
        assert connector.api_usage.retries == 0  # paced to five searches a second: never a 429
        searches = sb.control.requests.count("POST /crm/v3/objects/contacts/search")
        assert searches <= len(ids) // 199 + 2


def test_writes_to_a_stream_not_configured_writable_are_refused_with_a_hint():
    from core.errors import ConnectorConfigError

    config = HubSpotConfig.model_validate({"auth": {"kind": "private_app", "access_token": "x"}})
    connector = HubSpotConnector(config)
    with pytest.raises(ConnectorConfigError, match="not writable") as err:
        connector.push(WriteBatch("hubspot", "companies", [WriteOp("1", {"name": "x"})]))
    assert "writable: true" in (err.value.hint or "")
