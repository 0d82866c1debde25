"""One person, everything Contactpoint holds: find them, and show their unified profile.

    find_person(store, ref)          a profile ID (or alias), an email address, ``system:record-id``
                                     or ``system/stream/record-id`` ─→ the profile ID
    person_records(store, pid)       the profile's linked records, and the interaction and consent
                                     records its identifiers name
    profile_view(store, pid, reveal=, mode=)  golden fields with provenance, identifiers, linked
                                     records per system, enrichment, segments, suppressions with
                                     reasons, the ledger's state in force, write-back, alerts

Personal values are masked as ``store parked`` masks them unless ``reveal``.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.errors import IdentityError
from core.ledger import Mode
from core.logs import mask_record, mask_value
from core.store import Link, Store
from core.store.tables import RecordIdentifier

__all__ = ["PersonRecords", "find_person", "person_records", "profile_view", "profiles_named"]

_LINKS = Link.__table__  # type: ignore[attr-defined]
_IDS = RecordIdentifier.__table__  # type: ignore[attr-defined]
_HINT = (
    "give a profile ID (cp_…), an email address, or a record as system:record-id "
    "(`contactpoint identity explain` and `contactpoint report reconcile` list them)"
)
_ACTIVITY = ("Interaction", "Consent")


def _unknown(ref: str) -> IdentityError:
    return IdentityError(f"no person in the store matches {ref!r}", hint=_HINT)


def _by_email(store: Store, address: str) -> set[str]:
    key = f"email:{address.strip().lower()}"
    query = (
        sa.select(_LINKS.c.profile_id)
        .join(
            _IDS,
            (_IDS.c.system == _LINKS.c.system)
            & (_IDS.c.stream == _LINKS.c.stream)
            & (_IDS.c.source_id == _LINKS.c.source_id),
        )
        .where(_IDS.c.key == key, _IDS.c.model == "Person")
        .distinct()
    )
    with store.database.connection() as conn:
        return {str(p) for p in conn.execute(query).scalars()}


def _by_record(store: Store, ref: str) -> set[str]:
    system, _, rest = ref.partition(":") if ":" in ref and "/" not in ref.split(":", 1)[0] else ("", "", "")
    if system:
        query = sa.select(_LINKS.c.profile_id).where(_LINKS.c.system == system, _LINKS.c.source_id == rest)
    else:
        parts = ref.split("/", 2)
        if len(parts) != 3:
            return set()
        query = sa.select(_LINKS.c.profile_id).where(
            _LINKS.c.system == parts[0], _LINKS.c.stream == parts[1], _LINKS.c.source_id == parts[2]
        )
    with store.database.connection() as conn:
        return {str(p) for p in conn.execute(query).scalars()}


def profiles_named(store: Store, ref: str) -> set[str]:
    """Return every profile ID ``ref`` names (aliases followed): none, one, or several sharing an address."""
    ref = ref.strip()
    if ref.startswith("cp_") and "/" not in ref and ":" not in ref:
        found = {store.aliases.resolve(ref)}
        return found if store.profiles.get(next(iter(found))) is not None else set()
    found = _by_email(store, ref) if "@" in ref and "/" not in ref else _by_record(store, ref)
    return {store.aliases.resolve(p) for p in found}


def find_person(store: Store, ref: str) -> str:
    """Return the profile ID ``ref`` names (aliases followed).

    Raises:
        IdentityError: Nobody matches (exit 4), or an email matches several profiles.
    """
    ref = ref.strip()
    found = profiles_named(store, ref)
    if not found:
        raise _unknown(ref)
    if len(found) > 1:
        msg = f"{ref!r} matches {len(found)} profiles: {', '.join(sorted(found))}"
        raise IdentityError(msg, hint="give one of the profile IDs")
    return found.pop()


@dataclass
class PersonRecords:
    """The records of one person: linked (people records) and named by their identifiers (activity)."""

    profile_id: str
    family: set[str]
    linked: list[Link] = field(default_factory=list)
    activity: list[tuple[str, str, str, str]] = field(default_factory=list)
    identifiers: dict[str, list[str]] = field(default_factory=dict)
    """``{identifier key: [record keys carrying it]}`` of the linked records."""


def person_records(store: Store, profile_id: str) -> PersonRecords:
    """Return the person's linked records, their identifiers, and the activity records those identifiers name."""
    family = store.aliases.family(profile_id)
    linked = store.links.of_profile(profile_id)
    found = PersonRecords(profile_id, family, linked)
    keys = [(link.system, link.stream, link.source_id) for link in linked]
    identifiers: dict[str, list[str]] = defaultdict(list)
    with store.database.connection() as conn:
        for system, stream, source_id in keys:
            query = sa.select(_IDS.c.key).where(
                _IDS.c.system == system, _IDS.c.stream == stream, _IDS.c.source_id == source_id,
                _IDS.c.model == "Person",
            )  # fmt: skip
            for key in conn.execute(query).scalars():
                identifiers[str(key)].append(f"{system}/{stream}/{source_id}")
    found.identifiers = dict(identifiers)
    named = store.identifiers.records_of([profile_id], models=_ACTIVITY).get(profile_id, [])
    found.activity = sorted(dict.fromkeys(named))
    return found


