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
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from core.identity.address import AddressAtLevels
from core.identity.crossed import unswap_names
from core.identity.levels import (
    MISSING,
    Codes,
    Index,
    Levels,
    by_value_code_pairs,
    similarities,
)
from core.identity.levels import (
    both_present as _both,
)
from core.identity.levels import (
    by_value_pairs as _by_value_pairs,
)
from core.identity.nicknames import NicknameTable, given_name_level, shortened
from core.identity.normalise import FREE_MAIL_DOMAINS, dates_of_birth_close, email_organisation
from core.identity.records import RecordTable, factorise

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


def _email_parts(value: str) -> tuple[str, str, str, bool]:
    """``local@domain`` → (local, domain, local without digits, domain is free mail)."""
    local, _, domain = value.rpartition("@")
    return local, domain, _DIGITS.sub("", local), domain in FREE_MAIL_DOMAINS


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
        names = self.nicknames
        firsts = {text: text.partition(" ") for text in {*lefts, *rights}}  # each distinct name split once
        groups = {first: names.groups(first) for first, _, _ in firsts.values()}
        out_list = out.tolist()
        for k, (a, b) in enumerate(zip(lefts, rights, strict=True)):
            first_a, _, rest_a = firsts[a]
            first_b, _, rest_b = firsts[b]
            level = out_list[k]
            if first_a != first_b and groups[first_a] & groups[first_b] and names.compatible(first_a, first_b):
                out[k] = 3  # a shared first word is "close" (mary ann/mary), not a nickname
            elif level == 0 and not (rest_a or rest_b) and min(len(first_a), len(first_b)) >= 3:
                # Not similar, not one typo, not nicknames: only a shortening or a misspelt nickname is left.
                if shortened(first_a, first_b):
                    out[k] = 2
                elif (groups[first_b] and first_b in names.near_set(first_a)) or (
                    groups[first_a] and first_a in names.near_set(first_b)
                ):
                    out[k] = 1
            elif level < 2 and (rest_a or rest_b or min(len(first_a), len(first_b)) < 3):
                out[k] = self.level(a, b)
            elif level < 2 and shortened(first_a, first_b):
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
        local_a, domain_a, digitless_a, free_a = _email_parts(a)
        local_b, domain_b, digitless_b, free_b = _email_parts(b)
        free = free_a and free_b
        different = 0 if free else 1
        if local_a == local_b:
            same_organisation = email_organisation(domain_a) == email_organisation(domain_b)
            return 2 if len(local_a) >= 4 and (free or same_organisation) else different
        if domain_a != domain_b or digitless_a == digitless_b:
            return different  # john.smith1 and john.smith2 are two people, not a typo
        names = self.nicknames
        if names is not None and (names.groups(local_a) or names.groups(local_b)):
            return different  # mark@ and mary@: two colleagues, not a typo
        typo = min(len(local_a), len(local_b)) >= 4 and OSA.distance(local_a, local_b, score_cutoff=1) <= 1
        return 2 if typo else different

    def levels_of(self, lefts: list[str], rights: list[str]) -> Levels:
        """``level`` of many address pairs at once (see ``code_levels_of``)."""
        vocab = sorted(set(lefts) | set(rights))
        code = {value: k for k, value in enumerate(vocab)}
        lo = np.asarray([code[v] for v in lefts], dtype=np.int64)
        hi = np.asarray([code[v] for v in rights], dtype=np.int64)
        return self.code_levels_of(vocab, lo, hi)

    def code_levels_of(self, vocab: list[str], lefts: Codes, rights: Codes) -> Levels:
        """``level`` of many address pairs given as codes into ``vocab`` (the same levels, property-tested).

        What depends on one address alone (local part, domain, organisation, free mail,
        nickname) is worked out once per distinct address; the pairs are then compared as
        codes, and only the possible typos are scored, in C.
        """
        used, inverse = np.unique(np.concatenate([lefts, rights]), return_inverse=True)
        a, b = inverse[: len(lefts)], inverse[len(lefts) :]
        parts = [_email_parts(vocab[k]) for k in used.tolist()]
        names = self.nicknames
        local, domain, digitless, org = (
            factorise(column).codes  # equal codes for equal texts ("" is -1 on both sides)
            for column in (
                [p[0] for p in parts], [p[1] for p in parts], [p[2] for p in parts],
                [email_organisation(p[1]) for p in parts],
            )
        )  # fmt: skip
        free = np.asarray([p[3] for p in parts], dtype=bool)
        long_local = np.asarray([len(p[0]) >= 4 for p in parts], dtype=bool)
        named = np.asarray([names is not None and bool(names.groups(p[0])) for p in parts], dtype=bool)
        both_free = free[a] & free[b]
        out = np.where(both_free, 0, 1).astype(np.int8)
        same_local = local[a] == local[b]
        out[same_local & long_local[a] & (both_free | (org[a] == org[b]))] = 2
        maybe_typo = (
            ~same_local & (domain[a] == domain[b]) & (digitless[a] != digitless[b]) & ~named[a] & ~named[b]
            & long_local[a] & long_local[b]
        )  # fmt: skip
        rows = np.flatnonzero(maybe_typo)
        if rows.size:
            left_locals = [parts[k][0] for k in a[rows].tolist()]
            right_locals = [parts[k][0] for k in b[rows].tolist()]
            typo = process.cpdist(left_locals, right_locals, scorer=OSA.distance, score_cutoff=1) <= 1
            out[rows[typo]] = 2
        return out

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare primary personal emails; see the class docstring for levels."""
        out = by_value_code_pairs(table.email_loose, left, right, 3, self.code_levels_of)
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

    def levels_of(self, lefts: list[str], rights: list[str]) -> Levels:
        """Levels of many distinct pairs at once (``dates_of_birth_close`` with numpy; a property test compares)."""
        parts = {text: _date_parts(text) for text in {*lefts, *rights}}
        a = np.asarray([parts[text] for text in lefts], dtype=np.int64).reshape(-1, 3)
        b = np.asarray([parts[text] for text in rights], dtype=np.int64).reshape(-1, 3)
        typo = process.cpdist(lefts, rights, scorer=OSA.distance, score_cutoff=1) <= 1
        readable = (a[:, 0] >= 0) & (b[:, 0] >= 0)
        same_year, same_month, same_day = a[:, 0] == b[:, 0], a[:, 1] == b[:, 1], a[:, 2] == b[:, 2]
        swapped = same_year & (a[:, 1] == b[:, 2]) & (a[:, 2] == b[:, 1])
        year_off = same_month & same_day & (np.abs(a[:, 0] - b[:, 0]) == 1)
        day_off = same_year & same_month & (np.abs(a[:, 2] - b[:, 2]) == 1)
        close = readable & (typo | swapped | year_off | day_off)
        out: Levels = np.asarray(close, dtype=np.int8)
        for k in np.flatnonzero(~readable).tolist():  # not ``YYYY-MM-DD`` in digits: one at a time
            out[k] = self.level(lefts[k], rights[k])
        return out

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare dates of birth; see the class docstring for levels."""
        return _by_value_pairs(table.date_of_birth, left, right, 2, self.levels_of)


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


