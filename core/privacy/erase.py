"""Erasure: forget a person in the store, keep a tombstone, and delete them in every system.

    plan_erasure(store, profile_id, connectors) ─→ ErasurePlan: the records and rows that would go,
        the tombstones that would stay, and what each system would be asked (or that it cannot erase)
    erase_person(store, plan, connectors, requested_by=, reason=, run_id=) ─→ the erasure ID
        1 one transaction: the audit entry (who, when, why, counts) with its targets, the tombstones
          (keyed hashes of the record keys, emails and external IDs), every row about the person gone,
          the records that lost a merge into theirs (``merged_into``, transitively) with them
        2 each system asked to delete (``retry_erasures``); one that fails is tried again by every
          later sync run until it answers for good

A tombstone is a keyed hash, not the data: a record pulled later that carries an erased
person's record key, email or external ID is recognised and not stored (``ingest``).
"""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field

import structlog

from connectors.base import Connector, Eraser
from core.privacy.targets import ErasureOutcome, retry_erasures
from core.reports.person import person_records
from core.store import ErasureTarget, Store, TargetStatus, record_key
from core.sync.ingest import TOMBSTONED_KINDS

__all__ = ["ErasurePlan", "erase_person", "plan_erasure"]

log = structlog.get_logger(__name__)


@dataclass
class ErasurePlan:
    """What erasing a person would do (a dry run prints it)."""

    profile_id: str
    profiles: list[str]
    records: list[tuple[str, str, str]]
    """Linked people records: each is deleted in its system too."""
    activity: list[tuple[str, str, str]]
    """Interaction and consent records their identifiers name: removed from the store."""
    tombstones: list[str]
    merged: list[tuple[str, str, str]] = field(default_factory=list)
    """Records that lost a merge into the person's records (their duplicates), transitively: removed
    from the store and tombstoned; not asked of their system, which deleted them when it merged them."""
    targets: list[ErasureTarget] = field(default_factory=list)
    ledger_entries: int = 0

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (record IDs, no personal values)."""
        return {
            "profile_id": self.profile_id, "profiles": self.profiles,
            "records": [record_key(*r) for r in self.records], "activity_records": len(self.activity),
            "merged_records": [record_key(*r) for r in self.merged],
            "tombstones": len(self.tombstones), "ledger_entries": self.ledger_entries,
            "systems": [{"system": t.system, "record": f"{t.stream}/{t.source_id}", "action": t.status.value
                         if t.status is not TargetStatus.PENDING else "delete", "note": t.answer} for t in self.targets],
        }  # fmt: skip


def plan_erasure(store: Store, profile_id: str, connectors: Mapping[str, Connector]) -> ErasurePlan:
    """Work out what erasing ``profile_id`` removes, keeps and asks of each system."""
    found = person_records(store, profile_id)
    records = [(link.system, link.stream, link.source_id) for link in found.linked]
    activity = sorted({k[:3] for k in found.activity} - set(records))
    merged = store.forget.merged_away([*records, *activity])  # linked to the profile or not: the same person
    keys = {f"record:{record_key(*r)}" for r in (*records, *activity, *merged)}
    keys |= {k for k in [*found.identifiers, *store.forget.person_keys(merged)] if k.startswith(TOMBSTONED_KINDS)}
    plan = ErasurePlan(profile_id, sorted(found.family), records, activity, sorted(keys), merged)
    plan.ledger_entries = len(store.ledger.history(profile_id))
    for system, stream, source_id in records:
        connector = connectors.get(system)
        if connector is None:
            target = ErasureTarget(system, stream, source_id, TargetStatus.PENDING,
                                   f"{system} is not configured here: it will be asked when a sync runs with it")  # fmt: skip
        elif not isinstance(connector, Eraser):
            target = ErasureTarget(system, stream, source_id, TargetStatus.UNSUPPORTED,
                                   f"the {system} connector cannot erase records: delete it there by hand")  # fmt: skip
        else:
            target = ErasureTarget(system, stream, source_id)
        plan.targets.append(target)
    return plan


def erase_person(
    store: Store, plan: ErasurePlan, connectors: Mapping[str, Connector], *,
    requested_by: str | None, reason: str | None, run_id: str | None,
) -> tuple[str, ErasureOutcome]:  # fmt: skip
    """Carry out ``plan`` (see the module docstring); return the erasure ID and what the systems answered.

    Raises:
        StoreError: When the database fails (nothing is removed then).
    """
    erasure_id = f"erasure-{store.database.now():%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"
    with store.database.atomic():  # the audit, the tombstones and the removal land together, or none of them
        removed: Counter[str] = store.forget.records([*plan.records, *plan.activity, *plan.merged])
        removed += store.forget.profiles(plan.profiles)
        kept = store.tombstones.add(plan.tombstones, erasure_id=erasure_id)
        counts = {**{name: n for name, n in sorted(removed.items()) if n}, "tombstones": kept}
        store.erasures.start(erasure_id, profile_id=plan.profile_id, requested_by=requested_by, reason=reason,
                             removed=counts, targets=plan.targets)  # fmt: skip
    log.info("erasure.recorded", profile_id=plan.profile_id, run_id=run_id, records=len(plan.records))
    return erasure_id, retry_erasures(store, connectors, run_id=run_id)
