"""Manual pins win over the model, inside clustering; and why each record is where it is.

The engine honours pins while it clusters (``resolve(people, pins=...)``, see
``cluster_links``): must-link pairs are joined first, even where the
anti-chaining guard would object (a person decided), and no model link may then
chain a record with a conflicting strong identifier onto them; a link that would
put the two records of a cannot-link pin into one profile is refused and sent to
review with the reason ``conflict: pin``. ``pinned_clusters`` reads from such a
resolution which pin or link attached each record, which stored links explain.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.identity.explain import Decision
from core.identity.resolution import Resolution

__all__ = ["PinnedClusters", "pinned_clusters"]


@dataclass(frozen=True)
class PinnedClusters:
    """Clusters with pins, and why each record is where it is.

    Attributes:
        clusters: Record indexes (into ``Resolution.records``) of each cluster, numbered
            by their smallest member; members ascending.
        attached_by: Record index → the position of the first link (in ``Resolution.pairs``)
            naming it; records no link names are absent.
        pinned_by: Record index → the first applied must-link pin naming it.
        dropped: Pair positions of links refused because of a cannot-link pin.
    """

    clusters: list[list[int]]
    attached_by: dict[int, int]
    pinned_by: dict[int, int]
    dropped: list[int]


def pinned_clusters(resolution: Resolution) -> PinnedClusters:
    """Return the clusters of ``resolution`` with the pin or link that attached each record.

    The pins are those ``resolve`` was given (none by default); clustering already
    honoured them, so this only reads the resolution.
    """
    pairs = resolution.pairs
    attached_by: dict[int, int] = {}
    for position, decision in enumerate(pairs.decision):
        if decision is Decision.LINK:
            attached_by.setdefault(int(pairs.left[position]), position)
            attached_by.setdefault(int(pairs.right[position]), position)
    pins = resolution.pins
    return PinnedClusters(resolution.clusters, attached_by, pins.pinned_by(), list(pins.refused))
