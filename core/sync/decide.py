"""Decide: evaluate the policies for the affected profiles and keep what they decided.

    decide(store, policies, profile_ids, now=, run_id=) ─→ Decided
        per chunk of profiles: policy inputs from the store (``views``) ─→ PolicySet.evaluate
        ─→ store.decisions.save: the write-back values (profile_id, golden.*, enrichment.*,
           suppression.*) with the reasons, and when to look again (the earliest end of a
           suppression in force); only profiles whose values changed count as changed
        ─→ store.alerts.raise_new: each occurrence's alert once, ever

Without policies (none configured) the values are the profile ID and the golden record,
so write-back still stamps the profile ID where people work.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from core.ledger import Mode
from core.policy import PolicyInput, PolicyResult, PolicySet
from core.store import AlertInput, DecisionInput, Store
from core.store.database import chunked
from core.sync.consent import observe, with_stated_consents
from core.sync.views import policy_inputs

__all__ = ["CHUNK", "Decided", "decide", "values_of"]

CHUNK = 250
"""Profiles read and evaluated together (with every linked record and interaction); memory follows the chunk."""


@dataclass
class Decided:
    """What deciding did: profiles evaluated, profiles whose values changed, alerts raised for the first time."""

    evaluated: int = 0
    observed: int = 0
    """Consents seen in the systems recorded in people's ledgers for the first time."""
    changed: int = 0
    new_alerts: int = 0

    def absorb(self, part: Decided) -> None:
        """Add one chunk's counts."""
        self.evaluated += part.evaluated
        self.observed += part.observed
        self.changed += part.changed
        self.new_alerts += part.new_alerts


def values_of(person: PolicyInput, result: PolicyResult | None) -> dict[str, Any]:
    """The write-back values of one profile: its ID, golden record and (with policies) what they decided."""
    values: dict[str, Any] = {"profile_id": person.profile_id}
    values.update({f"golden.{name}": value for name, value in person.golden.items() if value is not None})
    if result is not None:
        values.update(result.writeback_values())
    return values


def _review_at(result: PolicyResult | None) -> datetime | None:
    """The earliest time a decision in force runs out by itself.

    A timed suppression ends, or an interaction or consent stamped later than the evaluation
    (a vendor's clock ahead of ours, a device's event time) comes into view.
    """
    if result is None:
        return None
    ends = [s.until for s in result.suppressions if s.until is not None and s.until > result.evaluated_at]
    if result.comes_into_view_at is not None:
        ends.append(result.comes_into_view_at)
    return min(ends, default=None)


def _alerts(result: PolicyResult) -> Iterator[AlertInput]:
    for alert in result.alerts:
        target = alert.target
        detail = {
            "text": alert.text,
            "source": str(alert.source),
            "open": alert.open,
            "object": target.object,
            "record": str(target.record) if target.record is not None else None,
            "assign_to": target.assign_to,
        }
        yield AlertInput(
            alert.key, result.profile_id, alert.name, alert.subject, detail, alert.occurred_at, target.system
        )


def decide(
    store: Store,
    policies: PolicySet | None,
    profile_ids: Iterable[str],
    *,
    now: datetime,
    run_id: str | None,
    mode: Mode = Mode.OBSERVED_CONSENT,
) -> Decided:
    """Evaluate ``policies`` for the profiles and store the decisions and new alerts.

    Each profile's consents seen in the systems are first recorded in its ledger as
    observations; its ledger's values (``ledger.*``: preferred channel, quiet hours...)
    join the decided values, so write-back can land them where people work.

    Raises:
        StoreError: When the database fails.
    """
    decided = Decided()
    for chunk in chunked(dict.fromkeys(profile_ids), CHUNK):
        decided.absorb(_decide_chunk(store, policies, chunk, now=now, run_id=run_id, mode=mode))
    return decided


def _decide_chunk(
    store: Store, policies: PolicySet | None, chunk: list[str], *, now: datetime, run_id: str | None, mode: Mode
) -> Decided:
    """One chunk of ``decide``.

    Its inputs (every linked record and interaction) are let go on return, before the next chunk's are read.
    """
    inputs = policy_inputs(store, chunk)
    observed = observe(store, inputs)
    states = store.ledger.states_in_force(chunk, at=now, mode=mode)
    decisions: list[DecisionInput] = []
    alerts: list[AlertInput] = []
    for pid, person in inputs.items():
        if pid in states:
            person = with_stated_consents(person, states[pid])
        result = policies.evaluate(person, now=now) if policies is not None else None
        explanation = result.to_json() if result is not None else {}
        values = values_of(person, result)
        if pid in states:
            values.update(states[pid].writeback_values())
        decisions.append(DecisionInput(pid, values, explanation, _review_at(result)))
        if result is not None:
            alerts.extend(_alerts(result))
    changed = store.decisions.save(decisions, run_id=run_id)
    return Decided(len(decisions), observed, len(changed), len(store.alerts.raise_new(alerts, run_id=run_id)))
