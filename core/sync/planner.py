"""Plan write-back: what each system's records should hold, minus what they hold, field by field.

    plan_writes(store, targets, profile_ids, permit=) ─→ Plan
        per chunk of profiles: decided values (store.decisions) ─→ each linked record of a
        writable stream renders its write-back section (core.mapping.Writeback) ─→ each
        field compared with what Contactpoint last wrote (store.writeback) and what the
        vendor holds now (the record as the last pull brought it, at ``read_from``)

For one field, with *desired* (computed now), *written* (last written) and *found* (in
the vendor now):

    found unknown, written == desired      nothing to write (the connector does not pull it)
    found == desired                       nothing to write; a write the ledger lacks
                                           (a run killed after the vendor confirmed) is
                                           recorded as confirmed, never sent again
    never written                          write (a field Contactpoint does not own is
                                           only filled while empty)
    written == desired, found differs      a person changed it by hand: reported; an
                                           owned field is set back, another left alone
                                           (found counts only when the record was stored
                                           after the write: else it is unknown)
    desired changed since written          write; if found also differs from written,
                                           the hand-made change is reported first

Values are compared as the vendors store them (``true``/``false``, numbers as text, a
list joined): HubSpot answers every property as text. A field the customer's ledger
holds back (``permit``) is not written, and the plan says which statement held it.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from connectors.base import WriteOp
from core.errors import RecordRejected
from core.mapping.writeback import Writeback, WritebackField
from core.store import Store
from core.sync.values import MISSING as _MISSING
from core.sync.values import found_value, normal_form, same

__all__ = [
    "Confirmed",
    "FieldChange",
    "HandChange",
    "HeldBack",
    "Permit",
    "Plan",
    "PlannedWrite",
    "Target",
    "plan_writes",
    "same",
]


class Permit(Protocol):
    """The customer's ledger as the planner asks it (``core.sync.consent.LedgerPermits``)."""

    def prepare(self, profile_ids: Sequence[str]) -> None:
        """Read what the planner is about to ask of these profiles."""

    def __call__(self, profile_id: str, system: str, source: str) -> str | None:
        """None when ``source`` may be written to ``system`` for the person, else why not."""


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field to write: its new value, what was last written and what the vendor holds, and why."""

    field: str
    value: Any
    written: Any
    found: Any
    why: str


@dataclass(frozen=True, slots=True)
class HandChange:
    """A field a person changed in the vendor since Contactpoint wrote it, and what the plan does about it."""

    system: str
    stream: str
    source_id: str
    field: str
    written: Any
    found: Any
    action: str
    """``overwritten`` (Contactpoint owns the field) or ``left`` (it does not)."""


@dataclass(frozen=True, slots=True)
class HeldBack:
    """A write the customer's ledger holds back, and the reason it gives."""

    profile_id: str
    system: str
    stream: str
    source_id: str | None
    field: str
    reason: str


@dataclass(frozen=True, slots=True)
class Confirmed:
    """Values the vendor already holds that the write-back ledger lacks: recorded without a write."""

    system: str
    stream: str
    source_id: str
    fields: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class PlannedWrite:
    """One record's write: the fields to set (or, with ``source_id`` None, the record to create and match)."""

    profile_id: str
    system: str
    stream: str
    source_id: str | None
    fields: Mapping[str, Any]
    changes: tuple[FieldChange, ...] = ()
    match: tuple[str, str] | None = None

    def op(self) -> WriteOp:
        """The connector operation."""
        return WriteOp(self.source_id, dict(self.fields), self.match)


