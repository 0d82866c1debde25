"""``store.erasures`` and ``store.tombstones``: forgetting a person, and recognising them if they come back.

erasures.start      record who asked to erase which profile, what was removed (counts) and the targets
erasures.pending    the system records still to delete (retried by every sync run until they succeed)
erasures.answer     what a system answered for one target (an attempt)
erasures.settle     mark erasures done once every target has a final answer
erasures.list, get, targets_of   the audit trail
tombstones.add      keep keyed hashes of an erased person's identifiers and record keys
tombstones.matches  which of some keys are tombstoned (a pulled record that would re-create them)

A tombstone is ``HMAC-SHA256(key, identifier)``: it cannot be read back into an address
or an ID, but the same identifier pulled again gives the same hash. The key comes from
``CONTACTPOINT_ERASURE_KEY``; without it the installation makes one and keeps it here.
"""

from __future__ import annotations

import builtins
import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, chunked, insert
from core.store.report_tables import ErasureRow, ErasureTargetRow, TombstoneKeyRow, TombstoneRow

__all__ = ["ERASURE_KEY_ENV", "ErasureTarget", "Erasures", "TargetStatus", "Tombstones"]

ERASURE_KEY_ENV = "CONTACTPOINT_ERASURE_KEY"
_ERASURES = ErasureRow.__table__  # type: ignore[attr-defined]
_TARGETS = ErasureTargetRow.__table__  # type: ignore[attr-defined]
_TOMBSTONES = TombstoneRow.__table__  # type: ignore[attr-defined]
_KEYS = TombstoneKeyRow.__table__  # type: ignore[attr-defined]


class TargetStatus(StrEnum):
    """Where one system record of an erasure stands."""

    PENDING = "pending"
    """Not yet confirmed by the system (never sent, or it failed in a way worth trying again)."""
    DELETED = "deleted"
    ANONYMISED = "anonymised"
    """The system refused to delete it; its personal fields were blanked instead."""
    NOT_FOUND = "not_found"
    """The system no longer has it (deleted there already)."""
    UNSUPPORTED = "unsupported"
    """The system's connector cannot erase: someone must delete it there by hand."""
    FAILED = "failed"
    """Refused for good (or tried too often): someone must look at it."""

    @property
    def final(self) -> bool:
        """Whether nothing more will be tried."""
        return self is not TargetStatus.PENDING


@dataclass(frozen=True, slots=True)
class ErasureTarget:
    """A system record an erasure must delete in its system."""

    system: str
    stream: str
    source_id: str
    status: TargetStatus = TargetStatus.PENDING
    answer: str | None = None


class Erasures(Repository):
    """Erasure requests and their targets: the audit trail of forgetting."""

    def start(
        self,
        erasure_id: str,
        *,
        profile_id: str,
        requested_by: str | None,
        reason: str | None,
        removed: Mapping[str, Any],
        targets: Sequence[ErasureTarget],
    ) -> None:
        """Record an erasure and its targets (in the caller's transaction when inside ``atomic``).

        Raises:
            StoreError: When the database fails.
        """
        now = self._db.now()
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_ERASURES).values(
                erasure_id=erasure_id, profile_id=profile_id, requested_by=requested_by, requested_at=now,
                reason=reason, removed=dict(removed), status="pending", finished_at=None))  # fmt: skip
            rows = [
                {"erasure_id": erasure_id, "system": t.system, "stream": t.stream, "source_id": t.source_id,
                 "status": t.status.value, "answer": t.answer, "attempts": 0, "last_attempt_at": None, "run_id": None}
                for t in targets
            ]  # fmt: skip
            if rows:
                conn.execute(sa.insert(_TARGETS), rows)

    def pending(self, system: str | None = None) -> builtins.list[ErasureTargetRow]:
        """Return the targets still to confirm (of one system when given), oldest erasure first."""
        query = select(ErasureTargetRow).where(_TARGETS.c.status == TargetStatus.PENDING.value)
        if system is not None:
            query = query.where(_TARGETS.c.system == system)
        return self._db.select_all(query.order_by(_TARGETS.c.erasure_id, _TARGETS.c.id))

    def answer(self, target_id: int, status: TargetStatus, answer: str | None, *, run_id: str | None) -> None:
        """Record one attempt at a target: the system's answer and the resulting status."""
        c = _TARGETS.c
        values = {"status": status.value, "answer": answer, "attempts": c.attempts + 1,
                  "last_attempt_at": self._db.now(), "run_id": run_id}  # fmt: skip
        with self._db.transaction() as conn:
            conn.execute(sa.update(_TARGETS).where(c.id == target_id).values(**values))

    def settle(self) -> builtins.list[str]:
        """Mark pending erasures whose targets all have a final answer as done; return their IDs."""
        c, t = _ERASURES.c, _TARGETS.c
        open_target = sa.select(t.id).where(t.erasure_id == c.erasure_id, t.status == TargetStatus.PENDING.value)
        with self._db.transaction() as conn:
            done = builtins.list(conn.execute(
                sa.select(c.erasure_id).where(c.status == "pending", ~open_target.exists())).scalars())  # fmt: skip
            if done:
                conn.execute(sa.update(_ERASURES).where(c.erasure_id.in_(done))
                             .values(status="done", finished_at=self._db.now()))  # fmt: skip
        return [str(e) for e in done]

    def get(self, erasure_id: str) -> ErasureRow | None:
        """Return one erasure, or None."""
        rows = self._db.select_all(select(ErasureRow).where(_ERASURES.c.erasure_id == erasure_id))
        return rows[0] if rows else None

    def list(self, *, limit: int = 50) -> builtins.list[ErasureRow]:
        """Return the newest erasures first."""
        query = select(ErasureRow).order_by(_ERASURES.c.requested_at.desc(), _ERASURES.c.erasure_id.desc())
        return self._db.select_all(query.limit(limit))

    def targets_of(self, erasure_id: str) -> builtins.list[ErasureTargetRow]:
        """Return an erasure's targets, in order."""
        query = select(ErasureTargetRow).where(_TARGETS.c.erasure_id == erasure_id).order_by(_TARGETS.c.id)
        return self._db.select_all(query)


