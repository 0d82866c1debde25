"""The address comparison: street, house number, postcode and city as one piece of evidence.

Household members share an address, so street, postcode and city are graded
together into one level rather than counted three times. Each part tolerates
what exports do to it: a postcode with two digits swapped (``6017``/``6071``), a
house number mistyped (``925``/``952``), a street or city with a typo
(``stanleykstreet``/``Stanley St``, ``cantebrry``/``canterbury``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA, JaroWinkler

from core.identity.levels import MISSING, Index, Levels, similarities
from core.identity.levels import by_value_pairs as _by_value_pairs
from core.identity.normalise import house_number, street_name
from core.identity.records import Column, RecordTable

__all__ = ["AddressAtLevels"]


def _postcodes_close(lefts: list[str], rights: list[str]) -> Levels:
    """1 when two postcodes of four characters or more are one typo apart (a digit mistyped or two swapped)."""
    typo = process.cpdist(lefts, rights, scorer=OSA.distance, score_cutoff=1)
    long_enough = np.asarray([min(len(a), len(b)) >= 4 for a, b in zip(lefts, rights, strict=True)], dtype=np.bool_)
    return ((typo <= 1) & long_enough).astype(np.int8)


def _cities_close(lefts: list[str], rights: list[str]) -> Levels:
    """1 when two city names are one typo apart or Jaro-Winkler ≥ 0.92 (``cantebrry``/``canterbury``)."""
    jaro, typo = similarities(lefts, rights)
    long_enough = np.asarray([min(len(a), len(b)) >= 4 for a, b in zip(lefts, rights, strict=True)], dtype=np.bool_)
    return ((jaro >= 0.92) | ((typo <= 1) & long_enough)).astype(np.int8)


def _derived_codes(column: Column, func: Callable[[str], str]) -> Column:
    """``func`` of every value of a column, as a column of its own (computed once per distinct value)."""
    mapped = [func(value) for value in column.vocab]
    vocab: dict[str, int] = {}
    lookup = np.asarray([*(vocab.setdefault(v, len(vocab)) if v else -1 for v in mapped), -1], dtype=np.int32)
    ordered = [""] * len(vocab)
    for text, code in vocab.items():
        ordered[code] = text
    return Column(lookup[column.codes], ordered)


def _street_names_close(lefts: list[str], rights: list[str]) -> Levels:
    """1 when two street names (no house number) are alike, else 0.

    Alike: token sort ratio ≥ 85, Jaro-Winkler ≥ 0.92 without spaces, or the first
    word equal or one typo apart (``hannan cres``/``hannan ctescent``).
    """
    tokens = process.cpdist(lefts, rights, scorer=fuzz.token_sort_ratio, dtype=np.float64)
    squashed = process.cpdist(
        [a.replace(" ", "") for a in lefts],
        [b.replace(" ", "") for b in rights],
        scorer=JaroWinkler.normalized_similarity,
        dtype=np.float64,
    )
    first_a, first_b = [a.split(" ", 1)[0] for a in lefts], [b.split(" ", 1)[0] for b in rights]
    typo = process.cpdist(first_a, first_b, scorer=OSA.distance, score_cutoff=1)
    long_enough = np.asarray([min(len(a), len(b)) >= 4 for a, b in zip(first_a, first_b, strict=True)], dtype=np.bool_)
    return ((tokens >= 85) | (squashed >= 0.92) | ((typo <= 1) & long_enough)).astype(np.int8)


def _house_numbers_close(lefts: list[str], rights: list[str]) -> Levels:
    """1 when two house numbers of one length are one typo apart (``925``/``952``, ``12``/``13``)."""
    typo = process.cpdist(lefts, rights, scorer=OSA.distance, score_cutoff=1)
    same_length = np.asarray([len(a) == len(b) for a, b in zip(lefts, rights, strict=True)], dtype=np.bool_)
    return ((typo <= 1) & same_length).astype(np.int8)


def _street_levels(table: RecordTable, left: Index, right: Index) -> Levels:
    """Street levels: 2 same street and number, 1 same street, 0 different, -1 missing.

    2: the same street and house number (a typo allowed in each; or neither numbered);
    1: the same street with another number or only one numbered, or the same house number
    where a street name is missing (``75``/``75 scantlebury crescent``); -1: a street name missing.
    """
    numbers = _derived_codes(table.street, house_number)
    name = _by_value_pairs(_derived_codes(table.street, street_name), left, right, 1, _street_names_close)
    number = _by_value_pairs(numbers, left, right, 1, _house_numbers_close)
    same_number = (number == 1) | ((numbers.codes[left] < 0) & (numbers.codes[right] < 0))
    out = np.where(name < 0, MISSING, np.where(name == 1, np.where(same_number, 2, 1), 0)).astype(np.int8)
    out[(name < 0) & (numbers.codes[left] >= 0) & (numbers.codes[left] == numbers.codes[right])] = 1
    return out


@dataclass(frozen=True)
class AddressAtLevels:
    """Postal addresses: 4 street, 3 street_name, 2 postcode, 1 city, 0 different.

    * street: the same street and house number (a typo allowed in each), postcode and city not different;
    * street_name: the same street with another or no house number, the same house number where a
      street name is missing, or the same street and number where one of postcode and city differs;
    * postcode: the same postcode or one typo from it (``4053``/``4035``), the city not different;
    * city: the same city or one typo from it, the postcode not different.

    Household members share an address, so this comparison is one piece of evidence, not three.
    """

    name: str = "address"
    levels: tuple[str, ...] = ("different", "city", "postcode", "street_name", "street")

    def compare(self, table: RecordTable, left: Index, right: Index) -> Levels:
        """Compare addresses; see the class docstring for levels."""
        postcode = _by_value_pairs(table.postcode, left, right, 1, _postcodes_close)
        city = _by_value_pairs(table.city, left, right, 1, _cities_close)
        postcode_diff, city_diff = postcode == 0, city == 0
        # With both postcode and city different the level is "different" whatever the street says,
        # so streets are compared only for the other pairs (most random pairs are skipped).
        street = np.full(len(left), MISSING, dtype=np.int8)
        rows = np.flatnonzero(~(postcode_diff & city_diff))
        street[rows] = _street_levels(table, left[rows], right[rows])
        comparable = (street >= 0) | (postcode >= 0) | (city >= 0)
        out = np.where(comparable, 0, MISSING).astype(np.int8)
        out[(city == 1) & ~postcode_diff] = 1
        out[(postcode == 1) & ~city_diff] = 2
        neither_differs = ~postcode_diff & ~city_diff
        out[((street == 1) & neither_differs) | ((street == 2) & (postcode_diff ^ city_diff))] = 3
        out[(street == 2) & neither_differs] = 4
        return out