@dataclass
class Plan:
    """The writes of a run (or of one chunk of its profiles), with what was found along the way.

    A sync plans and pushes chunk by chunk; the run's own plan ``absorb``s each chunk's
    counts and keeps only the first writes (the sample a summary shows), so its memory
    follows the chunk, not the store. A dry run keeps every write: the plan is its product.
    """

    writes: list[PlannedWrite] = field(default_factory=list)
    hand_changes: list[HandChange] = field(default_factory=list)
    held_back: list[HeldBack] = field(default_factory=list)
    confirmed: list[Confirmed] = field(default_factory=list)
    problems: list[tuple[str, str, str, str]] = field(default_factory=list)
    """``(system, stream, source_id, reason)`` of records whose values could not be rendered."""
    examined: Counter[str] = field(default_factory=Counter)
    """Linked records compared with their decided values, per system (those with nothing to write are unchanged)."""
    tally: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    """``(system, stream, what)`` → count, ``what`` one of records, fields, creates, confirmed: every
    write planned and every value confirmed, also those a run's plan no longer keeps."""

    def __post_init__(self) -> None:
        if not self.tally:  # a plan made whole (``Plan(writes=...)``): count what it was given
            writes, confirmed, self.writes, self.confirmed = self.writes, self.confirmed, [], []
            for write in writes:
                self.add_write(write)
            for item in confirmed:
                self.add_confirmed(item)

    def add_write(self, write: PlannedWrite) -> None:
        """Plan one write (counted in ``tally``)."""
        self.writes.append(write)
        self.tally[(write.system, write.stream, "records")] += 1
        self.tally[(write.system, write.stream, "fields")] += len(write.fields)
        if write.source_id is None:
            self.tally[(write.system, write.stream, "creates")] += 1

    def add_confirmed(self, item: Confirmed) -> None:
        """Record values the vendor already holds (counted in ``tally``)."""
        self.confirmed.append(item)
        self.tally[(item.system, item.stream, "confirmed")] += 1

    def absorb(self, part: Plan, *, keep: int | None) -> None:
        """Fold one chunk's plan in: all its counts and findings, its writes up to ``keep`` in all (None: every one).

        Confirmed values are kept with the writes only when every write is (``keep`` None).
        """
        room = len(part.writes) if keep is None else max(keep - len(self.writes), 0)
        self.writes += part.writes[:room]
        if keep is None:
            self.confirmed += part.confirmed
        self.hand_changes += part.hand_changes
        self.held_back += part.held_back
        self.problems += part.problems
        self.examined.update(part.examined)
        self.tally.update(part.tally)

    def total(self, what: str, system: str | None = None, stream: str | None = None) -> int:
        """How many ``what`` (records, fields, creates, confirmed) were planned, for one system or stream or all."""
        return sum(
            n for (sy, st, w), n in self.tally.items()
            if w == what and system in (None, sy) and stream in (None, st)
        )  # fmt: skip

    def by_stream(self) -> dict[tuple[str, str], list[PlannedWrite]]:
        """The writes grouped by (system, stream), in plan order."""
        grouped: dict[tuple[str, str], list[PlannedWrite]] = {}
        for write in self.writes:
            grouped.setdefault((write.system, write.stream), []).append(write)
        return grouped

    def counts(self) -> dict[str, dict[str, int]]:
        """Per system: records and fields to write, creates, hand changes found, writes held back."""
        per: dict[str, dict[str, int]] = {}

        def bump(system: str, key: str, amount: int = 1) -> None:
            per.setdefault(system, {"records": 0, "fields": 0, "creates": 0, "hand_changes": 0, "held_back": 0})
            per[system][key] += amount

        for (system, _stream, what), amount in self.tally.items():
            if what != "confirmed":
                bump(system, what, amount)
        for change in self.hand_changes:
            bump(change.system, "hand_changes")
        for held in self.held_back:
            bump(held.system, "held_back")
        return per


@dataclass(frozen=True, slots=True)
class Target:
    """A stream write-back goes to: its system, stream and compiled write-back section."""

    system: str
    stream: str
    writeback: Writeback


def _field(
    item: WritebackField, value: Any, written: Any, found: Any, key: tuple[str, str, str], plan: Plan
) -> FieldChange | None:
    """Decide one field (see the module docstring); record hand changes on ``plan``."""
    system, stream, source_id = key
    if found is not _MISSING and same(found, value):
        return None
    if found is _MISSING and written is not _MISSING and same(written, value):
        return None  # the vendor's value is not pulled: what was last written stands
    if written is _MISSING:
        if not item.owned and found not in (_MISSING, None) and normal_form(found) is not None:
            plan.hand_changes.append(HandChange(system, stream, source_id, item.vendor_field, None, found, "left"))
            return None
        return FieldChange(item.vendor_field, value, None, None if found is _MISSING else found, "new")
    hand_made = found not in (_MISSING,) and not same(found, written)
    if hand_made:
        action = "overwritten" if item.owned else "left"
        plan.hand_changes.append(HandChange(system, stream, source_id, item.vendor_field, written, found, action))
        if not item.owned:
            return None
    why = "restore" if same(written, value) else "changed"
    return FieldChange(item.vendor_field, value, written, None if found is _MISSING else found, why)


@dataclass(frozen=True, slots=True)
class _Known:
    """What is known of one record: the last written values and when, and the record as last stored and when."""

    written: Mapping[str, Any]
    written_at: Mapping[str, datetime]
    raw: Mapping[str, Any] | None
    stored_at: datetime | None

    def found(self, writeback: Writeback, name: str) -> Any:
        """The vendor's value of a field, or ``MISSING`` when unknown: not pulled, or pulled before it was written.

        A record stored before Contactpoint's last write to the field (its pull failed or stopped
        since) holds the value from before the write, not one a person typed: it says nothing.
        """
        when = self.written_at.get(name)
        if when is not None and self.stored_at is not None and self.stored_at < when:
            return _MISSING
        return found_value(self.raw, writeback, name)


def _record(
    target: Target, key: tuple[str, str, str], desired: Mapping[str, Any], known: _Known, plan: Plan
) -> dict[str, FieldChange]:
    """Decide every field of one record; collect fields the vendor holds but the ledger lacks as confirmed."""
    changes: dict[str, FieldChange] = {}
    confirmed: dict[str, Any] = {}
    written = known.written
    for item in target.writeback.fields:
        if item.vendor_field not in desired:
            continue
        value = desired[item.vendor_field]
        last = written.get(item.vendor_field, _MISSING)
        found = known.found(target.writeback, item.vendor_field)
        change = _field(item, value, last, found, key, plan)
        if change is not None:
            changes[item.vendor_field] = change
        elif found is not _MISSING and same(found, value) and (last is _MISSING or not same(last, value)):
            confirmed[item.vendor_field] = value
    if confirmed:
        plan.add_confirmed(Confirmed(*key, confirmed))
    return changes


