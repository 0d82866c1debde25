"""Field comparisons with levels: exact, close, far… and missing.

Each comparison maps candidate pairs ``(left[k], right[k])`` of a
``RecordTable`` to one small integer level per pair: ``-1`` when either side
is missing (it will neither help nor hurt), ``0`` for "different" and higher
levels for closer agreement, the top level being exact. Levels are computed
with numpy over integer codes; the fuzzy string measures (rapidfuzz) run once
per *distinct pair of values*, not once per pair of records.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from core.identity.address import AddressAtLevels
from core.identity.levels import (
    MISSING,
    Index,
    Levels,
    similarities,
)
from core.identity.levels import (
    both_present as _both,
)
from core.identity.levels import (
    by_value_pairs as _by_value_pairs,
)
from core.identity.levels import (
    levels_for as _levels_for,
)
from core.identity.levels import (
    one_by_one as _one_by_one,
)
from core.identity.nicknames import NicknameTable, given_name_level, shortened
from core.identity.normalise import FREE_MAIL_DOMAINS, dates_of_birth_close, email_organisation
from core.identity.records import RecordTable

__all__ = [
    "COMPARISON_LEVELS",
    "AddressAtLevels",
    "Comparison",
    "DateOfBirthWithTypos",
    "EmailThenLooseLocalPart",
    "GivenNameWithNicknamesAtThresholds",
    "JaroWinklerCompanyAtThreshold",
    "JaroWinklerNameAtThresholds",
    "PhoneNumbersShared",
    "compare_pairs",
    "default_comparisons",
]

_DIGITS = re.compile(r"\d+")


class Comparison(Protocol):
    """A field comparison: a name, level labels (index = level) and a vectorised compare."""

    @property
    def name(self) -> str:
        """The comparison's name in settings and explanations."""
        ...

    @property
    def levels(self) -> tuple[str, ...]:
        """Level labels; the index is the level."""
        ...

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Return one level per pair; ``-1`` when either side is missing."""
        ...


@dataclass(frozen=True)
class GivenNameWithNicknamesAtThresholds:
    """First names: exact, nickname, close, similar, different.

    Levels (examples): 4 exact ``robert``/``robert``; 3 nickname ``bob``/``robert``,
    ``liz``/``elizabeth``; 2 close (Jaro-Winkler ≥ 0.92 or same first token)
    ``jonathan``/``jonathon``, ``mary ann``/``mary``; 1 similar (≥ 0.80, or an
    initial, or one typo) ``j``/``john``, ``john``/``joan``, ``bob``/``bbo``; 0 different ``john``/``mary``.
    """

    nicknames: NicknameTable
    close: float = 0.92
    similar: float = 0.80
    name: str = "first_name"
    levels: tuple[str, ...] = ("different", "similar", "close", "nickname", "exact")

    def level(self, a: str, b: str) -> int:
        """Level of two distinct normalised first names."""
        return given_name_level(a, b, self.nicknames, close=self.close, similar=self.similar)

    def levels_of(self, lefts: list[str], rights: list[str]) -> Levels:
        """Levels of many distinct pairs: string measures in C, nickname look-ups per pair."""
        jaro, typo = similarities(lefts, rights)
        out = np.where(jaro >= self.close, 2, np.where((jaro >= self.similar) | (typo <= 1), 1, 0)).astype(np.int8)
        groups, compatible = self.nicknames.groups, self.nicknames.compatible
        for k, (a, b) in enumerate(zip(lefts, rights, strict=True)):
            first_a, _, rest_a = a.partition(" ")
            first_b, _, rest_b = b.partition(" ")
            if first_a != first_b and groups(first_a) & groups(first_b) and compatible(first_a, first_b):
                out[k] = 3  # a shared first word is "close" (mary ann/mary), not a nickname
            elif out[k] == 0 and not (rest_a or rest_b) and min(len(first_a), len(first_b)) >= 3:
                if groups(first_a) or groups(first_b):  # else no nickname, near-nickname or initial can apply
                    out[k] = self.level(a, b)
            elif out[k] < 2 and (rest_a or rest_b or min(len(first_a), len(first_b)) < 3):
                out[k] = self.level(a, b)
            elif out[k] < 2 and shortened(first_a, first_b):
                out[k] = 2
        return out

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare first names; see the class docstring for levels."""
        return _by_value_pairs(table.first_name, left, right, 4, self.levels_of)


