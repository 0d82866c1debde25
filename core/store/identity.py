"""Profiles, profile aliases and links (source record → profile), as identity needs them."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.errors import StoreError
from core.store.base import RecordKey, StoreBase, UpsertCounts, UpsertSpec, chunked
from core.store.identity_pins import record_key
from core.store.tables import Link, LinkMethod, Profile, ProfileAlias, ProfileStatus
from core.store.types import content_hash

__all__ = ["IdentityMixin", "LinkInput", "ProfileInput"]

_PROFILES = Profile.__table__  # type: ignore[attr-defined]
_ALIASES = ProfileAlias.__table__  # type: ignore[attr-defined]
_LINKS = Link.__table__  # type: ignore[attr-defined]

PROFILE_SPEC = UpsertSpec(
    table=_PROFILES,
    key=("profile_id",),
    lookup=1,
    hash_column="content_hash",
    update=("status", "golden", "content_hash", "updated_at", "merged_into", "run_id"),
)
LINK_SPEC = UpsertSpec(
    table=_LINKS,
    key=("system", "stream", "source_id"),
    lookup=3,
    hash_column="content_hash",
    update=("profile_id", "method", "rule", "score", "explanation", "content_hash", "linked_at", "run_id"),
)
_MAX_ALIAS_HOPS = 1000


@dataclass(frozen=True, slots=True)
class ProfileInput:
    """A profile to store: its ID, golden record (JSON), status and merge target."""

    profile_id: str
    golden: Mapping[str, Any]
    status: ProfileStatus = ProfileStatus.ACTIVE
    merged_into: str | None = None


@dataclass(frozen=True, slots=True)
class LinkInput:
    """Link one source record to a profile, saying how and why."""

    system: str
    stream: str
    source_id: str
    profile_id: str
    method: LinkMethod
    rule: str | None = None
    score: float | None = None
    explanation: Mapping[str, Any] = field(default_factory=dict)


class IdentityMixin(StoreBase):
    """Profiles, aliases and links."""

    def upsert_profiles(self, profiles: Iterable[ProfileInput], *, run_id: str | None) -> UpsertCounts:
        """Store profiles; an unchanged one (same golden, status, merge target) is left untouched.

        ``created_at`` is set once; ``updated_at`` and ``run_id`` move only on change.

        Raises:
            StoreError: When golden values cannot be stored as JSON or the database fails.
        """
        now = self.now()
        rows = (profile_row(p, now, run_id) for p in profiles)
        return self._upsert(PROFILE_SPEC, rows)

    def get_profile(self, profile_id: str) -> Profile | None:
        """Return the profile stored under exactly this ID (aliases not followed), or None."""
        rows = self._select_all(select(Profile).where(_PROFILES.c.profile_id == profile_id))
        return rows[0] if rows else None

    def add_aliases(self, aliases: Mapping[str, str], *, run_id: str | None) -> int:
        """Record merged-away profile IDs: ``{alias: profile_id}``; a changed target is updated.

        Returns:
            How many aliases were given.

        Raises:
            StoreError: When an alias points at itself or the database fails.
        """
        loops = sorted(alias for alias, target in aliases.items() if alias == target)
        if loops:
            msg = f"profile alias {loops[0]!r} points at itself"
            raise StoreError(msg, hint="an alias names a different profile")
        now = self.now()
        rows = [{"alias": a, "profile_id": p, "created_at": now, "run_id": run_id} for a, p in aliases.items()]
        for chunk in chunked(rows):
            with self._tx() as conn:
                stmt = self._insert(conn, _ALIASES)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["alias"],
                    set_={"profile_id": stmt.excluded.profile_id, "run_id": stmt.excluded.run_id},
                    where=_ALIASES.c.profile_id != stmt.excluded.profile_id,
                )
                conn.execute(stmt, chunk)
        return len(rows)

    def resolve_alias(self, profile_id: str) -> str:
        """Return the profile an ID resolves to now, following aliases (itself when not an alias).

        Raises:
            StoreError: When aliases form a loop.
        """
        seen = [profile_id]
        with self._read() as conn:
            query = sa.select(_ALIASES.c.profile_id).where(_ALIASES.c.alias == sa.bindparam("alias"))
            while (target := conn.execute(query, {"alias": seen[-1]}).scalar_one_or_none()) is not None:
                if target in seen or len(seen) > _MAX_ALIAS_HOPS:
                    msg = f"profile aliases form a loop: {' -> '.join([*seen, target])}"
                    raise StoreError(
                        msg,
                        hint="repair profile_aliases so every chain ends at an active profile",
                        profile_id=profile_id,
                    )
                seen.append(target)
        return seen[-1]

    def _alias_family(self, conn: sa.Connection, profile_id: str) -> set[str]:
        """Return ``profile_id`` and every alias that resolves to it, directly or in a chain."""
        family, frontier = {profile_id}, {profile_id}
        while frontier:
            query = sa.select(_ALIASES.c.alias).where(_ALIASES.c.profile_id.in_(frontier))
            found = set(conn.execute(query).scalars()) - family
            family |= found
            frontier = found
        return family

    def set_links(self, links: Iterable[LinkInput], *, run_id: str | None) -> UpsertCounts:
        """Link source records to profiles; a record has one link, the latest wins.

        A link equal to the stored one (profile, method, rule, score, explanation) is
        left untouched.

        Raises:
            StoreError: When an explanation cannot be stored as JSON or the database fails.
        """
        now = self.now()
        return self._upsert(LINK_SPEC, (_link_row(link, now, run_id) for link in links))

    def remove_links(self, records: Iterable[RecordKey]) -> int:
        """Delete the links of these records (for a split); return how many existed."""
        removed = 0
        for chunk in chunked(records):
            with self._tx() as conn:
                for ref in chunk:
                    query = sa.delete(_LINKS).where(
                        _LINKS.c.system == ref.system,
                        _LINKS.c.stream == ref.stream,
                        _LINKS.c.source_id == ref.source_id,
                    )
                    removed += conn.execute(query).rowcount
        return removed

    def links_for_profile(self, profile_id: str) -> list[Link]:
        """Return the links of a profile, including links still under its aliases, in key order."""
        target = self.resolve_alias(profile_id)
        with self._read() as conn:
            family = self._alias_family(conn, target)
        query = (
            select(Link)
            .where(_LINKS.c.profile_id.in_(family))
            .order_by(_LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id)
        )
        return self._select_all(query)

    def profile_for_record(self, system: str, stream: str, source_id: str) -> str | None:
        """Return the profile a source record belongs to now (aliases followed), or None."""
        query = sa.select(_LINKS.c.profile_id).where(
            _LINKS.c.system == system, _LINKS.c.stream == stream, _LINKS.c.source_id == source_id
        )
        with self._read() as conn:
            linked = conn.execute(query).scalar_one_or_none()
        return None if linked is None else self.resolve_alias(linked)

    def iter_links(self, *, system: str | None = None) -> Iterator[Link]:
        """Yield every link (of one system when given) in key order."""
        query = select(Link).order_by(_LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id)
        if system is not None:
            query = query.where(_LINKS.c.system == system)
        yield from self._select_all(query)

    def linked_profiles(self) -> dict[str, str]:
        """Return every link as ``{system/stream/source_id: profile_id}`` (aliases not followed), in key order.

        Reads four columns only: a batch run needs where each record was, not why.
        """
        query = sa.select(_LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id, _LINKS.c.profile_id).order_by(
            _LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id
        )
        with self._read() as conn:
            return {
                record_key(system, stream, source_id): pid for system, stream, source_id, pid in conn.execute(query)
            }


def profile_row(profile: ProfileInput, now: datetime, run_id: str | None) -> dict[str, Any]:
    """The ``profiles`` row of a profile; its hash covers golden values, status and merge target."""
    return {
        "profile_id": profile.profile_id,
        "status": ProfileStatus(profile.status).value,
        "golden": dict(profile.golden),
        "content_hash": content_hash([dict(profile.golden), str(profile.status), profile.merged_into]),
        "created_at": now,
        "updated_at": now,
        "merged_into": profile.merged_into,
        "run_id": run_id,
    }


def _link_row(link: LinkInput, now: datetime, run_id: str | None) -> dict[str, Any]:
    method = LinkMethod(link.method).value
    explanation = dict(link.explanation)
    return {
        "system": link.system,
        "stream": link.stream,
        "source_id": link.source_id,
        "profile_id": link.profile_id,
        "method": method,
        "rule": link.rule,
        "score": link.score,
        "explanation": explanation,
        "content_hash": content_hash([link.profile_id, method, link.rule, link.score, explanation]),
        "linked_at": now,
        "run_id": run_id,
    }
