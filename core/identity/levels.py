"""Level helpers shared by the comparisons: fuzzy measures once per distinct pair of values.

A comparison's levels are computed over integer-coded columns: ``-1`` when
either side is missing, the top level when the codes are equal, and a string
measure (rapidfuzz, in C) once per *distinct pair of values* otherwise.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from core.identity.records import Column

__all__ = [
    "MISSING",
    "Index",
    "Levels",
    "CodeLevelsOf",
    "Codes",
    "LevelsOf",
    "both_present",
    "by_value_code_pairs",
    "by_value_pairs",
    "levels_for",
    "similarities",
]

Index = npt.NDArray[np.int32]
Levels = npt.NDArray[np.int8]
MISSING = -1
LevelsOf = Callable[[list[str], list[str]], Levels]
"""Levels of many distinct value pairs at once: ``(lefts, rights) -> levels``."""
Codes = npt.NDArray[np.int64]
CodeLevelsOf = Callable[[list[str], Codes, Codes], Levels]
"""Levels of many distinct value pairs given as codes into a vocabulary: ``(vocab, lefts, rights) -> levels``."""


def similarities(lefts: list[str], rights: list[str]) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.uint32]]:
    """Jaro-Winkler similarity and (capped) OSA distance of each pair, in C.

    Similarities are float64, as the one-pair functions return them, so a score just
    under a threshold (0.7999…) is not rounded onto it.
    """
    jaro = process.cpdist(lefts, rights, scorer=JaroWinkler.normalized_similarity, dtype=np.float64)
    typo = process.cpdist(lefts, rights, scorer=OSA.distance, score_cutoff=1)
    return jaro, typo


def levels_for(a: Index, b: Index, vocab: list[str], top: int, level_of: LevelsOf) -> Levels:
    """Missing → -1, equal codes → ``top``, else ``level_of`` once per distinct value pair."""
    return code_levels_for(a, b, vocab, top, lambda words, lo, hi: level_of(_words(words, lo), _words(words, hi)))


def code_levels_for(a: Index, b: Index, vocab: list[str], top: int, level_of: CodeLevelsOf) -> Levels:
    """``levels_for`` with ``level_of`` given the distinct pairs as codes into ``vocab``."""
    out = np.zeros(len(a), dtype=np.int8)
    missing = (a < 0) | (b < 0)
    exact = (a == b) & ~missing
    out[missing] = MISSING
    out[exact] = top
    rest = np.flatnonzero(~missing & ~exact)
    if rest.size:
        size = max(len(vocab), 1)
        lo = np.minimum(a[rest], b[rest]).astype(np.int64)
        hi = np.maximum(a[rest], b[rest]).astype(np.int64)
        unique, inverse = np.unique(lo * size + hi, return_inverse=True)
        found = level_of(vocab, unique // size, unique % size)
        out[rest] = np.asarray(found, dtype=np.int8)[inverse]
    return out


def _words(vocab: list[str], codes: Codes) -> list[str]:
    return [vocab[k] for k in codes.tolist()]


def by_value_pairs(column: Column, left: Index, right: Index, top: int, level_of: LevelsOf) -> Levels:
    """Level each pair on one column (see ``levels_for``)."""
    return levels_for(column.codes[left], column.codes[right], column.vocab, top, level_of)


def by_value_code_pairs(column: Column, left: Index, right: Index, top: int, level_of: CodeLevelsOf) -> Levels:
    """Level each pair on one column, the distinct pairs given to ``level_of`` as codes (see ``code_levels_for``)."""
    return code_levels_for(column.codes[left], column.codes[right], column.vocab, top, level_of)


def both_present(column: Column, left: Index, right: Index) -> tuple[npt.NDArray[np.bool_], npt.NDArray[np.bool_]]:
    """Return (both present and equal, both present and different)."""
    a, b = column.codes[left], column.codes[right]
    present = (a >= 0) & (b >= 0)
    return present & (a == b), present & (a != b)