def _permitted(
    profile_id: str, target: Target, desired: dict[str, Any], source_id: str | None, permit: Permit | None, plan: Plan
) -> dict[str, Any]:
    """The desired fields the customer's ledger lets through; the others are recorded as held back."""
    if permit is None:
        return desired
    sources = {item.vendor_field: item.source for item in target.writeback.fields}
    allowed: dict[str, Any] = {}
    for vendor_field, value in desired.items():
        reason = permit(profile_id, target.system, sources.get(vendor_field, ""))
        if reason is None:
            allowed[vendor_field] = value
        else:
            plan.held_back.append(HeldBack(profile_id, target.system, target.stream, source_id, vendor_field, reason))
    return allowed


def _desired(target: Target, values: Mapping[str, Any], key: tuple[str, str, str], plan: Plan) -> dict[str, Any] | None:
    try:
        return target.writeback.render(values)
    except RecordRejected as err:
        plan.problems.append((*key, err.message))
        return None


def _profile_writes(
    records: list[tuple[str, str, str]], targets: Mapping[tuple[str, str], Target]
) -> Iterator[tuple[Target, tuple[str, str, str] | None]]:
    """Each linked record of a writable stream; then, for streams that create, one create where it has none."""
    have = {(system, stream) for system, stream, _ in records}
    for key in records:
        target = targets.get(key[:2])
        if target is not None:
            yield target, key
    for where, target in targets.items():
        if target.writeback.creates and where not in have:
            yield target, None


def _create(pid: str, target: Target, values: Mapping[str, Any], plan: Plan, permit: Permit | None) -> None:
    writeback = target.writeback
    match_value = values.get(writeback.match_source or "")
    if writeback.match_field is None or match_value in (None, ""):
        return  # nothing to find or seed the record by: no create
    desired = _desired(target, values, (target.system, target.stream, f"new:{pid}"), plan)
    fields = _permitted(pid, target, desired or {}, None, permit, plan)
    if fields:
        match = (writeback.match_field, str(match_value))
        plan.add_write(PlannedWrite(pid, target.system, target.stream, None, fields, match=match))


def _chunk_desired(
    part: list[str], values: Mapping[str, Mapping[str, Any]], linked: Mapping[str, list[tuple[str, str, str]]],
    by_stream: Mapping[tuple[str, str], Target], plan: Plan, permit: Permit | None,
) -> dict[tuple[str, str], list[tuple[str, str, dict[str, Any]]]]:  # fmt: skip
    """Each linked record's permitted desired fields, by (system, stream); creates go straight to ``plan``."""
    pending: dict[tuple[str, str], list[tuple[str, str, dict[str, Any]]]] = {}
    for pid in (p for p in part if p in values):
        for target, key in _profile_writes(linked.get(pid, []), by_stream):
            if key is None:
                _create(pid, target, values[pid], plan, permit)
                continue
            desired = _desired(target, values[pid], key, plan)
            if desired:
                fields = _permitted(pid, target, desired, key[2], permit, plan)
                pending.setdefault(key[:2], []).append((pid, key[2], fields))
    return pending


def plan_writes(
    store: Store,
    targets: Iterable[Target],
    profile_ids: Iterable[str],
    *,
    permit: Permit | None = None,
    chunk: int = 500,
) -> Plan:
    """Plan the writes that bring every record of these profiles to its decided values (see the module docstring).

    Raises:
        StoreError: When the database fails.
    """
    by_stream = {(t.system, t.stream): t for t in targets if t.writeback.fields}
    plan, wanted = Plan(), list(dict.fromkeys(profile_ids))
    for start in range(0, len(wanted), chunk):
        part = wanted[start : start + chunk]
        values, linked = store.decisions.get(part), store.links.of_profiles(part)
        if permit is not None:
            permit.prepare(part)
        for (system, stream), items in _chunk_desired(part, values, linked, by_stream, plan, permit).items():
            ids = [source_id for _, source_id, _ in items]
            written, when = store.writeback.written_when(system, stream, ids)
            stored = store.records.raw_seen_of(system, stream, ids)
            target = by_stream[(system, stream)]
            for pid, source_id, fields in items:
                plan.examined[system] += 1
                key = (system, stream, source_id)
                raw, stored_at = stored.get(source_id, (None, None))
                known = _Known(written.get(source_id, {}), when.get(source_id, {}), raw, stored_at)
                changes = _record(target, key, fields, known, plan)
                if changes:
                    values_out = {name: change.value for name, change in changes.items()}
                    plan.add_write(PlannedWrite(pid, system, stream, source_id, values_out, tuple(changes.values())))
    return plan
