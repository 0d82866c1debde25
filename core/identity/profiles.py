"""Profile IDs for clusters.

For now each cluster's ID is derived from its members, so the same records give
the same ID on every run; a cluster that contains records previously linked to
a profile keeps that profile's ID. The store-backed rules (a merge keeps the
older ID and records an alias; splits are explicit) replace this function
without changing its signature.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Mapping, Sequence

__all__ = ["assign_profile_ids", "derived_profile_id"]


def derived_profile_id(members: Sequence[str]) -> str:
    """Return ``cp_`` and 16 hex characters of SHA-256 of the smallest member key.

    Example:
        >>> derived_profile_id(["salesforce/Contact/003A1", "files/people/7"])
        'cp_8dc942fd59cfee62'
    """
    digest = hashlib.sha256(min(members).encode("utf-8")).hexdigest()
    return f"cp_{digest[:16]}"


def assign_profile_ids(clusters: Sequence[Sequence[str]], previous_links: Mapping[str, str] | None = None) -> list[str]:
    """Give each cluster (a list of record keys) a profile ID.

    Args:
        clusters: Record keys (``system/stream/source_id``) of each cluster.
        previous_links: Record key → profile ID from an earlier run, if any.

    Returns:
        One ID per cluster, in order. A cluster reuses the previous ID most of its
        members had (ties: the smallest ID) unless an earlier cluster in the
        sorted order already took it; otherwise its ID is derived from its members.
    """
    previous = previous_links or {}
    order = sorted(range(len(clusters)), key=lambda i: min(clusters[i]) if clusters[i] else "")
    taken: set[str] = set()
    ids = [""] * len(clusters)
    for position in order:
        members = clusters[position]
        votes = Counter(previous[key] for key in members if key in previous)
        reused = [pid for pid, _ in sorted(votes.items(), key=lambda kv: (-kv[1], kv[0])) if pid not in taken]
        chosen = reused[0] if reused else derived_profile_id(members)
        taken.add(chosen)
        ids[position] = chosen
    return ids
