"""u, the chance two strangers show a level, from random pairs of the batch.

random_level_counts ─ level counts among seeded random pairs of distinct records
without_matches     ─ the same with the expected true matches taken out
shrunk_u            ─ u, shrunk towards a generic prior for small samples
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from core.identity.compare import COMPARED_AT_ONCE, Comparison, compare_pairs
from core.identity.records import RecordTable

__all__ = [
    "U_MIN_PAIRS",
    "U_PAIRS_PER_RECORD",
    "U_PRIOR_PAIRS",
    "estimate_u",
    "random_level_counts",
    "shrunk_u",
    "without_matches",
]

Floats = npt.NDArray[np.float64]


def estimate_u(table: RecordTable, comparisons: Sequence[Comparison], *, sample: int, seed: int) -> tuple[Floats, ...]:
    """Estimate u for every level from random pairs of distinct records (``U_PAIRS_PER_RECORD``, at most ``sample``).

    The counts are shrunk towards a generic prior (``U_PRIOR_PAIRS`` pseudo-pairs,
    almost all of them on the "different" levels), so a small file, with only a
    few random pairs to learn from, still gets u values that say agreement is
    rare among strangers; at tens of thousands of records the data decides. The
    random generator is seeded, so the estimate is reproducible.
    """
    counts, _ = random_level_counts(table, comparisons, sample=sample, seed=seed)
    return shrunk_u(counts, comparisons)


def random_level_counts(
    table: RecordTable, comparisons: Sequence[Comparison], *, sample: int, seed: int
) -> tuple[list[Floats], int]:
    """How often each level occurs among random pairs of distinct records, and how many pairs were drawn."""
    n = len(table)
    if n < 2:
        return [np.zeros(len(c.levels)) for c in comparisons], 0
    rng = np.random.default_rng(seed)
    size = min(sample, max(U_PAIRS_PER_RECORD * n, U_MIN_PAIRS), n * (n - 1) // 2)
    first = rng.integers(0, n, size=size)
    second = rng.integers(0, n - 1, size=size)
    second += second >= first
    left = np.minimum(first, second).astype(np.int32)
    np.maximum(first, second, out=first)
    del second
    right = first.astype(np.int32)
    del first
    found = [np.zeros(len(comparison.levels)) for comparison in comparisons]
    for start in range(0, size, COMPARED_AT_ONCE):  # the comparisons' work arrays follow the slice, not the sample
        part = slice(start, start + COMPARED_AT_ONCE)
        levels = compare_pairs(table, left[part], right[part], comparisons)
        for c, comparison in enumerate(comparisons):
            column = levels[:, c]
            found[c] += np.bincount(column[column >= 0], minlength=len(comparison.levels))
    return found, size


def shrunk_u(counts: Sequence[Floats], comparisons: Sequence[Comparison]) -> tuple[Floats, ...]:
    """The u of each level from its counts among random pairs, shrunk towards the generic prior (``U_PRIOR_PAIRS``)."""
    found = []
    for values, comparison in zip(counts, comparisons, strict=True):
        total = values + U_PRIOR_PAIRS * _u_prior(comparison.levels)
        found.append(total / total.sum())
    return tuple(found)


def without_matches(counts: Sequence[Floats], m: Sequence[Floats], share: float, pairs: int) -> list[Floats]:
    """Level counts among random pairs with the expected true matches taken out.

    A random pair is a match with probability ``share`` (the prior), and a match shows
    level ``k`` with probability ``m[k]``, so of ``pairs`` random pairs about
    ``share * pairs * m[k]`` sit on level ``k`` because they *are* one person (FEBRL's
    duplicates, a CRM's records of one customer). Left in, they make agreement look
    common among strangers: in a file where every person has a duplicate the share of
    random pairs with the same date of birth is several times what strangers show.
    """
    expected = share * pairs
    return [np.maximum(values - expected * np.asarray(rates), 0.0) for values, rates in zip(counts, m, strict=True)]


U_PAIRS_PER_RECORD = 20
U_MIN_PAIRS = 50_000
"""Random pairs for u: 20 a record, at least 50,000, at most ``em.random_pairs`` (a small file
needs no more pairs than a large one to learn how often strangers agree; the prior below
steadies the rare levels)."""

U_PRIOR_PAIRS = 1000.0
"""Weight, in random pairs, of the generic u prior that small samples are shrunk towards."""


def _u_prior(labels: Sequence[str]) -> Floats:
    """Generic u: strangers mostly land on "different" levels; each agreeing level gets 2% of that."""
    weights = np.array([1.0 if label.startswith("different") else 0.02 for label in labels], dtype=np.float64)
    return np.asarray(weights / weights.sum(), dtype=np.float64)