@dataclass(frozen=True)
class JaroWinklerNameAtThresholds:
    """Surnames: exact, close (Jaro-Winkler ≥ 0.92, one typo, or a shared part), similar (≥ 0.80), different.

    Examples: 3 ``smith``/``smith``; 2 ``smith``/``smiht``, ``smith jones``/``jones``;
    1 ``smith``/``smythe``; 0 ``smith``/``brown``.
    """

    close: float = 0.92
    similar: float = 0.80
    name: str = "last_name"
    levels: tuple[str, ...] = ("different", "similar", "close", "exact")

    def levels_of(self, lefts: list[str], rights: list[str]) -> Levels:
        """Levels of many distinct pairs, string measures in C."""
        jaro, typo = similarities(lefts, rights)
        long_enough = np.asarray([min(len(a), len(b)) >= 4 for a, b in zip(lefts, rights, strict=True)], dtype=np.bool_)
        close = (jaro >= self.close) | ((typo <= 1) & long_enough)
        out = np.where(close, 2, np.where(jaro >= self.similar, 1, 0)).astype(np.int8)
        for k, (a, b) in enumerate(zip(lefts, rights, strict=True)):
            if out[k] < 2 and (" " in a or " " in b) and set(a.split()) & set(b.split()):
                out[k] = 2
        return out

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare surnames; see the class docstring for levels."""
        return _by_value_pairs(table.last_name, left, right, 3, self.levels_of)


@dataclass(frozen=True)
class EmailThenLooseLocalPart:
    """Personal emails: canonical, loose, local part, different. Role mailboxes count as missing.

    Levels: 4 same canonical address (``bob.smith@gmail.com``/``bobsmith@gmail.com``);
    3 same address once ``+tag`` and dots are ignored (``bob+crm@acme.com``/``bob@acme.com``);
    2 one typo at the same domain (``bob.smith@acme.com``/``bob.smiht@acme.com``), or the
    same local part at one organisation's other domain (``acme.com``/``acme.co.uk``) or at
    two free-mail providers (``bob.smith77@gmail.com``/``bob.smith77@yahoo.com``);
    1 different; 0 two different addresses both at free-mail providers (two people's own
    addresses: ``ian.berger@icloud.com``/``jberger@outlook.com``). The same local part at
    two companies is two people who share a name (``miles.day@`` at both), and a bare
    given name (``matthew@``) one typo from another is a colleague: both "different".
    """

    name: str = "email"
    levels: tuple[str, ...] = ("different_personal", "different", "local_part_or_typo", "loose", "exact")
    nicknames: NicknameTable | None = None

    def level(self, a: str, b: str) -> int:
        """Level of two distinct ``loose_local@domain`` strings."""
        local_a, _, domain_a = a.rpartition("@")
        local_b, _, domain_b = b.rpartition("@")
        free = domain_a in FREE_MAIL_DOMAINS and domain_b in FREE_MAIL_DOMAINS
        different = 0 if free else 1
        if local_a == local_b:
            same_organisation = email_organisation(domain_a) == email_organisation(domain_b)
            return 2 if len(local_a) >= 4 and (free or same_organisation) else different
        if domain_a != domain_b or _DIGITS.sub("", local_a) == _DIGITS.sub("", local_b):
            return different  # john.smith1 and john.smith2 are two people, not a typo
        names = self.nicknames
        if names is not None and (names.groups(local_a) or names.groups(local_b)):
            return different  # mark@ and mary@: two colleagues, not a typo
        typo = min(len(local_a), len(local_b)) >= 4 and OSA.distance(local_a, local_b, score_cutoff=1) <= 1
        return 2 if typo else different

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare primary personal emails; see the class docstring for levels."""
        out = _by_value_pairs(table.email_loose, left, right, 3, _one_by_one(self.level))
        same, _ = _both(table.email, left, right)
        out[same] = 4
        return out


