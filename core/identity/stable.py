"""Stable profile IDs across runs: joins keep the ID, merges keep the oldest, splits are explicit.

Given this run's clusters (record keys) and the links of the previous run:

* every previous profile has a *home*: the cluster holding most of its previous
  records (ties: the cluster holding its smallest record key);
* a cluster that is home to one previous profile keeps that profile's ID, so a
  record joining a profile never renames it;
* a cluster that is home to several keeps the oldest (``created_at``, then ID)
  and the others become its aliases: a merge;
* the parts of a previous profile outside its home get other IDs (a new one,
  or the profile they joined): a split, reported so it can be logged;
* a cluster that is home to no previous profile gets a new ID.
"""

from __future__ import annotations

import secrets
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

__all__ = ["StableIds", "assign_stable_ids", "new_profile_id"]

_FAR_FUTURE = datetime.max.replace(tzinfo=UTC)


def new_profile_id(taken: Collection[str] = ()) -> str:
    """Return a new time-sortable profile ID: ``cp_`` + 12 hex of milliseconds + 12 random hex.

    Args:
        taken: IDs that must not be returned (known profiles and aliases).
    """
    while True:
        candidate = f"cp_{time.time_ns() // 1_000_000:012x}{secrets.token_hex(6)}"
        if candidate not in taken:
            return candidate


@dataclass(frozen=True)
class StableIds:
    """Profile IDs for this run's clusters and what changed since the previous run.

    Attributes:
        profile_ids: One ID per cluster, in cluster order.
        new: Positions of clusters that got a new ID.
        merged: Surviving ID → the previous IDs merged into it (now its aliases).
        split: Previous ID → the IDs its records outside its home went to.
    """

    profile_ids: list[str]
    new: list[int] = field(default_factory=list)
    merged: dict[str, list[str]] = field(default_factory=dict)
    split: dict[str, list[str]] = field(default_factory=dict)

    @property
    def aliases(self) -> dict[str, str]:
        """Return ``{merged-away ID: surviving ID}``."""
        return {alias: keep for keep, gone in self.merged.items() for alias in gone}


def _homes(
    clusters: Sequence[Sequence[str]], previous: Mapping[str, str]
) -> tuple[dict[str, int], dict[str, set[int]]]:
    """Each previous profile's home cluster, and every cluster its records are in now."""
    votes: dict[str, Counter[int]] = defaultdict(Counter)
    smallest: dict[tuple[str, int], str] = {}
    for position, members in enumerate(clusters):
        for key in members:
            profile = previous.get(key)
            if profile is None:
                continue
            votes[profile][position] += 1
            if key < smallest.get((profile, position), "\U0010ffff"):
                smallest[profile, position] = key
    homes = {}
    for profile, counts in votes.items():
        homes[profile] = min(counts, key=lambda k: (-counts[k], smallest[profile, k]))
    return homes, {profile: set(counts) for profile, counts in votes.items()}


def assign_stable_ids(
    clusters: Sequence[Sequence[str]],
    previous: Mapping[str, str],
    created: Mapping[str, datetime],
    *,
    new_id: Callable[[], str] | None = None,
) -> StableIds:
    """Give each cluster a profile ID that stays stable across runs.

    Args:
        clusters: Record keys of each cluster.
        previous: Record key → profile ID from the previous run (aliases already resolved).
        created: Profile ID → when it was created (the oldest survives a merge).
        new_id: Makes a new ID; by default ``new_profile_id`` avoiding every known ID.

    Returns:
        The IDs, which clusters are new, and the merges and splits since the previous run.
    """
    known = set(previous.values()) | set(created)
    make = new_id or (lambda: new_profile_id(known))
    homes, spread = _homes(clusters, previous)
    at_home: dict[int, list[str]] = defaultdict(list)
    for profile, position in homes.items():
        at_home[position].append(profile)
    result = StableIds(profile_ids=[""] * len(clusters))
    for position in range(len(clusters)):
        residents = sorted(at_home.get(position, []), key=lambda p: (created.get(p, _FAR_FUTURE), p))
        if residents:
            result.profile_ids[position] = residents[0]
            if len(residents) > 1:
                result.merged[residents[0]] = residents[1:]
            continue
        fresh = make()
        known.add(fresh)
        result.profile_ids[position] = fresh
        result.new.append(position)
    for profile, positions in spread.items():
        others = sorted(result.profile_ids[k] for k in positions if k != homes[profile])
        if others:
            result.split[profile] = others
    return result
