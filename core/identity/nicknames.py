"""Given names and their nicknames: Bob is Robert, Liz is Elizabeth.

The table is ``data/nicknames.csv`` (Carlton Northern and Nick Crews'
"nicknames", Apache-2.0; see ``data/README.md``). Relations are many-to-many:
"bill" is a nickname of both William and Robert, so a name maps to a set of
*groups* (one per formal name it belongs to) and two names are compatible when
their groups intersect.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

__all__ = ["NicknameTable", "default_nicknames", "given_name_level", "shortened"]


@dataclass(frozen=True)
class NicknameTable:
    """An immutable nickname table: name → the formal-name groups it belongs to.

    Examples:
        >>> table = default_nicknames()
        >>> table.compatible("bob", "robert"), table.compatible("liz", "elizabeth")
        (True, True)
        >>> table.compatible("robert", "william"), table.compatible("john", "mary")
        (False, False)
    """

    groups_by_name: dict[str, frozenset[int]]
    parents: tuple[str, ...] = ()
    """The name each group is built around (its ``name1``), by group ID."""
    _names: tuple[str, ...] = field(default=(), repr=False)
    _near: dict[str, tuple[str, ...]] = field(default_factory=dict, repr=False, compare=False)
    _near_groups: dict[str, frozenset[int]] = field(default_factory=dict, repr=False, compare=False)
    _near_sets: dict[str, frozenset[str]] = field(default_factory=dict, repr=False, compare=False)
    _members: dict[int, list[str]] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_pairs(cls, pairs: list[tuple[str, str]]) -> NicknameTable:
        """Build a table from ``(formal, nickname)`` pairs of lowercase names."""
        group_of_formal: dict[str, int] = {}
        groups: dict[str, set[int]] = {}
        for formal, nickname in sorted(pairs):
            group = group_of_formal.setdefault(formal, len(group_of_formal))
            groups.setdefault(formal, set()).add(group)
            groups.setdefault(nickname, set()).add(group)
        return cls(
            {name: frozenset(found) for name, found in groups.items()},
            tuple(sorted(group_of_formal, key=group_of_formal.__getitem__)),
            tuple(sorted(groups)),
        )

    def fresh(self) -> NicknameTable:
        """This table with empty memos of the data's names (the group members are shared: they are the table's).

        A batch or a run takes one, so what it memoised about its names goes with it instead of
        living, and growing, as long as the process (``default_nicknames`` is one per process).
        """
        return NicknameTable(self.groups_by_name, self.parents, self._names, _members=self._members)

    def groups(self, name: str) -> frozenset[int]:
        """Return the groups of a normalised given name (empty when unknown)."""
        return self.groups_by_name.get(name, frozenset())

    def compatible(self, left: str, right: str) -> bool:
        """Return whether two normalised given names can name the same person.

        Equal names are compatible; otherwise one must be listed as the other's
        nickname, or both as nicknames of a longer (more formal) name. The table
        also lists pairs the other way round (``bill → robert``, ``bill →
        william``), so sharing any group is not enough: Robert and William are
        not one name because both can be Bill.
        """
        if left == right:
            return True
        longest = max(len(left), len(right))
        return any(
            self.parents[g] in (left, right) or len(self.parents[g]) > longest
            for g in self.groups(left) & self.groups(right)
        )

    def near(self, left: str, right: str) -> bool:
        """Return whether ``left`` is one typo away from a name compatible with ``right``.

        Catches a misspelt nickname: ``rilk`` (for Rick) and ``richard``. The name
        itself does not count (``robert`` is not "near" ``william`` through Bill).
        """
        right_groups = self.groups(right)
        if not right_groups:
            return False
        close = self.near_names(left)
        if right in close:
            return True
        # another name is compatible with ``right`` only through a group they share
        if not self.near_groups(left) & right_groups:
            return False
        return any(self.compatible(name, right) for name in close)

    def near_set(self, name: str) -> frozenset[str]:
        """Every name ``right`` with ``near(name, right)`` apart from the group check on ``right`` (memoised).

        The known names one typo away from ``name``, and the names compatible with one of
        them: ``near(left, right)`` is ``right in near_set(left)`` for a ``right`` with groups.
        """
        found = self._near_sets.get(name)
        if found is None:
            if not self._members:
                for known, ids in self.groups_by_name.items():
                    for group in ids:
                        self._members.setdefault(group, []).append(known)
            close = self.near_names(name)
            members = set(close)
            for near in close:
                for group in self.groups(near):
                    members.update(other for other in self._members[group] if self.compatible(near, other))
            found = self._near_sets[name] = frozenset(members)
        return found

    def near_groups(self, name: str) -> frozenset[int]:
        """Return the groups of every other known name one typo away from ``name`` (memoised)."""
        found = self._near_groups.get(name)
        if found is None:
            found = self._near_groups[name] = frozenset(
                g for near in self.near_names(name) for g in self.groups_by_name[near]
            )
        return found

    def near_names(self, name: str) -> tuple[str, ...]:
        """Return the known names one typo away from ``name``, other than itself (memoised)."""
        found = self._near.get(name)
        if found is None:
            found = ()
            if len(name) >= 3:
                close = process.extract(name, self._names, scorer=OSA.distance, score_cutoff=1, limit=None)
                found = tuple(match for match, _, _ in close if match != name)
            self._near[name] = found
        return found

    def name_keys(self, name: str) -> tuple[str, ...]:
        """Return blocking keys for a given name: itself and the longer names it shortens.

        ``bob`` → ``('bob', 'robert')``; ``bill`` → ``('bill', 'robert', 'william')``.
        """
        longer = {self.parents[g] for g in self.groups(name) if len(self.parents[g]) > len(name)}
        return (name, *sorted(longer))


def shortened(a: str, b: str) -> bool:
    """Whether one given name is the other cut short, three letters or more: ``barb``/``barbara``."""
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    return len(short) >= 3 and len(long) > len(short) and long.startswith(short)


@lru_cache(maxsize=1)
def default_nicknames() -> NicknameTable:
    """Return the bundled table (``nicknames.csv`` and the additions in ``nicknames_extra.csv``), read once."""
    pairs: list[tuple[str, str]] = []
    for name in NICKNAME_FILES:
        text = resources.files("core.identity").joinpath(f"data/{name}").read_text(encoding="utf-8")
        pairs += [
            (row["name1"].strip().lower(), row["name2"].strip().lower())
            for row in csv.DictReader(io.StringIO(text))
            if row.get("relationship") == "has_nickname" and row.get("name1") and row.get("name2")
        ]
    return NicknameTable.from_pairs(sorted(set(pairs)))


NICKNAME_FILES = ("nicknames.csv", "nicknames_extra.csv")
"""The bundled nickname tables (``data/README.md``): the third-party table, then this project's additions."""


def given_name_level(a: str, b: str, table: NicknameTable, *, close: float = 0.92, similar: float = 0.80) -> int:
    """Grade two distinct, non-empty normalised given names.

    Returns:
        3 nickname (``bob``/``robert``); 2 close (same first token, a shortening of at
        least three letters, or Jaro-Winkler ≥ ``close``: ``jonathan``/``jonathon``,
        ``barb``/``barbara``); 1 similar (≥ ``similar``, one typo, or an initial:
        ``john``/``joan``, ``bob``/``bbo``, ``j``/``john``); 0 different.
    """
    first_a, first_b = a.split()[0], b.split()[0]
    if first_a == first_b:
        return 2
    if table.compatible(first_a, first_b):
        return 3
    score = JaroWinkler.normalized_similarity(a, b)
    if score >= close or shortened(first_a, first_b):
        return 2
    initial = (len(first_a) == 1 and first_b.startswith(first_a)) or (len(first_b) == 1 and first_a.startswith(first_b))
    typo = OSA.distance(a, b, score_cutoff=1) <= 1 or table.near(first_a, first_b) or table.near(first_b, first_a)
    return 1 if score >= similar or initial or typo else 0