@dataclass(frozen=True)
class PhoneNumbersShared:
    """Phones: 1 when the two records share any number (phone or mobile), 0 when not.

    Example: ``+442079460958`` on one record's phone and the other's mobile → 1. A
    number the batch shows is shared by people with incompatible names (a family's
    landline, ``RecordTable.shared_phones``) counts as missing.
    """

    name: str = "phone"
    levels: tuple[str, ...] = ("different", "exact")

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare phone numbers; see the class docstring for levels."""
        p, m = table.phone.codes, table.mobile.codes
        if table.shared_phones:  # a household's landline says nothing about which member it is
            shared = np.asarray([*(v in table.shared_phones for v in table.mobile.vocab), False], dtype=np.bool_)
            p, m = np.where(shared[p], -1, p), np.where(shared[m], -1, m)
        pl, ml, pr, mr = p[left], m[left], p[right], m[right]
        shared = ((pl >= 0) & ((pl == pr) | (pl == mr))) | ((ml >= 0) & ((ml == pr) | (ml == mr)))
        has_left, has_right = (pl >= 0) | (ml >= 0), (pr >= 0) | (mr >= 0)
        out = np.where(has_left & has_right, 0, MISSING).astype(np.int8)
        out[shared] = 1
        return out


@dataclass(frozen=True)
class DateOfBirthWithTypos:
    """Dates of birth: 2 exact, 1 a likely typo (``dates_of_birth_close``), 0 different.

    Examples: 1 ``1980-03-12``/``1980-03-13``, ``1980-03-12``/``1980-12-03``,
    ``1960-07-07``/``1906-07-07``, ``1989-07-07``/``1990-07-07``;
    0 ``1975-03-12``/``2005-03-12``.
    """

    name: str = "date_of_birth"
    levels: tuple[str, ...] = ("different", "typo", "exact")

    @staticmethod
    def level(a: str, b: str) -> int:
        """Level of two distinct ISO dates."""
        return 1 if dates_of_birth_close(a, b) else 0

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare dates of birth; see the class docstring for levels."""
        return _by_value_pairs(table.date_of_birth, left, right, 2, _one_by_one(self.level))


