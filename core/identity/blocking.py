"""Blocking: several cheap keys so that true pairs meet without comparing everything.

Each blocking key gives every record zero or more ``(key, sub_key)`` values.
Records sharing a key form a block; every pair inside a block is a candidate.
A block larger than ``max_block_size`` is split by its sub-key, and if still
too large it is skipped and reported (such keys say little about identity:
a city's most common surname). Pairs are built with numpy, block sizes at a
time, and deduplicated across keys, so each pair is compared once.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import jellyfish
import numpy as np
import numpy.typing as npt

from core.identity.nicknames import NicknameTable
from core.identity.records import RecordTable
from core.identity.settings import BlockingKey

__all__ = ["BlockingReport", "CandidatePairs", "block"]

Index = npt.NDArray[np.int32]
KeyFunc = Callable[[RecordTable, int], Iterator[tuple[str, str]]]


@dataclass(frozen=True)
class BlockingReport:
    """What blocking did: pairs each key produced, and blocks too big to use."""

    pairs_by_key: dict[str, int] = field(default_factory=dict)
    skipped_blocks: dict[str, int] = field(default_factory=dict)
    skipped_largest: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class CandidatePairs:
    """Distinct candidate pairs ``left[k] < right[k]`` (record indexes), sorted."""

    left: Index
    right: Index
    report: BlockingReport

    def __len__(self) -> int:
        """Return the number of pairs."""
        return len(self.left)


def _sound(text: str) -> str:
    return jellyfish.soundex(text.replace(" ", "")) if text else ""


def _key_functions(table: RecordTable, nicknames: NicknameTable) -> dict[BlockingKey, KeyFunc]:  # noqa: C901 - a table of small closures
    """Key functions over ``table``; column values are read into lists once."""
    firsts, lasts = table.first_name.values(), table.last_name.values()
    postcodes, cities = table.postcode.values(), table.city.values()
    companies, dobs = table.company.values(), table.date_of_birth.values()
    sounds = {name: _sound(name) for name in {*lasts, *firsts}}
    name_keys = {name: nicknames.name_keys(name.split()[0]) for name in set(firsts) if name}

    def email(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        for e in table.emails[i]:
            if not e.is_role and e.canonical not in table.shared_emails:
                yield e.canonical, ""

    def email_local(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        for e in table.emails[i]:
            if not e.is_role and len(e.loose_local) >= 4 and e.canonical not in table.shared_emails:
                yield e.loose_local, e.domain

    def phone(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        for number in table.phones[i]:
            yield number, lasts[i][:1]

    def names_sorted(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        last = lasts[i]
        sub = postcodes[i] or cities[i]
        for first in name_keys.get(firsts[i], ()) if last else ():
            # Sorted, so that "Smith Robert" meets "Robert Smith" (and, through the keys, "Bob Smith").
            yield "|".join(sorted((first, last))), sub

    def surname_sound(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        first, last = firsts[i], lasts[i]
        if first and last:
            yield f"{sounds[last]}|{first[:2]}", sounds[first]

    def first_surname_initial(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        last = lasts[i]
        sub = companies[i] or postcodes[i]
        for first in name_keys.get(firsts[i], ()) if last else ():
            yield f"{first}|{last[:2]}", sub

    def postcode_surname(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        postcode, last = postcodes[i], lasts[i]
        if postcode and last:
            yield f"{postcode}|{sounds[last]}", ""

    def company_surname(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        company, last, first = companies[i], lasts[i], firsts[i]
        if company and last and first:
            yield f"{company}|{sounds[last]}|{first[:1]}", ""

    def date_of_birth(table: RecordTable, i: int) -> Iterator[tuple[str, str]]:
        dob = dobs[i]
        if dob:
            yield dob, lasts[i][:1]

    return {
        BlockingKey.EMAIL: email,
        BlockingKey.EMAIL_LOCAL_PART: email_local,
        BlockingKey.PHONE: phone,
        BlockingKey.NAMES_SORTED: names_sorted,
        BlockingKey.SURNAME_SOUND_FIRST_INITIAL: surname_sound,
        BlockingKey.FIRST_NAME_SURNAME_INITIAL: first_surname_initial,
        BlockingKey.POSTCODE_SURNAME: postcode_surname,
        BlockingKey.COMPANY_SURNAME: company_surname,
        BlockingKey.DATE_OF_BIRTH: date_of_birth,
    }


def _pairs_in_blocks(keys: npt.NDArray[np.int64], records: Index, cap: int) -> tuple[list[Index], list[Index], Index]:
    """Pairs within blocks of equal ``keys``; returns (lefts, rights, oversized block keys)."""
    order = np.lexsort((records, keys))
    keys, records = keys[order], records[order]
    if len(keys) == 0:
        return [], [], np.zeros(0, dtype=np.int64)
    distinct = np.r_[True, (keys[1:] != keys[:-1]) | (records[1:] != records[:-1])]  # a record once per block
    keys, records = keys[distinct], records[distinct]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    sizes = np.diff(np.r_[starts, len(keys)])
    lefts: list[Index] = []
    rights: list[Index] = []
    for size in np.unique(sizes[(sizes >= 2) & (sizes <= cap)]).tolist():
        members = records[starts[sizes == size][:, None] + np.arange(size)]
        upper_i, upper_j = np.triu_indices(size, 1)
        lefts.append(members[:, upper_i].ravel())
        rights.append(members[:, upper_j].ravel())
    return lefts, rights, keys[starts[sizes > cap]]


def _encode(values: list[str]) -> npt.NDArray[np.int64]:
    seen: dict[str, int] = {}
    return np.asarray([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)


def _block_one_key(table: RecordTable, func: KeyFunc, cap: int) -> tuple[list[Index], list[Index], int, int]:
    keys: list[str] = []
    subs: list[str] = []
    records: list[int] = []
    for index in range(len(table)):
        for key, sub in func(table, index):
            keys.append(key)
            subs.append(sub)
            records.append(index)
    if not keys:
        return [], [], 0, 0
    record_array = np.asarray(records, dtype=np.int32)
    key_codes = _encode(keys)
    lefts, rights, oversized = _pairs_in_blocks(key_codes, record_array, cap)
    if not len(oversized):
        return lefts, rights, 0, 0
    inside = np.isin(key_codes, oversized)
    refined = _encode([f"{k}\x1f{s}" for k, s, big in zip(keys, subs, inside.tolist(), strict=True) if big])
    sub_lefts, sub_rights, still = _pairs_in_blocks(refined, record_array[inside], cap)
    largest = int(np.bincount(refined).max()) if len(still) else 0
    return lefts + sub_lefts, rights + sub_rights, len(still), largest


def block(
    table: RecordTable, keys: Sequence[BlockingKey], *, max_block_size: int, nicknames: NicknameTable
) -> CandidatePairs:
    """Make the distinct candidate pairs of a table under several blocking keys.

    Args:
        table: The prepared records.
        keys: Which blocking keys to use.
        max_block_size: Largest block compared in full (after sub-blocking).
        nicknames: For the nickname-aware name keys.

    Returns:
        Sorted, distinct pairs with ``left < right`` and a report of what each key did.
    """
    functions = _key_functions(table, nicknames)
    n = max(len(table), 1)
    encoded: list[npt.NDArray[np.int64]] = []
    report = BlockingReport()
    for key in keys:
        lefts, rights, skipped, largest = _block_one_key(table, functions[key], max_block_size)
        chunk = (
            np.concatenate([lt.astype(np.int64) * n + rt for lt, rt in zip(lefts, rights, strict=True)])
            if lefts
            else None
        )
        report.pairs_by_key[key.value] = 0 if chunk is None else len(chunk)
        if skipped:
            report.skipped_blocks[key.value] = skipped
            report.skipped_largest[key.value] = largest
        if chunk is not None:
            encoded.append(np.unique(chunk))
    pairs = np.unique(np.concatenate(encoded)) if encoded else np.zeros(0, dtype=np.int64)
    return CandidatePairs((pairs // n).astype(np.int32), (pairs % n).astype(np.int32), report)
