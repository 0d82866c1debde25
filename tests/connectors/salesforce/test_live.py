"""End to end against the Salesforce sandbox running live (no cassette): pull, then push.

Every request and response of the run is also checked against the same contract
the cassettes are checked against.
"""

from __future__ import annotations

import io

import pytest
import requests

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.salesforce import SalesforceConfig, SalesforceConnector
from connectors.salesforce.provision import apply, field_specs, plan
from core.errors import ConnectorConfigError
from core.mapping import load_mapping
from sandbox.common.runner import running_sandbox
from sandbox.salesforce.settings import connector_settings
from tests.contracts.validator import Exchange, validate_all

from .conftest import ROOT

pytestmark = pytest.mark.live


def _exchange(response: requests.Response) -> Exchange:
    request = response.request
    body = request.body if isinstance(request.body, bytes | None) else str(request.body).encode()
    if response._content is False:
        data = response.raw.read(decode_content=True)
        response.raw = io.BytesIO(data)
    else:
        data = response.content
    return Exchange(
        method=str(request.method),
        url=str(request.url),
        request_headers=dict(request.headers),
        request_body=body,
        status=response.status_code,
        response_headers=dict(response.headers),
        response_body=data,
    )


def test_pull_and_push_end_to_end_against_the_live_sandbox():
    with running_sandbox("salesforce", records=300, seed=11) as sb:
        config = SalesforceConfig.model_validate(
            {
                **connector_settings(sb, auth="password"),
                "bulk_query_threshold": 200,
                "setup": {"integration_profile": "Contactpoint Integration"},
            }
        )
        connector = SalesforceConnector(config, name="salesforce", sleep=lambda _s: None)
        seen: list[Exchange] = []
        connector.session.observers.append(lambda r: seen.append(_exchange(r)))
        assert connector.check().ok
        records = [r for b in connector.pull("Contact", None) for r in b.records]  # > 200: through Bulk 2.0
        live = [r.source_id for r in records if not r.deleted]
        assert len(records) > 200 and live
        specs = field_specs(load_mapping(ROOT / "mappings" / "salesforce.yaml").writeback_targets(), config)
        done = apply(connector.client, plan(connector.client, specs, config.setup), config.setup)
        assert done.done() > 0 and plan(connector.client, specs, config.setup).pending() == 0
        ops = [WriteOp(rid, {"Contactpoint_Profile_Id__c": f"live-{n}"}) for n, rid in enumerate(live[:250])]
        results = connector.push(WriteBatch("salesforce", "Contact", ops))
        assert all(r.outcome is WriteOutcome.WRITTEN for r in results)
        stored = {rid: sb.control.org.get("Contact", rid) for rid in live[:250]}
        assert all(record["Contactpoint_Profile_Id__c"] == f"live-{n}" for n, record in enumerate(stored.values()))
        # an alert in doubt is looked up by its key, quotes and all, before it is sent again
        keys = ["complaint:zendesk/tickets/7", "o'brien \\ complaint"]
        task = [WriteOp(None, {"Subject": "Complaint", "WhoId": live[0]}, ("Contactpoint_Alert_Key__c", keys[1]))]
        (made,) = connector.push(WriteBatch("salesforce", "Task", task))
        assert made.outcome is WriteOutcome.WRITTEN and made.source_id
        assert connector.find_keyed("Task", "Contactpoint_Alert_Key__c", keys) == {keys[1]: made.source_id}
        with pytest.raises(ConnectorConfigError):
            connector.find_keyed("Task", "Key__c FROM Contact --", keys)
        problems = validate_all("salesforce", seen)
        assert not problems, "\n".join(problems[:10])
        assert any("/jobs/query" in e.url for e in seen) and any("/composite/sobjects" in e.url for e in seen)


def test_a_login_answered_503_is_tried_again_and_the_run_goes_on():
    """The token request is a POST, but sending it again at worst issues a second token."""
    from sandbox.common import FaultSpec

    with running_sandbox("salesforce", records=20, seed=11) as sb:
        config = SalesforceConfig.model_validate(connector_settings(sb, auth="password"))
        connector = SalesforceConnector(config, name="salesforce", sleep=lambda _s: None)
        sb.control.inject(FaultSpec("unavailable", count=2, retry_after=1))
        assert connector.check().ok
        assert sb.control.requests.count("POST /services/oauth2/token") == 3
        assert connector.session.usage.retries == 2
