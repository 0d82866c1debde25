"""Clustering links into profiles, with a guard against chaining.

Links are taken strongest first (rules in their order, then fuzzy links by
decreasing probability) and joined with union-find. Before two groups are
joined, the guard checks that their members do not disagree on a strong
identifier: different dates of birth (not a likely typo of each other),
different external IDs issued by the same system, or two clearly different
personal addresses at the same email domain. A link that would join such
groups is not applied; it is returned for review with the reason. So a
cluster never holds a disagreement, and the links dropped are always the
weakest ones on the path that would have created it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from core.identity.nicknames import NicknameTable
from core.identity.normalise import dates_of_birth_close
from core.identity.records import RecordTable
from core.identity.settings import StrongIdentifier

__all__ = ["ClusterResult", "StrongValues", "cluster_links", "find_root", "strong_values"]

_SEPARATORS = re.compile(r"[._-]+")
_DIGITS = re.compile(r"\d+")


@dataclass
class StrongValues:
    """The strong identifiers of one record or one group of records."""

    dates_of_birth: set[str] = field(default_factory=set)
    external_ids: dict[str, set[str]] = field(default_factory=dict)
    emails: set[tuple[str, str]] = field(default_factory=set)
    """``(domain, untagged local part)`` of personal addresses."""

    def absorb(self, other: StrongValues) -> None:
        """Add another group's values to this one."""
        self.dates_of_birth |= other.dates_of_birth
        for system, values in other.external_ids.items():
            self.external_ids.setdefault(system, set()).update(values)
        self.emails |= other.emails


def _dates_differ(a: str, b: str) -> bool:
    return not dates_of_birth_close(a, b)


def _locals_differ(a: str, b: str, nicknames: NicknameTable) -> bool:
    if a == b or a.replace(".", "") == b.replace(".", ""):
        return False
    if _DIGITS.sub("", a) == _DIGITS.sub("", b):
        return True  # john.smith1 and john.smith2: numbered addresses of two people
    if OSA.distance(a, b, score_cutoff=1) <= 1:
        return False
    tokens_a, tokens_b = _SEPARATORS.split(a), _SEPARATORS.split(b)
    same_names = len(tokens_a) == len(tokens_b) and all(
        x == y or nicknames.compatible(x, y) for x, y in zip(tokens_a, tokens_b, strict=True)
    )
    return not same_names


def conflict(a: StrongValues, b: StrongValues, nicknames: NicknameTable) -> str | None:
    """Return the strong identifier two groups disagree on, or ``None``."""
    if any(_dates_differ(x, y) for x in a.dates_of_birth for y in b.dates_of_birth):
        return StrongIdentifier.DATE_OF_BIRTH.value
    for system, values in a.external_ids.items():
        other = b.external_ids.get(system)
        if other and not values & other:
            return StrongIdentifier.EXTERNAL_ID.value
    for domain_a, local_a in a.emails:
        for domain_b, local_b in b.emails:
            if domain_a == domain_b and _locals_differ(local_a, local_b, nicknames):
                return StrongIdentifier.EMAIL.value
    return None


def strong_values(table: RecordTable, kinds: Sequence[StrongIdentifier]) -> dict[int, StrongValues]:
    """Return the strong identifiers of each record that has any (sparse, by index)."""
    wanted = set(kinds)
    found: dict[int, StrongValues] = {}
    for index in range(len(table)):
        values = StrongValues()
        if StrongIdentifier.DATE_OF_BIRTH in wanted and (dob := table.date_of_birth.value(index)):
            values.dates_of_birth.add(dob)
        if StrongIdentifier.EXTERNAL_ID in wanted:
            for key in table.external_ids[index]:
                system, _, value = key.partition(":")
                values.external_ids.setdefault(system, set()).add(value)
        if StrongIdentifier.EMAIL in wanted:
            for email in table.personal_emails[index]:
                values.emails.add((email.domain, email.address.rpartition("@")[0].split("+", 1)[0]))
        if values.dates_of_birth or values.external_ids or values.emails:
            found[index] = values
    return found


@dataclass(frozen=True)
class ClusterResult:
    """Clusters as a label per record, and which links were applied.

    Attributes:
        labels: Cluster number of each record; clusters are numbered by their
            smallest record index, so labels are deterministic.
        applied: One flag per input link: ``True`` when it was used.
        conflicts: For links refused by the guard, link position → identifier name.
    """

    labels: npt.NDArray[np.int32]
    applied: npt.NDArray[np.bool_]
    conflicts: dict[int, str]


def find_root(parent: list[int], node: int) -> int:
    """Union-find: the root of ``node``'s group in ``parent``, compressing the path on the way."""
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:
        parent[node], node = root, parent[node]
    return root


def cluster_links(
    size: int,
    left: npt.NDArray[np.int32],
    right: npt.NDArray[np.int32],
    strong: dict[int, StrongValues],
    nicknames: NicknameTable,
) -> ClusterResult:
    """Join records along links, strongest first, refusing links that join disagreeing groups.

    Args:
        size: Number of records.
        left: First record of each link; links are in order of decreasing strength.
        right: Second record of each link.
        strong: Strong identifiers by record index (``strong_values``); consumed.
        nicknames: For comparing email local parts that spell a nickname.

    Returns:
        Labels, which links were applied, and why the others were refused.
    """
    parent = list(range(size))
    applied = np.zeros(len(left), dtype=np.bool_)
    conflicts: dict[int, str] = {}
    for position, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        root_a, root_b = find_root(parent, a), find_root(parent, b)
        if root_a == root_b:
            applied[position] = True
            continue
        values_a, values_b = strong.get(root_a), strong.get(root_b)
        reason = conflict(values_a, values_b, nicknames) if values_a and values_b else None
        if reason is not None:
            conflicts[position] = reason
            continue
        keep, gone = (root_a, root_b) if root_a < root_b else (root_b, root_a)
        parent[gone] = keep
        applied[position] = True
        moved = strong.pop(gone, None)
        if moved is not None:
            strong.setdefault(keep, StrongValues()).absorb(moved)
    roots = np.asarray([find_root(parent, node) for node in range(size)], dtype=np.int32)
    return ClusterResult(roots, applied, conflicts)
