"""``store.aliases``: merged-away profile IDs and the profile each now resolves to.

    add           record ``{alias: profile_id}``
    resolve       the profile one ID resolves to now (chains followed, loops refused)
    resolve_all   every alias with the profile it finally resolves to
    resolve_many  the profile each of many IDs resolves to now
    family        a profile ID with every alias that resolves to it
    families_of   the same for many profile IDs

A merge keeps the older profile ID and records the other as an alias, so an ID
given out once keeps answering.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import sqlalchemy as sa

from core.errors import StoreError
from core.store.database import Repository, chunked, insert
from core.store.tables import ProfileAlias

__all__ = ["Aliases"]

_ALIASES = ProfileAlias.__table__  # type: ignore[attr-defined]
_MAX_ALIAS_HOPS = 1000


class Aliases(Repository):
    """Profile aliases: ``alias → profile_id``, possibly in chains."""

    def add(self, aliases: Mapping[str, str], *, run_id: str | None) -> int:
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
        now = self._db.now()
        rows = [{"alias": a, "profile_id": p, "created_at": now, "run_id": run_id} for a, p in aliases.items()]
        for chunk in chunked(rows):
            with self._db.transaction() as conn:
                stmt = insert(conn, _ALIASES)
                stmt = stmt.on_conflict_do_update(
                    index_elements=["alias"],
                    set_={"profile_id": stmt.excluded.profile_id, "run_id": stmt.excluded.run_id},
                    where=_ALIASES.c.profile_id != stmt.excluded.profile_id,
                )
                conn.execute(stmt, chunk)
        return len(rows)

    def resolve(self, profile_id: str) -> str:
        """Return the profile an ID resolves to now, following aliases (itself when not an alias).

        Raises:
            StoreError: When aliases form a loop.
        """
        seen = [profile_id]
        with self._db.connection() as conn:
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

    def resolve_all(self) -> dict[str, str]:
        """Return every alias with the profile it finally resolves to (chains followed, loops left out)."""
        with self._db.connection() as conn:
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

    def resolve_many(self, profile_ids: Iterable[str]) -> dict[str, str]:
        """Return ``{ID: the profile it resolves to now}`` for many IDs: ``resolve_all``'s answer for each of them.

        Chains are followed one hop at a time for all the IDs together (a look-up per 500 IDs a
        hop), so the cost follows the IDs given, not the aliases stored. An ID that is no alias
        resolves to itself, as does one whose chain runs into a loop (``resolve_all`` leaves
        those out).

        Raises:
            StoreError: When the database fails.
        """
        current = {p: p for p in profile_ids}
        seen = {p: {p} for p in current}
        moving = set(current)
        query = sa.select(_ALIASES.c.alias, _ALIASES.c.profile_id)
        with self._db.connection() as conn:
            while moving:
                targets: dict[str, str] = {}
                for chunk in chunked(sorted({current[p] for p in moving}), 500):
                    targets.update(tuple(row) for row in conn.execute(query.where(_ALIASES.c.alias.in_(chunk))))
                still: set[str] = set()
                for given in moving:
                    target = targets.get(current[given])
                    if target is None:
                        continue
                    if target in seen[given]:  # a loop: not resolved, as resolve_all leaves it out
                        current[given] = given
                        continue
                    seen[given].add(target)
                    current[given] = target
                    still.add(given)
                moving = still
        return current

    def families_of(self, profile_ids: Iterable[str]) -> dict[str, set[str]]:
        """Return ``{profile ID: it and every alias that resolves to it}``: ``family`` for many at once.

        Walked back one hop at a time for all of them together (a look-up per 500 IDs a hop);
        an alias already placed is not walked again, so a loop ends.

        Raises:
            StoreError: When the database fails.
        """
        families = {p: {p} for p in profile_ids}
        owner = {p: p for p in families}
        frontier = set(families)
        query = sa.select(_ALIASES.c.alias, _ALIASES.c.profile_id)
        with self._db.connection() as conn:
            while frontier:
                found: list[tuple[str, str]] = []
                for chunk in chunked(sorted(frontier), 500):
                    found += [tuple(row) for row in conn.execute(query.where(_ALIASES.c.profile_id.in_(chunk)))]
                frontier = set()
                for alias, target in sorted(found):
                    if alias in owner:
                        continue
                    owner[alias] = owner[target]
                    families[owner[target]].add(alias)
                    frontier.add(alias)
        return families

    def family(self, profile_id: str) -> set[str]:
        """Return ``profile_id`` and every alias that resolves to it, directly or in a chain."""
        return self.families_of([profile_id])[profile_id]
