"""Resolve the people a sync changed: incrementally, or by a whole batch when that is due.

resolve_changes(store, settings, changed, full=, run=) ─→ Resolved
batch       ``--full-refresh``, no trained model yet, the identity settings changed
since the model was trained, or more than ``BATCH_SHARE`` of the stored
people changed: ``resolve_store`` (stable IDs, merges, splits); every
active profile is affected
incremental each changed person against the stored profiles (``resolve_few``); a
person deleted at its source loses its link, its profile's golden record
is computed again, and a profile left with no record is retired; the
affected profiles are those the people joined, stayed in or left
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from itertools import groupby

from core.canonical import RecordRef
from core.identity import IdentitySettings, resolve_store
from core.identity.incremental import resolve_few
from core.identity.manual import recompute_golden
from core.identity.persist import settings_hash
from core.identity.records import stored_person
from core.store import Store
from core.sync.lifecycle import RunContext

__all__ = ["BATCH_SHARE", "Resolved", "resolve_changes"]

BATCH_SHARE = 0.2
"""Above this share of the stored people changed, one batch resolution costs less than record by record."""


@dataclass
class Resolved:
    """What resolving did: how, which profiles it touched, and its counts."""

    mode: str = "none"
    affected: set[str] = field(default_factory=set)
    counts: dict[str, int] = field(default_factory=dict)


def _batch_due(store: Store, settings: IdentitySettings, changed: int, *, full: bool) -> str | None:
    """Why a whole batch must run now (None: incremental will do)."""
    model = store.identity_models.latest()
    if full:
        return "full refresh asked"
    if model is None:
        return "no trained model yet"
    if model.settings_hash != settings_hash(settings):
        return "the identity settings changed"
    people = store.identity_index.size()
    if people == 0 or changed > BATCH_SHARE * people:
        return f"{changed} of {people} people changed"
    return None


def resolve_changes(
    store: Store, settings: IdentitySettings, changed: Collection[tuple[str, str, str]], *, full: bool, run: RunContext
) -> Resolved:
    """Resolve the changed people (``(system, stream, source_id)`` of Person records); see the module docstring.

    Raises:
        StoreError: When the database fails.
        RunInterrupted: A signal arrived before anything was written.
    """
    why = _batch_due(store, settings, len(changed), full=full)
    if why is not None:
        result = resolve_store(store, settings, run_id=run.run_id, check_stop=run.check_stop)
        return Resolved(f"batch ({why})", set(store.profiles.active()), result.summary())
    if not changed:
        return Resolved("incremental")
    rows = store.records.canonical_texts_of(changed, models=["Person"])  # in key order, a record's first row first
    people = [stored_person(next(found)[4]) for _, found in groupby(rows, key=lambda row: row[:3])]
    live = [p for p in people if not p.deleted]
    gone = [RecordRef.parse(str(p.source)) for p in people if p.deleted]
    before = store.links.profiles_of(gone)
    store.links.remove(gone)
    store.identity_index.remove([str(ref) for ref in gone])
    recompute_golden(store, sorted(set(before.values())), settings, run_id=run.run_id)
    retired = store.profiles.retire_unlinked(run_id=run.run_id)
    decisions = resolve_few(store, live, settings)
    affected = {d.profile_id for d in decisions} | {d.left for d in decisions if d.left} | set(before.values())
    counts = {
        "records_linked": len(decisions),
        "new": sum(1 for d in decisions if d.outcome.value == "new"),
        "removed": len(gone),
        "retired": retired,
    }
    return Resolved("incremental", affected, counts)