def _date_parts(text: str) -> tuple[int, int, int]:
    """Year, month and day of ``YYYY-MM-DD`` written in digits, else ``(-1, -1, -1)``."""
    if len(text) == 10 and text[4] == text[7] == "-" and (text[:4] + text[5:7] + text[8:]).isdigit():
        return int(text[:4]), int(text[5:7]), int(text[8:])
    return -1, -1, -1


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


COMPARED_AT_ONCE = 50_000
"""Pairs compared in one part (candidate pairs, and the random pairs u is estimated from): each
comparison's working arrays (codes, lengths, scores of every pair) weigh about a hundred times the
pair's levels, so a batch's peak memory follows this, not its candidate pairs. Half of 100,000
held 6.6 MiB less at its peak (13.0 against 19.6 MiB over 450,562 pairs) for the same time."""


def compare_pairs(table: RecordTable, left: Index, right: Index, comparisons: Sequence[Comparison]) -> Levels:
    """Compare every candidate pair on every comparison, ``COMPARED_AT_ONCE`` pairs at a time.

    Returns:
        An ``int8`` matrix, one row per pair and one column per comparison. First
        and last names are also compared crossed, and a pair whose names agree
        better crossed (``Smith Robert``/``Bob Smith``) takes the crossed levels.
    """
    if len(left) <= COMPARED_AT_ONCE:
        return _compared(table, left, right, comparisons)
    levels = np.empty((len(left), len(comparisons)), dtype=np.int8)
    for start in range(0, len(left), COMPARED_AT_ONCE):
        part = slice(start, start + COMPARED_AT_ONCE)
        levels[part] = _compared(table, left[part], right[part], comparisons)
    return levels


def _compared(table: RecordTable, left: Index, right: Index, comparisons: Sequence[Comparison]) -> Levels:
    columns = [c.compare(table, left, right) for c in comparisons]
    given = [(i, c) for i, c in enumerate(comparisons) if isinstance(c, GivenNameWithNicknamesAtThresholds)]
    surname = [(i, c) for i, c in enumerate(comparisons) if isinstance(c, JaroWinklerNameAtThresholds)]
    if given and surname:
        (gi, gc), (si, sc) = given[0], surname[0]
        unswap_names(table, (left, right), gc, sc, (columns[gi], columns[si]))
    if not columns:
        return np.zeros((len(left), 0), dtype=np.int8)
    return np.ascontiguousarray(np.column_stack(columns).astype(np.int8))
