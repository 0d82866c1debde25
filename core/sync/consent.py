"""The customer's ledger in a sync run: what the systems observed goes in, what the person said rules the writes.

observe(store, inputs)        each profile's canonical consents (a HubSpot unsubscribe, a
Salesforce opt-out) recorded as observations in its ledger
(each stored once, whatever the runs)
LedgerPermits(store, mode, writebacks)
.prepare(profile_ids)     read the states in force of a chunk of profiles at once
.values(profile_id)       the ``ledger.*`` write-back values (preferred channel, quiet hours...)
(profile_id, system, source) ─→ None when the value may be written there, else the
ledger's reason (a revoked grant, a withdrawn consent); the
protections (suppression flags, quiet hours, caps) always pass
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from core.canonical import Channel, Consent, ConsentStatus, RecordRef
from core.ledger import ConsentChoice, Mode, part_of_source
from core.ledger.observations import observation_from_consent
from core.ledger.state import LedgerState
from core.mapping.writeback import Writeback
from core.policy import PolicyInput
from core.store import Store

__all__ = ["LedgerPermits", "observe", "with_stated_consents"]


def with_stated_consents(person: PolicyInput, state: LedgerState) -> PolicyInput:
    """``person`` with the consents they withdrew in their ledger (not observed in a system) among their consents.

    The policies then treat an opt-out in the preference centre like one in any system: an
    email marketing consent withdrawn there suppresses email marketing everywhere, naming
    the statement (``ledger/preference_centre/st_…``) as the evidence.
    """
    stated = []
    for (channel, purpose), decided in state.consents.items():
        if decided.source == "observation" or decided.value != ConsentChoice.WITHDRAWN:
            continue
        if channel.value not in Channel.__members__.values():
            continue  # a ledger channel no system's consent names (ads)
        source = RecordRef(system="ledger", stream=decided.source, source_id=decided.statement_id)
        stated.append(Consent(source=source, channel=Channel(channel.value), purpose=purpose.value,
                              status=ConsentStatus.DENIED, at=decided.at))  # fmt: skip
    return replace(person, consents=[*person.consents, *stated]) if stated else person


def observe(store: Store, inputs: Mapping[str, PolicyInput]) -> int:
    """Record every profile's canonical consents as ledger observations; return how many are new.

    Raises:
        StoreError: When the database fails.
    """
    found = [
        observation
        for pid, person in inputs.items()
        for consent in person.consents
        if (observation := observation_from_consent(pid, consent)) is not None
    ]
    return len(store.ledger.record_observations(found).entries) if found else 0


class LedgerPermits:
    """The write-back permissions of the profiles a run plans, from the customer's ledger.

    Args:
        store: Where the ledger is.
        mode: ``observed_consent`` (a person with no grant is written to as consent allows)
            or ``strict`` (nothing personal without a grant).
        writebacks: Each (system, stream)'s write-back section: its purpose and channel.
    """

    def __init__(self, store: Store, mode: Mode, writebacks: Mapping[tuple[str, str], Writeback]) -> None:
        self._store = store
        self._mode = mode
        self._purposes = {system: (wb.purpose, wb.channel) for (system, _), wb in writebacks.items()}
        self._states: dict[str, LedgerState] = {}

    def prepare(self, profile_ids: Sequence[str]) -> None:
        """Read the states in force of these profiles (a chunk of the plan), replacing the previous chunk's."""
        self._states = self._store.ledger.states_in_force(profile_ids, mode=self._mode)

    def values(self, profile_id: str) -> dict[str, Any]:
        """The ``ledger.*`` write-back values of a prepared profile (empty when it holds no statement)."""
        state = self._states.get(profile_id)
        return state.writeback_values() if state is not None else {}

    def __call__(self, profile_id: str, system: str, source: str) -> str | None:
        """None when ``source`` may be written to ``system`` for the person; else why not, with the statement."""
        state = self._states.get(profile_id)
        if state is None:
            return None
        purpose, channel = self._purposes.get(system, ("personalisation", None))
        permission = state.permits(system, part_of_source(source), purpose, channel=channel)
        if permission.allowed:
            return None
        by = f" (statement {permission.statement_id})" if permission.statement_id else ""
        return f"{permission.code}: {permission.reason}{by}"