def _masked(value: Any, *, reveal: bool) -> Any:
    return value if reveal else mask_record(value)


def golden_shown(golden: dict[str, Any], *, reveal: bool) -> dict[str, Any]:
    """A golden record as admin views show it: each field's value masked unless ``reveal``, provenance kept."""
    shown = {}
    for name, item in sorted(golden.items()):
        item = dict(item) if isinstance(item, dict) else {"value": item}
        item["value"] = _masked(item.get("value"), reveal=reveal)
        shown[name] = item
    return shown


def _identifier(key: str, *, reveal: bool) -> str:
    kind, _, value = key.partition(":")
    if reveal or kind == "external_id":
        return key
    return f"{kind}:{mask_value(value)}"


def profile_view(store: Store, profile_id: str, *, reveal: bool, mode: Mode = Mode.OBSERVED_CONSENT) -> dict[str, Any]:
    """Return the unified profile as JSON-ready data (see the module docstring)."""
    profile = store.profiles.get(profile_id)
    records = person_records(store, profile_id)
    decision = store.decisions.explained(profile_id)
    explained = decision.explanation if decision is not None else {}
    values = decision.values if decision is not None else {}
    per_system: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for link in records.linked:
        source = store.records.get_source(link.system, link.stream, link.source_id)
        written = store.writeback.last_written(link.system, link.stream, link.source_id)
        per_system[link.system].append({
            "record": f"{link.system}/{link.stream}/{link.source_id}", "stream": link.stream,
            "source_id": link.source_id, "linked_by": str(link.method), "rule": link.rule, "score": link.score,
            "deleted": bool(source.deleted) if source else None,
            "last_pulled": source.last_seen_at.isoformat() if source else None,
            "written": _masked(written, reveal=reveal),
        })  # fmt: skip
    state = store.ledger.state_in_force(profile_id, mode=mode).to_json()
    return {
        "profile_id": profile_id,
        "status": str(profile.status) if profile else None,
        "created_at": profile.created_at.isoformat() if profile else None,
        "aliases": sorted(records.family - {profile_id}),
        "golden": golden_shown(profile.golden if profile else {}, reveal=reveal),
        "identifiers": {_identifier(k, reveal=reveal): v for k, v in sorted(records.identifiers.items())},
        "records": dict(sorted(per_system.items())),
        "activity_records": len(records.activity),
        "enrichment": {k: v for k, v in values.items() if k.startswith("enrichment.")},
        "segments": explained.get("segments", []),
        "suppressions": explained.get("suppressions", []),
        "suppression_values": {k: v for k, v in values.items() if k.startswith("suppression.")},
        "ledger": state,
        "writeback_failures": [
            {
                "record": f"{f.system}/{f.stream}/{f.source_id}",
                "code": f.code,
                "attempts": f.attempts,
                "retryable": f.retryable,
            }
            for f in store.writeback.failures()
            if f.source_id in {link.source_id for link in records.linked}
        ],
        "alerts": [
            {"key": a.key, "kind": a.kind, "status": a.status, "system": a.system}
            for a in store.alerts.of_profile(profile_id)
        ],
        "masked": not reveal,
    }
