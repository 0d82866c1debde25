"""What a person states in their ledger reaches the next run: who is decided again, and what is suppressed."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.ledger.service import record_statements
from core.policy import load_policies
from core.store import open_store
from core.sync.decide import decide
from tests.core.ledger.helpers import OTHER, PERSON, add_people, consent, preference

POLICIES = Path(__file__).resolve().parents[3] / "mappings" / "policies.yaml"


@pytest.fixture
def ledger_store(store_url, fixed_clock):
    with open_store(store_url, clock=fixed_clock) as opened:
        add_people(opened, PERSON, OTHER)
        yield opened


def test_a_statement_the_person_made_makes_them_due_at_the_next_run_and_an_observation_does_not(
    ledger_store, fixed_clock
):
    before = fixed_clock.advance(minutes=1)
    assert ledger_store.ledger.stated_since(before) == []
    fixed_clock.advance(minutes=1)
    record_statements(ledger_store, preference("weekly_cap", 3, at="2024-05-01T09:00:00Z", kind="preference_centre"))
    record_statements(ledger_store, preference("weekly_cap", 5, at="2024-05-01T09:00:00Z", person=OTHER,
                                               kind="observation"))  # fmt: skip
    assert ledger_store.ledger.stated_since(before) == [PERSON]
    assert ledger_store.ledger.stated_since(fixed_clock.advance(minutes=1)) == []


def test_email_marketing_withdrawn_in_the_ledger_suppresses_email_marketing_naming_the_statement(
    ledger_store, fixed_clock
):
    policies = load_policies(POLICIES)
    record_statements(ledger_store, consent("withdrawn", at="2024-04-30T10:00:00Z", kind="preference_centre"))
    record_statements(ledger_store, consent("withdrawn", at="2024-04-30T10:00:00Z", channel="ads", person=OTHER,
                                            kind="preference_centre"))  # fmt: skip
    decide(ledger_store, policies, [PERSON, OTHER], now=fixed_clock(), run_id=None)
    values = ledger_store.decisions.get([PERSON, OTHER])
    suppressed = {
        pid: {k: v for k, v in found.items() if k.startswith("suppression.")} for pid, found in values.items()
    }
    assert suppressed[PERSON].get("suppression.marketing") is True
    assert "unsubscribed_anywhere" in str(suppressed[PERSON].get("suppression.reasons"))
    assert not suppressed[OTHER].get("suppression.marketing")  # no system's consent names the ads channel
