"""Finding people in the store: a page of profiles, or the profiles a search names.

    list_profiles(store, limit=, offset=, status=)    ─→ ProfilePage  (a page, most records first)
    search_profiles(store, query, limit=)             ─→ ProfilePage  (email, name, record or profile ID)
    ProfileSummary.as_dict(reveal=)                   one line of either: ID, status, records, systems,
                                                      name and email (masked unless ``reveal``)

A query is read by its shape: ``cp_…`` is a profile ID (or alias); a value with ``@`` an
email address (exactly, any case); ``system:record-id`` or ``system/stream/record-id`` a
record; anything else a name, every word of which must start a word of the profile's
golden first or last name (``ann smi`` finds Anna Smith).

Names and addresses are masked as ``profile show`` masks them (docs/privacy.md): a name
becomes its first letter and length, an address its stable hash, unless ``reveal``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from core.logs import mask_value
from core.reports.person import profiles_named
from core.store import Link, Store
from core.store.tables import Profile

__all__ = ["ProfilePage", "ProfileSummary", "list_profiles", "search_profiles"]

_LINKS = Link.__table__  # type: ignore[attr-defined]
_PROFILES = Profile.__table__  # type: ignore[attr-defined]
_SCAN_CHUNK = 1000


@dataclass(frozen=True)
class ProfileSummary:
    """One profile as a listing shows it."""

    profile_id: str
    status: str
    records: int
    systems: tuple[str, ...]
    first_name: str | None
    last_name: str | None
    email: str | None

    def as_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """The summary as JSON; personal values masked unless ``reveal``."""

        def shown(value: str | None) -> Any:
            return value if reveal else mask_value(value)

        return {"profile_id": self.profile_id, "status": self.status, "records": self.records,
                "systems": list(self.systems), "first_name": shown(self.first_name),
                "last_name": shown(self.last_name), "email": shown(self.email)}  # fmt: skip


@dataclass
class ProfilePage:
    """A page of profiles, and how many there are in all."""

    profiles: list[ProfileSummary] = field(default_factory=list)
    total: int = 0
    offset: int = 0

    @property
    def next_offset(self) -> int | None:
        """The ``--offset`` of the next page, or None on the last one."""
        end = self.offset + len(self.profiles)
        return end if end < self.total else None


def _value(golden: dict[str, Any], name: str) -> str | None:
    item = golden.get(name)
    value = item.get("value") if isinstance(item, dict) else item
    return None if value in (None, "") else str(value)


def _summaries(store: Store, counts: Iterable[tuple[str, str, int]]) -> list[ProfileSummary]:
    """Summaries of ``(profile_id, status, records)`` rows, in their order, with systems and golden names."""
    rows = list(counts)
    ids = [pid for pid, _status, _n in rows]
    golden = store.profiles.golden_of(ids)
    systems = {pid: tuple(sorted({system for system, _stream, _id in links}))
               for pid, links in store.links.of_profiles(ids).items()}  # fmt: skip
    summaries = []
    for pid, status, n in rows:
        values = [_value(golden.get(pid, {}), name) for name in ("first_name", "last_name", "email")]
        summaries.append(ProfileSummary(pid, status, n, systems.get(pid, ()), *values))
    return summaries


def _counted(status: str | None) -> sa.Select[Any]:
    records = sa.func.count(_LINKS.c.id).label("records")
    query = (
        sa.select(_PROFILES.c.profile_id, _PROFILES.c.status, records)
        .select_from(_PROFILES.outerjoin(_LINKS, _LINKS.c.profile_id == _PROFILES.c.profile_id))
        .group_by(_PROFILES.c.profile_id, _PROFILES.c.status)
    )
    return query if status is None else query.where(_PROFILES.c.status == status)


def list_profiles(store: Store, *, limit: int = 50, offset: int = 0, status: str | None = "active") -> ProfilePage:
    """Return one page of profiles, those with most records first (then by ID, so pages are stable).

    Args:
        store: The store (migrated).
        limit: At most this many profiles.
        offset: Skip this many (the previous page's ``next_offset``).
        status: Only profiles with this status (active, merged, retired); None for all.

    Returns:
        The page and the total number of profiles with that status.
    """
    counted = _counted(status).subquery()
    page = sa.select(counted).order_by(counted.c.records.desc(), counted.c.profile_id).limit(limit).offset(offset)
    total = sa.select(sa.func.count()).select_from(_PROFILES)
    if status is not None:
        total = total.where(_PROFILES.c.status == status)
    with store.database.connection() as conn:
        rows = [(str(pid), str(st), int(n)) for pid, st, n in conn.execute(page)]
        count = int(conn.execute(total).scalar_one())
    return ProfilePage(_summaries(store, rows), count, offset)


def _matches_name(golden: dict[str, Any], words: list[str]) -> bool:
    names = " ".join(v for v in (_value(golden, "first_name"), _value(golden, "last_name")) if v).casefold().split()
    return bool(names) and all(any(name.startswith(word) for name in names) for word in words)


def _by_name(store: Store, query: str) -> set[str]:
    """The active profiles whose golden name matches, read a chunk of golden records at a time."""
    words = query.casefold().split()
    found: set[str] = set()
    active = store.profiles.active()
    for start in range(0, len(active), _SCAN_CHUNK):
        chunk = active[start : start + _SCAN_CHUNK]
        golden = store.profiles.golden_of(chunk)
        found.update(pid for pid in chunk if _matches_name(golden.get(pid, {}), words))
    return found


def _is_reference(query: str) -> bool:
    """Whether ``query`` names a profile, an address or a record rather than a name."""
    return query.startswith("cp_") or "@" in query or ":" in query or query.count("/") == 2


def search_profiles(store: Store, query: str, *, limit: int = 20) -> ProfilePage:
    """Return the profiles ``query`` names: by profile ID, email address, record, or name.

    Args:
        store: The store (migrated).
        query: See the module docstring for how it is read.
        limit: At most this many profiles.

    Returns:
        The matching profiles (most records first) and how many matched in all; an empty page
        when nothing matches.
    """
    query = query.strip()
    wanted = profiles_named(store, query) if _is_reference(query) else _by_name(store, query)
    counted = _counted(None).subquery()
    rows_query = (
        sa.select(counted)
        .where(counted.c.profile_id.in_(wanted))
        .order_by(counted.c.records.desc(), counted.c.profile_id)
    )
    with store.database.connection() as conn:
        rows = [(str(pid), str(st), int(n)) for pid, st, n in conn.execute(rows_query)]
    return ProfilePage(_summaries(store, rows[:limit]), len(rows))