class Tombstones(Repository):
    """Keyed hashes of erased people's identifiers."""

    def _key(self, *, create: bool) -> tuple[str, bytes] | None:
        configured = os.environ.get(ERASURE_KEY_ENV, "").strip()
        if configured:
            secret = configured.encode()
            return hashlib.sha256(secret).hexdigest()[:16], secret
        with self._db.connection() as conn:
            row = conn.execute(sa.select(_KEYS.c.key_id, _KEYS.c.secret).order_by(_KEYS.c.created_at)).first()
        if row is not None:
            return str(row[0]), str(row[1]).encode()
        if not create:
            return None
        secret_text = secrets.token_urlsafe(48)
        key_id = hashlib.sha256(secret_text.encode()).hexdigest()[:16]
        with self._db.transaction() as conn:
            conn.execute(sa.insert(_KEYS).values(key_id=key_id, secret=secret_text, created_at=self._db.now()))
        return key_id, secret_text.encode()

    @staticmethod
    def _hash(secret: bytes, key: str) -> str:
        return hmac.new(secret, key.strip().lower().encode(), hashlib.sha256).hexdigest()

    def add(self, keys: Iterable[str], *, erasure_id: str) -> int:
        """Keep a tombstone for each identifier or record key; return how many are new.

        Raises:
            StoreError: When the database fails.
        """
        found = self._key(create=True)
        assert found is not None  # create=True always gives a key
        key_id, secret = found
        now = self._db.now()
        rows = {self._hash(secret, k): {"key_hash": self._hash(secret, k), "key_id": key_id,
                                        "erasure_id": erasure_id, "created_at": now} for k in keys}  # fmt: skip
        added = 0
        with self._db.transaction() as conn:
            for part in chunked(builtins.list(rows)):
                held = set(
                    conn.execute(sa.select(_TOMBSTONES.c.key_hash).where(_TOMBSTONES.c.key_hash.in_(part))).scalars()
                )
                fresh = [rows[h] for h in part if h not in held]
                if fresh:
                    stmt = insert(conn, _TOMBSTONES).on_conflict_do_nothing(index_elements=["key_hash"])
                    conn.execute(stmt, fresh)
                added += len(fresh)
        return added

    def any(self) -> bool:
        """Whether any tombstone exists (a pull checks nothing otherwise)."""
        with self._db.connection() as conn:
            return conn.execute(sa.select(_TOMBSTONES.c.key_hash).limit(1)).first() is not None

    def matches(self, keys: Iterable[str]) -> set[str]:
        """Return those of ``keys`` (identifiers or record keys) that belong to an erased person."""
        wanted = builtins.list(dict.fromkeys(keys))
        found = self._key(create=False) if wanted else None
        if found is None:
            return set()
        _, secret = found
        by_hash = {self._hash(secret, k): k for k in wanted}
        hit: set[str] = set()
        with self._db.connection() as conn:
            for part in chunked(builtins.list(by_hash), 500):
                query = sa.select(_TOMBSTONES.c.key_hash).where(_TOMBSTONES.c.key_hash.in_(part))
                hit.update(by_hash[h] for h in conn.execute(query).scalars())
        return hit