@dataclass(frozen=True)
class JaroWinklerCompanyAtThreshold:
    """Companies without legal suffixes: 2 exact, 1 close, 0 different.

    Examples: 2 ``Acme Inc.``/``ACME Ltd`` (both ``acme``); 1 ``acme widgets``/``acme widget``;
    0 ``acme``/``globex``.
    """

    close: float = 0.92
    name: str = "company"
    levels: tuple[str, ...] = ("different", "close", "exact")

    def levels_of(self, lefts: list[str], rights: list[str]) -> Levels:
        """Levels of many distinct pairs, string measures in C."""
        jaro = process.cpdist(lefts, rights, scorer=JaroWinkler.normalized_similarity, dtype=np.float64)
        tokens = process.cpdist(lefts, rights, scorer=fuzz.token_set_ratio)
        return ((jaro >= self.close) | (tokens >= 95)).astype(np.int8)

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare companies; see the class docstring for levels."""
        return _by_value_pairs(table.company, left, right, 2, self.levels_of)


def default_comparisons(nicknames: NicknameTable) -> tuple[Comparison, ...]:
    """Return the comparisons the engine uses, in column order of the level matrix."""
    return (
        GivenNameWithNicknamesAtThresholds(nicknames),
        JaroWinklerNameAtThresholds(),
        EmailThenLooseLocalPart(nicknames=nicknames),
        PhoneNumbersShared(),
        DateOfBirthWithTypos(),
        JaroWinklerCompanyAtThreshold(),
        AddressAtLevels(),
    )


COMPARISON_LEVELS: dict[str, tuple[str, ...]] = {
    "first_name": GivenNameWithNicknamesAtThresholds.levels,
    "last_name": JaroWinklerNameAtThresholds.levels,
    "email": EmailThenLooseLocalPart.levels,
    "phone": PhoneNumbersShared.levels,
    "date_of_birth": DateOfBirthWithTypos.levels,
    "company": JaroWinklerCompanyAtThreshold.levels,
    "address": AddressAtLevels.levels,
}
"""Level labels of each comparison by name (index = level), for settings and explanations."""


def _unswap_names(
    table: RecordTable,
    pairs: tuple[Index, Index],
    given: GivenNameWithNicknamesAtThresholds,
    surname: JaroWinklerNameAtThresholds,
    levels: tuple[Levels, Levels],
) -> None:
    """Where names agree better crossed (``Smith Robert``/``Bob Smith``), use crossed levels.

    Which crossed value is the given name is unknown (either record may be the
    swapped one), so the assignment with the weaker given-name agreement is used:
    crossing never makes a surname count as a first name.
    """
    left, right = pairs
    first, last = levels
    fl, ll = table.first_name.codes[left], table.last_name.codes[left]
    fr, lr = table.first_name.codes[right], table.last_name.codes[right]
    # Only pairs where one crossed name is equal can read better crossed.
    rows = np.flatnonzero(((first <= 0) | (last <= 0)) & (((fl >= 0) & (fl == lr)) | ((ll >= 0) & (ll == fr))))
    if not rows.size:
        return
    fl, ll, fr, lr = fl[rows], ll[rows], fr[rows], lr[rows]
    vocab = table.last_name.vocab
    top_given, top_surname = len(given.levels) - 1, len(surname.levels) - 1
    given_a = _levels_for(ll, fr, vocab, top_given, given.levels_of)
    surname_a = _levels_for(fl, lr, vocab, top_surname, surname.levels_of)
    given_b = _levels_for(fl, lr, vocab, top_given, given.levels_of)
    surname_b = _levels_for(ll, fr, vocab, top_surname, surname.levels_of)
    take_a = given_a <= given_b
    cross_given = np.where(take_a, given_a, given_b)
    cross_surname = np.where(take_a, surname_a, surname_b)

    def agreement(a: Levels, b: Levels) -> npt.NDArray[np.float64]:
        return np.maximum(a, 0) / top_given + np.maximum(b, 0) / top_surname

    # One crossed name is equal (see ``rows``); read as a swap when the crossed surname is at least close. A
    # given name that then disagrees stays "different" (a name swapped and replaced: ``jayden markellos``/
    # ``markellos kiarnee``), which only the date of birth can outweigh (``decide.lone_disagreement``).
    names_agree = cross_surname >= 2
    use = (agreement(cross_given, cross_surname) > agreement(first[rows], last[rows])) & names_agree
    first[rows[use]] = cross_given[use]
    last[rows[use]] = cross_surname[use]


def compare_pairs(table: RecordTable, left: Index, right: Index, comparisons: Sequence[Comparison]) -> Levels:
    """Compare every candidate pair on every comparison.

    Returns:
        An ``int8`` matrix, one row per pair and one column per comparison. First
        and last names are also compared crossed, and a pair whose names agree
        better crossed (``Smith Robert``/``Bob Smith``) takes the crossed levels.
    """
    columns = [c.compare(table, left, right) for c in comparisons]
    given = [(i, c) for i, c in enumerate(comparisons) if isinstance(c, GivenNameWithNicknamesAtThresholds)]
    surname = [(i, c) for i, c in enumerate(comparisons) if isinstance(c, JaroWinklerNameAtThresholds)]
    if given and surname:
        (gi, gc), (si, sc) = given[0], surname[0]
        _unswap_names(table, (left, right), gc, sc, (columns[gi], columns[si]))
    if not columns:
        return np.zeros((len(left), 0), dtype=np.int8)
    return np.ascontiguousarray(np.column_stack(columns).astype(np.int8))
