"""``store.profiles``: profiles and their golden records.

upsert       store profiles; an unchanged one is left untouched
get          one profile, by exactly its ID (aliases are ``store.aliases``)
created_at   every profile ID with when it was created
"""

from __future__ import annotations

import builtins
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.database import Repository, UpsertCounts, UpsertSpec, chunked
from core.store.golden_codec import pack_golden, unpack_golden
from core.store.tables import Link, Profile, ProfileStatus
from core.store.types import CanonicalText, content_hash

__all__ = ["PROFILE_SPEC", "ProfileInput", "Profiles", "profile_row"]

_PROFILES = Profile.__table__  # type: ignore[attr-defined]

PROFILE_SPEC = UpsertSpec(
    table=_PROFILES,
    key=("profile_id",),
    lookup=1,
    hash_column="content_hash",
    update=("status", "golden", "content_hash", "updated_at", "merged_into", "run_id"),
)


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """A profile to store: its ID, golden record (JSON, or its stored form as canonical text), status and merge target."""

    profile_id: str
    golden: Mapping[str, Any] | CanonicalText
    status: ProfileStatus = ProfileStatus.ACTIVE
    merged_into: str | None = None


def profile_row(profile: ProfileInput, now: datetime, run_id: str | None) -> dict[str, Any]:
    """The ``profiles`` row of a profile; its hash covers golden values (as stored, packed), status and merge target."""
    golden = pack_golden(json.loads(profile.golden) if isinstance(profile.golden, CanonicalText) else profile.golden)
    return {
        "profile_id": profile.profile_id,
        "status": ProfileStatus(profile.status).value,
        "golden": golden,
        "content_hash": content_hash([golden, str(profile.status), profile.merged_into]),
        "created_at": now,
        "updated_at": now,
        "merged_into": profile.merged_into,
        "run_id": run_id,
    }


class Profiles(Repository):
    """Profiles (active or merged) with their golden records."""

    def upsert(self, profiles: Iterable[ProfileInput], *, run_id: str | None) -> UpsertCounts:
        """Store profiles; an unchanged one (same golden, status, merge target) is left untouched.

        ``created_at`` is set once; ``updated_at`` and ``run_id`` move only on change.

        Returns:
            How many profiles were inserted, updated and left unchanged.

        Raises:
            StoreError: When golden values cannot be stored as JSON or the database fails.
        """
        now = self._db.now()
        rows = (profile_row(p, now, run_id) for p in profiles)
        return self._db.upsert(PROFILE_SPEC, rows)

    def retire_unlinked(self, *, run_id: str | None) -> int:
        """Retire every active profile that no record links to any more; return how many.

        Raises:
            StoreError: When the database fails.
        """
        links = Link.__table__  # type: ignore[attr-defined]
        linked = sa.select(links.c.profile_id).where(links.c.profile_id == _PROFILES.c.profile_id).exists()
        query = (
            sa.update(_PROFILES)
            .where(_PROFILES.c.status == ProfileStatus.ACTIVE.value, ~linked)
            .values(
                status=ProfileStatus.RETIRED.value,
                golden={},
                content_hash=content_hash([{}, ProfileStatus.RETIRED.value, None]),
                updated_at=self._db.now(),
                run_id=run_id,
            )
        )
        with self._db.transaction() as conn:
            return int(conn.execute(query).rowcount)

    def count_by_status(self) -> dict[str, int]:
        """Return how many profiles are active, merged and retired."""
        query = sa.select(_PROFILES.c.status, sa.func.count()).group_by(_PROFILES.c.status)
        with self._db.connection() as conn:
            found = {str(status): int(n) for status, n in conn.execute(query)}
        return {status.value: found.get(status.value, 0) for status in ProfileStatus}

    def golden_of(self, profile_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Return ``{profile_id: golden record}`` of these profiles (the field → value-with-provenance JSON)."""
        found: dict[str, dict[str, Any]] = {}
        with self._db.connection() as conn:
            for part in chunked(profile_ids, 500):
                query = sa.select(_PROFILES.c.profile_id, _PROFILES.c.golden).where(_PROFILES.c.profile_id.in_(part))
                for pid, golden in conn.execute(query):  # the column type hands golden records back unpacked
                    found[pid] = unpack_golden(json.loads(golden)) if isinstance(golden, str) else dict(golden)
        return found

    def active(self) -> builtins.list[str]:
        """Return the IDs of every active profile, sorted."""
        query = sa.select(_PROFILES.c.profile_id).where(_PROFILES.c.status == ProfileStatus.ACTIVE.value)
        with self._db.connection() as conn:
            return sorted(str(pid) for (pid,) in conn.execute(query))

    def get(self, profile_id: str) -> Profile | None:
        """Return the profile stored under exactly this ID (aliases not followed), or None."""
        rows = self._db.select_all(select(Profile).where(_PROFILES.c.profile_id == profile_id))
        return rows[0] if rows else None

    def created_at(self) -> dict[str, datetime]:
        """Return every stored profile ID (active or merged) with when it was created."""
        with self._db.connection() as conn:
            return dict(tuple(row) for row in conn.execute(sa.select(_PROFILES.c.profile_id, _PROFILES.c.created_at)))
