"""Manual pins win over the model: must-link edges are forced, cannot-link pairs are never joined.

``cluster_with_pins`` rebuilds a resolution's clusters from its links, strongest
first, after every must-link pin: a link that would put two records of a
cannot-link pin into one profile is dropped, so a cluster holding a cannot-link
pair is split by removing the weakest links on the path between them. The link
that attached each record is kept, to explain it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.identity.explain import Decision
from core.identity.resolution import Resolution
from core.store import IdentityPin, PinKind

__all__ = ["PinnedClusters", "cluster_with_pins"]


@dataclass(frozen=True)
class PinnedClusters:
    """Clusters after pins, and why each record is where it is.

    Attributes:
        clusters: Record indexes (into ``Resolution.records``) of each cluster, numbered
            by their smallest member; members ascending.
        attached_by: Record index → the pair position that attached it, or ``None``.
        pinned_by: Record index → the must-link pin that attached it.
        dropped: Pair positions of links dropped because of a cannot-link pin.
    """

    clusters: list[list[int]]
    attached_by: dict[int, int]
    pinned_by: dict[int, int]
    dropped: list[int]


class _Groups:
    """Union-find that refuses to join groups holding a cannot-link pair."""

    def __init__(self, size: int, cannot: Sequence[tuple[int, int]]) -> None:
        self.parent = list(range(size))
        self.forbidden: dict[int, set[int]] = {}
        for a, b in cannot:
            self.forbidden.setdefault(a, set()).add(b)
            self.forbidden.setdefault(b, set()).add(a)

    def find(self, node: int) -> int:
        root = node
        while self.parent[root] != root:
            root = self.parent[root]
        while self.parent[node] != root:
            self.parent[node], node = root, self.parent[node]
        return root

    def join(self, a: int, b: int) -> bool:
        """Join the groups of ``a`` and ``b``; False when a cannot-link pin forbids it."""
        root_a, root_b = self.find(a), self.find(b)
        if root_a == root_b:
            return True
        if any(self.find(x) == root_b for x in self.forbidden.get(root_a, ())):
            return False
        keep, gone = (root_a, root_b) if root_a < root_b else (root_b, root_a)
        self.parent[gone] = keep
        moved = self.forbidden.pop(gone, None)
        if moved:
            self.forbidden.setdefault(keep, set()).update(moved)
        return True


def _pin_pairs(resolution: Resolution, pins: Sequence[IdentityPin], kind: PinKind) -> list[tuple[int, int, int]]:
    index = {str(ref): i for i, ref in enumerate(resolution.records)}
    found = []
    for pin in pins:
        a, b = index.get(pin.left_record), index.get(pin.right_record)
        if pin.kind == kind and pin.active and a is not None and b is not None and a != b:
            found.append((a, b, int(pin.pin_id or 0)))
    return found


def cluster_with_pins(resolution: Resolution, pins: Sequence[IdentityPin]) -> PinnedClusters:
    """Rebuild the clusters of ``resolution`` honouring pins (pins naming absent records are ignored).

    Must-link pins are applied first (oldest first), then the resolution's links in
    their order (rules, then scores by decreasing weight). Any join that would put a
    cannot-link pair into one group is refused.
    """
    size = len(resolution.records)
    cannot = [(a, b) for a, b, _ in _pin_pairs(resolution, pins, PinKind.CANNOT_LINK)]
    groups = _Groups(size, cannot)
    attached_by: dict[int, int] = {}
    pinned_by: dict[int, int] = {}
    for a, b, pin_id in _pin_pairs(resolution, pins, PinKind.MUST_LINK):
        if groups.join(a, b):
            pinned_by.setdefault(b, pin_id)
            pinned_by.setdefault(a, pin_id)
    pairs = resolution.pairs
    dropped = []
    for position in range(len(pairs)):
        if pairs.decision[position] is not Decision.LINK:
            continue
        a, b = int(pairs.left[position]), int(pairs.right[position])
        if not groups.join(a, b):
            dropped.append(position)
            continue
        attached_by.setdefault(a, position)
        attached_by.setdefault(b, position)
    members: dict[int, list[int]] = {}
    for node in range(size):
        members.setdefault(groups.find(node), []).append(node)
    clusters = sorted(members.values(), key=lambda group: group[0])
    return PinnedClusters(clusters, attached_by, pinned_by, dropped)
