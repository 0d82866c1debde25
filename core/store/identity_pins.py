"""Identity's manual pins and trained models, and the reads a batch run starts from.

    identity_pins    add_pins, deactivate_pins, list_pins
    identity_models  save_identity_model, latest_identity_model, latest_identity_model_id
    reads            deleted_records, alias_map (chains followed), profile_created

Records are named by their key, ``system/stream/source_id``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.base import StoreBase, chunked
from core.store.tables import IdentityModel, IdentityPin, PinKind, Profile, ProfileAlias, SourceRecordRow

__all__ = ["IdentityPinsMixin", "PinInput", "record_key", "split_record_key"]

_PINS = IdentityPin.__table__  # type: ignore[attr-defined]
_MODELS = IdentityModel.__table__  # type: ignore[attr-defined]
_PROFILES = Profile.__table__  # type: ignore[attr-defined]
_ALIASES = ProfileAlias.__table__  # type: ignore[attr-defined]
_SOURCE = SourceRecordRow.__table__  # type: ignore[attr-defined]
_IN_LIST = 500
_PINS_OF = (
    sa.select(_PINS.c.pin_id, _PINS.c.kind, _PINS.c.left_record, _PINS.c.right_record)
    .where(
        _PINS.c.active.is_(True),
        sa.or_(_PINS.c.left_record == sa.bindparam("record"), _PINS.c.right_record == sa.bindparam("record")),
    )
    .order_by(_PINS.c.pin_id)
)
_NEWEST_MODEL = sa.select(sa.func.max(_MODELS.c.model_id))


def record_key(system: str, stream: str, source_id: str) -> str:
    """Return ``system/stream/source_id``."""
    return f"{system}/{stream}/{source_id}"


def split_record_key(key: str) -> tuple[str, str, str]:
    """Split ``system/stream/source_id`` (the source ID may itself hold slashes)."""
    system, stream, source_id = key.split("/", 2)
    return system, stream, source_id


@dataclass(frozen=True, slots=True)
class PinInput:
    """A manual decision: ``left`` and ``right`` record keys must (or must never) be one profile."""

    kind: PinKind
    left: str
    right: str
    reason: str | None = None
    created_by: str | None = None


class IdentityPinsMixin(StoreBase):
    """Pins, trained models, and what a batch run reads first."""

    def add_pins(self, pins: Iterable[PinInput]) -> list[int]:
        """Store active pins; return their IDs in order.

        Raises:
            StoreError: When the database fails.
        """
        now = self.now()
        ids: list[int] = []
        with self._tx() as conn:
            for pin in pins:
                values = {
                    "kind": PinKind(pin.kind).value, "left_record": pin.left, "right_record": pin.right,
                    "reason": pin.reason, "created_by": pin.created_by, "created_at": now, "active": True,
                }  # fmt: skip
                query = sa.insert(_PINS).values(values).returning(_PINS.c.pin_id)
                ids.append(int(conn.execute(query).scalar_one()))
        return ids

    def deactivate_pins(self, pin_ids: Iterable[int]) -> int:
        """Mark pins inactive (kept for the record); return how many were active."""
        changed = 0
        for chunk in chunked(pin_ids, _IN_LIST):
            with self._tx() as conn:
                query = sa.update(_PINS).where(_PINS.c.pin_id.in_(chunk), _PINS.c.active.is_(True))
                changed += conn.execute(query.values(active=False)).rowcount
        return changed

    def list_pins(self, *, records: Sequence[str] | None = None, include_inactive: bool = False) -> list[IdentityPin]:
        """Return pins (touching any of ``records`` when given), oldest first."""
        query = select(IdentityPin).order_by(_PINS.c.pin_id)
        if not include_inactive:
            query = query.where(_PINS.c.active.is_(True))
        if records is None:
            return self._select_all(query)
        found: dict[int, IdentityPin] = {}
        for chunk in chunked(records, _IN_LIST):
            touching = query.where(sa.or_(_PINS.c.left_record.in_(chunk), _PINS.c.right_record.in_(chunk)))
            found.update((pin.pin_id, pin) for pin in self._select_all(touching))
        return [found[pin_id] for pin_id in sorted(found)]

    def pin_partners(self, record: str) -> tuple[dict[str, int], set[str]]:
        """Return a record's active pins: ``({must-link partner: pin_id}, {cannot-link partners})``."""
        must: dict[str, int] = {}
        cannot: set[str] = set()
        with self._read() as conn:
            for pin_id, kind, left, right in conn.execute(_PINS_OF, {"record": record}):
                other = right if left == record else left
                if kind == PinKind.MUST_LINK.value:
                    must.setdefault(other, int(pin_id))
                else:
                    cannot.add(other)
        return must, cannot

    def save_identity_model(self, parameters: Mapping[str, Any], *, settings_hash: str, run_id: str | None) -> int:
        """Store a trained model (``ModelParameters.to_dict()``); return its ID (the newest is used)."""
        values = {"settings_hash": settings_hash, "parameters": dict(parameters), "created_at": self.now()}
        with self._tx() as conn:
            query = sa.insert(_MODELS).values({**values, "run_id": run_id}).returning(_MODELS.c.model_id)
            return int(conn.execute(query).scalar_one())

    def latest_identity_model(self) -> IdentityModel | None:
        """Return the most recently stored model, or None before the first batch run."""
        rows = self._select_all(select(IdentityModel).order_by(_MODELS.c.model_id.desc()).limit(1))
        return rows[0] if rows else None

    def latest_identity_model_id(self) -> int | None:
        """Return the ID of the newest stored model (a cheap check for a newer one)."""
        with self._read() as conn:
            value = conn.execute(_NEWEST_MODEL).scalar_one_or_none()
        return None if value is None else int(value)

    def deleted_records(self, *, system: str | None = None) -> set[str]:
        """Return the keys of source records the systems reported deleted."""
        c = _SOURCE.c
        query = sa.select(c.system, c.stream, c.source_id).where(c.deleted.is_(True))
        if system is not None:
            query = query.where(c.system == system)
        with self._read() as conn:
            return {record_key(*row) for row in conn.execute(query)}

    def alias_map(self) -> dict[str, str]:
        """Return every alias with the profile it finally resolves to (chains followed, loops left out)."""
        with self._read() as conn:
            direct = dict(tuple(row) for row in conn.execute(sa.select(_ALIASES.c.alias, _ALIASES.c.profile_id)))
        final: dict[str, str] = {}
        for alias in direct:
            seen, target = {alias}, direct[alias]
            while target in direct and target not in seen:
                seen.add(target)
                target = direct[target]
            if target not in seen:
                final[alias] = target
        return final

    def profile_created(self) -> dict[str, datetime]:
        """Return every stored profile ID (active or merged) with when it was created."""
        with self._read() as conn:
            return dict(tuple(row) for row in conn.execute(sa.select(_PROFILES.c.profile_id, _PROFILES.c.created_at)))
