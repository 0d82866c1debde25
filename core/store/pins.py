"""``store.pins``: manual identity decisions that win over rules and the model on every run.

    add          store active pins
    deactivate   mark pins inactive (kept for the record)
    list         pins, oldest first (touching given records)
    partners     one record's must-link and cannot-link partners

Records are named by their key, ``system/stream/source_id``.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, chunked, select_rows
from core.store.identity_tables import IdentityPin, PinKind

__all__ = ["PinInput", "Pins"]

_PINS = IdentityPin.__table__  # type: ignore[attr-defined]
_IN_LIST = 500
_PINS_OF = (
    sa.select(_PINS.c.pin_id, _PINS.c.kind, _PINS.c.left_record, _PINS.c.right_record)
    .where(
        _PINS.c.active.is_(True),
        sa.or_(_PINS.c.left_record == sa.bindparam("record"), _PINS.c.right_record == sa.bindparam("record")),
    )
    .order_by(_PINS.c.pin_id)
)


@dataclass(frozen=True, slots=True)
class PinInput:
    """A manual decision: ``left`` and ``right`` record keys must (or must never) be one profile."""

    kind: PinKind
    left: str
    right: str
    reason: str | None = None
    created_by: str | None = None


class Pins(Repository):
    """Manual ``must_link`` / ``cannot_link`` pins between two records."""

    def add(self, pins: Iterable[PinInput]) -> builtins.list[int]:
        """Store active pins; return their IDs in order.

        Raises:
            StoreError: When the database fails.
        """
        now = self._db.now()
        ids: builtins.list[int] = []
        with self._db.transaction() as conn:
            for pin in pins:
                values = {
                    "kind": PinKind(pin.kind).value, "left_record": pin.left, "right_record": pin.right,
                    "reason": pin.reason, "created_by": pin.created_by, "created_at": now, "active": True,
                }  # fmt: skip
                query = sa.insert(_PINS).values(values).returning(_PINS.c.pin_id)
                ids.append(int(conn.execute(query).scalar_one()))
        return ids

    def deactivate(self, pin_ids: Iterable[int]) -> int:
        """Mark pins inactive (kept for the record); return how many were active."""
        changed = 0
        for chunk in chunked(pin_ids, _IN_LIST):
            with self._db.transaction() as conn:
                query = sa.update(_PINS).where(_PINS.c.pin_id.in_(chunk), _PINS.c.active.is_(True))
                changed += conn.execute(query.values(active=False)).rowcount
        return changed

    def list(
        self, *, records: Sequence[str] | None = None, include_inactive: bool = False
    ) -> builtins.list[IdentityPin]:
        """Return pins (touching any of ``records`` when given), oldest first."""
        query = select(IdentityPin).order_by(_PINS.c.pin_id)
        if not include_inactive:
            query = query.where(_PINS.c.active.is_(True))
        if records is None:
            return self._db.select_all(query)
        found: dict[int, IdentityPin] = {}
        for chunk in chunked(records, _IN_LIST):
            touching = query.where(sa.or_(_PINS.c.left_record.in_(chunk), _PINS.c.right_record.in_(chunk)))
            found.update((pin.pin_id, pin) for pin in self._db.select_all(touching))
        return [found[pin_id] for pin_id in sorted(found)]

    def partners(self, record: str) -> tuple[dict[str, int], set[str]]:
        """Return a record's active pins: ``({must-link partner: pin_id}, {cannot-link partners})``."""
        must: dict[str, int] = {}
        cannot: set[str] = set()
        with self._db.connection() as conn:
            for pin_id, kind, left, right in select_rows(conn, _PINS_OF, {"record": record}):
                other = right if left == record else left
                if kind == PinKind.MUST_LINK.value:
                    must.setdefault(other, int(pin_id))
                else:
                    cannot.add(other)
        return must, cannot
