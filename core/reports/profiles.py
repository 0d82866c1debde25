"""One pass over the active profiles, a chunk at a time: where the systems disagree, and where opt-outs landed.

    walk_profiles(store, report, targets, reveal=)
        table conflicts     one profile, different values across its records for email, phone, name,
                            company or email-marketing consent: each record's value (system and
                            record ID) and whether the golden record kept it
        table closed_loop   every suppressed profile's records in systems Contactpoint writes to:
                            the suppression flag decided, what was last written, what the system
                            holds now (its latest pull) and its own consent, and whether it landed

Profiles are read by keyset (``profile_id > last``), ``CHUNK`` at a time, with their links,
people rows, consents and decisions for that chunk only. Personal values are masked as
``store parked`` masks them unless ``reveal``.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from core.errors import RecordRejected
from core.logs import mask_value
from core.mapping.writeback import Writeback
from core.reports.tables import Report, Table
from core.store import Profile, ProfileStatus, SourceRecordRow, Store, WritebackEntry
from core.store.database import chunked
from core.sync.values import MISSING, found_value, same

__all__ = [
    "CHUNK", "MARKETING_PURPOSES", "NO_OPT_OUT", "ClosedLoopTarget", "Held", "active_chunks", "closed_loop_targets",
    "golden_value", "held_values", "landing_status", "walk_profiles",
]  # fmt: skip

CHUNK = 500
_PROFILES = Profile.__table__  # type: ignore[attr-defined]
_WRITTEN = WritebackEntry.__table__  # type: ignore[attr-defined]
_SOURCE = SourceRecordRow.__table__  # type: ignore[attr-defined]
_FIELDS = ("email", "phone", "name", "company")
MARKETING_PURPOSES = ("marketing", "newsletter", "all email", "all", "marketing information")
NO_OPT_OUT = "no opt-out (marketable)"


@dataclass(frozen=True)
class ClosedLoopTarget:
    """A writable stream and the write-back fields that carry suppressions there."""

    system: str
    stream: str
    writeback: Writeback
    fields: tuple[str, ...]


def closed_loop_targets(targets: Sequence[tuple[str, str, Writeback]]) -> dict[tuple[str, str], ClosedLoopTarget]:
    """The streams whose write-back carries a suppression value (``suppression.*``)."""
    found = {}
    for system, stream, writeback in targets:
        flags = tuple(f.vendor_field for f in writeback.fields if f.source.startswith("suppression."))
        if flags:
            found[(system, stream)] = ClosedLoopTarget(system, stream, writeback, flags)
    return found


def active_chunks(store: Store, size: int = CHUNK) -> Iterator[list[str]]:
    """Yield the active profile IDs in order, ``size`` at a time, by keyset (never all of them at once)."""
    last = ""
    c = _PROFILES.c
    while True:
        query = (
            sa.select(c.profile_id)
            .where(c.status == ProfileStatus.ACTIVE.value, c.profile_id > last)
            .order_by(c.profile_id)
            .limit(size)
        )
        with store.database.connection() as conn:
            chunk = [str(pid) for pid in conn.execute(query).scalars()]
        if not chunk:
            return
        yield chunk
        last = chunk[-1]


@dataclass
class _Chunk:
    golden: dict[str, dict[str, Any]]
    linked: dict[str, list[tuple[str, str, str]]]
    people: dict[tuple[str, str, str], dict[str, Any]]
    consents: dict[str, dict[str, tuple[str, str]]] = field(default_factory=dict)
    """profile → system → (status, record key) of its latest email-marketing consent there."""
    decisions: dict[str, dict[str, Any]] = field(default_factory=dict)


def _consents(store: Store, chunk: list[str]) -> dict[str, dict[str, tuple[str, str]]]:
    named = store.identifiers.records_of(chunk, models=("Consent",))
    rows = store.records.canonical_of({k[:3] for keys in named.values() for k in keys}, models=["Consent"])
    by_record: dict[tuple[str, str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        by_record[(row.system, row.stream, row.source_id)].append(row.data)
    found: dict[str, dict[str, tuple[str, str, str]]] = defaultdict(dict)
    for pid, keys in named.items():
        for key in dict.fromkeys(k[:3] for k in keys):
            for data in by_record.get(key, ()):
                if data.get("channel") != "email" or str(data.get("purpose", "")).lower() not in MARKETING_PURPOSES:
                    continue
                held = found[pid].get(key[0])
                if held is None or str(data.get("at")) > held[2]:
                    found[pid][key[0]] = (str(data.get("status")), "/".join(key), str(data.get("at")))
    return {pid: {s: (v[0], v[1]) for s, v in systems.items()} for pid, systems in found.items()}


def _read_chunk(store: Store, chunk: list[str]) -> _Chunk:
    linked = store.links.of_profiles(chunk)
    keys = {key for keys in linked.values() for key in keys}
    people = {(r.system, r.stream, r.source_id): r.data for r in store.records.canonical_of(keys, models=["Person"])
              if r.ordinal == 0}  # fmt: skip
    return _Chunk(store.profiles.golden_of(chunk), linked, people, _consents(store, chunk), store.decisions.get(chunk))


def _norm(name: str, data: Mapping[str, Any]) -> str | None:
    if name == "name":
        text = " ".join(str(data.get(k) or "").strip() for k in ("first_name", "last_name")).strip()
    else:
        text = str(data.get(name) or "").strip()
    text = " ".join(text.casefold().replace(",", " ").replace(".", " ").split())
    return text or None


def _shown(value: Any, *, reveal: bool) -> Any:
    return value if reveal else mask_value(value)


def golden_value(golden: Mapping[str, Any], name: str) -> tuple[str | None, str | None]:
    """The golden value of a field (name: first and last) and the record it came from."""
    parts = ("first_name", "last_name") if name == "name" else (name,)
    values, source = [], None
    for part in parts:
        item = golden.get(part)
        if isinstance(item, dict) and item.get("value") not in (None, ""):
            values.append(str(item["value"]))
            where = item.get("source") or {}
            source = source or (
                f"{where.get('system')}/{where.get('stream')}/{where.get('source_id')}" if where else None
            )
    return (" ".join(values) or None), source


def _conflicts(pid: str, data: _Chunk, table: Table, *, reveal: bool) -> int:
    found = 0
    records = [(key, data.people[key]) for key in data.linked.get(pid, []) if key in data.people]
    for name in _FIELDS:
        held = [(key, _norm(name, person), person) for key, person in records]
        values = {v for _, v, _ in held if v is not None}
        if len(values) < 2:
            continue
        found += 1
        kept, source = golden_value(data.golden.get(pid, {}), name)
        for key, value, person in held:
            if value is None:
                continue
            shown = _norm(name, person) if name == "name" else person.get(name)
            is_kept = kept is not None and value == _norm(name, {name: kept, "first_name": kept})
            table.add([pid, name, key[0], "/".join(key), _shown(shown, reveal=reveal),
                       _shown(kept, reveal=reveal), "kept" if is_kept else "", source or ""])  # fmt: skip
    return found + _consent_conflict(pid, data, table, records)


def _consent_conflict(pid: str, data: _Chunk, table: Table, records: list[tuple[tuple[str, str, str], Any]]) -> int:
    held = dict(data.consents.get(pid, {}))
    for key, _ in records:
        held.setdefault(key[0], (NO_OPT_OUT, "/".join(key)))
    statuses = {"denied" if s == "denied" else "marketable" for s, _ in held.values()}
    if len(statuses) < 2:
        return 0
    decided = data.decisions.get(pid, {})
    kept = "suppressed (marketing)" if decided.get("suppression.marketing") is True else "marketable"
    for system, (status, record) in sorted(held.items()):
        table.add([pid, "consent", system, record, status, kept, "kept" if (status == "denied") == (kept != "marketable")
                   else "", "policy decision"])  # fmt: skip
    return 1


@dataclass
class _Loop:
    suppressions: int = 0
    landed_everywhere: int = 0
    not_landed: int = 0
    rows: int = 0
    statuses: Counter[str] = field(default_factory=Counter)


def landing_status(desired: Any, written: Any, found: Any, *, pulled_since_write: bool) -> str:
    """Where a value stands in one record: ``landed``, ``written (…)``, ``not landed…`` or ``not written (yet)``.

    Args:
        desired: The value Contactpoint means the field to hold.
        written: What it last wrote there (``MISSING``: never).
        found: The field as the latest pull read it (``MISSING``: not read back).
        pulled_since_write: The latest pull came after the last write.
    """
    if found is not MISSING and same(found, desired):
        return "landed"
    wrote_it = written is not MISSING and same(written, desired)
    if found is MISSING:
        return "written (the system's value is not read back)" if wrote_it else "not written"
    if wrote_it and not pulled_since_write:
        return "written (read back at the next pull)"
    if wrote_it:
        return "not landed: changed in the system since written"
    return "not landed" if written is not MISSING else "not written yet"


def _closed_loop(pid: str, data: _Chunk, targets: Mapping[tuple[str, str], ClosedLoopTarget],
                 lookups: Mapping[tuple[str, str], Held], table: Table,
                 loop: _Loop) -> None:  # fmt: skip
    values = data.decisions.get(pid, {})
    reasons = values.get("suppression.reasons") or []
    flagged = [k for k, v in values.items() if k.startswith("suppression.") and v is True]
    if not flagged and not reasons:
        return
    loop.suppressions += 1
    statuses = []
    consents = data.consents.get(pid, {})
    for key in data.linked.get(pid, []):
        target = targets.get(key[:2])
        if target is None:
            continue
        try:
            desired = target.writeback.render(values)
        except RecordRejected:
            desired = {}
        held = lookups[key[:2]]
        raw, pulled_at = held.pulled.get(key[2], (None, None))
        for vendor_field in target.fields:
            if vendor_field not in desired:
                continue
            last, written_at = held.written.get((key[2], vendor_field), (MISSING, None))
            now = found_value(raw, target.writeback, vendor_field)
            fresh = pulled_at is not None and (written_at is None or pulled_at > written_at)
            status = landing_status(desired[vendor_field], last, now, pulled_since_write=fresh)
            statuses.append(status)
            loop.statuses[status] += 1
            own = consents.get(key[0], (NO_OPT_OUT, ""))[0]
            table.add([pid, "; ".join(map(str, reasons)) or ", ".join(flagged), key[0], "/".join(key), vendor_field,
                       desired[vendor_field], None if last is MISSING else last, None if now is MISSING else now,
                       own, status])  # fmt: skip
    if statuses and all(s == "landed" for s in statuses):
        loop.landed_everywhere += 1
    elif any(s.startswith("not") for s in statuses):
        loop.not_landed += 1


def _lookups(
    store: Store, data: _Chunk, targets: Mapping[tuple[str, str], ClosedLoopTarget]
) -> dict[tuple[str, str], Held]:
    wanted: dict[tuple[str, str], list[str]] = defaultdict(list)
    for pid, keys in data.linked.items():
        if pid in data.decisions:
            for key in keys:
                if key[:2] in targets:
                    wanted[key[:2]].append(key[2])
    return {where: held_values(store, where, ids) for where, ids in wanted.items()}


@dataclass
class Held:
    """What was last written to some records (value, when) and what their latest pull brought (raw, when)."""

    written: dict[tuple[str, str], tuple[Any, datetime]] = field(default_factory=dict)
    pulled: dict[str, tuple[dict[str, Any], datetime]] = field(default_factory=dict)


def held_values(store: Store, where: tuple[str, str], ids: list[str]) -> Held:
    """Read what was last written to records of ``where`` (system, stream) and what their latest pull brought."""
    w, r, held = _WRITTEN.c, _SOURCE.c, Held()
    with store.database.connection() as conn:
        for part in chunked(ids, 500):
            query = sa.select(w.source_id, w.field, w.value, w.written_at).where(
                w.system == where[0], w.stream == where[1], w.source_id.in_(part)
            )
            held.written.update({(sid, name): (value, at) for sid, name, value, at in conn.execute(query)})
            query = sa.select(r.source_id, r.raw, r.last_seen_at).where(
                r.system == where[0], r.stream == where[1], r.source_id.in_(part)
            )
            held.pulled.update({sid: (_as_dict(raw), at) for sid, raw, at in conn.execute(query)})
    return held


def _as_dict(raw: Any) -> dict[str, Any]:
    return dict(json.loads(raw) if isinstance(raw, str) else raw)


def walk_profiles(store: Store, report: Report, targets: Sequence[tuple[str, str, Writeback]], *, reveal: bool) -> None:
    """Add the conflicts and closed-loop tables and figures to ``report`` (see the module docstring)."""
    conflicts = report.table(
        "conflicts", "Where the systems disagree about one person",
        ["profile_id", "field", "system", "record", "value", "golden_value", "kept", "golden_source"],
        note="one row per record holding a value; 'kept' marks the value the golden record (or, for consent, the policy) kept",
    )  # fmt: skip
    loop_table = report.table(
        "closed_loop", "Suppressions: did they land in every system?",
        ["profile_id", "suppression", "system", "record", "field", "decided", "last_written", "system_holds_now",
         "system_consent", "status"],
        note="system_holds_now is the field as the latest pull read it; an opt-out that did not land anywhere stands out",
    )  # fmt: skip
    loop_targets = closed_loop_targets(targets)
    profiles = conflicting = 0
    loop = _Loop()
    for chunk in active_chunks(store):
        data = _read_chunk(store, chunk)
        lookups = _lookups(store, data, loop_targets)
        for pid in chunk:
            profiles += 1
            if _conflicts(pid, data, conflicts, reveal=reveal):
                conflicting += 1
            _closed_loop(pid, data, loop_targets, lookups, loop_table, loop)
    report.figures["conflicts"] = {"profiles_walked": profiles, "profiles_with_conflicts": conflicting,
                                   "rows": conflicts.count}  # fmt: skip
    report.figures["closed_loop"] = {
        "suppressed_profiles": loop.suppressions, "landed_everywhere": loop.landed_everywhere,
        "not_landed_somewhere": loop.not_landed, **{f"fields_{k.split(':')[0].replace(' ', '_')}": v
                                                    for k, v in sorted(loop.statuses.items())},
    }  # fmt: skip
    if not loop_targets:
        report.notes.append("no write-back field carries a suppression (or no project file): the closed loop is empty")
