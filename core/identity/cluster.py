"""Clustering links into profiles, with a guard against chaining.

Links are taken strongest first (rules in their order, then fuzzy links by
decreasing probability) and joined with union-find. Before two groups are
joined, the guard checks that their members do not disagree on a strong
identifier: different dates of birth (not a likely typo of each other),
different external IDs issued by the same system, or two clearly different
personal addresses at the same email domain. A link that would join such
groups is not applied; it is returned for review with the reason. So a
cluster never holds a disagreement the model made, and the links dropped are
always the weakest ones on the path that would have created it.

Manual pins are part of the same union-find. Must-link pairs go in first,
without the guard (a person decided; their strong identifiers are merged as
usual, so no model link can then chain a conflicting record onto them), and a
link that would put the two records of a cannot-link pin into one group is
refused with the reason ``pin``, like a guard conflict.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

import numpy as np
import numpy.typing as npt
from rapidfuzz.distance import OSA

from core.identity.nicknames import NicknameTable
from core.identity.normalise import dates_of_birth_close
from core.identity.records import RecordTable
from core.identity.settings import StrongIdentifier

__all__ = ["PIN_CONFLICT", "ClusterResult", "StrongValues", "cluster_links", "find_root", "strong_values"]

_SEPARATORS = re.compile(r"[._-]+")
_DIGITS = re.compile(r"\d+")

_T = TypeVar("_T")

PIN_CONFLICT = "pin"
"""Why a link was refused when a cannot-link pin keeps the groups it would join apart."""


@dataclass(slots=True)
class StrongValues:
    """The strong identifiers of one record or one group of records.

    A record's are tuples (a batch holds one for nearly every record, and an empty set
    alone costs more than a record's email); a group's become sets as groups join.
    """

    dates_of_birth: Collection[str] = ()
    external_ids: dict[str, set[str]] = field(default_factory=dict)
    emails: Collection[tuple[str, str]] = ()
    """``(domain, untagged local part)`` of personal addresses."""

    def absorb(self, other: StrongValues) -> None:
        """Add another group's values to this one."""
        if other.dates_of_birth:
            self.dates_of_birth = _union(self.dates_of_birth, other.dates_of_birth)
        for system, values in other.external_ids.items():
            self.external_ids.setdefault(system, set()).update(values)
        if other.emails:
            self.emails = _union(self.emails, other.emails)


def _union(mine: Collection[_T], more: Collection[_T]) -> set[_T]:
    """``mine`` (made a set first unless it is one) with ``more`` added."""
    found = mine if isinstance(mine, set) else set(mine)
    found.update(more)
    return found


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


def conflict(a: StrongValues, b: StrongValues, nicknames: NicknameTable, *, dates: bool = True) -> str | None:
    """Return the strong identifier two groups disagree on, or ``None``; ``dates=False`` skips dates of birth."""
    if dates and any(_dates_differ(x, y) for x in a.dates_of_birth for y in b.dates_of_birth):
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
        dates: tuple[str, ...] = ()
        ids: dict[str, set[str]] = {}
        emails: tuple[tuple[str, str], ...] = ()
        if StrongIdentifier.DATE_OF_BIRTH in wanted and (dob := table.date_of_birth.value(index)):
            dates = (dob,)
        if StrongIdentifier.EXTERNAL_ID in wanted:
            for key in table.external_ids[index]:
                system, _, value = key.partition(":")
                ids.setdefault(system, set()).add(value)
        if StrongIdentifier.EMAIL in wanted:
            untagged = ((e.domain, e.address.rpartition("@")[0].split("+", 1)[0]) for e in table.personal_emails[index])
            emails = tuple(dict.fromkeys(untagged))
        if dates or ids or emails:
            found[index] = StrongValues(dates, ids, emails)
    return found


@dataclass(frozen=True)
class ClusterResult:
    """Clusters as a label per record, and which links and pins were applied.

    Attributes:
        labels: Cluster number of each record; clusters are numbered by their
            smallest record index, so labels are deterministic.
        applied: One flag per input link: ``True`` when it was used.
        conflicts: For links refused, link position → the strong identifier the
            groups disagree on, or ``PIN_CONFLICT``.
        forced: One flag per must-link pair: ``True`` when it was applied (it is
            not only when a cannot-link pin forbids the join).
    """

    labels: npt.NDArray[np.int32]
    applied: npt.NDArray[np.bool_]
    conflicts: dict[int, str]
    forced: npt.NDArray[np.bool_] = field(default_factory=lambda: np.zeros(0, dtype=np.bool_))


