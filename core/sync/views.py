"""What the policies see of a profile, read from the store in bulk: ``PolicyInput`` values.

    policy_inputs(store, profile_ids) ─→ {profile_id: PolicyInput}
        golden       the profile's golden record (``store.profiles``), values without provenance
        records      the source records linked to it (``store.links``)
        interactions the Interaction rows of every record its people's identifiers name
        consents     the Consent rows likewise (a Contact's own opt-out included)

Interactions and consents belong to a person through identifiers (a ticket's requester
ID, an email event's recipient, a product event's distinct ID): ``store.identifiers``
joins them to the people records a profile links, role mailboxes left out.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from core.canonical import STORED, Consent, Interaction, RecordRef
from core.policy import PolicyInput
from core.store import Store

__all__ = ["golden_values", "policy_inputs"]

_MODELS = ("Interaction", "Consent")


def golden_values(golden: dict[str, Any]) -> dict[str, Any]:
    """A golden record's values by field, without their provenance."""
    return {name: item.get("value") if isinstance(item, dict) else item for name, item in golden.items()}


def policy_inputs(store: Store, profile_ids: Iterable[str]) -> dict[str, PolicyInput]:
    """Return the policy input of each profile (chunks of the caller's choosing keep memory bounded).

    Raises:
        StoreError: When the database fails.
    """
    wanted = list(dict.fromkeys(profile_ids))
    golden = store.profiles.golden_of(wanted)
    linked = store.links.of_profiles(wanted)
    named = store.identifiers.records_of(wanted, models=_MODELS)
    rows = store.records.canonical_texts_of({key[:3] for keys in named.values() for key in keys}, models=_MODELS)
    by_record: dict[tuple[str, str, str], list[Interaction | Consent]] = {}
    for system, stream, source_id, name, text in rows:  # validated as read: no dict of a row is made
        model: Interaction | Consent = (
            Interaction.model_validate_json(text, context=STORED)
            if name == "Interaction"
            else Consent.model_validate_json(text, context=STORED)
        )
        by_record.setdefault((system, stream, source_id), []).append(model)
    inputs: dict[str, PolicyInput] = {}
    for pid in wanted:
        found = [m for key in dict.fromkeys(k[:3] for k in named.get(pid, ())) for m in by_record.get(key, ())]
        inputs[pid] = PolicyInput(
            profile_id=pid,
            golden=golden_values(golden.get(pid, {})),
            records=[RecordRef(system=s, stream=st, source_id=i) for s, st, i in linked.get(pid, ())],
            interactions=[m for m in found if isinstance(m, Interaction)],
            consents=[m for m in found if isinstance(m, Consent)],
        )
    return inputs
