"""End to end against the Zendesk sandbox running live (no cassette): check, pull, setup, push, map.

Every request and response of the run is also checked against the same contract
the cassettes are checked against.
"""

from __future__ import annotations

import pytest

from connectors.base import WriteBatch, WriteOp, WriteOutcome
from connectors.helpdesk.zendesk import ZendeskConfig, ZendeskConnector
from core.canonical import Interaction, Person
from core.mapping import Mapped, load_mapping
from sandbox.common.runner import running_sandbox
from sandbox.zendesk.settings import connector_settings
from tests.contracts.validator import Exchange, exchange_of, validate_all

from .conftest import MAPPING

pytestmark = pytest.mark.live


def test_check_pull_setup_push_and_map_against_the_live_sandbox():
    with running_sandbox("zendesk", records=250, seed=11) as sb:
        sb.control.set_limits(exports=1000)
        config = ZendeskConfig.model_validate({**connector_settings(sb, auth="oauth"), "exports_per_minute": 1000,
                                               "page_size": 200, "job_poll_seconds": 0})  # fmt: skip
        connector = ZendeskConnector(config, name="zendesk", sleep=lambda _s: None)
        seen: list[Exchange] = []
        connector.session.observers.append(lambda r: seen.append(exchange_of(r)))
        assert connector.check().ok
        pulled = {
            s: [r for b in connector.pull(s, None) for r in b.records] for s in ("users", "organizations", "tickets")
        }
        assert len(pulled["users"]) > 250 and pulled["organizations"] and pulled["tickets"]
        mapping = load_mapping(MAPPING)
        targets = mapping.writeback_targets()
        assert connector.provision(targets, apply=True).done() == 6
        assert connector.provision(targets, apply=False).pending() == 0
        customers = [r for r in pulled["users"] if not r.deleted and r.raw["role"] == "end-user"][:230]
        fields = mapping.writeback("users").render({"profile_id": "cp_live", "suppression.reasons": ["a", "b"]})
        ops = [
            WriteOp(r.source_id, {**fields, "user_fields.contactpoint_open_tickets": n})
            for n, r in enumerate(customers)
        ]
        ops.append(WriteOp(None, {"name": "Live New", **fields}, match=("email", "live.new@example.org")))
        results = connector.push(WriteBatch("zendesk", "users", ops))
        assert all(r.outcome is WriteOutcome.WRITTEN for r in results), [r for r in results if r.error_code][:3]
        stored = sb.control.account.users[int(customers[7].source_id)]["user_fields"]
        assert stored == {"contactpoint_profile_id": "cp_live", "contactpoint_suppression_reasons": "a; b",
                          "contactpoint_open_tickets": 7}  # fmt: skip
        assert (
            sb.control.account.user_by("email", "live.new@example.org")["user_fields"]["contactpoint_profile_id"]
            == "cp_live"
        )
        people = [m for r in pulled["users"] for m in _models(mapping, r) if isinstance(m, Person)]
        tickets = [m for r in pulled["tickets"] for m in _models(mapping, r) if isinstance(m, Interaction)]
        assert len(people) >= 240 and len(tickets) == len(pulled["tickets"])
        problems = validate_all("zendesk", seen)
        assert not problems, "\n".join(problems[:10])
        assert {e.url.split("?")[0].rsplit("/api/v2/", 1)[1] for e in seen} >= {
            "users/me.json", "incremental/users/cursor.json", "incremental/tickets/cursor.json",
            "incremental/organizations.json", "user_fields.json", "users/update_many.json",
            "users/create_or_update_many.json", "job_statuses/show_many.json"}  # fmt: skip


def _models(mapping, record):
    outcome = mapping.map(record)
    assert isinstance(outcome, Mapped), outcome
    return outcome.models