def find_root(parent: list[int], node: int) -> int:
    """Union-find: the root of ``node``'s group in ``parent``, compressing the path on the way."""
    root = node
    while parent[root] != root:
        root = parent[root]
    while parent[node] != root:
        parent[node], node = root, parent[node]
    return root


class _Groups:
    """Union-find whose roots keep their group's strong identifiers and the records it may never hold."""

    def __init__(
        self, size: int, strong: dict[int, StrongValues], nicknames: NicknameTable, cannot: Sequence[tuple[int, int]]
    ) -> None:
        self.parent = list(range(size))
        self.strong = strong
        self.nicknames = nicknames
        self.forbidden: dict[int, set[int]] = {}
        for a, b in cannot:
            self.forbidden.setdefault(a, set()).add(b)
            self.forbidden.setdefault(b, set()).add(a)

    def roots(self) -> npt.NDArray[np.int32]:
        """Return the root of every record."""
        return np.asarray([find_root(self.parent, node) for node in range(len(self.parent))], dtype=np.int32)

    def _refusal(self, root_a: int, root_b: int, *, guard: bool, dates: bool) -> str | None:
        if any(find_root(self.parent, other) == root_b for other in self.forbidden.get(root_a, ())):
            return PIN_CONFLICT
        values_a, values_b = self.strong.get(root_a), self.strong.get(root_b)
        if guard and values_a and values_b:
            return conflict(values_a, values_b, self.nicknames, dates=dates)
        return None

    def join(self, a: int, b: int, *, guard: bool, dates: bool = True) -> str | None:
        """Join the groups of ``a`` and ``b``; return why not, or ``None`` once they are one group.

        A cannot-link pin always forbids the join; a disagreement on a strong
        identifier forbids it only when ``guard`` is set (on dates of birth, only
        when ``dates`` is set too).
        """
        root_a, root_b = find_root(self.parent, a), find_root(self.parent, b)
        if root_a == root_b:
            return None
        reason = self._refusal(root_a, root_b, guard=guard, dates=dates)
        if reason is not None:
            return reason
        keep, gone = (root_a, root_b) if root_a < root_b else (root_b, root_a)
        self.parent[gone] = keep
        if (values := self.strong.pop(gone, None)) is not None:
            if keep in self.strong:
                self.strong[keep].absorb(values)
            else:
                self.strong[keep] = values  # consumed: the gone group's values become the kept one's
        if (records := self.forbidden.pop(gone, None)) is not None:
            self.forbidden.setdefault(keep, set()).update(records)
        return None


def cluster_links(
    size: int,
    left: npt.NDArray[np.int32],
    right: npt.NDArray[np.int32],
    strong: dict[int, StrongValues],
    nicknames: NicknameTable,
    *,
    must: Sequence[tuple[int, int]] = (),
    cannot: Sequence[tuple[int, int]] = (),
    dates_lenient: npt.NDArray[np.bool_] | None = None,
) -> ClusterResult:
    """Join records along pins and links, strongest first, refusing links that join disagreeing groups.

    Args:
        size: Number of records.
        left: First record of each link; links are in order of decreasing strength.
        right: Second record of each link.
        strong: Strong identifiers by record index (``strong_values``); consumed.
        nicknames: For comparing email local parts that spell a nickname.
        must: Record pairs of must-link pins, joined first (oldest first) without the guard.
        cannot: Record pairs of cannot-link pins, never put into one group (by a pin or a link).
        dates_lenient: One flag per link: ``True`` where the guard overlooks dates of birth, for a
            link whose only disagreement is the date itself (``decide.lone_disagreement``).

    Returns:
        Labels, which links and must-link pins were applied, and why the other links were refused.
    """
    groups = _Groups(size, strong, nicknames, cannot)
    forced = np.asarray([groups.join(a, b, guard=False) is None for a, b in must], dtype=np.bool_)
    applied = np.zeros(len(left), dtype=np.bool_)
    conflicts: dict[int, str] = {}
    lenient = [False] * len(left) if dates_lenient is None else dates_lenient.tolist()
    for position, (a, b) in enumerate(zip(left.tolist(), right.tolist(), strict=True)):
        reason = groups.join(a, b, guard=True, dates=not lenient[position])
        if reason is None:
            applied[position] = True
        else:
            conflicts[position] = reason
    return ClusterResult(groups.roots(), applied, conflicts, forced)
