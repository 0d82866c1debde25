"""``store.decisions`` and ``store.alerts``: what the policies decided, and the alerts they raised.

decisions.save    keep each profile's decided values and reasons (hash-guarded); the changed ones
decisions.get     the decided values of profiles
decisions.due     profiles whose decisions run out by now (a suppression window, a decaying score)
alerts.raise_new  record alerts once per occurrence key; return the ones new this time
alerts.pending    the alerts not yet confirmed by their target system
alerts.mark       what the target system answered
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, UpsertSpec, chunked, insert
from core.store.tables import ALERTS_UNSENT, Alert, ProfileDecision
from core.store.types import content_hash

__all__ = ["AlertInput", "Alerts", "DecisionInput", "Decisions"]

_DECISIONS = ProfileDecision.__table__  # type: ignore[attr-defined]
_ALERTS = Alert.__table__  # type: ignore[attr-defined]

DECISION_SPEC = UpsertSpec(
    table=_DECISIONS,
    key=("profile_id",),
    lookup=1,
    hash_column="content_hash",
    update=("values", "explanation", "content_hash", "review_at", "updated_at", "run_id"),
)


@dataclass(frozen=True, slots=True)
class DecisionInput:
    """A profile's decided values (write-back names → values), their reasons, and when to look again."""

    profile_id: str
    values: Mapping[str, Any]
    explanation: Mapping[str, Any]
    review_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class AlertInput:
    """An alert for one occurrence, with the system it goes to."""

    key: str
    profile_id: str
    kind: str
    title: str
    detail: Mapping[str, Any]
    raised_at: datetime
    system: str | None


class Decisions(Repository):
    """Profile decisions."""

    def save(self, items: Iterable[DecisionInput], *, run_id: str | None) -> builtins.list[str]:
        """Keep decisions; return the profiles whose values changed (or are new); their reasons are kept with them.

        Raises:
            StoreError: When a value cannot be stored as JSON or the database fails.
        """
        now = self._db.now()
        rows = (
            {
                "profile_id": item.profile_id,
                "values": dict(item.values),
                "explanation": dict(item.explanation),
                # the values decide; reasons restate them with decay factors that move every run
                "content_hash": content_hash([dict(item.values), item.review_at]),
                "review_at": item.review_at,
                "updated_at": now,
                "run_id": run_id,
            }
            for item in items
        )
        changed: builtins.list[tuple[Any, ...]] = []
        self._db.upsert(DECISION_SPEC, rows, changed_keys=changed)
        return [str(key[0]) for key in changed]

    def get(self, profile_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return ``{profile_id: values}`` of the profiles that have decisions."""
        found: dict[str, dict[str, Any]] = {}
        with self._db.connection() as conn:
            for part in chunked(profile_ids, 500):
                query = sa.select(_DECISIONS.c.profile_id, _DECISIONS.c["values"]).where(
                    _DECISIONS.c.profile_id.in_(part)
                )
                found.update({pid: dict(values) for pid, values in conn.execute(query)})
        return found

    def explained(self, profile_id: str) -> ProfileDecision | None:
        """Return one profile's decision row (values, reasons, when to look again), or None."""
        rows = self._db.select_all(select(ProfileDecision).where(_DECISIONS.c.profile_id == profile_id))
        return rows[0] if rows else None

    def due(self, now: datetime) -> builtins.list[str]:
        """Return profiles whose decisions run out at or before ``now``."""
        query = sa.select(_DECISIONS.c.profile_id).where(_DECISIONS.c.review_at <= now)  # by the time index
        with self._db.connection() as conn:
            return sorted(str(pid) for (pid,) in conn.execute(query))


class Alerts(Repository):
    """Alerts, once per occurrence."""

    def raise_new(self, alerts: Iterable[AlertInput], *, run_id: str | None) -> builtins.list[str]:
        """Record alerts whose key is new; return those keys (an occurrence raises its alert once, ever).

        Raises:
            StoreError: When the database fails.
        """
        rows = {
            a.key: {"key": a.key, "profile_id": a.profile_id, "kind": a.kind, "title": a.title[:500],
                    "detail": dict(a.detail), "raised_at": a.raised_at, "system": a.system, "status": "pending",
                    "run_id": run_id}
            for a in alerts
        }  # fmt: skip
        new: builtins.list[str] = []
        for part in chunked(builtins.list(rows)):
            with self._db.transaction() as conn:
                known = {k for (k,) in conn.execute(sa.select(_ALERTS.c.key).where(_ALERTS.c.key.in_(part)))}
                fresh = [rows[k] for k in part if k not in known]
                if fresh:
                    conn.execute(insert(conn, _ALERTS).on_conflict_do_nothing(index_elements=["key"]), fresh)
                new += [str(row["key"]) for row in fresh]
        return new

    def pending(self, system: str | None = None) -> builtins.list[Alert]:
        """Return alerts not yet confirmed by their target (pending or failed), oldest first."""
        query = select(Alert).where(sa.text(ALERTS_UNSENT)).order_by(_ALERTS.c.raised_at, _ALERTS.c.key)
        if system is not None:
            query = query.where(_ALERTS.c.system == system)
        return self._db.select_all(query)

    def mark(self, key: str, *, status: str, vendor_id: str | None = None, error: str | None = None) -> None:
        """Record what the target system answered for one alert."""
        with self._db.transaction() as conn:
            conn.execute(
                sa.update(_ALERTS).where(_ALERTS.c.key == key).values(status=status, vendor_id=vendor_id, error=error)
            )

    def of_profile(self, profile_id: str) -> builtins.list[Alert]:
        """Return one profile's alerts, oldest first."""
        query = select(Alert).where(_ALERTS.c.profile_id == profile_id).order_by(_ALERTS.c.raised_at)
        return self._db.select_all(query)
