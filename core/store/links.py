"""``store.links``: which profile each source record belongs to, and why.

save         link records to profiles (a record has one link; the latest wins)
remove       delete the links of records (for a split)
of_profile   the links of a profile, including those still under its aliases
profile_of   the profile a record belongs to now (aliases followed)
iter         every link, in key order
by_record    ``{system/stream/source_id: profile_id}`` of every link
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import select

from core.store.aliases import Aliases
from core.store.database import Database, Repository, UpsertCounts, UpsertSpec, chunked, of_records, record_chunks
from core.store.keys import RecordKey, record_key
from core.store.tables import Link, LinkMethod
from core.store.types import content_hash

__all__ = ["LINK_SPEC", "LinkInput", "Links", "link_row"]

_LINKS = Link.__table__  # type: ignore[attr-defined]

LINK_SPEC = UpsertSpec(
    table=_LINKS,
    key=("system", "stream", "source_id"),
    lookup=3,
    hash_column="content_hash",
    update=("profile_id", "method", "rule", "score", "explanation", "content_hash", "linked_at", "run_id"),
)


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


def link_row(link: LinkInput, now: datetime, run_id: str | None) -> dict[str, Any]:
    """The ``links`` row of a link; its hash covers profile, method, rule, score and explanation."""
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


class Links(Repository):
    """Links from source records to profiles.

    Args:
        db: The shared database.
        aliases: The store's aliases, followed when a link names a merged-away profile.
    """

    def __init__(self, db: Database, aliases: Aliases) -> None:
        super().__init__(db)
        self._aliases = aliases

    def save(self, links: Iterable[LinkInput], *, run_id: str | None) -> UpsertCounts:
        """Link source records to profiles; a record has one link, the latest wins.

        A link equal to the stored one (profile, method, rule, score, explanation) is
        left untouched.

        Returns:
            How many links were inserted, updated and left unchanged.

        Raises:
            StoreError: When an explanation cannot be stored as JSON or the database fails.
        """
        now = self._db.now()
        return self._db.upsert(LINK_SPEC, (link_row(link, now, run_id) for link in links))

    def remove(self, records: Iterable[RecordKey]) -> int:
        """Delete the links of these records (for a split); return how many existed."""
        removed = 0
        for chunk in chunked(records):
            with self._db.transaction() as conn:
                for ref in chunk:
                    query = sa.delete(_LINKS).where(
                        _LINKS.c.system == ref.system,
                        _LINKS.c.stream == ref.stream,
                        _LINKS.c.source_id == ref.source_id,
                    )
                    removed += conn.execute(query).rowcount
        return removed

    def of_profile(self, profile_id: str) -> list[Link]:
        """Return the links of a profile, including links still under its aliases, in key order."""
        family = self._aliases.family(self._aliases.resolve(profile_id))
        query = (
            select(Link)
            .where(_LINKS.c.profile_id.in_(family))
            .order_by(_LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id)
        )
        return self._db.select_all(query)

    def of_profiles(self, profile_ids: Iterable[str]) -> dict[str, builtins.list[tuple[str, str, str]]]:
        """Return ``{profile_id: [(system, stream, source_id), ...]}`` for active profiles, in key order.

        (Links are rewritten to the surviving profile on a merge; a merged-away ID has none.)
        """
        c = _LINKS.c
        found: dict[str, builtins.list[tuple[str, str, str]]] = {}
        with self._db.connection() as conn:
            for part in chunked(profile_ids, 500):
                query = (
                    sa.select(c.profile_id, c.system, c.stream, c.source_id)
                    .where(c.profile_id.in_(part))
                    .order_by(c.profile_id, c.system, c.stream, c.source_id)
                )
                for pid, system, stream, source_id in conn.execute(query):
                    found.setdefault(pid, []).append((system, stream, source_id))
        return found

    def profiles_of(self, records: Iterable[RecordKey]) -> dict[tuple[str, str, str], str]:
        """Return ``{(system, stream, source_id): profile_id}`` for those of ``records`` that are linked."""
        c, found = _LINKS.c, {}
        with self._db.connection() as conn:
            for system, stream, source_ids in record_chunks((r.system, r.stream, r.source_id) for r in records):
                query = sa.select(c.source_id, c.profile_id).where(of_records(_LINKS, system, stream, source_ids))
                found.update({(system, stream, i): pid for i, pid in conn.execute(query)})
        return found

    def profile_of(self, system: str, stream: str, source_id: str) -> str | None:
        """Return the profile a source record belongs to now (aliases followed), or None."""
        query = sa.select(_LINKS.c.profile_id).where(
            _LINKS.c.system == system, _LINKS.c.stream == stream, _LINKS.c.source_id == source_id
        )
        with self._db.connection() as conn:
            linked = conn.execute(query).scalar_one_or_none()
        return None if linked is None else self._aliases.resolve(linked)

    def iter(self, *, system: str | None = None) -> Iterator[Link]:
        """Yield every link (of one system when given) in key order."""
        query = select(Link).order_by(_LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id)
        if system is not None:
            query = query.where(_LINKS.c.system == system)
        yield from self._db.select_all(query)

    def by_record(self) -> dict[str, str]:
        """Return every link as ``{system/stream/source_id: profile_id}`` (aliases not followed), in key order.

        Reads four columns only: a batch run needs where each record was, not why.
        """
        query = sa.select(_LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id, _LINKS.c.profile_id).order_by(
            _LINKS.c.system, _LINKS.c.stream, _LINKS.c.source_id
        )
        with self._db.connection() as conn:
            return {
                record_key(system, stream, source_id): pid for system, stream, source_id, pid in conn.execute(query)
            }
